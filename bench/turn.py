"""Latency of one coaching turn, per stage, over the labelled questions (composer backend by default).

    .venv/bin/python bench/turn.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.labelled import load_questions, percentile  # noqa: E402
from coach.assembly import build_coach  # noqa: E402
from coach.models import Profile  # noqa: E402
from coach.settings import load_settings  # noqa: E402
from coach.verify import verify  # noqa: E402
from knowledge.corpus import load_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="composer", choices=["composer", "local", "openai"])
    parser.add_argument("--limit", type=int, default=None, help="Only the first N questions (LLM backends are slow)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), generation={"backend": args.backend})
        coach = build_coach(settings)
        coach.retriever.index.build(load_corpus(ROOT / "guidelines"))
        coach.retriever.refresh()
        coach.clock = lambda: dt.datetime(2026, 11, 22, 9, 0)
        people = {r: coach.store.create_profile(Profile(id=f"bench-{r}", display_name=r, region=r))
                  for r in ("us", "eu", "cn", "global")}
        questions = load_questions()[: args.limit]
        for q in questions[:3]:  # warm-up
            coach.reply(q.question, people[q.region or "global"])
        stages: dict[str, list[float]] = {}
        fell_back = composer_failed = 0
        first_token: list[float] = []
        started = time.perf_counter()
        for q in questions:
            reply = coach.reply(q.question, people[q.region or "global"])
            fell_back += reply.verification.fell_back
            if reply.backend == "composer" and reply.escalation is None:
                # The composer is never verified in the service; checking it here catches composer bugs.
                composer_failed += not verify(reply.text, reply.citations, reply.indicators, q.question,
                                              reply.recorded_readings).passed
            for stage, ms in reply.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
        elapsed = time.perf_counter() - started
        if coach.generator is not None and hasattr(coach.generator, "stream"):
            for q in questions[:20]:  # time to the first streamed token of a full answer prompt
                prompt = coach.prompt_for(q.question, people[q.region or "global"])
                t = time.perf_counter()
                next(iter(coach.generator.stream(prompt)), None)
                first_token.append((time.perf_counter() - t) * 1000)
    print(f"{len(questions)} turns with the {args.backend} backend in {elapsed:.1f} s")
    if args.backend != "composer":
        print(f"verification: {len(questions) - fell_back} of {len(questions)} generated answers passed "
              f"({1 - fell_back / len(questions):.0%}); the rest fell back to the composer")
    print(f"composer answers failing the same checks: {composer_failed}")
    if first_token:
        print(f"first streamed token: p50 {percentile(first_token, 50):.0f} ms, "
              f"p95 {percentile(first_token, 95):.0f} ms")
    print()
    print("| stage | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for stage in ("prepare", "embed", "triage", "assess", "analyse", "retrieve", "generate", "total"):
        values = stages.get(stage, [])
        if values:
            print(f"| {stage} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |")


if __name__ == "__main__":
    main()
