"""Groundedness: is each sentence of an answer supported by a passage the answer cites?

Measured with the retrieval embedding model (all-MiniLM-L6-v2): a sentence counts as supported when its
cosine similarity to some sentence of a cited passage is at least `THRESHOLD`. How the threshold was
chosen is in the README ("Evaluating dialogues", metrics); `coach eval` can take another (--grounding).
"""

from __future__ import annotations

import re

import numpy as np

from knowledge.chunking import split_sentences

from coach.evaluation.results import SentenceSupport
from coach.models import CoachReply

THRESHOLD = 0.65  # calibrated on bench/grounding/calibration.yaml (bench/grounding_threshold.py)
MIN_WORDS = 4  # "Call now." or a bare heading says too little to be supported or not
MARKERS = re.compile(r"\s*\[\d+\]")


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences without citation markers, leaving out very short ones."""
    return [s for s in split_sentences(MARKERS.sub("", text)) if len(s.split()) >= MIN_WORDS]


class Grounder:
    """Embeds sentences (cached: the same passages come back turn after turn) and scores support."""

    def __init__(self, embed_model, threshold: float = THRESHOLD):
        self.embed_model = embed_model  # a LlamaIndex BaseEmbedding
        self.threshold = threshold
        self._cache: dict[str, np.ndarray] = {}

    def vectors(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            for text, vector in zip(new, self.embed_model.get_text_embedding_batch(new), strict=True):
                v = np.asarray(vector, dtype=np.float32)
                self._cache[text] = v / (np.linalg.norm(v) or 1.0)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.vectors([a, b])
        return float(va @ vb)

    def support(self, reply: CoachReply) -> list[SentenceSupport]:
        sentences = answer_sentences(reply.text)
        if not sentences:
            return []
        evidence = [(c.passage_id, s) for c in reply.citations for s in split_sentences(c.quote)]
        if not evidence:
            return [SentenceSupport(sentence=s, score=0.0, supported=False) for s in sentences]
        scores = self.vectors(sentences) @ self.vectors([s for _, s in evidence]).T
        out = []
        for sentence, row in zip(sentences, scores, strict=True):
            best = int(row.argmax())
            out.append(SentenceSupport(sentence=sentence, score=round(float(row[best]), 4),
                                       passage_id=evidence[best][0], supported=bool(row[best] >= self.threshold)))
        return out
