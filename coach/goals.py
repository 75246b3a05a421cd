"""The goal of the person's clinician-set risk category, for a question about it that no reading answers yet.

"What should my LDL be?" from someone whose clinician has set their cardiovascular risk gets the goal the
indicator rules give that category (rules/indicator_rules.yaml), with the rule's passage; the coach never
estimates the risk category itself.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from coach.indicators import load_rules
from coach.models import IndicatorFinding, Profile

# The indicators with goals by risk category, and the words that ask about them.
ASKS_ABOUT = {"ldl_c": re.compile(r"\bldl|bad cholesterol|低密度|胆固醇", re.I)}


class RiskGoal(BaseModel):
    indicator: str
    text: str
    passage_id: str


def risk_goals(profile: Profile | None, text: str, findings: list[IndicatorFinding]) -> list[RiskGoal]:
    """Goals for the indicators `text` asks about that have no finding, by the person's risk category."""
    if profile is None or profile.cv_risk is None:
        return []
    goals = []
    for indicator, asks in ASKS_ABOUT.items():
        if not asks.search(text) or any(f.indicator == indicator for f in findings):
            continue
        rule = load_rules().rule_for(indicator, profile.region, profile.sex, profile.cv_risk, profile.conditions)
        if rule is None or profile.cv_risk not in rule.risk:
            continue  # no goal for this category: the lab categories apply once there is a reading
        reference = min(rule.bands, key=lambda b: b.severity)
        risk = profile.cv_risk.replace("_", " ")
        goals.append(RiskGoal(indicator=indicator, passage_id=rule.passage, text=(
            f"Your clinician has set your cardiovascular risk as {risk}: under {rule.guideline}, "
            f"{reference.threshold(rule.unit)} is \"{reference.label}\"")))
    return goals
