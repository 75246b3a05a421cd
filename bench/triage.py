"""Safety triage on the labelled triage set (bench/triage/*.jsonl): recall, precision, over-triage and
latency, per flag, level, language, style and layer, for the dev split and the test split apart.

    python bench/triage.py               # both splits, the calibrated thresholds; results in bench/results/
    python bench/triage.py --calibrate   # choose the semantic thresholds on dev, write rules/triage/semantic.yaml

The test split (test-a, test-b) was written by helpers who never saw the rules, the example bank or the dev
split, and was frozen before any tuning; only the dev split is used to tune.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.models import Profile  # noqa: E402
from coach.profile.parse import parse_readings  # noqa: E402
from coach.triage import LEVELS, Triage, _asks, default_triage  # noqa: E402
from coach.triage.semantic import THRESHOLDS_FILE, SemanticNet, Thresholds, load_thresholds  # noqa: E402

DATA = ROOT / "bench" / "triage"
SPLITS = {"dev": ["dev.jsonl", "dev-b.jsonl", "dev-c.jsonl", "dev-d.jsonl", "dev-e.jsonl", "dev-f.jsonl",
                  "dev-g.jsonl", "dev-h.jsonl", "dev-i.jsonl", "dev-j.jsonl", "dev-k.jsonl", "dev-l.jsonl",
                  "dev-m.jsonl", "dev-n.jsonl"],
          "test": ["test-a.jsonl", "test-b.jsonl", "test-c.jsonl", "test-d.jsonl", "test-e.jsonl", "test-f.jsonl"]}
NOW = dt.datetime(2026, 12, 1, 9, 0)
CONDITIONS = {"htn": "htn", "diabetes": "diabetes", "lipids": "lipids", "gout": "gout", "obesity": "obesity",
              "pregnancy": "pregnancy"}


def load(split: str) -> list[dict]:
    items = []
    for name in SPLITS[split]:
        path = DATA / name
        if path.exists():
            items += [{**json.loads(line), "part": path.stem}
                      for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items


def profile_for(item: dict) -> Profile:
    conditions = [CONDITIONS[c] for c in item.get("conditions") or [] if c in CONDITIONS]
    return Profile(id="bench", display_name="Bench", conditions=conditions)


def run(items: list[dict], triage: Triage, embed) -> list[dict]:
    rows = []
    for item in items:
        text = item["text"]
        started = time.perf_counter()
        vector = embed(text) if embed else None
        embedded = time.perf_counter()
        readings = parse_readings(text, NOW).readings
        result = triage(text, readings, profile_for(item), embedding=vector, now=NOW)
        done = time.perf_counter()
        first = result.hits[0] if result.hits else None
        rows.append({**item, "predicted": result.level, "flags": [h.id for h in result.hits],
                     "layer": first.layer if first else None, "kind": first.kind if first else None,
                     "semantic": next((h.similarity for h in result.hits if h.layer == "semantic"), None),
                     "triage_ms": (done - embedded) * 1000, "embed_ms": (embedded - started) * 1000})
    return rows


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 3) if n else None


READ = ("en", "zh")


def metrics(all_rows: list[dict]) -> dict:
    """Headline figures over the languages the coach reads; messages in others are reported apart (each
    should get the multilingual safety message, whatever it says)."""
    at = lambda r, level: LEVELS.index(r["predicted"]) >= LEVELS.index(level)  # noqa: E731
    rows = [r for r in all_rows if r.get("language", "en") in READ]
    others = [r for r in all_rows if r.get("language", "en") not in READ]
    emergencies = [r for r in rows if r["level"] == "emergency"]
    urgents = [r for r in rows if r["level"] == "urgent"]
    lookalikes = [r for r in rows if r["level"] == "none"]
    raised = [r for r in rows if at(r, "urgent")]
    out = {
        "unreadable_languages": {"n": len(others), "safety_message": sum(
            "unreadable_language" in r["flags"] for r in others), "emergencies": sum(
            r["level"] == "emergency" for r in others)},
        "n": len(rows), "emergencies": len(emergencies), "urgent": len(urgents), "lookalikes": len(lookalikes),
        "emergency_recall": _rate(sum(r["predicted"] == "emergency" for r in emergencies), len(emergencies)),
        "emergency_urgent_or_above": _rate(sum(at(r, "urgent") for r in emergencies), len(emergencies)),
        "urgent_recall": _rate(sum(at(r, "urgent") for r in urgents), len(urgents)),
        "lookalikes_raised": _rate(sum(at(r, "urgent") for r in lookalikes), len(lookalikes)),
        "precision_urgent_or_above": _rate(sum(r["level"] != "none" for r in raised), len(raised)),
        "precision_emergency": _rate(sum(r["level"] == "emergency" for r in rows if r["predicted"] == "emergency"),
                                     sum(r["predicted"] == "emergency" for r in rows)),
        "triage_ms_p50": round(statistics.median(r["triage_ms"] for r in rows), 2) if rows else None,
        "triage_ms_p95": round(_p95([r["triage_ms"] for r in rows]), 2) if rows else None,
        "embed_ms_p50": round(statistics.median(r["embed_ms"] for r in rows), 2) if rows else None,
    }
    parts = defaultdict(list)
    for r in rows:
        parts[r.get("part", "")].append(r)
    out["by_part"] = {k: {"n": len(g),
                          "emergencies_urgent_or_above": _rate(sum(at(r, "urgent") for r in g if r["level"] == "emergency"),
                                                               sum(r["level"] == "emergency" for r in g)),
                          "emergency_recall": _rate(sum(r["predicted"] == "emergency" for r in g if r["level"] == "emergency"),
                                                    sum(r["level"] == "emergency" for r in g)),
                          "lookalikes_raised": _rate(sum(at(r, "urgent") for r in g if r["level"] == "none"),
                                                     sum(r["level"] == "none" for r in g))}
                      for k, g in sorted(parts.items())}
    for key in ("flag", "language", "style", "lookalike"):
        groups = defaultdict(list)
        for r in (all_rows if key == "language" else rows):
            if r.get(key):
                groups[r[key]].append(r)
        out[f"by_{key}"] = {k: {"n": len(g), "urgent_or_above": _rate(sum(at(r, "urgent") for r in g), len(g)),
                                "emergency": _rate(sum(r["predicted"] == "emergency" for r in g), len(g))}
                            for k, g in sorted(groups.items())}
    by_layer = defaultdict(lambda: {"raised": 0, "right": 0})
    for r in raised:
        by_layer[r["layer"]]["raised"] += 1
        by_layer[r["layer"]]["right"] += r["level"] != "none"
    out["by_layer"] = {k: {**v, "precision": _rate(v["right"], v["raised"])} for k, v in by_layer.items()}
    return out


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


# The semantic layer alone may raise at most this share of dev look-alikes: a missed emergency costs more
# than a safety question asked of someone who did not need it (and what it raises is a question, never an
# emergency by the classifier alone).
BUDGET = 0.02
PROBABILITIES = (None, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)


def calibrate(rows: list[dict], triage: Triage, embed) -> Thresholds:
    """The semantic layer calibrated on its own: the thresholds under which it alone raises the most dev
    emergencies and urgents while raising at most BUDGET of dev look-alikes, with all or all but one of
    the k nearest examples agreeing. (Calibrating it together with rules
    tuned on the same split would teach it only that the rules already catch the dev split.)"""
    rows = [r for r in rows if r.get("language", "en") in READ]
    vectors = {r["id"]: embed(r["text"]) for r in rows}
    chinese = {r["id"]: r.get("language") == "zh" for r in rows}
    # What the rules leave to the layer, as at run time: a message reporting something, and not a flag whose
    # words the rules set aside
    ruled = {r["id"]: triage(r["text"], parse_readings(r["text"], NOW).readings, profile_for(r), now=NOW)
             for r in rows}
    texts = {r["id"]: r["text"] for r in rows}
    finding = {i: triage._reports_finding(t.concepts) or not _asks(texts[i]) for i, t in ruled.items()}
    aside = {i: {x.id for x in t.ruled_out if x.set_aside} for i, t in ruled.items()}
    net = triage.semantic
    lookalikes = sum(r["level"] == "none" for r in rows)
    best, best_score = None, None
    for k in (3, 5, 7):
        nearest = {i: net.nearest(v, k, chinese=chinese[i]) for i, v in vectors.items()}
        for votes, check, flag, probability, near in itertools.product(
                range(k - 1, k + 1), [0.65, 0.7, 0.75, 0.8, 0.85], [0.9, 0.95], PROBABILITIES, (0.5, 0.55, 0.6)):
            if flag < check or (probability is None and near != 0.6):
                continue
            net.thresholds = Thresholds(k=k, votes=votes, check=check, flag=flag, probability=probability,
                                        near=near, exclude=net.thresholds.exclude,
                                        not_findings=net.thresholds.not_findings)
            caught = false = 0
            for r in rows:
                near = nearest[r["id"]]
                raised = near.flag not in aside[r["id"]] and net.decide(near, finding[r["id"]]) is not None
                caught += raised and r["level"] != "none"
                false += raised and r["level"] == "none"
            if false / max(lookalikes, 1) > BUDGET:
                continue
            score = (caught, -false, votes, check, probability or 1.0, near)
            if best_score is None or score > best_score:
                best, best_score = net.thresholds, score
    return best or load_thresholds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--rules-only", action="store_true", help="without the semantic layer")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "triage.json")
    args = parser.parse_args()

    embed = None
    base = default_triage()
    triage = base
    if not args.rules_only:
        from knowledge.embedding import load_embedding
        model = load_embedding()
        embed = model.get_query_embedding
        semantic = SemanticNet(lambda texts: model.get_text_embedding_batch(list(texts)))
        triage = Triage(finder=base.finder, book=base.book, semantic=semantic)
    if args.calibrate:
        dev = load("dev")
        chosen = calibrate(dev, triage, embed)
        THRESHOLDS_FILE.write_text(
            "# Thresholds of the semantic safety net (coach/triage/semantic.py), cosine similarity of MiniLM\n"
            "# vectors, and probability of the bank's classifier. Calibrated on the dev split (bench/triage) by\n"
            "# `python bench/triage.py --calibrate`: alone, the layer raises the most dev emergencies and urgents\n"
            f"# with at most {BUDGET:.0%} of dev look-alikes raised. Reported on the test split in README\n"
            "# \"Safety triage\".\n"
            f"k: {chosen.k}\nvotes: {chosen.votes}\ncheck: {chosen.check}\nflag: {chosen.flag}\n"
            f"probability: {'null' if chosen.probability is None else chosen.probability}\nnear: {chosen.near}\n"
            "# Flags decided by a reading or a temperature against its passage's threshold, not by words.\n"
            f"exclude: [{', '.join(chosen.exclude)}]\n"
            "# Concepts that say who or what a message is about, not what is happening: the classifier acts only\n"
            "# on a message whose rules found something else (a symptom, an event).\n"
            f"not_findings: [{', '.join(chosen.not_findings)}]\n", encoding="utf-8")
        print(f"calibrated on {len(dev)} dev messages: {chosen.model_dump()}")
        triage.semantic.thresholds = chosen
    report = {"date": dt.date.today().isoformat(), "semantic": None if args.rules_only else
              triage.semantic.thresholds.model_dump()}
    for split in SPLITS:
        items = load(split)
        if not items:
            continue
        rows = run(items, triage, embed)
        report[split] = metrics(rows)
        report[f"{split}_misses"] = [{k: r[k] for k in ("id", "text", "level", "flag", "predicted")}
                                     for r in rows if r["language"] in READ and (r["level"] != "none") != (
                                         r["predicted"] in ("urgent", "emergency"))
                                     ] if split == "dev" else "not listed: the test split is not tuned on"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    for split in SPLITS:
        if split in report:
            m = report[split]
            u = m["unreadable_languages"]
            print(f"{split}: n={m['n']} (+{u['n']} in other languages, {u['safety_message']} got the multilingual "
                  f"safety message) emergency recall {m['emergency_recall']}, emergencies urgent-or-above "
                  f"{m['emergency_urgent_or_above']}, urgent recall {m['urgent_recall']}, look-alikes raised "
                  f"{m['lookalikes_raised']}, precision (urgent+) {m['precision_urgent_or_above']}, triage p50 "
                  f"{m['triage_ms_p50']} ms p95 {m['triage_ms_p95']} ms (embedding p50 {m['embed_ms_p50']} ms)")
    print(f"details: {args.out}")


if __name__ == "__main__":
    main()
