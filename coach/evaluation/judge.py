"""LLM helpers of an evaluation: the rubric judge and the simulated user (prompts/judge.txt,
prompts/simulated_user.txt). Both run on any text generator (`coach.generation.Generator`)."""

from __future__ import annotations

import json
import re
from typing import Protocol

from pydantic import BaseModel

from coach.evaluation.scenario import RubricItem
from coach.prompts import render
from coach.settings import CoachSettings

DONE = "GOAL_DONE"
JSON_OBJECT = re.compile(r"\{.*\}", re.S)


class Grade(BaseModel):
    met: bool | None = None  # None: no usable verdict
    explanation: str = ""


class Judge(Protocol):
    name: str

    def grade(self, conversation: list[tuple[str, str]], item: RubricItem) -> Grade: ...


def transcript(conversation: list[tuple[str, str]]) -> str:
    return "\n\n".join(f"{'Person' if role == 'user' else 'Coach'}: {text}" for role, text in conversation) \
        or "(nothing yet)"


class LLMJudge:
    """Asks an LLM whether the last reply meets a criterion; reads a JSON verdict (one retry)."""

    def __init__(self, llm, name: str | None = None, attempts: int = 2):
        self.llm = llm
        self.name = name or getattr(llm, "name", "llm")
        self.attempts = attempts

    def grade(self, conversation: list[tuple[str, str]], item: RubricItem) -> Grade:
        prompt = render("judge", conversation=transcript(conversation), criterion=item.criterion,
                        points=f"{item.points:+g}")
        problem = ""
        for _ in range(self.attempts):
            try:
                answer = self.llm.generate(prompt)
            except Exception as exc:  # a judge that is down leaves the item ungraded, with the reason
                problem = f"the judge failed: {type(exc).__name__}: {exc}"
                continue
            grade = parse_verdict(answer)
            if grade.met is not None:
                return grade
            problem = grade.explanation
        return Grade(met=None, explanation=problem)


def parse_verdict(answer: str) -> Grade:
    """`{"explanation": ..., "criteria_met": true}` anywhere in the answer (models like code fences)."""
    match = JSON_OBJECT.search(answer or "")
    try:
        data = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("criteria_met"), bool):
        return Grade(met=None, explanation=f"unreadable verdict: {' '.join((answer or '').split())[:160]!r}")
    return Grade(met=data["criteria_met"], explanation=str(data.get("explanation", "")).strip())


class SimulatedUser:
    """Writes the person's next message from a persona and a goal; None when the goal is reached."""

    def __init__(self, llm, name: str | None = None):
        self.llm = llm
        self.name = name or getattr(llm, "name", "llm")

    def next_message(self, persona: str, goal: str, conversation: list[tuple[str, str]]) -> str | None:
        text = self.llm.generate(render("simulated_user", persona=persona, goal=goal,
                                        conversation=transcript(conversation))).strip()
        text = text.strip('"').removeprefix("Person:").strip()
        return None if not text or DONE in text else text


def build_llm(settings: CoachSettings, kind: str):
    """The LLM behind the judge or the simulated user: `openai` = COACH_GENERATION__OPENAI__* settings."""
    match kind:
        case "openai":
            from coach.generation.openai_backend import OpenAICompatibleGenerator
            o = settings.generation.openai
            return OpenAICompatibleGenerator(base_url=o.base_url, model=o.model, api_key=o.api_key.get_secret_value(),
                                             timeout=o.timeout_s, temperature=0.0)
        case _:
            raise ValueError(f"unknown LLM {kind!r}; use openai (an OpenAI-compatible server)")
