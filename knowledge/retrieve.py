"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank fusion.

Three rankings are fused: dense over passage text, dense over the passages' "Asked as" questions, and
BM25 over both. Each is computed on chunks and collapsed to passages (a passage scores its best chunk).
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
from pydantic import BaseModel, Field

from knowledge.bm25 import BM25
from knowledge.index import GuidelineIndex, IndexedChunk
from knowledge.models import GuidelinePassage, Passage, SearchFilters

Ranking = list[tuple[str, float]]  # (passage id, score), best first


class QueryError(ValueError):
    """The query cannot be searched (e.g. it is empty); the message says why."""


class IndexNotBuiltError(RuntimeError):
    """No completed index exists yet."""


class SearchResults(BaseModel):
    query: str = Field(description="The query as searched (after trimming and any truncation)")
    passages: list[GuidelinePassage]
    truncated: bool = Field(default=False, description="The query was cut to the maximum length")
    notes: list[str] = Field(default_factory=list, description="What the caller should tell the user")
    timings_ms: dict[str, float] = Field(default_factory=dict)


NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")


def _lexical_text(ic: IndexedChunk) -> str:
    """What BM25 indexes for a chunk. Numbers in "Asked as" keys are made-up example readings
    ("145/95"): matching them exactly would rank a passage by coincidence, so only the numbers the
    guideline text itself states (thresholds, targets) are searchable."""
    if ic.chunk.kind == "question":
        return NUMBER.sub(" ", ic.chunk.embed_text)
    return ic.chunk.embed_text


def rrf_fuse(rankings: list[Ranking], k: int = 60, weights: list[float] | None = None) -> Ranking:
    """Reciprocal rank fusion: score(p) = sum over rankings of w / (k + rank of p), rank from 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, (pid, _) in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def best_per_passage(chunk_scores: list[tuple[str, float]]) -> Ranking:
    """Collapse chunk hits to passages, keeping each passage's best chunk score."""
    best: dict[str, float] = {}
    for pid, score in chunk_scores:
        if pid not in best or score > best[pid]:
            best[pid] = score
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))


class HybridRetriever:
    """Searches the active index generation; call `refresh()` after a rebuild in the same process."""

    def __init__(self, index: GuidelineIndex, top_k: int = 5, candidates: int = 40, rrf_k: int = 10,
                 max_query_chars: int = 2000, recheck_seconds: float = 5.0):
        self.index = index
        self.top_k = top_k
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.max_query_chars = max_query_chars
        self.recheck_seconds = recheck_seconds
        self._loaded_from: str | None = None
        self._query_vectors: dict[str, list[float]] = {}
        self.refresh()

    def refresh_if_stale(self) -> None:
        """Reload when another process (`coach index`) has made a newer generation active.

        Checked at most every `recheck_seconds`: a long-running app keeps answering from the
        generation it loaded (kept alive by the index for one more build) and moves over by itself.
        """
        now = time.monotonic()
        if now - self._checked_at < self.recheck_seconds:
            return
        self._checked_at = now
        if self.index.state().get("collection") != self._loaded_from:
            self.refresh()

    def refresh(self) -> None:
        collection = self.index.active_collection()
        self.collection = collection
        self.chunks: list[IndexedChunk] = self.index.load() if collection is not None else []
        self.passages: dict[str, Passage] = {ic.passage.id: ic.passage for ic in self.chunks}
        self.chunk_by_id: dict[str, IndexedChunk] = {ic.chunk.id: ic for ic in self.chunks}
        self.bm25 = BM25([_lexical_text(ic) for ic in self.chunks])
        self._allowed: dict[str, np.ndarray] = {}
        self._allowed_id_sets: dict[str, frozenset[str]] = {}
        self._loaded_from = collection.name if collection is not None else None
        self._checked_at = time.monotonic()

    def allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Mask over `self.chunks` of what the filters admit (None = everything), cached per filter."""
        if filters is None or (filters.region is None and filters.condition is None):
            return None
        key = filters.model_dump_json()
        if key not in self._allowed:
            self._allowed[key] = np.array([filters.accepts(ic.passage.region, ic.passage.conditions)
                                           for ic in self.chunks], dtype=bool)
        return self._allowed[key]

    # -- the rankings --------------------------------------------------------------------------------
    def dense_views(self, query: str, filters: SearchFilters | None = None, limit: int | None = None,
                    embedding: list[float] | None = None) -> tuple[Ranking, Ranking]:
        """One Chroma query, split into two passage rankings: by passage text, and by "Asked as" keys.

        The two views fail differently (guideline wording vs patients' wording), which is what rank
        fusion rewards; one max over both would let a single lucky key bury the text match.
        Only ids and distances come back from Chroma (fetching stored metadata cost ~0.1 ms a hit), and
        filters are applied here from the in-memory chunk table (a Chroma `where` cost ~12 ms a query).
        """
        self._require_index()
        limit = limit or self.candidates
        vector = embedding if embedding is not None else self.index.embed_model.get_query_embedding(query)
        mask = self.allowed(filters)
        admitted = len(self.chunks) if mask is None else int(mask.sum())
        if admitted == 0:
            return [], []
        # Ask for enough neighbours that about `limit * 4` of them survive the filter.
        wanted = min(len(self.chunks), math.ceil(limit * 4 * len(self.chunks) / admitted))
        result = self.collection.query(query_embeddings=[vector], n_results=wanted, include=["distances"])
        allowed_ids = None if mask is None else self._allowed_ids(filters, mask)
        text_hits, key_hits = [], []
        for chunk_id, distance in zip(result["ids"][0], result["distances"][0]):
            if allowed_ids is not None and chunk_id not in allowed_ids:
                continue
            ic = self.chunk_by_id.get(chunk_id)
            if ic is None:  # written by a newer build than this process loaded
                continue
            hits = key_hits if ic.chunk.kind == "question" else text_hits
            hits.append((ic.chunk.passage_id, 1.0 - float(distance)))  # cosine distance -> similarity
        return best_per_passage(text_hits)[:limit], best_per_passage(key_hits)[:limit]

    def _allowed_ids(self, filters: SearchFilters, mask: np.ndarray) -> frozenset[str]:
        key = filters.model_dump_json()
        if key not in self._allowed_id_sets:
            self._allowed_id_sets[key] = frozenset(ic.chunk.id for ic, ok in zip(self.chunks, mask) if ok)
        return self._allowed_id_sets[key]

    def dense(self, query: str, filters: SearchFilters | None = None, limit: int | None = None,
              embedding: list[float] | None = None) -> Ranking:
        """Dense ranking over every chunk kind (a passage scores its best chunk)."""
        text, keys = self.dense_views(query, filters, limit, embedding)
        return best_per_passage(text + keys)[: limit or self.candidates]

    def lexical(self, query: str, filters: SearchFilters | None = None, limit: int | None = None) -> Ranking:
        self._require_index()
        scores = self.bm25.scores(query)
        mask = self.allowed(filters)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[: (limit or self.candidates) * 2]
        hits = [(self.chunks[i].chunk.passage_id, float(scores[i])) for i in order if scores[i] > 0]
        return best_per_passage(hits)[: limit or self.candidates]

    # -- the hybrid ----------------------------------------------------------------------------------
    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> SearchResults:
        text, truncated, notes = self.prepare_query(query)
        self.refresh_if_stale()
        self._require_index()
        started = time.perf_counter()
        embedding = self.embed_query(text) or self.index.embed_model.get_query_embedding(text)
        embedded = time.perf_counter()
        by_text, by_keys = self.dense_views(text, filters, embedding=embedding)
        dense_done = time.perf_counter()
        lexical = self.lexical(text, filters)
        lexical_done = time.perf_counter()
        fused = rrf_fuse([by_text, by_keys, lexical], k=self.rrf_k)[: top_k or self.top_k]
        dense = best_per_passage(by_text + by_keys)
        dense_rank = {pid: r for r, (pid, _) in enumerate(dense, start=1)}
        lexical_rank = {pid: r for r, (pid, _) in enumerate(lexical, start=1)}
        similarity, key_similarity = dict(dense), dict(by_keys)
        passages = [GuidelinePassage.from_passage(self.passages[pid], score=round(score, 6),
                                                  dense_rank=dense_rank.get(pid),
                                                  lexical_rank=lexical_rank.get(pid),
                                                  similarity=round(similarity[pid], 4) if pid in similarity else None,
                                                  key_similarity=round(key_similarity[pid], 4)
                                                  if pid in key_similarity else None)
                    for pid, score in fused]
        if not passages:
            notes.append("No guideline passage matches these filters.")
        timings = {"embed": embedded - started, "dense": dense_done - embedded,
                   "lexical": lexical_done - dense_done, "total": time.perf_counter() - started}
        return SearchResults(query=text, passages=passages, truncated=truncated, notes=notes,
                             timings_ms={k: round(v * 1000, 2) for k, v in timings.items()})

    def embed_queries(self, texts: list[str]) -> list[list[float] | None]:
        """Query vectors of several texts in one pass of the model (two short texts cost about 1.3 times one),
        kept like `embed_query`'s."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._query_vectors))
        if missing:
            try:
                vectors = self.index.embed_model.get_text_embedding_batch(missing)
            except Exception:  # noqa: BLE001 - triage goes on by rules when the model fails
                vectors = [None] * len(missing)
            for text, vector in zip(missing, vectors):
                if vector is not None:
                    self._remember(text, vector)
        return [self._query_vectors.get(t) for t in texts]

    def _remember(self, text: str, vector: list[float]) -> None:
        if len(self._query_vectors) >= 64:
            self._query_vectors.pop(next(iter(self._query_vectors)))
        self._query_vectors[text] = vector

    def embed_query(self, text: str) -> list[float] | None:
        """The query vector of `text`, kept for the last few texts: the coach's triage embeds a message and
        retrieval, searching the same words, reuses it. None when the model cannot embed it."""
        cache = self._query_vectors
        if text in cache:
            return cache[text]
        try:
            vector = self.index.embed_model.get_query_embedding(text)
        except Exception:  # noqa: BLE001 - triage goes on by rules when the model fails
            return None
        self._remember(text, vector)
        return vector

    def prepare_query(self, query: str) -> tuple[str, bool, list[str]]:
        """Trim the query; reject an empty one, cut a very long one (and say so)."""
        if query is None or not str(query).strip():
            raise QueryError("The question is empty: type a few words about what you want to know.")
        text = " ".join(str(query).split())
        if len(text) <= self.max_query_chars:
            return text, False, []
        note = (f"The question was {len(text):,} characters long; only the first "
                f"{self.max_query_chars:,} were searched.")
        return text[: self.max_query_chars], True, [note]

    def _require_index(self) -> None:
        if self.collection is None:
            raise IndexNotBuiltError("The guideline index has not been built yet: run `coach index`.")
