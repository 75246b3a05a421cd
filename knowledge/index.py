"""Incremental, crash-safe indexing of the corpus into Chroma through LlamaIndex's ChromaVectorStore.

Each build writes a fresh *generation* collection (unchanged chunks copy their stored embeddings, so only
new or edited text is embedded), then flips a pointer collection's metadata to it in one write. Queries
only ever read the generation the pointer names, so an interrupted build leaves nothing they can see.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Callable

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import BaseModel

from knowledge.chunking import MAX_CHUNK_WORDS, Chunk, chunk_passage
from knowledge.corpus import Corpus
from knowledge.models import CONDITIONS, Passage

# Bump when chunking or stored metadata changes shape, so the next build rewrites everything.
INDEX_FORMAT = f"8:{MAX_CHUNK_WORDS}"
# Texts per forward pass. On 2 CPU cores MiniLM encodes small batches fastest (bench/retrieval.py: the
# passages took 12.6 s in batches of 8, 14.4 s in sentence-transformers' default 32 and 14.4 s in 64):
# a small batch's activations stay in the CPU caches and, sorted by length, it pads almost nothing.
EMBED_BATCH = 8
KEEP_GENERATIONS = 2  # the active one and the one before it, for processes still reading it

Progress = Callable[[int, int], None]


class IndexStats(BaseModel):
    """What one `build` did."""

    collection: str
    passages: int
    chunks: int
    embedded: int
    reused: int
    removed: int
    unchanged: bool
    seconds: float


class IndexedChunk(BaseModel):
    chunk: Chunk
    passage: Passage


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class GuidelineIndex:
    """The Chroma-backed index of guideline chunks; `name` prefixes every collection it owns."""

    def __init__(self, client, name: str = "guidelines",
                 embed_model: BaseEmbedding | Callable[[], BaseEmbedding] | None = None,
                 model_id: str = "all-MiniLM-L6-v2"):
        self.client = client
        self.name = name
        self.model_id = model_id
        self._embed_model = embed_model

    # -- the embedding model is loaded only when there is text to embed -----------------------------
    @property
    def embed_model(self) -> BaseEmbedding:
        if self._embed_model is None:
            from knowledge.embedding import load_embedding
            self._embed_model = load_embedding()
        elif not isinstance(self._embed_model, BaseEmbedding):
            self._embed_model = self._embed_model()
        return self._embed_model

    # -- the pointer ---------------------------------------------------------------------------------
    @property
    def pointer_name(self) -> str:
        return f"{self.name}-active"

    def _pointer(self):
        return self.client.get_or_create_collection(self.pointer_name, embedding_function=None)

    def state(self) -> dict:
        """The pointer's metadata: active generation, corpus fingerprint, format; empty before any build."""
        return dict(self._pointer().metadata or {})

    def active_collection(self):
        """The collection queries read, or None if no build has completed."""
        name = self.state().get("collection")
        if not name:
            return None
        return self.client.get_collection(name, embedding_function=None)

    def _generations(self) -> list[str]:
        prefix = f"{self.name}-g"
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        return sorted(n for n in names if n.startswith(prefix))

    # -- building ------------------------------------------------------------------------------------
    def build(self, corpus: Corpus, progress: Progress | None = None, force: bool = False) -> IndexStats:
        started = time.perf_counter()
        passages = corpus.passages
        fingerprint = corpus.fingerprint()
        state = self.state()
        current = state.get("collection")
        if (not force and current and state.get("fingerprint") == fingerprint
                and state.get("format") == INDEX_FORMAT and state.get("model") == self.model_id):
            chunks = sum(len(chunk_passage(p)) for p in passages)
            return IndexStats(collection=current, passages=len(passages), chunks=chunks, embedded=0,
                              reused=chunks, removed=0, unchanged=True,
                              seconds=time.perf_counter() - started)

        self._drop_abandoned(keep=current)
        previous = self._stored_embeddings(current) if current and state.get("model") == self.model_id \
            else {}
        planned = [(chunk, passage) for passage in passages for chunk in chunk_passage(passage)]
        todo = [c for c, _ in planned if text_key(c.embed_text) not in previous]
        fresh = self._embed([c.embed_text for c in todo], progress)
        vectors = dict(previous)
        vectors.update({text_key(c.embed_text): v for c, v in zip(todo, fresh)})

        generation = f"{self.name}-g{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        collection = self.client.create_collection(
            generation, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            metadata={"fingerprint": fingerprint, "complete": False})
        store = ChromaVectorStore(chroma_collection=collection)
        store.add([self._node(c, p, vectors[text_key(c.embed_text)]) for c, p in planned])
        collection.modify(metadata={"fingerprint": fingerprint, "complete": True})

        # The single write that makes the new generation visible to queries.
        self._pointer().modify(metadata={"collection": generation, "fingerprint": fingerprint,
                                         "format": INDEX_FORMAT, "model": self.model_id,
                                         "built_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        old_ids = set(self._stored_ids(current)) if current else set()
        new_ids = {c.id for c, _ in planned}
        self._drop_old_generations(active=generation)
        return IndexStats(collection=generation, passages=len(passages), chunks=len(planned),
                          embedded=len(todo), reused=len(planned) - len(todo),
                          removed=len(old_ids - new_ids), unchanged=False,
                          seconds=time.perf_counter() - started)

    def _embed(self, texts: list[str], progress: Progress | None, batch: int = EMBED_BATCH) -> list[list[float]]:
        if not texts:
            return []
        model = self.embed_model
        # Batches of similar length waste little work on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float] | None] = [None] * len(texts)
        if progress:
            progress(0, len(texts))
        for start in range(0, len(order), batch):
            part = order[start:start + batch]
            for i, vector in zip(part, model.get_text_embedding_batch([texts[i] for i in part])):
                vectors[i] = vector
            if progress:
                progress(min(start + batch, len(texts)), len(texts))
        return vectors  # type: ignore[return-value]

    def _node(self, chunk: Chunk, passage: Passage, vector: list[float]) -> TextNode:
        metadata = {
            "passage_id": passage.id, "document_id": passage.document_id, "ordinal": chunk.ordinal,
            "region": passage.region, "text_key": text_key(chunk.embed_text), "kind": chunk.kind,
            "chunk_text": chunk.text, "document_title": passage.document_title, "issuer": passage.issuer,
            "edition": passage.edition, "section": passage.section, "url": passage.url,
            "heading_path": " > ".join(passage.heading_path), "passage_json": passage.model_dump_json(),
            **{f"cond_{c}": int(c in passage.conditions) for c in CONDITIONS},  # 1/0: filters take no bools
        }
        return TextNode(id_=chunk.id, text=chunk.embed_text, metadata=metadata, embedding=vector,
                        excluded_embed_metadata_keys=list(metadata),
                        excluded_llm_metadata_keys=list(metadata))

    def _stored_embeddings(self, name: str) -> dict[str, list[float]]:
        try:
            got = self.client.get_collection(name, embedding_function=None).get(
                include=["metadatas", "embeddings"])
        except Exception:  # the previous generation vanished: embed everything again
            return {}
        return {m["text_key"]: list(e) for m, e in zip(got["metadatas"], got["embeddings"])
                if m and "text_key" in m}

    def _stored_ids(self, name: str) -> list[str]:
        try:
            return self.client.get_collection(name, embedding_function=None).get(include=[])["ids"]
        except Exception:
            return []

    def _drop_abandoned(self, keep: str | None) -> None:
        """Delete generations left by interrupted builds (never marked complete)."""
        for name in self._generations():
            if name == keep:
                continue
            meta = self.client.get_collection(name, embedding_function=None).metadata or {}
            if not meta.get("complete"):
                self.client.delete_collection(name)

    def _drop_old_generations(self, active: str) -> None:
        generations = [n for n in self._generations() if n != active]
        for name in generations[: max(0, len(generations) - (KEEP_GENERATIONS - 1))]:
            self.client.delete_collection(name)

    # -- reading -------------------------------------------------------------------------------------
    def load(self) -> list[IndexedChunk]:
        """Every chunk of the active generation with its passage (for BM25, filters and lookup)."""
        collection = self.active_collection()
        if collection is None:
            return []
        got = collection.get(include=["metadatas"])
        passages = {m["passage_id"]: Passage.model_validate_json(m["passage_json"])
                    for m in got["metadatas"] if "passage_json" in m}
        out = []
        for chunk_id, meta in zip(got["ids"], got["metadatas"]):
            passage = passages[meta["passage_id"]]
            kind = meta.get("kind", "text")
            text = meta["chunk_text"]
            embed_text = text if kind == "question" else f"{' > '.join(passage.heading_path)}\n{text}"
            chunk = Chunk(id=chunk_id, passage_id=passage.id, ordinal=int(meta["ordinal"]), kind=kind,
                          text=text, embed_text=embed_text)
            out.append(IndexedChunk(chunk=chunk, passage=passage))
        out.sort(key=lambda ic: (ic.passage.id, ic.chunk.ordinal))
        return out
