"""The health managers' alerts: what the coach handed to a person, for the patients a manager follows.

An alert is an escalation record (coach/profile/store.py: triage's emergencies, urgent findings and safety
checks, routine follow-ups, the questions the guidelines do not answer, requests for a person, answers whose
generated text failed verification, thumbs-down feedback), with what managers did about it: acknowledged,
then resolved with a reason code and a note. The patient's service tier (coach/tiers.py) decides which of
them reach a manager's list, how soon they are due, and which notify the manager at once. Those actions
are kept in their own append-only table
`alert_actions` beside the escalations (the escalation itself is never rewritten), each one audited.
Nothing here knows of HTTP: the console and the CLI call it with the logged-in account.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select

from coach.access import AccessDenied, AccessPolicy
from coach.accounts import Account
from coach.notify import Notification, Notifier
from coach.profile.store import EscalationRecord, ProfileStore
from coach.tiers import Tiers, load_tiers

log = logging.getLogger("coach.alerts")
Status = Literal["open", "acknowledged", "resolved"]
# Why an alert was closed: the codes a manager picks from, so that the team can count them
REASON_CODES: dict[str, str] = {
    "contacted_patient": "contacted the patient",
    "referred_to_clinician": "referred to a clinician",
    "emergency_confirmed": "emergency services were involved",
    "false_alarm": "a false alarm: nothing was wrong",
    "question_answered": "the question was answered by a person",
    "no_action_needed": "no action needed",
    "other": "other (see the note)",
}
# Most urgent first: the order of a manager's list
# Levels that reach a person whoever follows the patient: a manager on call sees those of unfollowed patients
ALWAYS_A_PERSON = ("emergency", "safety")
LEVEL_ORDER = {"emergency": 0, "safety": 1, "urgent": 1, "human": 2, "unanswered": 3, "fallback": 4, "feedback": 5,
               "routine": 6}

metadata = MetaData()

alert_actions = Table(
    "alert_actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", Integer, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # acknowledge | resolve
    Column("reason_code", String(32)),
    Column("note", String(2000)),
    Column("at", DateTime, nullable=False),
)


class AlertError(ValueError):
    """An action that cannot be done (resolving before acknowledging, an unknown reason code...)."""


class AlertNotFound(LookupError):
    def __init__(self, alert_id: int):
        super().__init__(f"no alert {alert_id}")


class Alert(BaseModel):
    id: int
    profile_id: str
    level: str
    reason: str
    passage_id: str = Field(description="The guideline passage behind the escalation")
    evidence: str = Field(description="The words, readings or analysis that raised it")
    message: str = Field(description="The patient's message it came from")
    created_at: dt.datetime
    tier: str = "basic"
    due_at: dt.datetime | None = Field(default=None, description="When the tier says a manager answers by")
    notify_at_once: bool = Field(default=False, description="The tier tells the manager at once (premium)")
    status: Status = "open"
    age_minutes: int = Field(description="How long it has been there, or was there until resolved")
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None
    resolved_by: str | None = None
    resolved_at: dt.datetime | None = None
    reason_code: str | None = None
    note: str | None = None


class Alerts:
    def __init__(self, store: ProfileStore, policy: AccessPolicy, clock=None, notifier: Notifier | None = None,
                 tiers: Tiers | None = None, console_url: str = "/manager"):
        self.store = store
        self.policy = policy
        self.engine = store.engine  # beside the escalations, in the same database and connection pool
        metadata.create_all(self.engine)
        self.clock = clock or _utcnow
        self.notifier = notifier
        self.tiers = tiers or load_tiers()
        self.console_url = console_url

    def raised(self, record: EscalationRecord) -> None:
        """A new escalation was stored: tell the patient's managers at once if their tier says so. Called by
        the coach after it stored the record (coach/service.py), so a notifier that fails loses nothing."""
        if record.profile_id is None or record.id is None or self.notifier is None:
            return
        profiles = self.store.get_profiles([record.profile_id])
        tier_name = profiles[record.profile_id].tier if record.profile_id in profiles else "basic"
        if not self.tiers.of(tier_name).notifies_at_once(record.level):
            return
        managers = self.policy.accounts.managers_of_profile(record.profile_id)
        try:
            self.notifier.notify(Notification(
                alert_id=record.id, managers=managers, profile_id=record.profile_id, tier=tier_name,
                level=record.level, reason=record.reason, created_at=record.created_at,
                link=f"{self.console_url}/alerts/{record.id}"))
        except Exception:  # noqa: BLE001 - the alert is stored and on the console whatever the notifier does
            log.exception("notifying the managers of alert %s failed", record.id)

    def for_account(self, account: Account, status: Status | None = None) -> list[Alert]:
        """The alerts of the patients the account reaches that their tier puts on a manager's list, most
        urgent and oldest first (resolved last). Every escalation is kept; a basic patient's routine
        follow-up is recorded without reaching anyone's list."""
        patients = self.policy.patients_visible_to(account)
        records = self.store.escalations(profile_ids=patients)
        if account.role == "manager" and not account.disabled and self.policy.accounts.is_on_call(account.username):
            # on call: the emergencies and safety checks of the patients no manager follows, too
            followed = self.policy.accounts.followed_profiles()
            records += [r for level in ALWAYS_A_PERSON for r in self.store.escalations(level=level)
                        if r.profile_id is not None and r.profile_id not in followed and r.profile_id not in patients]
        tiers = {pid: p.tier for pid, p in self.store.get_profiles(sorted({r.profile_id for r in records})).items()}
        records = [r for r in records if self.tiers.of(tiers.get(r.profile_id)).reaches_manager(r.level)]
        actions = self._actions([r.id for r in records])
        alerts = [self._alert(r, actions.get(r.id, []), tiers.get(r.profile_id)) for r in records]
        if status is not None:
            alerts = [a for a in alerts if a.status == status]
        return sorted(alerts, key=lambda a: (a.status == "resolved", LEVEL_ORDER.get(a.level, 9), a.created_at))

    def pressing(self, account: Account) -> list[Alert]:
        """Open alerts the tier says the manager is told of at once (a premium patient's emergency): the
        console shows them on every page until acknowledged."""
        return [a for a in self.for_account(account, "open") if a.notify_at_once]

    def get(self, account: Account, alert_id: int) -> Alert:
        record = self.store.escalation(alert_id)
        if record is None or record.profile_id is None:
            raise AlertNotFound(alert_id)
        try:
            if record.level in ALWAYS_A_PERSON:  # on call, a manager also reaches those no one follows
                decision = self.policy.reaches_for_safety(account, record.profile_id)
                if self.policy.audit is not None:
                    self.policy.audit.record(account.username, account.role, "alerts", "view",
                                             "allowed" if decision.allowed else "denied",
                                             patient=record.profile_id, detail=decision.reason)
                if not decision.allowed:
                    raise AccessDenied(account, "alerts", decision.reason)
            else:
                self.policy.require(account, "alerts", record.profile_id)
        except AccessDenied:
            raise AlertNotFound(alert_id) from None  # another manager's patient: not told it exists
        return self._alert(record, self._actions([record.id]).get(record.id, []), self._tier(record.profile_id))

    def _tier(self, profile_id: str) -> str:
        profile = self.store.get_profiles([profile_id]).get(profile_id)
        return profile.tier if profile else "basic"

    def acknowledge(self, account: Account, alert_id: int) -> Alert:
        alert = self.get(account, alert_id)
        if alert.status != "open":
            raise AlertError(f"alert {alert_id} is already {alert.status}")
        return self._act(account, alert, "acknowledge")

    def resolve(self, account: Account, alert_id: int, reason_code: str, note: str) -> Alert:
        alert = self.get(account, alert_id)
        if alert.status == "open":
            raise AlertError(f"acknowledge alert {alert_id} before resolving it")
        if alert.status == "resolved":
            raise AlertError(f"alert {alert_id} is already resolved")
        if reason_code not in REASON_CODES:
            raise AlertError(f"unknown reason code {reason_code!r}; use one of {', '.join(REASON_CODES)}")
        if not note or not note.strip():
            raise AlertError("write a note: what was done, for whoever reads this alert next")
        return self._act(account, alert, "resolve", reason_code=reason_code, note=note.strip()[:2000])

    def _act(self, account: Account, alert: Alert, action: str, **values) -> Alert:
        with self.engine.begin() as conn:
            conn.execute(alert_actions.insert().values(escalation_id=alert.id, actor=account.username,
                                                       action=action, at=self.clock(), **values))
        if self.policy.audit is not None:
            self.policy.audit.record(account.username, account.role, "alerts", action, "done",
                                     patient=alert.profile_id, detail=f"alert {alert.id}" + (
                                         f": {values['reason_code']}" if "reason_code" in values else ""))
        record = self.store.escalation(alert.id)
        return self._alert(record, self._actions([record.id]).get(record.id, []), alert.tier)

    def _actions(self, ids: list[int]) -> dict[int, list[dict]]:
        """What managers did, per escalation id, in order (one query for a whole list)."""
        if not ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(alert_actions).where(alert_actions.c.escalation_id.in_(ids))
                                .order_by(alert_actions.c.id)).mappings().all()
        out: dict[int, list[dict]] = {}
        for row in rows:
            out.setdefault(row["escalation_id"], []).append(dict(row))
        return out

    def _alert(self, record: EscalationRecord, actions: list[dict], tier_name: str | None = None) -> Alert:
        ack = next((a for a in actions if a["action"] == "acknowledge"), None)
        done = next((a for a in actions if a["action"] == "resolve"), None)
        status: Status = "resolved" if done else "acknowledged" if ack else "open"
        until = done["at"] if done else self.clock()
        tier = self.tiers.of(tier_name)
        hours = tier.answer_within_hours if record.level != "emergency" else None
        return Alert(id=record.id, profile_id=record.profile_id, level=record.level, reason=record.reason,
                     passage_id=record.passage_id, evidence=record.evidence, message=record.message,
                     created_at=record.created_at, status=status, tier=tier_name or "basic",
                     due_at=record.created_at + dt.timedelta(hours=hours) if hours is not None else None,
                     notify_at_once=tier.notifies_at_once(record.level),
                     age_minutes=max(0, int((until - record.created_at).total_seconds() // 60)),
                     acknowledged_by=ack["actor"] if ack else None, acknowledged_at=ack["at"] if ack else None,
                     resolved_by=done["actor"] if done else None, resolved_at=done["at"] if done else None,
                     reason_code=done["reason_code"] if done else None, note=done["note"] if done else None)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
