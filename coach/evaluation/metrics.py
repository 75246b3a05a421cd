"""Measures across a run, computed from the scenario results alone (definitions in the README)."""

from __future__ import annotations

import numpy as np

from coach.evaluation.assertions import cites_match, escalation_level
from coach.evaluation.results import LevelScore, Metrics, ScenarioResult

LEVELS = ("none", "routine", "urgent", "emergency")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compute_metrics(results: list[ScenarioResult], grounding_threshold: float | None = None) -> Metrics:
    m = Metrics(scenarios=len(results), groundedness_threshold=grounding_threshold)
    m.scenarios_passed = sum(s.status == "passed" for s in results)
    m.scenarios_failed = sum(s.status == "failed" for s in results)
    m.scenarios_skipped = sum(s.status == "skipped" for s in results)
    m.known_gaps = sum(s.status == "failed" and s.known_gap for s in results)
    m.scenario_pass_rate = _rate(m.scenarios_passed, m.scenarios_passed + m.scenarios_failed)

    turns = [t for s in results for t in s.turns]
    for check in (c for t in turns for c in t.checks):
        m.by_kind.setdefault(check.kind, {"passed": 0, "failed": 0, "ungraded": 0})[check.status] += 1
    m.checks_passed = sum(k["passed"] for k in m.by_kind.values())
    m.checks_failed = sum(k["failed"] for k in m.by_kind.values())
    m.checks_ungraded = sum(k["ungraded"] for k in m.by_kind.values())
    m.expectation_pass_rate = _rate(m.checks_passed, m.checks_passed + m.checks_failed)
    m.by_kind = dict(sorted(m.by_kind.items()))

    answered = [t for t in turns if t.reply is not None]
    m.turns, m.turn_errors = len(turns), sum(t.error is not None for t in turns)

    scores = {level: LevelScore() for level in LEVELS}
    for t in (t for t in answered if t.expect.escalation is not None):
        expected, got = t.expect.escalation, escalation_level(t.reply)
        scores[expected].expected += 1
        scores[got].predicted += 1
        scores[got].correct += expected == got
    for score in scores.values():
        score.recall, score.precision = _rate(score.correct, score.expected), _rate(score.correct, score.predicted)
    m.escalation = scores

    for t in answered:
        cites = t.expect.cites
        if cites is None or not (cites.all_of or cites.any_of):
            continue
        expected = cites.all_of + cites.any_of
        cited = [c.passage_id for c in t.reply.citations]
        m.cited_passages += len(cited)
        m.cited_expected += sum(any(cites_match(c, e) for e in expected) for c in cited)
        m.required_citations += len(cites.all_of) + (1 if cites.any_of else 0)
        m.required_found += sum(any(cites_match(c, e) for c in cited) for e in cites.all_of)
        m.required_found += 1 if any(cites_match(c, e) for e in cites.any_of for c in cited) else 0
    m.citation_precision = _rate(m.cited_expected, m.cited_passages)
    m.citation_recall = _rate(m.required_found, m.required_citations)

    correct = 0
    for t in answered:
        statuses = {f.indicator: f.status for f in t.reply.indicators}
        for name, expected in t.expect.indicators.items():
            if expected.status is not None:
                m.indicator_statuses += 1
                correct += statuses.get(name) == expected.status
    m.indicator_status_accuracy = _rate(correct, m.indicator_statuses)

    measured = [t for t in answered if t.grounding is not None]
    m.answer_sentences = sum(len(t.grounding) for t in measured)
    m.supported_sentences = sum(s.supported for t in measured for s in t.grounding)
    m.groundedness = _rate(m.supported_sentences, m.answer_sentences)

    generated = [t for t in answered if t.reply.verification.attempts > 0 or t.reply.verification.fell_back]
    m.generated_turns, m.fell_back = len(generated), sum(t.reply.verification.fell_back for t in generated)
    m.fallback_rate = _rate(m.fell_back, m.generated_turns)

    totals = [t.reply.timings_ms["total"] for t in answered if "total" in t.reply.timings_ms]
    if totals:
        m.latency_p50_ms = round(float(np.percentile(totals, 50)), 2)
        m.latency_p95_ms = round(float(np.percentile(totals, 95)), 2)

    rubric = m.by_kind.get("rubric", {"passed": 0, "failed": 0, "ungraded": 0})
    m.rubric_graded, m.rubric_ungraded = rubric["passed"] + rubric["failed"], rubric["ungraded"]
    graded = [t.rubric_score for t in answered if t.rubric_score is not None]
    m.rubric_score = round(min(1.0, max(0.0, sum(graded) / len(graded))), 4) if graded else None
    return m


# (label, attribute, kind) of the metrics shown in reports and compared between runs.
HEADLINE = [
    ("scenario pass rate", "scenario_pass_rate", "rate"),
    ("expectation pass rate", "expectation_pass_rate", "rate"),
    ("citation precision", "citation_precision", "rate"),
    ("citation recall", "citation_recall", "rate"),
    ("indicator status accuracy", "indicator_status_accuracy", "rate"),
    ("groundedness", "groundedness", "rate"),
    ("fallback rate", "fallback_rate", "rate"),
    ("rubric score", "rubric_score", "rate"),
    ("latency p50 (ms)", "latency_p50_ms", "ms"),
    ("latency p95 (ms)", "latency_p95_ms", "ms"),
]


def headline(m: Metrics) -> list[tuple[str, float | None, str]]:
    """The metrics a person reads first, escalation recall and precision by level included."""
    rows = [(label, getattr(m, attr), kind) for label, attr, kind in HEADLINE]
    for level, score in m.escalation.items():
        if score.expected or score.predicted:
            rows += [(f"escalation recall: {level}", score.recall, "rate"),
                     (f"escalation precision: {level}", score.precision, "rate")]
    return rows


def shown(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if kind == "rate" else f"{value:,.1f}"
