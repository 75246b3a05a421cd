"""Routine follow-up: which findings call for a clinician visit, and by when (rules/follow_up.yaml).

Decided by rules, like triage; the reply says when to go and cites the passage that says so.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from coach.finding_rules import FindingRule, load_finding_rules
from coach.models import Escalation, IndicatorFinding, Profile, ProfileCondition

FOLLOW_UP_FILE = Path(__file__).resolve().parent / "rules" / "follow_up.yaml"


class FollowUpRule(FindingRule):
    unless_conditions: list[ProfileCondition] = Field(default_factory=list)
    within: str = Field(description="When to see the clinician, as the passage states it")
    reason: str


@lru_cache(maxsize=2)
def load_follow_ups(path: Path = FOLLOW_UP_FILE) -> list[FollowUpRule]:
    return load_finding_rules(path, FollowUpRule)


def follow_up_for(findings: list[IndicatorFinding], profile: Profile | None,
                  rules: list[FollowUpRule] | None = None) -> tuple[Escalation, IndicatorFinding] | None:
    """The routine follow-up of the most severe finding that calls for one, with that finding."""
    conditions = set(profile.conditions) if profile else set()
    matches = [(f, r) for f in findings for r in (rules or load_follow_ups())
               if r.picks(f) and not conditions & set(r.unless_conditions)]
    if not matches:
        return None
    finding, rule = max(matches, key=lambda m: m[0].severity)
    evidence = f"{finding.shown_values} {finding.unit} on {finding.measured_at:%Y-%m-%d}: {finding.label}"
    return Escalation(level="routine", reason=rule.reason, passage_id=rule.passage, evidence=evidence,
                      within=rule.within), finding
