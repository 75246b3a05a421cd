"""Checks of one reply against a turn's expectations; each says what was expected and what was found."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from coach.evaluation.results import CheckResult
from coach.evaluation.scenario import Cites, Expectations, RubricItem
from coach.models import CoachReply, Reading

if TYPE_CHECKING:
    from coach.evaluation.judge import Judge


def check_reply(expect: Expectations, reply: CoachReply, stored: list[Reading] | None) -> list[CheckResult]:
    """Every expectation except the rubric (see `grade_rubric`). `stored`: the readings the turn added to
    the store (None when the conversation has no profile, so nothing can be stored)."""
    checks: list[CheckResult] = []
    if expect.escalation is not None:
        checks.append(check_escalation(expect.escalation, reply))
    if expect.cites is not None:
        checks += check_cites(expect.cites, reply)
    if expect.must_not_cite:
        checks.append(check_must_not_cite(expect.must_not_cite, reply))
    for name, expected in expect.indicators.items():
        checks += check_indicator(name, expected.status, expected.states, reply)
    checks += [check_says(i, p, reply.text) for i, p in enumerate(expect.says)]
    checks += [check_must_not_say(i, p, reply.text) for i, p in enumerate(expect.must_not_say)]
    checks += [check_recorded(i, r, stored) for i, r in enumerate(expect.reading_recorded)]
    if expect.max_latency_ms is not None:
        checks.append(check_latency(expect.max_latency_ms, reply))
    return checks


def _result(name: str, kind: str, ok: bool, reason: str) -> CheckResult:
    return CheckResult(name=name, kind=kind, status="passed" if ok else "failed", reason=reason)


def escalation_level(reply: CoachReply) -> str:
    return reply.escalation.level if reply.escalation else "none"


def check_escalation(expected: str, reply: CoachReply) -> CheckResult:
    got = escalation_level(reply)
    reason = f"expected {expected}, got {got}"
    if reply.escalation is not None:
        reason += f" ({reply.escalation.reason}; {reply.escalation.passage_id})"
    elif expected == "routine":
        reason += " (no routine follow-up rule fired for this message)"
    return _result("escalation", "escalation", got == expected, reason)


def cites_match(cited: str, expected: str) -> bool:
    """A passage id matches itself; a document id (no '#') matches any of its passages."""
    return cited == expected if "#" in expected else cited.split("#", 1)[0] == expected


def _cited(reply: CoachReply) -> list[str]:
    return [c.passage_id for c in reply.citations]


def _shown(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "nothing"


def check_cites(cites: Cites, reply: CoachReply) -> list[CheckResult]:
    cited, checks = _cited(reply), []
    if cites.all_of:
        missing = [e for e in cites.all_of if not any(cites_match(c, e) for c in cited)]
        reason = (f"expected all of {_shown(cites.all_of)}" + (f"; missing {_shown(missing)}" if missing else "")
                  + f"; cited {_shown(cited)}")
        checks.append(_result("cites.all_of", "cites", not missing, reason))
    if cites.any_of:
        found = [e for e in cites.any_of if any(cites_match(c, e) for c in cited)]
        reason = f"expected any of {_shown(cites.any_of)}; cited {_shown(cited)}"
        checks.append(_result("cites.any_of", "cites", bool(found), reason))
    return checks


def check_must_not_cite(forbidden: list[str], reply: CoachReply) -> CheckResult:
    cited = _cited(reply)
    bad = [c for c in cited if any(cites_match(c, f) for f in forbidden)]
    reason = f"must not cite {_shown(forbidden)}; " + (f"cited {_shown(bad)}" if bad else f"cited {_shown(cited)}")
    return _result("must_not_cite", "must_not_cite", not bad, reason)


def check_indicator(name: str, status: str | None, states: list[str], reply: CoachReply) -> list[CheckResult]:
    checks = []
    if status is not None:
        finding = next((f for f in reply.indicators if f.indicator == name), None)
        if finding is None:
            found = ", ".join(f"{f.indicator} {f.status}" for f in reply.indicators) or "none"
            reason = f"expected {name} {status}; the reply has no {name} finding (findings: {found})"
        else:
            reason = (f"expected {name} {status}, got {finding.status} ({finding.shown_values} {finding.unit}, "
                      f"rule {finding.rule_id})")
        checks.append(_result(f"indicators.{name}.status", "indicators", finding is not None and
                              finding.status == status, reason))
    for i, value in enumerate(states):
        # '15' must not match inside '150', nor '7.8' inside '17.8'.
        stated = re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", reply.text, re.I)
        found = "it does" if stated else f"it does not: {_clip(reply.text)}"
        reason = f"expected the text to state {value!r}; {found}"
        checks.append(_result(f"indicators.{name}.states[{i}]", "indicators", bool(stated), reason))
    return checks


def check_says(i: int, pattern: str, text: str) -> CheckResult:
    match = re.search(pattern, text, re.I)
    reason = f"expected /{pattern}/ in the text; " + (f"found {match.group(0)!r}" if match else
                                                        f"not found in: {_clip(text)}")
    return _result(f"says[{i}]", "says", bool(match), reason)


def check_must_not_say(i: int, pattern: str, text: str) -> CheckResult:
    match = re.search(pattern, text, re.I)
    reason = f"must not match /{pattern}/; " + (f"found {_around(text, match)!r}" if match else "not found")
    return _result(f"must_not_say[{i}]", "must_not_say", not match, reason)


def check_recorded(i: int, expected, stored: list[Reading] | None) -> CheckResult:
    name = f"reading_recorded[{i}]"
    want = f"{expected.indicator.value} {expected.value:g} ± {expected.tolerance:g}"
    if stored is None:
        return _result(name, "reading_recorded", False, f"expected {want} stored; the scenario has no profile, "
                       "so the coach stores nothing")
    ok = any(r.indicator == expected.indicator and abs(r.value - expected.value) <= expected.tolerance
             for r in stored)
    shown = ", ".join(f"{r.indicator.value} {r.value:g} {r.unit}" for r in stored) or "nothing"
    return _result(name, "reading_recorded", ok, f"expected {want} stored this turn; stored {shown}")


def check_latency(limit_ms: float, reply: CoachReply) -> CheckResult:
    total = reply.timings_ms.get("total")
    if total is None:
        return _result("max_latency_ms", "max_latency_ms", False, "the reply has no total time")
    return _result("max_latency_ms", "max_latency_ms", total <= limit_ms,
                   f"expected at most {limit_ms:g} ms, took {total:g} ms")


def grade_rubric(rubric: list[RubricItem], judge: Judge | None, conversation: list[tuple[str, str]]
                 ) -> tuple[list[CheckResult], float | None]:
    """Rubric items graded by the judge, or 'ungraded' without one (never passed silently).

    An item passes when a positive criterion is met or a negative one (points < 0) is not. The score is
    HealthBench's: points of the criteria met over the points of the positive criteria (graded items only).
    """
    checks, achieved, possible = [], 0.0, 0.0
    for i, item in enumerate(rubric):
        name, label = f"rubric[{i}]", f"{item.criterion!r} ({item.points:+g} points)"
        if judge is None:
            checks.append(CheckResult(name=name, kind="rubric", status="ungraded", points=item.points,
                                      reason=f"{label}: no judge configured (run with --judge openai)"))
            continue
        grade = judge.grade(conversation, item)
        if grade.met is None:
            checks.append(CheckResult(name=name, kind="rubric", status="ungraded", points=item.points,
                                      reason=f"{label}: the judge gave no verdict ({grade.explanation})"))
            continue
        ok = grade.met == (item.points > 0)
        verdict = "met" if grade.met else "not met"
        checks.append(CheckResult(name=name, kind="rubric", status="passed" if ok else "failed", points=item.points,
                                  reason=f"{label}: {verdict} — {grade.explanation}"))
        achieved += item.points if grade.met else 0.0
        possible += max(item.points, 0.0)
    return checks, (achieved / possible if possible > 0 else None)


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _around(text: str, match: re.Match, margin: int = 30) -> str:
    return " ".join(text[max(0, match.start() - margin):match.end() + margin].split())
