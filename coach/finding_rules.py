"""What follow-up and self-care rules share: a rule file that picks findings by indicator rule and status.

Each rule names the indicator rules (indicator_rules.yaml) and statuses of the findings it applies to, and
the passage that says what the coach then tells the person.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field

from coach.models import IndicatorFinding


class FindingRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    rules: list[str] = Field(min_length=1, description="Indicator rule ids whose findings this applies to")
    statuses: list[str] = Field(min_length=1)
    passage: str

    def picks(self, finding: IndicatorFinding) -> bool:
        return finding.rule_id in self.rules and finding.status in self.statuses


R = TypeVar("R", bound=FindingRule)


def load_finding_rules(path: Path, model: type[R]) -> list[R]:
    return [model.model_validate(r) for r in yaml.safe_load(Path(path).read_text(encoding="utf-8"))]
