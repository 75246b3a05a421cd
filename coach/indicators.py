"""The indicator engine: guideline rules as data (rules/indicator_rules.yaml), applied to readings.

Deterministic and explainable: a finding names its rule, the band's thresholds, the guideline and the
passage that defines them. Nothing here calls a model.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.models import LABELS, CvRisk, Indicator, IndicatorFinding, ProfileCondition, Region, Sex
from coach.units import from_canonical

RULES_FILE = Path(__file__).resolve().parent / "rules" / "indicator_rules.yaml"
_OPS: dict[str, Callable[[float, float], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                   ">=": operator.ge}
_CONDITION = re.compile(r"^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
_WORDS = {"<": "below", "<=": "at most", ">": "above", ">=": "at least"}


class Condition(BaseModel):
    """One comparison such as '>= 140'."""

    model_config = ConfigDict(frozen=True)

    op: str
    bound: float

    def holds(self, value: float) -> bool:
        return _OPS[self.op](value, self.bound)

    def words(self) -> str:
        return f"{_WORDS[self.op]} {self.bound:g}"


def parse_conditions(text: str) -> tuple[Condition, ...]:
    out = []
    for part in str(text).split(","):
        match = _CONDITION.match(part)
        if not match:
            raise ValueError(f"condition {part.strip()!r} must look like '>= 140' or '< 5.7'")
        out.append(Condition(op=match.group(1), bound=float(match.group(2))))
    return tuple(out)


class Band(BaseModel):
    """One category of a rule, with the conditions each component must meet to fall in it."""

    model_config = ConfigDict(extra="forbid")  # a misspelt indicator key is an error, not ignored

    status: str
    label: str
    severity: int = Field(ge=0)
    passage: str | None = None
    conditions: dict[Indicator, tuple[Condition, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_conditions(cls, data: dict) -> dict:
        data = dict(data)
        conditions = {}
        for key in list(data):
            if key in Indicator.__members__:
                conditions[Indicator(key)] = parse_conditions(data.pop(key))
        data["conditions"] = conditions
        return data

    def admits(self, indicator: Indicator, value: float) -> bool:
        conditions = self.conditions.get(indicator)
        return bool(conditions) and all(c.holds(value) for c in conditions)

    def threshold(self, unit: str) -> str:
        parts = [f"{LABELS[ind]} {' and '.join(c.words() for c in conds)} {unit}"
                 for ind, conds in self.conditions.items()]
        return " or ".join(parts)


class Rule(BaseModel):
    """A guideline's grading of one indicator (or of blood pressure's two numbers) for some regions."""

    model_config = ConfigDict(extra="forbid")

    id: str
    indicator: str
    components: list[Indicator] = Field(default_factory=list)
    regions: list[Region] = Field(min_length=1)
    sex: Sex | None = None
    risk: list[CvRisk] = Field(default_factory=list, description="Risk categories this rule is for; "
                               "empty = anyone the other rules for the indicator do not cover")
    for_conditions: list[ProfileCondition] = Field(
        default_factory=list, description="People with any of these conditions (pregnancy) are graded by this "
        "rule before any other; empty = a rule for everyone else")
    unit: str
    decimals: int = Field(ge=0, le=3, description="Precision the guideline writes values in")
    guideline: str
    passage: str
    bands: list[Band] = Field(min_length=2)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if not self.components:
            self.components = [Indicator(self.indicator)]
        for band in self.bands:
            unknown = set(band.conditions) - set(self.components)
            if unknown:
                raise ValueError(f"rule {self.id}: band {band.status} grades {sorted(unknown)}, not a component")
        return self

    def band_for(self, indicator: Indicator, value: float) -> Band:
        matches = [b for b in self.bands if b.admits(indicator, value)]
        if len(matches) != 1:
            raise ValueError(f"rule {self.id}: {LABELS[indicator]} {value:g} {self.unit} falls in "
                             f"{len(matches)} bands; the rule's bands must not overlap or leave gaps")
        return matches[0]


class RuleBook(BaseModel):
    rules: list[Rule]

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[Rule]) -> list[Rule]:
        seen: dict[tuple, str] = {}
        for rule in rules:
            for region in rule.regions:
                for risk, condition in ((r, c) for r in rule.risk or [None] for c in rule.for_conditions or [None]):
                    key = (rule.indicator, region, rule.sex, risk, condition)
                    if key in seen:
                        raise ValueError(f"rules {seen[key]} and {rule.id} both grade {key}")
                    seen[key] = rule.id
        return rules

    def rule_for(self, indicator: str, region: Region, sex: Sex | None = None,
                 risk: CvRisk | None = None, conditions: Iterable[str] = ()) -> Rule | None:
        """The rule for this person: one written for a condition they have (pregnancy) first, then one for
        their risk category, else the general one."""
        fitting = [r for r in self.rules
                   if r.indicator == indicator and region in r.regions and r.sex in (None, sex)]
        special = next((r for r in fitting if set(r.for_conditions) & set(conditions)), None)
        if special is not None:
            return special
        fitting = [r for r in fitting if not r.for_conditions]
        for rule in fitting:
            if risk is not None and risk in rule.risk:
                return rule
        return next((r for r in fitting if not r.risk), None)

    def passages(self) -> set[str]:
        return {r.passage for r in self.rules} | {b.passage for r in self.rules for b in r.bands if b.passage}


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> RuleBook:
    return RuleBook(rules=yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def evaluate(rule: Rule, values: dict[Indicator, float], measured_at: dt.datetime, region: Region) -> IndicatorFinding:
    """Grade canonical `values` with `rule`: each component finds its band; the most severe band wins.

    Values are first expressed in the rule's unit at the rule's precision, as the guideline writes them.
    """
    in_unit = {ind: round(from_canonical(ind, values[ind], rule.unit), rule.decimals) for ind in rule.components}
    bands = {ind: rule.band_for(ind, v) for ind, v in in_unit.items()}
    worst_indicator, worst = max(bands.items(), key=lambda item: (item[1].severity,
                                                                 rule.bands.index(item[1])))
    return IndicatorFinding(
        indicator=rule.indicator, values=in_unit, unit=rule.unit, measured_at=measured_at,
        status=worst.status, label=worst.label, rule_id=rule.id, guideline=rule.guideline, region=region,
        threshold=worst.threshold(rule.unit), passage_id=worst.passage or rule.passage,
        severity=worst.severity)


def bmi(weight_kg: float, height_cm: float) -> float:
    return round(weight_kg / (height_cm / 100) ** 2, 1)


