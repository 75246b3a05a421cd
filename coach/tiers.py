"""The service tiers (basic, professional, premium): which alerts reach a person, who is told at once, and how
soon a manager answers. The promises are data (rules/tiers.yaml), read here and nowhere else."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

TIERS_FILE = Path(__file__).parent / "rules" / "tiers.yaml"
Level = Literal["emergency", "safety", "urgent", "routine", "unanswered", "human", "fallback", "feedback"]
TierName = Literal["basic", "professional", "premium"]


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    description: str
    queue: list[Level] = Field(description="Alert levels that reach the assigned manager's alerts")
    notify_at_once: list[Level] = Field(description="Levels that notify the assigned manager at once")
    answer_within_hours: float | None = Field(description="How soon a manager answers; None: nobody follows up")

    @model_validator(mode="after")
    def _emergencies_reach_a_person(self) -> "Tier":
        if missing := {"emergency", "safety"} - set(self.queue):
            raise ValueError(f"every tier's queue must hold {', '.join(sorted(missing))}: an emergency and a "
                             "safety check (whose reply promises a person's review) always reach a manager")
        if missing := set(self.notify_at_once) - set(self.queue):
            raise ValueError(f"notify_at_once names levels that are not in the queue: {', '.join(sorted(missing))}")
        return self

    def reaches_manager(self, level: str) -> bool:
        return level in self.queue

    def notifies_at_once(self, level: str) -> bool:
        return level in self.notify_at_once

    def answer_time(self) -> str | None:
        """In words, for a patient: "within 2 hours", "within 24 hours"."""
        if self.answer_within_hours is None:
            return None
        hours = self.answer_within_hours
        if hours < 1:
            return f"within {round(hours * 60)} minutes"
        return f"within {hours:g} hour{'s' if hours != 1 else ''}"


class Tiers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiers: dict[TierName, Tier]

    @model_validator(mode="after")
    def _every_tier(self) -> "Tiers":
        if missing := {"basic", "professional", "premium"} - set(self.tiers):
            raise ValueError(f"tiers missing: {', '.join(sorted(missing))}")
        return self

    def of(self, name: str | None) -> Tier:
        return self.tiers.get(name or "basic", self.tiers["basic"])


@lru_cache(maxsize=2)
def load_tiers(path: Path = TIERS_FILE) -> Tiers:
    return Tiers.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
