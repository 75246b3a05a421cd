"""Okapi BM25 over chunk texts, with stemming and single-typo correction of query words."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np
from nltk.stem.porter import PorterStemmer

TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
STOPWORDS = frozenset("""
a an the and or but if then so of to in on at by for with from as is are was were be been being am
do does did have has had i me my we our you your he she it its they them their this that these those
what which who whom how when where why can could should would will shall may might must not no
there here than too very just also about into over under after before up down out again any some
""".split())
_stemmer = PorterStemmer()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _stemmer.stem(word)


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens without stopwords ('150/95' -> '150', '95')."""
    return [t for t in TOKEN.findall(text.lower().replace("µ", "u")) if t not in STOPWORDS]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """True when b is one insertion, deletion, substitution or adjacent swap away from a."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


class BM25:
    """BM25 (k1, b) over a fixed list of texts; `scores` returns one score per text."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        docs = [[stem(w) for w in words(t)] for t in texts]
        self.size = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=float)
        self.avg_length = float(self.lengths.mean()) if self.size else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                self.postings[term].append((i, tf))
        self.df = {t: len(p) for t, p in self.postings.items()}
        self.idf = {t: math.log(1 + (self.size - len(p) + 0.5) / (len(p) + 0.5))
                    for t, p in self.postings.items()}
        # Surface words by their one-letter deletions, to repair a query word with one typo.
        self.surface: set[str] = {w for t in texts for w in words(t) if w.isalpha()}
        self.by_delete: dict[str, set[str]] = defaultdict(set)
        for w in self.surface:
            if len(w) >= 4:
                for d in _deletes(w):
                    self.by_delete[d].add(w)

    def correct(self, word: str) -> str:
        """The vocabulary word one edit away from an unknown query word (itself if none or known)."""
        if not word.isalpha() or len(word) < 4 or word in self.surface or stem(word) in self.postings:
            return word
        candidates: set[str] = set(self.by_delete.get(word, ()))  # the user dropped a letter
        for d in _deletes(word):  # the user added or swapped a letter
            if d in self.surface:
                candidates.add(d)
            candidates |= self.by_delete.get(d, set())
        candidates = {c for c in candidates if _one_edit(word, c)}
        if not candidates:
            return word
        # Prefer the commonest candidate (the likeliest intended word), then alphabetical.
        return min(candidates, key=lambda w: (-self.df.get(stem(w), 0), w))

    def query_terms(self, query: str) -> list[str]:
        return [stem(self.correct(w)) for w in words(query)]

    def scores(self, query: str) -> np.ndarray:
        scores = np.zeros(self.size)
        if not self.size:
            return scores
        norm = self.k1 * (1 - self.b + self.b * self.lengths / (self.avg_length or 1.0))
        for term in set(self.query_terms(query)):
            posting = self.postings.get(term)
            if not posting:
                continue
            idx = np.fromiter((i for i, _ in posting), dtype=int, count=len(posting))
            tf = np.fromiter((f for _, f in posting), dtype=float, count=len(posting))
            scores[idx] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm[idx])
        return scores
