"""A health manager's caseload: the patients they follow, each with a status per finding (in words and in
colour), their service tier, their last reading and their open alerts, most urgent first.

Built from the same services as the chat (the coach's findings, the alerts, the access policy), so the
console shows what the coach would say. Every patient shown is a view of their data: it is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Literal

from pydantic import BaseModel, Field

from coach.access import AccessPolicy
from coach.accounts import Account
from coach.alerts import LEVEL_ORDER, Alert, Alerts
from coach.models import LABELS, Indicator, IndicatorFinding, Profile, Reading
from coach.profile.store import ProfileStore

Colour = Literal["green", "amber", "red"]
COLOUR_RANK = {"green": 0, "amber": 1, "red": 2}
CHART_DAYS = 90  # the readings the findings are judged on


class ConditionStatus(BaseModel):
    indicator: str
    words: str = Field(description="e.g. 'Home blood pressure 146/93 mmHg: Stage 2 range (mean of 6 home "
                                   "readings over the last 7 days)'")
    colour: Colour
    passage_id: str


class CaseloadRow(BaseModel):
    profile_id: str
    name: str
    tier: str
    conditions: list[str]
    statuses: list[ConditionStatus]
    last_reading: dt.datetime | None
    last_contact: dt.datetime | None = Field(default=None, description="When the patient last wrote in their "
                                             "chat or sent a reading (UTC)")
    open_alerts: int
    most_urgent: str | None = Field(description="The level of the most urgent open alert")
    needs_attention: bool = Field(description="An open alert, or a finding two or more bands from the reference")


def indicator_name(indicator: str) -> str:
    special = {"blood_pressure": "Blood pressure", "home_blood_pressure": "Home blood pressure"}
    if indicator in special:
        return special[indicator]
    try:
        name = LABELS[Indicator(indicator)]
    except ValueError:
        name = indicator.replace("_", " ")
    return name[:1].upper() + name[1:]


def status_of(finding: IndicatorFinding) -> ConditionStatus:
    how = f" ({finding.derived})" if finding.derived else ""
    colour: Colour = "green" if finding.severity == 0 else "amber" if finding.severity == 1 else "red"
    return ConditionStatus(indicator=finding.indicator, colour=colour, passage_id=finding.passage_id,
                           words=f"{indicator_name(finding.indicator)} {finding.shown_values} {finding.unit}: "
                                 f"{finding.label}{how}")


class Caseload:
    def __init__(self, store: ProfileStore, policy: AccessPolicy, alerts: Alerts,
                 findings: Callable[[Profile], list[IndicatorFinding]],
                 last_messages: Callable[[list[str]], dict[str, dt.datetime]] | None = None):
        self.store, self.policy, self.alerts, self.findings = store, policy, alerts, findings
        self.last_messages = last_messages  # when each patient last wrote in the chat (coach/conversations.py)

    def for_account(self, account: Account, search: str = "", attention_only: bool = False) -> list[CaseloadRow]:
        open_alerts: dict[str, list[str]] = {}
        for alert in self.alerts.for_account(account):
            if alert.status != "resolved":
                open_alerts.setdefault(alert.profile_id, []).append(alert.level)
        rows = []
        needle = search.strip().lower()
        visible = self.policy.patients_visible_to(account)
        profiles = self.store.get_profiles(visible)  # a patient who has not filled in a profile yet is left out
        shown = [pid for pid in visible if pid in profiles and (not needle or needle in pid or
                                                                 needle in profiles[pid].display_name.lower())]
        self.policy.require_each(account, "profile", shown, action="view caseload")  # one audit write a page
        last = self.store.last_measured(shown)
        wrote = self.last_messages(shown) if self.last_messages is not None else {}
        for profile_id in shown:
            profile = profiles[profile_id]
            findings = self.findings(profile)
            levels = sorted(open_alerts.get(profile_id, []), key=lambda level: LEVEL_ORDER.get(level, 9))
            row = CaseloadRow(
                profile_id=profile_id, name=profile.display_name, tier=profile.tier,
                conditions=[str(c) for c in profile.conditions],
                statuses=[status_of(f) for f in sorted(findings, key=lambda f: -f.severity)],
                last_reading=last.get(profile_id),
                last_contact=max((t for t in (last.get(profile_id), wrote.get(profile_id)) if t), default=None),
                open_alerts=len(levels), most_urgent=levels[0] if levels else None,
                needs_attention=bool(levels) or any(f.severity >= 2 for f in findings))
            if row.needs_attention or not attention_only:
                rows.append(row)
        # the most urgent open alert first, then the worst finding, then by name
        return sorted(rows, key=lambda r: (LEVEL_ORDER.get(r.most_urgent or "", 9), -_worst(r), r.name.lower()))


def _worst(row: CaseloadRow) -> int:
    return max((COLOUR_RANK[s.colour] for s in row.statuses), default=0)


class PatientView(BaseModel):
    """One patient as their manager sees them: the profile, the findings with their rules and passages,
    the latest readings and the alerts."""

    profile: Profile
    findings: list[IndicatorFinding]
    statuses: list[ConditionStatus]
    readings: list[Reading] = Field(description="Newest first, at most `limit`")
    recent: list[Reading] = Field(default_factory=list, description="The last CHART_DAYS days, oldest first: "
                                  "what the charts draw")
    total_readings: int
    alerts: list[Alert]


def patient_view(caseload: Caseload, account: Account, profile_id: str, limit: int = 50) -> PatientView:
    """Raises AccessDenied when the account may not see this patient (the console answers 404), and
    ProfileNotFound when there is no such profile."""
    caseload.policy.require(account, "profile", profile_id, action="view patient")
    profile = caseload.store.get_profile(profile_id)
    findings = sorted(caseload.findings(profile), key=lambda f: -f.severity)
    readings = caseload.store.readings(profile_id)
    alerts = [a for a in caseload.alerts.for_account(account) if a.profile_id == profile_id]
    since = dt.datetime.now() - dt.timedelta(days=CHART_DAYS)
    return PatientView(profile=profile, findings=findings, statuses=[status_of(f) for f in findings],
                       readings=list(reversed(readings))[:limit], recent=[r for r in readings if r.measured_at >= since],
                       total_readings=len(readings), alerts=alerts)
