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

from coach.models import CANONICAL_UNITS, Indicator, Profile, Reading, Region

EscalationLevel = Literal["none", "routine", "urgent", "emergency"]
# A scenario tagged so states what the coach should do but does not yet: it runs and is reported, and its
# failure does not fail the run (pytest: xfail); once it passes, the tag should go.
KNOWN_GAP = "known-gap"
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
    expect_each: Expectations = Field(default_factory=Expectations, description="Simulated user: "
                                      "expectations checked on every reply to a simulated message")
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
    turn_paths: list[str] = Field(default_factory=list, description="Where each turn is written, for "
                                  "messages: 'turns[1]' or 'include[0] (greeting.include.yaml) turns[0]'")

    def turn_path(self, index: int) -> str:
        return self.turn_paths[index] if index < len(self.turn_paths) else f"turns[{index}]"


class ScenarioError(ValueError):
    """A scenario file that cannot be used: names the file, the path inside it and the problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        self.messages = [f"{path}: {p}" for p in problems]  # one line per problem, for the command line
        super().__init__(f"{path}: " + "; ".join(problems))

    @classmethod
    def combine(cls, errors: list[ScenarioError]) -> ScenarioError:
        """Several files' problems as one error; `messages` keeps one line per problem."""
        combined = cls(errors[0].path, [p for e in errors for p in e.problems])
        combined.messages = [m for e in errors for m in e.messages]
        combined.args = ("\n".join(combined.messages),)
        return combined


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


def _is_union_tag(part: object) -> bool:
    """A union member pydantic names in an error location ('ProfileFixture', 'str'); fields are lowercase."""
    return isinstance(part, str) and (part[:1].isupper() or part in ("str", "float", "int", "bool")
                                      or "[" in part)


def _problems(exc: ValidationError) -> list[str]:
    errors = exc.errors()
    # A value that fails every member of a union (`profile: fixture | file name`) gets one error per member.
    # When one member got further (a fixture with a bad reading), the others' "not a string" is noise.
    deeper = {tuple(e["loc"][:i]) for e in errors for i, part in enumerate(e["loc"])
              if _is_union_tag(part) and i + 1 < len(e["loc"])}
    out = []
    for error in errors:
        loc = error["loc"]
        if loc and _is_union_tag(loc[-1]) and tuple(loc[:-1]) in deeper:
            continue
        where = ""
        for part in (p for p in loc if not _is_union_tag(p)):
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        message = error["msg"].removeprefix("Value error, ")
        if (where or "(top level)", message) not in [tuple(o.split(": ", 1)) for o in out]:
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
        except ScenarioError as exc:  # the profile file is missing or not YAML: say which scenario wants it
            raise ScenarioError(path, [f"profile ({fixture_path}): {p}" for p in exc.problems]) from None
        except ValidationError as exc:
            raise ScenarioError(path, [f"profile ({fixture_path.name}) {p}" for p in _problems(exc)]) from None
        problems = [f"profile ({fixture_path.name}) {p}" for p in fixture_problems(fixture)]
    else:
        problems = [f"profile.{p}" for p in fixture_problems(fixture)] if fixture else []
    turns: list[Turn] = []
    turn_paths: list[str] = []
    for i, name in enumerate(scenario.include):
        include_path = (path.parent / name).resolve()
        try:
            data = _yaml(include_path)
        except ScenarioError as exc:
            raise ScenarioError(path, [f"include[{i}] ({include_path}): {p}" for p in exc.problems]) from None
        raw = data.get("turns") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            raise ScenarioError(path, [f"include[{i}] ({include_path.name}): expected a mapping with a list of "
                                       "`turns`"])
        included, found = [], []
        for j, item in enumerate(raw):
            try:
                included.append(Turn.model_validate(item))
            except ValidationError as exc:
                found += [f"turns[{j}]" + ("" if p.startswith("(top level)") else ".") +
                          p.removeprefix("(top level)").lstrip(".") for p in _problems(exc)]
        if found:
            raise ScenarioError(path, [f"include[{i}] ({include_path.name}) {p}" for p in found])
        turns += included
        turn_paths += [f"include[{i}] ({include_path.name}) turns[{j}]" for j in range(len(included))]
    turns += scenario.turns
    turn_paths += [f"turns[{j}]" for j in range(len(scenario.turns))]
    expectations = [(turn_paths[i], t.expect) for i, t in enumerate(turns)] + [("expect_each", scenario.expect_each)]
    problems += [p for where, expect in expectations for p in status_problems(expect, where)]
    if problems:
        raise ScenarioError(path, problems)
    return LoadedScenario(scenario=scenario, path=path, fixture=fixture, turns=turns, turn_paths=turn_paths)


def fixture_readings(fixture: ProfileFixture, now: dt.datetime) -> list[Reading]:
    """The fixture's readings as stored readings: canonical units, times resolved against `now`.

    A blood pressure may be written as one reading, `value: 150/95` (indicator systolic_bp or diastolic_bp).
    Raises ReadingError (coach.units) for a unit or value that cannot be stored.
    """
    from coach.units import ReadingError, normalise_unit, to_canonical

    out: list[Reading] = []
    for r in fixture.readings:
        if isinstance(r.value, str) and "/" in r.value:
            if r.indicator not in (Indicator.systolic_bp, Indicator.diastolic_bp):
                raise ReadingError("value", r.value, f"{r.value!r} is a blood pressure; a {r.indicator.value} "
                                   "reading is one number")
            parts = [p.strip() for p in r.value.split("/")]
            if len(parts) != 2:
                raise ReadingError("value", r.value, f"{r.value!r} is not a blood pressure such as 150/95")
            values = [(Indicator.systolic_bp, parts[0]), (Indicator.diastolic_bp, parts[1])]
        else:
            values = [(r.indicator, r.value)]
        for indicator, value in values:
            canonical = to_canonical(indicator, value, r.unit)
            out.append(Reading(indicator=indicator, value=canonical, unit=CANONICAL_UNITS[indicator],
                               entered_value=float(value), entered_unit=normalise_unit(r.unit),
                               measured_at=resolve_time(r.at, now), context=r.context, source="import"))
    return out


def fixture_problems(fixture: ProfileFixture) -> list[str]:
    """Readings of a fixture that could not be stored: unknown unit, implausible value."""
    from coach.units import ReadingError

    problems = []
    for i, reading in enumerate(fixture.readings):
        try:
            fixture_readings(ProfileFixture(profile=fixture.profile, readings=[reading]), dt.datetime(2026, 1, 1))
        except ReadingError as exc:
            problems.append(f"readings[{i}]: {exc}")
    return problems


def status_problems(expect: Expectations, where: str) -> list[str]:
    """Indicator expectations the coach can never meet: no rule grades the indicator, or no rule has the
    status (a typo such as `stage2` would otherwise fail every run without saying why)."""
    from coach.indicators import load_rules

    statuses: dict[str, set[str]] = {}
    for rule in load_rules().rules:
        statuses.setdefault(rule.indicator, set()).update(b.status for b in rule.bands)
    problems = []
    for name, expected in expect.indicators.items():
        if name not in statuses:
            problems.append(f"{where}.expect.indicators.{name}: the coach grades no {name!r} finding; use one of "
                            f"{sorted(statuses)}")
        elif expected.status is not None and expected.status not in statuses[name]:
            problems.append(f"{where}.expect.indicators.{name}.status: {expected.status!r} is not a status of "
                            f"{name}; use one of {sorted(statuses[name])}")
    return problems


def load_scenarios(paths: list[Path]) -> list[LoadedScenario]:
    """Every scenario file under the given files or folders (shared files under `_shared/` or named
    `*.profile.yaml` / `*.include.yaml` are not scenarios; `.jsonl` files are HealthBench records, and a
    YAML list of labelled questions is the answer set of bench/answers/).
    Names must be unique. Every file is read before failing, so one error lists every problem."""
    from coach.evaluation.answer_set import is_answer_set, load_answer_set
    from coach.evaluation.healthbench import load_healthbench

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".jsonl")
                            and is_scenario_file(f))
        else:
            files.append(p)
    loaded, seen, errors = [], {}, []
    for f in files:
        try:
            if f.suffix == ".jsonl":
                items = load_healthbench(f)
            elif is_answer_set(f):  # bench/answers/: labelled questions, one turn each
                items = load_answer_set(f)
            else:
                items = [load_scenario(f)]
        except ScenarioError as exc:
            errors.append(exc)
            continue
        for item in items:
            if item.scenario.name in seen:
                errors.append(ScenarioError(f, [f"name: {item.scenario.name!r} is also used by "
                                                f"{seen[item.scenario.name]}"]))
            seen[item.scenario.name] = f
            loaded.append(item)
    if not files:
        errors.append(ScenarioError(Path(paths[0]) if paths else Path("."), ["no scenario files found"]))
    if errors:
        raise ScenarioError.combine(errors)
    return loaded


def is_scenario_file(path: Path) -> bool:
    return "_shared" not in path.parts and not path.name.endswith((".profile.yaml", ".include.yaml"))


def json_schema() -> dict:
    return Scenario.model_json_schema()
