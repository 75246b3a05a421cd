"""The semantic safety net: a message's MiniLM embedding (the one retrieval computes) against a bank of
example utterances for every flag and for its look-alikes (rules/triage/examples.yaml, written by this
project).

It can only raise the level, never lower it, and it decides nothing alone. Two readings of the bank:
- the k nearest examples: a message very close to one flag's examples, and not among look-alikes, gets the
  flag itself; close, the safety check (the deciding question, when to call now, a person reviews it);
- a logistic regression fitted on the whole bank (emergency or urgent examples against look-alikes), which
  weighs every example rather than the few nearest: at or above its calibrated probability an English
  message gets the safety check, under the flag of its nearest examples. Chinese messages are left to the
  nearest examples: the bank's look-alikes are English, and MiniLM barely separates Chinese sentences.
The thresholds are calibrated on the dev split of bench/triage and reported on its test split
(`bench/triage.py --calibrate`), and kept in rules/triage/semantic.yaml.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import yaml
from pydantic import BaseModel, Field

RULES = Path(__file__).resolve().parent.parent / "rules" / "triage"
EXAMPLES_FILE = RULES / "examples.yaml"
# The bank written blind (see its header): read with examples.yaml.
EXAMPLE_FILES = (EXAMPLES_FILE, RULES / "examples-bank.yaml")
THRESHOLDS_FILE = RULES / "semantic.yaml"
Embed = Callable[[Sequence[str]], list[list[float]]]


class Thresholds(BaseModel):
    k: int = Field(default=3, ge=1, description="How many nearest examples vote")
    votes: int = Field(default=3, ge=1, description="How many of them must be one flag's (a look-alike votes against)")
    check: float = Field(description="Cosine to the nearest example at or above which the safety check runs")
    flag: float = Field(description="Cosine at or above which the flag itself is raised")
    probability: float | None = Field(default=None, ge=0, le=1, description="The bank classifier's probability "
                                      "at or above which an English message gets the safety check")
    near: float = Field(default=0.6, description="...and only with the nearest example of its flag at this cosine "
                        "or more: on a short everyday question (\"what can I do about it without medicine?\") the "
                        "classifier can be sure of nothing it has seen")
    exclude: list[str] = Field(default_factory=list, description="Flags decided by numbers (a reading against "
                               "its passage's threshold): an embedding cannot compare 150/95 with 180/120")
    not_findings: list[str] = Field(default_factory=list, description="Concepts that say who or what a message "
                                    "is about, not what is happening (a condition, a medicine, a reading): the "
                                    "classifier acts only on a message that reports something else")


class Nearest(BaseModel):
    flag: str = Field(description="The flag most of the k nearest examples belong to")
    votes: int = Field(description="How many of the k nearest examples are that flag's")
    similarity: float = Field(description="Cosine to the nearest example of that flag")
    example: str
    lookalike_similarity: float
    lookalike: str
    probability: float | None = Field(default=None, description="The bank classifier's probability that the "
                                      "message is an emergency or urgent (English messages only)")


@lru_cache(maxsize=2)
def load_examples(paths: tuple[Path, ...] = EXAMPLE_FILES
                  ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """((flag, utterance)...), ((flag, look-alike utterance)...), from every file in `paths`."""
    positives: list[tuple[str, str]] = []
    lookalikes: list[tuple[str, str]] = []
    for path in paths:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        positives += [(flag, u) for flag, us in (data.get("flags") or {}).items() for u in us]
        lookalikes += [(flag, u) for flag, us in (data.get("lookalikes") or {}).items() for u in us]
    return tuple(positives), tuple(lookalikes)


def load_thresholds(path: Path = THRESHOLDS_FILE) -> Thresholds:
    return Thresholds.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


class SemanticNet:
    """The example bank embedded once; `nearest` compares one message vector with all of it (a 600 x 384
    matrix product, well under a millisecond)."""

    def __init__(self, embed: Embed, thresholds: Thresholds | None = None,
                 examples_paths: tuple[Path, ...] = EXAMPLE_FILES,
                 cache_dir: Path | None = None):
        self.thresholds = thresholds or load_thresholds()
        positives, lookalikes = load_examples(tuple(examples_paths))
        excluded = set(self.thresholds.exclude)
        positives = tuple(p for p in positives if p[0] not in excluded)
        lookalikes = tuple(p for p in lookalikes if p[0] not in excluded)
        self.positives, self.lookalikes = positives, lookalikes
        texts = [u for _, u in positives] + [u for _, u in lookalikes]
        vectors = _cached_vectors(texts, embed, cache_dir)
        self.pos = vectors[: len(positives)]
        self.neg = vectors[len(positives):]
        self.classifier = _fit_classifier(self.pos, self.neg)

    def nearest(self, vector: Sequence[float], k: int | None = None, chinese: bool = False) -> Nearest:
        """The k nearest examples' vote: a message among one flag's examples, not among look-alikes."""
        k = k or self.thresholds.k
        v = np.asarray(vector, dtype=np.float32)
        v = v / (np.linalg.norm(v) or 1.0)
        pos, neg = self.pos @ v, self.neg @ v
        both = np.concatenate([pos, neg])
        top = np.argsort(-both)[:k]
        flags = [self.positives[i][0] for i in top if i < len(pos)]
        flag = max(set(flags), key=flags.count) if flags else self.positives[int(pos.argmax())][0]
        of_flag = [i for i in range(len(pos)) if self.positives[i][0] == flag]
        i = max(of_flag, key=lambda n: pos[n])
        j = int(neg.argmax())
        probability = None if chinese else round(float(self.classifier.predict_proba(v[None, :])[0, 1]), 4)
        return Nearest(flag=flag, votes=flags.count(flag), similarity=round(float(pos[i]), 4),
                       example=self.positives[i][1], lookalike_similarity=round(float(neg[j]), 4),
                       lookalike=self.lookalikes[j][1], probability=probability)

    def decide(self, nearest: Nearest, reports_finding: bool = True) -> str | None:
        """'flag', 'check' or None for a message whose nearest examples are `nearest`. `reports_finding`: the
        rules found something happening in it (a symptom, an event), or it asks nothing; without, only the
        flag itself (very close to one flag's examples) is raised: on a plain question ("Do I have diabetes?
        My fasting sugar was 7.4") the nearest examples and the classifier are sure of what they never saw."""
        t = self.thresholds
        if nearest.votes >= t.votes and nearest.similarity >= t.flag:
            return "flag"
        if not reports_finding:
            return None
        if nearest.votes >= t.votes and nearest.similarity >= t.check:
            return "check"
        if t.probability is not None and nearest.probability is not None and nearest.probability >= t.probability \
                and nearest.similarity >= t.near:
            return "check"
        return None


    def explain(self, nearest: Nearest) -> str:
        """What the layer saw, in words: the nearest example, and the classifier's probability where it
        decided."""
        near = (f"close to {nearest.example!r} ({nearest.similarity:.2f}; {nearest.votes} of the "
                f"{self.thresholds.k} nearest examples are this flag's)")
        t = self.thresholds
        if nearest.probability is not None and t.probability is not None and nearest.probability >= t.probability \
                and not (nearest.votes >= t.votes and nearest.similarity >= t.check):
            return (f"the example bank's classifier puts it among emergencies and urgents "
                    f"(p={nearest.probability:.2f}, threshold {t.probability}); nearest example {nearest.example!r}")
        return near


def _fit_classifier(pos: np.ndarray, neg: np.ndarray):
    """Logistic regression, emergency-or-urgent examples (1) against look-alikes (0), classes weighted so
    the larger side does not win by number. Deterministic (lbfgs), well under a second for the bank."""
    from sklearn.linear_model import LogisticRegression

    X = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    return LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(X, y)


def _cached_vectors(texts: list[str], embed: Embed, cache_dir: Path | None) -> np.ndarray:
    """Unit vectors of `texts`; kept on disk by content hash so a restart does not embed the bank again."""
    key = hashlib.sha1(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()[:16]
    path = cache_dir / f"triage-examples-{key}.npy" if cache_dir else None
    if path is not None and path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = np.asarray(embed(texts), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors
