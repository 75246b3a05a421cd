"""Self-care now: what a finding calls for straight away, in the rule's words (rules/self_care.yaml).

Decided by rules, like follow-up; the composer says it right after the finding and cites the passage.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from coach.finding_rules import FindingRule, load_finding_rules
from coach.models import IndicatorFinding

SELF_CARE_FILE = Path(__file__).resolve().parent / "rules" / "self_care.yaml"


class SelfCareRule(FindingRule):
    advice: str = Field(description="What to do, in the passage's facts; a sentence without its full stop")


@lru_cache(maxsize=2)
def load_self_care(path: Path = SELF_CARE_FILE) -> list[SelfCareRule]:
    return load_finding_rules(path, SelfCareRule)


def self_care_for(finding: IndicatorFinding, rules: list[SelfCareRule] | None = None) -> SelfCareRule | None:
    """The self-care rule for this finding, if its guideline says what to do now."""
    return next((r for r in (rules or load_self_care()) if r.picks(finding)), None)
