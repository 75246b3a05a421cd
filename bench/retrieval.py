"""Retrieval benchmark on the labelled questions: dense, BM25, hybrid and a naive LlamaIndex baseline.

Prints recall@5, hit@5, MRR@10 and p50/p95 query latency per system, then the index build times:
a full build from scratch against the raw sentence-transformers encode of the same texts, and a
re-index of the unchanged corpus (in-process and as the `coach index` command).

    .venv/bin/python bench/retrieval.py [--json bench/results/retrieval.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.labelled import load_questions, percentile, recall_at, reciprocal_rank  # noqa: E402
from knowledge.chunking import chunk_passage  # noqa: E402
from knowledge.corpus import load_corpus  # noqa: E402
from knowledge.embedding import load_embedding  # noqa: E402
from knowledge.index import EMBED_BATCH, GuidelineIndex, IndexStats  # noqa: E402
from knowledge.models import SearchFilters  # noqa: E402
from knowledge.retrieve import HybridRetriever  # noqa: E402
from knowledge.store import open_chroma  # noqa: E402


def normalise(text: str) -> str:
    return " ".join(text.split())


class NaiveBaseline:
    """LlamaIndex defaults: SentenceSplitter chunks of whole documents, VectorStoreIndex, top-k retriever."""

    def __init__(self, corpus, embed_model):
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        documents = []
        for doc in corpus.documents:
            text = (corpus.root / Path(doc.path).name).read_text(encoding="utf-8")
            body = text.split("---", 2)[2]  # drop the front matter, keep the markdown as written
            documents.append(Document(text=body, metadata={
                "title": doc.meta.title, "region": doc.meta.region,
                **{f"cond_{c}": int(c in doc.meta.conditions) for c in
                   ("htn", "diabetes", "lipids", "urate", "obesity", "general")}}))
        nodes = SentenceSplitter().get_nodes_from_documents(documents)
        self.chunks = {n.node_id: normalise(n.get_content()) for n in nodes}
        self.index = VectorStoreIndex(nodes, embed_model=embed_model)
        self.passage_sentences = {p.id: [normalise(s) for s in re.split(r"(?<=[.!?;:])\s+|\n", p.text)
                                         if normalise(s)] for p in corpus.passages}
        self.node_count = len(nodes)

    def retrieve(self, query: str, filters: SearchFilters | None, k: int = 10) -> list[str]:
        from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters
        parts = []
        if filters and filters.regions():
            parts.append(MetadataFilter(key="region", operator=FilterOperator.IN, value=list(filters.regions())))
        if filters and filters.condition:
            parts.append(MetadataFilter(key=f"cond_{filters.condition}", value=1))
        retriever = self.index.as_retriever(similarity_top_k=k,
                                            filters=MetadataFilters(filters=parts) if parts else None)
        return [n.node.node_id for n in retriever.retrieve(query)]

    def contains(self, chunk_id: str, passage_id: str) -> bool:
        """A chunk 'holds' a passage when it contains most (over half, by characters) of its sentences."""
        chunk = self.chunks[chunk_id]
        sentences = self.passage_sentences[passage_id]
        found = sum(len(s) for s in sentences if s in chunk)
        return found > 0.5 * sum(len(s) for s in sentences)


def without_asked_as(corpus):
    """A copy of the corpus whose passages carry no "Asked as" questions."""
    from knowledge.corpus import Corpus, GuidelineDocument
    return Corpus(root=corpus.root, documents=[
        GuidelineDocument(meta=d.meta, path=d.path,
                          passages=[p.model_copy(update={"asked_as": ()}) for p in d.passages])
        for d in corpus.documents])


def evaluate(name, questions, run, judge=None):
    recalls, hits, rrs, latencies = [], [], [], []
    misses = []
    for q in questions:
        relevant = q.all_relevant
        filters = SearchFilters(region=q.region, condition=q.condition)
        started = time.perf_counter()
        ranked = run(q.question, filters)
        latencies.append((time.perf_counter() - started) * 1000)
        if judge is not None:  # baseline: map chunks to the relevant passages they contain
            found5 = {pid for cid in ranked[:5] for pid in relevant if judge(cid, pid)}
            recalls.append(len(found5) / min(len(relevant), 5))
            first = next((r for r, cid in enumerate(ranked[:10], 1) if any(judge(cid, p) for p in relevant)), None)
            rrs.append(1 / first if first else 0.0)
            hits.append(1.0 if found5 else 0.0)
        else:
            recalls.append(recall_at(ranked, relevant, 5))
            rrs.append(reciprocal_rank(ranked, relevant, 10))
            hits.append(1.0 if set(ranked[:5]) & relevant else 0.0)
            if not set(ranked[:5]) & relevant:
                misses.append((q.id, q.question, q.relevant, ranked[:5]))
    n = len(questions)
    return {"system": name, "recall@5": sum(recalls) / n, "hit@5": sum(hits) / n, "mrr@10": sum(rrs) / n,
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95), "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--show-misses", action="store_true", help="list hybrid misses")
    parser.add_argument("--repeat", type=int, default=3, help="timings of the build and raw encodes (median)")
    args = parser.parse_args()

    corpus = load_corpus(ROOT / "guidelines")
    questions = load_questions()
    model = load_embedding()
    st_model = model._model  # the sentence-transformers model inside the LlamaIndex wrapper
    chunks = [c for p in corpus.passages for c in chunk_passage(p)]
    st_model.encode(["warm up"] * 8)
    print(f"corpus: {len(corpus.documents)} documents, {len(corpus.passages)} passages, {len(chunks)} chunks; "
          f"{len(questions)} labelled questions\n")

    # -- build times --------------------------------------------------------------------------------
    # The raw encode twice: as sentence-transformers does by default (batch 32), and in the index's own
    # batch size, which is the fastest here; the build is compared with the faster of the two. This
    # machine's speed drifts by 10% over a minute, so the three are timed in turn, --repeat times, and
    # each is reported by its median.
    passage_texts = [" > ".join(p.heading_path) + "\n" + p.text for p in corpus.passages]
    times: dict[str, list[float]] = {"raw_default": [], "raw_passages": [], "raw_chunks": [], "build": []}
    with tempfile.TemporaryDirectory() as tmp:
        built: list[tuple[GuidelineIndex, IndexStats]] = []  # each timed build; the last one is searched below

        def build_index(n: int) -> None:
            index = GuidelineIndex(open_chroma(path=Path(tmp) / f"build{n}"), embed_model=model)
            built.append((index, index.build(corpus)))

        for attempt in range(args.repeat):
            for name, work in (
                    ("raw_default", lambda: st_model.encode(passage_texts)),
                    ("raw_passages", lambda: st_model.encode(passage_texts, batch_size=EMBED_BATCH)),
                    ("raw_chunks", lambda: st_model.encode([c.embed_text for c in chunks], batch_size=EMBED_BATCH)),
                    ("build", lambda n=attempt: build_index(n))):
                t = time.perf_counter()
                work()
                times[name].append(time.perf_counter() - t)
        raw_default, raw_passages, raw_chunks, build = (statistics.median(times[k]) for k in times)
        index, stats = built[-1]
        t = time.perf_counter()
        again = index.build(load_corpus(ROOT / "guidelines"))
        reindex = time.perf_counter() - t
        assert again.unchanged and again.embedded == 0
        env = dict(os.environ, COACH_DATA_DIR=str(Path(tmp) / "cli"))
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/coach"), "index"], env=env, check=True, capture_output=True)
        cli_first = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/coach"), "index"], env=env, check=True, capture_output=True)
        cli_reindex = time.perf_counter() - t

        # Ablation: the same index without the passages' "Asked as" questions.
        plain = GuidelineIndex(open_chroma(path=Path(tmp) / "plain"), embed_model=model)
        plain.build(without_asked_as(corpus))
        plain_retriever = HybridRetriever(plain, top_k=10)

        # -- retrieval quality and latency ------------------------------------------------------------
        retriever = HybridRetriever(index, top_k=10)
        baseline = NaiveBaseline(corpus, model)
        systems = {
            "dense (Chroma)": lambda q, f: [p for p, _ in retriever.dense(q, f)][:10],
            "BM25": lambda q, f: [p for p, _ in retriever.lexical(q, f)][:10],
            "hybrid (RRF)": lambda q, f: [p.id for p in retriever.search(q, filters=f, top_k=10).passages],
            "hybrid without Asked-as keys": lambda q, f: [p.id for p in plain_retriever.search(
                q, filters=f, top_k=10).passages],
            "naive LlamaIndex": lambda q, f: baseline.retrieve(q, f),
        }
        for run in systems.values():  # warm-up: first calls pay for lazy initialisation
            for q in questions[:10]:
                run(q.question, SearchFilters(region=q.region, condition=q.condition))
        rows = [evaluate(name, questions, run, judge=baseline.contains if name.startswith("naive") else None)
                for name, run in systems.items()]

    print("| system | recall@5 | hit@5 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['system']} | {r['recall@5']:.3f} | {r['hit@5']:.3f} | {r['mrr@10']:.3f} | "
              f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
    print(f"\nnaive baseline: {baseline.node_count} SentenceSplitter chunks (default 1024 tokens, overlap 200)")
    print(f"\n| index build (median of {args.repeat}) | seconds |")
    print("|---|---:|")
    keys = sum(c.kind == "question" for c in chunks)
    print(f"| raw sentence-transformers encode of the {len(passage_texts)} passages (cut at 256 tokens), "
          f"default batch of 32 | {raw_default:.1f} |")
    print(f"| the same, in batches of {EMBED_BATCH} (as the index embeds) | {raw_passages:.1f} |")
    print(f"| raw sentence-transformers encode of what the index embeds: {len(chunks) - keys} passage chunks "
          f"+ {keys} Asked-as keys | {raw_chunks:.1f} |")
    print(f"| full index build from scratch ({stats.embedded} texts embedded, LlamaIndex/Chroma writes) | {build:.1f} "
          f"({build / raw_chunks:.2f}x the same texts; {build / min(raw_passages, raw_default):.2f}x the faster "
          f"raw encode of the passages, {build / raw_default:.2f}x the default one) |")
    print(f"| re-index, unchanged corpus (in process) | {reindex:.2f} |")
    print(f"| `coach index` first run in a new data folder (process start + model load + build) | {cli_first:.1f} |")
    print(f"| `coach index`, unchanged corpus (whole command) | {cli_reindex:.1f} |")
    hybrid = next(r for r in rows if r["system"] == "hybrid (RRF)")
    if args.show_misses:
        print("\nhybrid misses (no relevant passage in the top 5):")
        for qid, question, relevant, top in hybrid["misses"]:
            print(f"- {qid}: {question}\n    relevant: {relevant}\n    got: {top}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"rows": [{k: v for k, v in r.items() if k != "misses"} for r in rows],
                   "build": {"raw_passages_default_batch_s": raw_default, "raw_passages_s": raw_passages,
                             "raw_chunks_s": raw_chunks, "build_s": build, "timings_s": times,
                             "reindex_s": reindex, "cli_first_s": cli_first, "cli_reindex_s": cli_reindex}}
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
