"""Checks on generated text before anyone sees it: citations, numbers, statuses, dosing, and that
it answers the question asked (its side of the value, what it asks).

A failure is described in words; the service regenerates once, then falls back to the composer.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from coach.indicators import load_rules
from coach.models import Citation, IndicatorFinding, Reading, Verification
from coach.question import QuestionAnalysis, analyse
from coach.units import to_canonical

MARKER = re.compile(r"\[(\d+)\]")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?")
DOSE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|micrograms?|milligrams?|units?|iu|tablets?|pills?|puffs?)\b(?!\s*/)"
                  r"|\b(?:increase|decrease|double|halve|reduce|raise|stop|skip|cut)\b[^.]{0,30}\b(?:your|the)\b"
                  r"[^.]{0,20}\b(?:dose|dosage|insulin|medicine|medication|tablets?|pills?)\b", re.I)
REASSURING = re.compile(r"\b(?:not bad|nothing to worry|perfectly (?:fine|normal)|totally fine|no problem|"
                        r"all good|healthy range)\b", re.I)


def verify(text: str, citations: list[Citation], findings: list[IndicatorFinding], question: str,
           readings: list[Reading] = (), asked: QuestionAnalysis | None = None,
           declared: Mapping[str, Sequence[str]] | None = None) -> Verification:
    """Check `text` against the evidence it may use; `readings` are the ones recorded this turn; `asked`,
    the analysis of the question, for the side of the value it is about and what it asks; `declared`, what
    each offered passage says it answers (its `Answers:` line)."""
    problems: list[str] = []
    if (wrong_side := _other_side(text, asked)) is not None:
        problems.append(wrong_side)
    markers = {int(m) for m in MARKER.findall(text)}
    if (elsewhere := _other_intent(markers, citations, asked, declared)) is not None:
        problems.append(elsewhere)
    known = {c.marker for c in citations}
    if unknown := sorted(markers - known):
        problems.append(f"cites passages that were not retrieved: {', '.join(f'[{m}]' for m in unknown)}")
    if not markers and citations:
        problems.append("cites no passage")
    allowed = _allowed_numbers(citations, findings, question)
    for r in readings:
        allowed |= {_norm(str(r.value)), *(_norm(str(v)) for v in [r.entered_value] if v is not None)}
        allowed |= _numbers(f"{r.measured_at:%d %b %Y %H:%M}")
    invented = sorted({n for n in _numbers(MARKER.sub(" ", text)) if n not in allowed})
    if invented:
        problems.append(f"states numbers found in no passage, finding or question: {', '.join(invented)}")
    problems.extend(_contradictions(text, findings))
    quoted = " ".join(" ".join(c.quote.split()) for c in citations)
    for dose in DOSE.finditer(text):
        # An amount the cited guideline itself states (sodium 1500 mg a day) is not a medicine dose.
        # Whole amounts only: "10 mg" is not in "110 mg/dL".
        amount = re.escape(" ".join(dose.group(0).split()))
        if not re.search(rf"(?<![\d.]){amount}(?![\w/])", quoted):
            problems.append(f"gives a dosing instruction: {dose.group(0)!r}")
            break
    return Verification(passed=not problems, problems=problems)


def _numbers(text: str) -> set[str]:
    return {_norm(n) for n in NUMBER.findall(text)}


def _norm(number: str) -> str:
    value = float(number.replace(",", "."))
    return f"{value:g}"


def _allowed_numbers(citations: list[Citation], findings: list[IndicatorFinding], question: str) -> set[str]:
    allowed = _numbers(question)
    for c in citations:
        allowed |= _numbers(c.quote) | _numbers(c.edition) | _numbers(c.section) | {str(c.marker)}
    for f in findings:
        allowed |= {_norm(str(v)) for v in f.values.values()} | _numbers(f.threshold)
        for indicator, value in f.values.items():  # the same value in the canonical unit (133 mg/dL = 7.4)
            canonical = to_canonical(indicator, value, f.unit)
            allowed |= {f"{round(canonical, d):g}" for d in (0, 1, 2)}
        allowed |= _numbers(f"{f.measured_at:%d %b %Y %H:%M}") | _numbers(f.derived or "")
        for t in f.trends:
            allowed |= {_norm(str(v)) for v in t.mean.values()} | {str(t.window_days), str(t.readings)}
    return allowed


def _contradictions(text: str, findings: list[IndicatorFinding]) -> list[str]:
    """A sentence about the person's indicator that names another band of its rule, or reassures about a
    bad one. Guideline sentences quoted in the answer talk about categories in general and are left alone:
    only sentences that give the person's numbers, or say "you"/"your" with the indicator, are checked."""
    problems = []
    rules = {r.id: r for r in load_rules().rules}
    sentences = re.split(r"(?<=[.!?])\s+", text)
    for f in findings:
        rule = rules.get(f.rule_id)
        if rule is None:
            continue
        words = {"blood_pressure": r"blood pressure|\bbp\b|reading",
                 "home_blood_pressure": r"blood pressure|home"}.get(f.indicator, f.indicator.replace("_", " "))
        topic = re.compile(rf"{re.escape(f.shown_values)}|\byour?\b(?=.*(?:{words}))", re.I)
        others = [b.label for b in rule.bands if b.status != f.status and b.label.lower() not in f.label.lower()]
        for sentence in sentences:
            if not topic.search(sentence):
                continue
            for label in others:
                if re.search(rf"\b{re.escape(label)}\b", sentence, re.I) and not re.search(
                        rf"\b{re.escape(f.label)}\b", sentence, re.I):
                    problems.append(f"calls the {f.indicator.replace('_', ' ')} {label!r}, but the finding is {f.label!r}")
            if f.severity >= 2 and REASSURING.search(sentence):
                problems.append(f"reassures about a {f.indicator.replace('_', ' ')} that is {f.label!r}")
    return problems


def _other_intent(markers: set[int], citations: list[Citation], asked: QuestionAnalysis | None,
                  declared: Mapping[str, Sequence[str]] | None) -> str | None:
    """The answer leans only on passages about something else than what was asked, when it was offered one
    that answers it: a side-effects question answered from the passage on what the medicine is for."""
    if asked is None or asked.intent is None or not declared:
        return None
    offered = {c.passage_id for c in citations if asked.intent in declared.get(c.passage_id, ())}
    cited = [c.passage_id for c in citations if c.marker in markers and c.passage_id in declared]
    if not offered or not cited or offered & set(cited):
        return None
    return (f"answers another question: it asks about {asked.intent.replace('_', ' ')}, and no passage it cites "
            f"is about that ({', '.join(cited)})")


def _other_side(text: str, asked: QuestionAnalysis | None) -> str | None:
    """The answer is about the other side of the value the question asked about: "how do I lower my sugar"
    answered with what to do for a low. Read with the same analysis as the question."""
    if asked is None or asked.side is None:
        return None
    said = analyse(MARKER.sub(" ", text))
    same_value = not said.indicators or not asked.indicators or set(said.indicators) & set(asked.indicators)
    if said.side and said.side != asked.side and not said.side_unclear and same_value:
        return (f"answers about a {said.side} value when the question is about a {asked.side} one "
                f"({asked.direction})")
    return None
