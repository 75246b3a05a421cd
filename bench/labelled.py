"""The labelled retrieval questions (bench/questions/*.yaml) and the metrics computed on them."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"


class LabelledQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @property
    def all_relevant(self) -> set[str]:
        return set(self.relevant) | set(self.pooled_relevant)

    id: str
    question: str = Field(min_length=3)
    relevant: list[str] = Field(min_length=1, description="Passage ids that directly answer the question, "
                                "labelled by the question's author")
    pooled_relevant: list[str] = Field(default_factory=list, description=(
        "Further passages judged relevant by an assessor who saw the pooled top-5 results of every system "
        "(shuffled, systems not named); recall counts both lists"))
    region: Literal["global", "us", "eu", "cn"] | None = None
    condition: Literal["htn", "diabetes", "lipids", "urate", "obesity", "general"] | None = None
    style: Literal["patient", "paraphrase", "typo"] = "patient"


def load_questions(folder: Path = QUESTIONS_DIR) -> list[LabelledQuestion]:
    questions: list[LabelledQuestion] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for i, entry in enumerate(data):
            try:
                questions.append(LabelledQuestion.model_validate(entry))
            except Exception as exc:  # name the file and entry, then re-raise
                raise ValueError(f"{path.name} entry {i + 1}: {exc}") from exc
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate question ids: {duplicates}")
    return questions


def recall_at(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    """Share of the relevant passages found in the top k (denominator capped at k)."""
    return len(set(ranked[:k]) & relevant) / min(len(relevant), k)


def reciprocal_rank(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    for rank, pid in enumerate(ranked[:k], start=1):
        if pid in relevant:
            return 1.0 / rank
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1] if len(ordered) > 1 \
        else ordered[0]
