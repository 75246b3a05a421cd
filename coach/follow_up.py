"""Routine follow-up: which findings call for a clinician visit, and by when (rules/follow_up.yaml).

Decided by rules, like triage; the reply says when to go and cites the passage that says so.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from coach.models import Escalation, IndicatorFinding, Profile, ProfileCondition

FOLLOW_UP_FILE = Path(__file__).resolve().parent / "rules" / "follow_up.yaml"


class FollowUpRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    rules: list[str] = Field(min_length=1, description="Indicator rule ids whose findings this applies to")
    statuses: list[str] = Field(min_length=1)
    unless_conditions: list[ProfileCondition] = Field(default_factory=list)
    within: str = Field(description="When to see the clinician, as the passage states it")
    reason: str
    passage: str


@lru_cache(maxsize=2)
def load_follow_ups(path: Path = FOLLOW_UP_FILE) -> list[FollowUpRule]:
    return [FollowUpRule.model_validate(r) for r in yaml.safe_load(Path(path).read_text(encoding="utf-8"))]


def follow_up_for(findings: list[IndicatorFinding], profile: Profile | None,
                  rules: list[FollowUpRule] | None = None) -> tuple[Escalation, IndicatorFinding] | None:
    """The routine follow-up of the most severe finding that calls for one, with that finding."""
    conditions = set(profile.conditions) if profile else set()
    matches = [(f, r) for f in findings for r in (rules or load_follow_ups())
               if f.rule_id in r.rules and f.status in r.statuses and not conditions & set(r.unless_conditions)]
    if not matches:
        return None
    finding, rule = max(matches, key=lambda m: m[0].severity)
    evidence = f"{finding.shown_values} {finding.unit} on {finding.measured_at:%Y-%m-%d}: {finding.label}"
    return Escalation(level="routine", reason=rule.reason, passage_id=rule.passage, evidence=evidence,
                      within=rule.within), finding
