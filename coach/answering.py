"""Which retrieved passages answer the analysed question, and whether any of them does.

Each passage declares what it answers (its `Answers:`, `Indicators:`, `Direction:`, `Medicines:` lines);
the question analysis says what is asked. A passage about the other side of a value is never quoted (the
treatment of a low does not answer "how do I lower my sugar"); the others are ranked by how well they fit,
and the best fit's score, calibrated on a labelled question set (rules/answering.yaml, written by
`bench/answers.py --calibrate`), says whether the question is answered at all. When it is not, the coach
says so rather than quote a neighbouring passage.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.models import GuidelinePassage

from coach.question import QuestionAnalysis, load_rules

ANSWERING_FILE = Path(__file__).resolve().parent / "rules" / "answering.yaml"
FEATURES = ("intent", "other_intent", "condition", "indicator", "medicine", "similarity", "lexical", "first",
            "outside", "unknown", "own_region", "key_similarity", "bm25", "specific", "rarest",
            "near_intent")


class FitWeights(BaseModel):
    """How much each feature of a passage's fit counts (a logistic model), and the probability below which a
    question counts as unanswered."""

    model_config = ConfigDict(extra="forbid")

    bias: float
    weights: dict[str, float]
    threshold: float = Field(ge=0, le=1)
    calibrated_on: str = Field(description="The labelled set and date the weights were fitted on")
    regularisation: float | None = Field(default=None, description="The inverse regularisation strength C, "
                                         "chosen by cross-validation on the labelled set")


@lru_cache(maxsize=1)
def load_weights(path: Path = ANSWERING_FILE) -> FitWeights:
    return FitWeights.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


class PassageFit(BaseModel):
    """How one retrieved passage fits the question, feature by feature: the retrieval step shows it."""

    passage_id: str
    features: dict[str, float]
    conflict: str | None = Field(default=None, description="Why it must not be quoted for this question")
    probability: float = Field(description="Calibrated probability that it answers the question")


class Answerability(BaseModel):
    answered: bool
    probability: float = Field(description="The best passage's probability of answering")
    best: str | None = None
    reason: str
    fits: list[PassageFit] = Field(default_factory=list)


def conflict(question: QuestionAnalysis, passage: GuidelinePassage) -> str | None:
    """Why a passage must not answer this question: it is about the other side of the value asked about.

    The Five Highs are highs: a passage about a low (its signs, its treatment) answers only a question
    that is about a low, never one whose side is unknown ("is 6.4 prediabetes?")."""
    if passage.direction == "low" and question.side != "low" and not question.side_unclear:
        return "it is about a low value and the question is not"
    if question.side and passage.direction and passage.direction != question.side:
        same_value = (not question.indicators or not passage.indicators
                      or set(question.indicators) & set(passage.indicators)
                      or _glucose_family(question.indicators, passage.indicators))
        if same_value:
            return (f"it is about a {passage.direction} value and the question about a {question.side} one "
                    f"({question.direction})")
    return None


def _glucose_family(a: Sequence[str], b: Sequence[str]) -> bool:
    family = {"glucose", "hba1c"}
    return bool(family & set(a)) and bool(family & set(b))


class Found(BaseModel):
    """What the search and the question's words say of one candidate passage, beside its metadata."""

    model_config = ConfigDict(frozen=True)

    rank: int = Field(ge=1, description="Its rank in the search that found it")
    lexical: float = Field(default=0.0, description="How much of the question's own weighted words its best "
                           "excerpt shares, 0-1")
    own_region: bool = Field(default=True, description="Of the person's own guideline set (their region's and "
                             "the global documents), not another region's")
    rarest: float = Field(default=0.5, description="1 when it holds the question's rarest word that the corpus "
                          "uses, 0 when not, 0.5 when the question has no such word")


def features(question: QuestionAnalysis, passage: GuidelinePassage, found: Found,
             unknown: float = 0.0) -> dict[str, float]:
    """The fit features, each in [0, 1]. A feature the question says nothing about is 0.5 (neither for
    nor against): "what is gout" names no medicine."""
    answers = set(passage.answers)
    main = question.intent
    conditions = set(question.conditions) - {"general"}
    medicine_ids = {x for m in question.medicines for x in (m.drug_id, m.drug_class) if x}
    mentions_medicine = any((m.generic or "").lower() in passage.text.lower() for m in question.medicines
                            if m.generic)
    return {
        "intent": 0.5 if main is None else float(main in answers),
        "other_intent": 0.5 if len(question.intents) < 2 else float(bool(set(question.intents[1:]) & answers)),
        # a passage answering a close intent ("treatment" for a question read as about a medicine)
        "near_intent": 0.5 if main is None else float(bool(set(load_rules().related_intents.get(main, ())) & answers)),
        # the share of the conditions asked about that the passage covers: "a BP target with my diabetes"
        # fits the passage on BP targets in diabetes better than either the BP or the glucose targets
        "condition": 0.5 if not conditions else len(conditions & set(passage.conditions)) / len(conditions),
        "indicator": 0.5 if not question.indicators or not passage.indicators else float(
            bool(set(question.indicators) & set(passage.indicators)) or _glucose_family(question.indicators,
                                                                                      passage.indicators)),
        "medicine": 0.5 if not question.medicines else float(bool(medicine_ids & set(passage.medicines))
                                                              or mentions_medicine),
        "similarity": max(0.0, min(1.0, passage.similarity or 0.0)),
        "lexical": max(0.0, min(1.0, found.lexical)),
        "first": 1.0 / found.rank,
        # how like one of the passage's own questions (its Asked-as lines) the question is, and how high the
        # passage ranks by its words alone
        "key_similarity": max(0.0, min(1.0, passage.key_similarity or 0.0)),
        "bm25": 1.0 / passage.lexical_rank if passage.lexical_rank else 0.0,
        # a passage that answers the kind of question asked and little else is about it, not near it
        "specific": 0.5 if main is None else float(main in answers) / max(1, len(answers)),
        # "dawn phenomenon", "nattokinase": the word that says most of what is asked, in the passage or not
        "rarest": found.rarest,
        "outside": float(bool(question.outside)),
        "unknown": max(0.0, min(1.0, unknown)),
        "own_region": float(found.own_region),
    }


def probability(feats: dict[str, float], weights: FitWeights) -> float:
    z = weights.bias + sum(weights.weights.get(name, 0.0) * value for name, value in feats.items())
    return 1.0 / (1.0 + math.exp(-z))


def assess(question: QuestionAnalysis, passages: Sequence[GuidelinePassage], found: Sequence[Found] | None = None,
           weights: FitWeights | None = None, unknown: float = 0.0) -> Answerability:
    """Every passage's fit, best first, and whether the best one answers the question.

    `found`: per passage, what the search and the question's words say of it (its place in `passages` and
    nothing else, when not given); `unknown`: the share of the question's own words that no passage of the
    corpus uses at all.
    """
    weights = weights or load_weights()
    fits = []
    for i, passage in enumerate(passages):
        feats = features(question, passage, found[i] if found else Found(rank=i + 1), unknown)
        fits.append(PassageFit(passage_id=passage.id, features=feats, conflict=conflict(question, passage),
                               probability=round(probability(feats, weights), 4)))
    # Of the passages that answer, one about another value than the one asked about ("what BP target with my
    # diabetes" and the glucose targets) comes after those about it; one that does not answer comes after
    # all that do, whatever the value it is about ("does red wine raise HDL": the passage on drinks answers,
    # not the HDL bands).
    usable = sorted((f for f in fits if f.conflict is None),
                    key=lambda f: (f.probability < weights.threshold, f.features["indicator"] == 0.0, -f.probability))
    fits = usable + [f for f in fits if f.conflict is not None]
    if not usable:
        return Answerability(answered=False, probability=0.0, reason="no passage found for this question", fits=fits)
    best = max(usable, key=lambda f: f.probability)  # whether it is answered: by the best fit of all
    answered = best.probability >= weights.threshold
    reason = (f"{best.passage_id} answers it (p = {best.probability:.2f})" if answered else
              f"no passage answers it: the best, {best.passage_id}, has p = {best.probability:.2f} "
              f"< {weights.threshold:.2f}")
    return Answerability(answered=answered, probability=best.probability, best=best.passage_id, reason=reason,
                         fits=fits)
