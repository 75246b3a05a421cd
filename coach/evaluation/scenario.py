"""Scripted dialogue scenarios: the file format (pydantic models) and the loader.

A scenario is a YAML file under scenarios/: a profile (inline or a file), readings with dates relative to
the run (`-3d`, `-2h`, `-1d08:00`), and turns, each a user message with expectations on the coach's reply.
The JSON Schema of this format is generated from these models (`coach eval schema`). A bad file gets an
error naming the file, the path inside the YAML (`turns[2].expect.cites.any_of[0]`) and the problem.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach.models import Indicator, Profile, Region

EscalationLevel = Literal["none", "routine", "urgent", "emergency"]
RELATIVE = re.compile(r"^-(?P<n>\d+(?:\.\d+)?)(?P<unit>[dhm])(?:\s*(?P<hh>\d{1,2}):(?P<mm>\d{2}))?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioReading(Strict):
    """A reading in the scenario's profile. `at` is relative to the run ('-3d', '-2h', '-1d07:30') or ISO."""

    indicator: Indicator
    value: float | str = Field(description="A number, or '150/95' for blood pressure")
    unit: str
    at: str = Field(default="-1d", description="'-3d', '-2h', '-30m', '-1d07:30' or an ISO date-time")
    context: Literal["fasting", "after_meal", "random", "home", "office", "lab"] | None = None

    @field_validator("at")
    @classmethod
    def _when(cls, value: str) -> str:
        resolve_time(value, dt.datetime(2026, 1, 1, 12, 0))  # raises with a clear message
        return value


class ProfileFixture(Strict):
    """The person the conversation is with: a Profile, plus readings already stored before turn 1."""

    profile: Profile
    readings: list[ScenarioReading] = Field(default_factory=list)


class Cites(Strict):
    """Passage ids (`htn-acc-aha-2017#bp-categories`) or document ids (`htn-acc-aha-2017`)."""

    all_of: list[str] = Field(default_factory=list, description="Every one must be cited")
    any_of: list[str] = Field(default_factory=list, description="At least one must be cited")


class IndicatorExpectation(Strict):
    status: str | None = Field(default=None, description="The finding's status, e.g. stage_2")
    states: list[str] = Field(default_factory=list, description="Values the text must state, e.g. '150/95'")


class RecordedReading(Strict):
    indicator: Indicator
    value: float = Field(description="In the canonical unit (mmHg, mmol/L, µmol/L, kg, cm, %)")
    tolerance: float = Field(default=0.05, ge=0)


class RubricItem(Strict):
    """A HealthBench-style criterion, graded by an LLM judge when one is configured (else: ungraded)."""

    criterion: str = Field(min_length=3)
    points: float = Field(description="Negative for something the answer must not do")
    tags: list[str] = Field(default_factory=list)


class Expectations(Strict):
    escalation: EscalationLevel | None = None
    cites: Cites | None = None
    must_not_cite: list[str] = Field(default_factory=list)
    indicators: dict[str, IndicatorExpectation | str] = Field(
        default_factory=dict, description="indicator -> expected status ('bp: stage_2') or a full expectation")
    says: list[str] = Field(default_factory=list, description="Regular expressions the text must match")
    must_not_say: list[str] = Field(default_factory=list, description="Regular expressions it must not match")
    reading_recorded: list[RecordedReading] = Field(default_factory=list)
    max_latency_ms: float | None = Field(default=None, gt=0)
    rubric: list[RubricItem] = Field(default_factory=list)

    @field_validator("says", "must_not_say")
    @classmethod
    def _regexes(cls, patterns: list[str]) -> list[str]:
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"item {i}: {pattern!r} is not a regular expression ({exc})") from None
        return patterns

    @field_validator("indicators")
    @classmethod
    def _indicator_names(cls, value: dict) -> dict:
        known = set(INDICATOR_ALIASES) | {i.value for i in Indicator} | {"blood_pressure", "home_blood_pressure"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown indicator {unknown[0]!r}; use one of {sorted(known)}")
        return {INDICATOR_ALIASES.get(k, k): v if isinstance(v, IndicatorExpectation)
                else IndicatorExpectation(status=v) for k, v in value.items()}


INDICATOR_ALIASES = {"bp": "blood_pressure", "home_bp": "home_blood_pressure", "glucose": "fasting_glucose",
                     "ldl": "ldl_c", "hdl": "hdl_c", "urate": "uric_acid", "a1c": "hba1c"}


class Turn(Strict):
    user: str = Field(description="What the person says")
    expect: Expectations = Field(default_factory=Expectations)


class Scenario(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="Unique, used in reports and test ids")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    region: Region | None = Field(default=None, description="Guideline set when there is no profile")
    profile: ProfileFixture | str | None = Field(
        default=None, description="Inline fixture, or a YAML file (relative to this scenario) holding one")
    include: list[str] = Field(default_factory=list, description="Files of shared turns, run before `turns`")
    persona: str | None = Field(default=None, description="Simulated user (needs an LLM): who they are")
    goal: str | None = Field(default=None, description="Simulated user: what they want from the coach")
    max_turns: int = Field(default=6, ge=1, le=30, description="Simulated user: turn limit")
    turns: list[Turn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_a_conversation(self) -> Scenario:
        if not self.turns and not self.include and not (self.persona and self.goal):
            raise ValueError("a scenario needs `turns`, an `include`, or a `persona` and `goal`")
        return self


class LoadedScenario(BaseModel):
    """A scenario with its includes and profile file resolved, and where it came from."""

    scenario: Scenario
    path: Path
    fixture: ProfileFixture | None
    turns: list[Turn]


class ScenarioError(ValueError):
    """A scenario file that cannot be used: names the file, the path inside it and the problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__(f"{path}: " + "; ".join(problems))


def resolve_time(value: str, now: dt.datetime) -> dt.datetime:
    """'-3d' -> three days before `now`; '-1d07:30' -> yesterday at 07:30; ISO text as it is."""
    match = RELATIVE.match(value.strip())
    if match:
        n = float(match["n"])
        delta = {"d": dt.timedelta(days=n), "h": dt.timedelta(hours=n), "m": dt.timedelta(minutes=n)}[match["unit"]]
        when = now - delta
        if match["hh"] is not None:
            when = when.replace(hour=int(match["hh"]), minute=int(match["mm"]), second=0, microsecond=0)
        return when
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time: use '-3d', '-2h', '-30m', '-1d07:30' or an ISO date-time "
                         "such as 2026-11-20T08:00") from None


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(path, ["file not found"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        where = ""
        for part in error["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        message = error["msg"].removeprefix("Value error, ")
        out.append(f"{where or '(top level)'}: {message}")
    return out


def load_scenario(path: Path) -> LoadedScenario:
    path = Path(path)
    data = _yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(path, ["(top level): a scenario is a mapping with `name` and `turns`"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(path, _problems(exc)) from None
    fixture = scenario.profile
    if isinstance(fixture, str):
        fixture_path = (path.parent / fixture).resolve()
        try:
            fixture = ProfileFixture.model_validate(_yaml(fixture_path))
        except ValidationError as exc:
            raise ScenarioError(path, [f"profile ({fixture_path.name}) {p}" for p in _problems(exc)]) from None
    turns: list[Turn] = []
    for i, name in enumerate(scenario.include):
        include_path = (path.parent / name).resolve()
        data = _yaml(include_path)
        try:
            turns += [Turn.model_validate(t) for t in (data or {}).get("turns", [])]
        except (ValidationError, AttributeError) as exc:
            problems = _problems(exc) if isinstance(exc, ValidationError) else ["expected a mapping with `turns`"]
            raise ScenarioError(path, [f"include[{i}] ({include_path.name}) {p}" for p in problems]) from None
    return LoadedScenario(scenario=scenario, path=path, fixture=fixture, turns=turns + scenario.turns)


def load_scenarios(paths: list[Path]) -> list[LoadedScenario]:
    """Every scenario file under the given files or folders (shared files under `_shared/` or named
    `*.profile.yaml` / `*.include.yaml` are not scenarios). Names must be unique."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.yaml") if is_scenario_file(f))
        else:
            files.append(p)
    loaded, seen, problems = [], {}, []
    for f in files:
        try:
            item = load_scenario(f)
        except ScenarioError as exc:
            problems.append(str(exc))
            continue
        if item.scenario.name in seen:
            problems.append(f"{f}: name: {item.scenario.name!r} is also used by {seen[item.scenario.name]}")
        seen[item.scenario.name] = f
        loaded.append(item)
    if problems:
        raise ScenarioError(Path(paths[0]) if paths else Path("."), problems)
    return loaded


def is_scenario_file(path: Path) -> bool:
    return "_shared" not in path.parts and not path.name.endswith((".profile.yaml", ".include.yaml"))


def json_schema() -> dict:
    return Scenario.model_json_schema()
