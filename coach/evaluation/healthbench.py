"""HealthBench JSONL records as scenarios, so published rubric sets run as they are.

A record has `prompt` (a conversation: {role, content} messages) and `rubrics` ({criterion, points, tags});
other fields (`prompt_id`, `example_tags`, ideal completions...) are kept as name and tags or ignored. The
user messages become the turns, in order (the record's own assistant messages are replaced by the
coach's replies), and the last turn carries the rubric.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.evaluation.scenario import (
    Expectations, LoadedScenario, RubricItem, Scenario, ScenarioError, Turn, _problems,
)


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str


class HealthBenchRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: list[Message] = Field(min_length=1)
    rubrics: list[RubricItem] = Field(min_length=1)
    prompt_id: str | None = None
    example_tags: list[str] = Field(default_factory=list)


def _name(text: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.")[:80] or "record"


def load_healthbench(path: Path) -> list[LoadedScenario]:
    """Every record of a JSONL file as a scenario; one error lists every bad line (file, line, field)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ScenarioError(path, ["file not found"]) from None
    out, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = HealthBenchRecord.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except ValidationError as exc:
            problems += [f"line {number}: {p}" for p in _problems(exc)]
            continue
        users = [(k, m.content) for k, m in enumerate(record.prompt) if m.role == "user"]
        if not users:
            problems.append(f"line {number}: prompt: no user message")
            continue
        turns = [Turn(user=text) for _, text in users]
        turns[-1] = Turn(user=users[-1][1], expect=Expectations(rubric=record.rubrics))
        name = f"hb-{_name(record.prompt_id)}" if record.prompt_id else f"{_name(path.stem)}-{number}"
        scenario = Scenario(name=name, description=f"HealthBench record, {path.name} line {number}",
                            tags=["healthbench", *record.example_tags], turns=turns)
        out.append(LoadedScenario(scenario=scenario, path=path, fixture=None, turns=turns,
                                  turn_paths=[f"line {number}: prompt[{k}]" for k, _ in users]))
    if problems:
        raise ScenarioError(path, problems)
    return out
