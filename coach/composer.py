"""The deterministic composer: writes the answer from triage, findings and passages, with no model.

It is always available, it is the fallback when generated text fails verification, and it alone writes
emergency replies. Every sentence it writes is a template around a finding or a passage's own sentence,
each followed by the marker of the passage it comes from.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import yaml

from knowledge.models import GuidelinePassage, Passage

from coach.goals import RiskGoal
from coach.models import (
    CANONICAL_UNITS, LABELS, Citation, Escalation, Indicator, IndicatorFinding, Reading, pair_blood_pressure,
)
from coach.question import MEDICINE_INTENTS, QuestionAnalysis
from coach.quoting import Topic, WordWeights, choose
from coach.scope import ScopeCheck
from coach.self_care import self_care_for
from coach.text import mentions
from coach.units import to_canonical
from coach.triage import TriageResult

EMERGENCY_NUMBERS = "120 in mainland China, 911 in the US and Canada, 112 in the EU, 999 in the UK"
CALL_NOW_PASSAGE = "emergency-red-flags#call-now-vs-urgent"
WHEN_UNSURE_PASSAGE = "emergency-red-flags#when-unsure"
SAFETY_MESSAGES = Path(__file__).resolve().parent / "rules" / "triage" / "safety_messages.yaml"
MEDICINE_PASSAGE = "medication-safety#core-medicine-rules"
Lookup = Callable[[str], Passage]
FINDING_NAMES = {"blood_pressure": "blood pressure", "home_blood_pressure": "average home blood pressure"}


class Citations:
    """Numbered citations in order of first use."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.items: list[Citation] = []

    def cite(self, passage: str | GuidelinePassage | Passage, score: float | None = None) -> str:
        p = self.lookup(passage) if isinstance(passage, str) else passage
        for c in self.items:
            if c.passage_id == p.id:
                return f"[{c.marker}]"
        self.items.append(Citation(marker=len(self.items) + 1, passage_id=p.id, document_title=p.document_title,
                                   issuer=p.issuer, edition=p.edition, section=p.section, url=p.url, quote=p.text,
                                   score=score if score is not None else getattr(p, "score", None)))
        return f"[{len(self.items)}]"


@lru_cache(maxsize=1)
def safety_messages() -> dict:
    return yaml.safe_load(SAFETY_MESSAGES.read_text(encoding="utf-8"))


def emergency_number(region: str) -> str:
    numbers = safety_messages()["emergency_numbers"]
    return numbers.get(region, numbers["global"])


def call_now(number: str) -> str:
    """'Call the emergency number, 911, now' (or every region's number where the region is not known)."""
    if number[:1].isdigit():
        return f"Call the emergency number, {number}, now"
    return f"Call {number} now"


def compose_emergency(triage: TriageResult, lookup: Lookup, region: str = "global") -> tuple[str, list[Citation]]:
    """The fixed reply to an emergency: call now, with the flag's passage; crisis lines for self-harm."""
    citations = Citations(lookup)
    hit = triage.hits[0]
    number = emergency_number(region)
    if hit.id == "self_harm":
        crisis = safety_messages()["crisis"].get(region) or safety_messages()["crisis"]["global"]
        text = ("Thank you for telling me. What you are feeling matters, and you do not have to face it alone. "
                f"If you might act on these thoughts, or you are not safe right now, {call_now(number).lower()} "
                f"{citations.cite(hit.passage_id)}. You can also {crisis['line']} {citations.cite(crisis['passage'])}. "
                "Please reach someone you trust and ask them to stay with you, and keep away anything you could "
                f"use to hurt yourself, including stored medicines {citations.cite(hit.passage_id)}. This has been "
                "recorded for your care team.")
        return text, citations.items
    passed = (" Even though it has passed, it still needs emergency care now." if hit.passed else "")
    text = (f"This could be an emergency ({hit.label}). {call_now(number)} or have someone call for you; do "
            f"not wait to see if it passes {citations.cite(hit.passage_id)}.{passed} If you are alone, unlock the "
            f"door and stay where you can be found {citations.cite(CALL_NOW_PASSAGE)}. This has been recorded for "
            "your care team, but they cannot replace emergency services.")
    return text, citations.items


def compose_safety_check(triage: TriageResult, lookup: Lookup, region: str = "global") -> tuple[str, list[Citation]]:
    """The fixed reply when triage is unsure: the deciding question, when to call now, a person reviews it."""
    citations = Citations(lookup)
    hit = triage.hits[0]
    number = emergency_number(region)
    if hit.id == "unreadable_language":
        lines = safety_messages()["unreadable_language"]
        return (" ".join(line.split(": ", 1)[1] for line in lines) + f" {citations.cite(CALL_NOW_PASSAGE)}",
                citations.items)
    text = (f"I want to make sure you are safe ({hit.label}). {hit.question} If the answer is yes, or you are "
            f"not sure, {call_now(number).lower()} rather than waiting {citations.cite(hit.passage_id)}. Symptoms that "
            f"come and go can still be an emergency {citations.cite(WHEN_UNSURE_PASSAGE)}. I've recorded this so "
            "that a person from your care team reviews it.")
    return text, citations.items


HELP_WITH = ("I can help with blood pressure, blood sugar, cholesterol, uric acid and weight: your readings, what "
             "they mean, and what the guidelines advise.")


def compose_unanswered(analysis: QuestionAnalysis | None, recorded_for_team: bool) -> str:
    """Plain words when no passage answers the question: say so, say who can, never pad with a neighbour."""
    text = "The guidelines I work from don't answer that question, so I won't guess."
    medicines = [m for m in (analysis.medicines if analysis else []) if m.drug_id or m.drug_class]
    if medicines or (analysis and analysis.intent in MEDICINE_INTENTS):
        name = medicines[0].written if medicines else "your medicine"
        text += (f" A pharmacist, or the clinician who prescribed {name}, can answer questions about it; the "
                 "leaflet in the pack also lists its side effects and what to do about a missed dose.")
    else:
        text += " Your clinician or care team can answer it."
    if recorded_for_team:
        text += " I've recorded your question for your care team."
    return f"{text} {HELP_WITH}"


URGENT_MEANWHILE = ("If it is urgent, call your clinician now; in an emergency (chest pain, signs of a stroke, "
                    "fainting, trouble breathing) call your local emergency number.")


def compose_human_request(tier, has_profile: bool) -> str:
    """What a person who asked for a human is told: whether and when one answers, by their service tier
    (coach/tiers.py), and what to do meanwhile if it is urgent. Never a promise the tier does not make."""
    if not has_profile:
        return ("I can't pass this to a person from here: this conversation is not linked to a patient profile. "
                "Your clinician's practice can help. " + URGENT_MEANWHILE)
    when = tier.answer_time()
    if when is None:
        return ("Your plan is the coach on its own, so no health manager follows up requests; I've recorded "
                "yours for your care team. Your clinician's practice can talk it through with you. "
                + URGENT_MEANWHILE)
    told = " They have been told now." if tier.notifies_at_once("human") else ""
    return (f"I've asked your health manager to contact you: they answer {when}, here in this chat.{told} "
            + URGENT_MEANWHILE)


def compose_answer(question: str, findings: list[IndicatorFinding], passages: list[GuidelinePassage],
                   triage: TriageResult, scope: ScopeCheck, recorded: list[Reading], problems: list[str],
                   lookup: Lookup, follow_up: Escalation | None = None,
                   weights: WordWeights | None = None, goals: Sequence[RiskGoal] = (),
                   asks: Sequence[str] = ()) -> tuple[str, list[Citation]]:
    """The answer and its citations. `question` is what quotes are chosen by (the question, plus the one a
    follow-up refers to); `weights` says how much each shared word counts (all the same without); `asks`,
    the intents the question analysis found."""
    citations = Citations(lookup)
    topic = Topic.of(question, weights, asks)
    parts: list[str] = []
    if recorded:
        parts.append("I've recorded " + _join([_reading_words(r) for r in _pairs(recorded)]) + ".")
    for problem in problems:
        parts.append(f"I couldn't record one value ({problem}).")
    if triage.level == "urgent":
        hit = triage.hits[0]
        parts.append(f"Please contact your clinician or care team today about this ({hit.label}: "
                     f"{hit.evidence}) {citations.cite(hit.passage_id)}.")
    if scope.scope == "medication_change":
        parts.append("I can't advise starting, stopping or changing a medicine or its dose; the clinician who "
                     f"prescribed it decides, so please ask them before changing anything "
                     f"{citations.cite(MEDICINE_PASSAGE)}.")
    elif scope.scope == "other_person":
        parts.append("I can only talk about your own profile and readings; I can't share or look up anyone "
                     "else's data. If you care for someone, they can use the coach with their own account.")
        findings = []  # nothing about this person either: the answer stays on the refusal
    elif scope.scope == "diagnosis":
        parts.append("I can't diagnose, but I can tell you what the guideline says your numbers mean; a "
                     "clinician confirms a diagnosis, usually with repeat tests.")
    elif scope.scope == "unrelated" and not recorded and not problems and triage.level == "none":
        return ("That's outside what I can help with. I can help with blood pressure, blood sugar, cholesterol, "
                "uric acid and weight: your readings, what they mean, and what the guidelines advise."), []
    relevant = _relevant(findings, question)
    about_person: list[str] = []  # what the question means for this person: their findings, goals, follow-up
    for finding in relevant:
        about_person.append(_finding_words(finding) + f" {citations.cite(finding.passage_id)}.")
        if care := self_care_for(finding):  # what to do now ("take 15-20 g of sugar"), in the rule's words
            about_person.append(f"{care.advice} {citations.cite(care.passage)}.")
    for goal in goals:
        about_person.append(goal_sentence(goal, citations))
    if follow_up is not None:
        about_person.append(follow_up_sentence(follow_up, citations))
    used = {c.passage_id for c in citations.items}
    if scope.scope == "in_scope" and not recorded and not problems and not goals and \
            triage.level == "none" and not any(mentions(f.indicator, question) for f in findings) and \
            not choose(passages[:3], topic):
        # Nothing in the question matches the guidelines or the person's data: say so rather than pad.
        return ("I couldn't find guideline advice on that. I can help with blood pressure, blood sugar, "
                "cholesterol, uric acid and weight: your readings, what they mean, and what the guidelines "
                "advise."), []
    quotes: list[str] = []
    if scope.scope != "other_person":
        for passage, excerpt in choose(passages, topic, skip=used):
            quotes.append(f"{excerpt} {citations.cite(passage, passage.score)}")
    parts += about_person + quotes
    if not parts:
        parts.append("I couldn't find guideline advice on that. Could you ask it another way, or tell me which "
                     "condition it is about?")
    parts.append("This is general guidance from the guidelines, not a diagnosis; your clinician can tell "
                 "you what it means for you.")
    return renumber(" ".join(parts), citations.items)


MARKER = re.compile(r"\[(\d+)\]")


def renumber(text: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
    """Keep the citations the text uses, numbered 1, 2, 3... in order of first use."""
    order: dict[int, int] = {}
    for m in MARKER.findall(text):
        order.setdefault(int(m), len(order) + 1)
    by_marker = {c.marker: c for c in citations}
    text = MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]" if int(m.group(1)) in order else m.group(0), text)
    return text, [by_marker[old].model_copy(update={"marker": new}) for old, new in order.items() if old in by_marker]


def self_care_sentences(findings: list[IndicatorFinding], question: str, citations: Citations) -> list[str]:
    """The self-care advice of the findings an answer is about, cited: appended to a generated answer too."""
    return [f"{care.advice} {citations.cite(care.passage)}." for f in _relevant(findings, question)
            if (care := self_care_for(f))]


def goal_sentence(goal: RiskGoal, citations: Citations) -> str:
    return f"{goal.text} {citations.cite(goal.passage_id)}."


def follow_up_sentence(follow_up: Escalation, citations: Citations) -> str:
    return (f"Please see your clinician {follow_up.within or 'soon'} about this: {follow_up.reason} "
            f"{citations.cite(follow_up.passage_id)}.")


def _relevant(findings: list[IndicatorFinding], question: str) -> list[IndicatorFinding]:
    """Findings the question is about (by words), plus at most one other that needs attention."""
    on_topic = sorted((f for f in findings if mentions(f.indicator, question)), key=lambda f: -f.severity)[:5]
    others = sorted((f for f in findings if not mentions(f.indicator, question) and f.severity >= 2),
                    key=lambda f: -f.severity)[:1]
    return on_topic + others


def _finding_words(f: IndicatorFinding) -> str:
    name = FINDING_NAMES.get(f.indicator) or LABELS[Indicator(f.indicator)]
    when = "" if f.derived else f" on {f.measured_at:%d %b %Y}"
    return (f"Your {'latest ' if not f.derived else ''}{name}, {_values_words(f)}{when}, is classed as "
            f"\"{f.label}\" under {f.guideline} ({f.threshold})")


def _values_words(f: IndicatorFinding) -> str:
    """Values in the guideline's unit, and in the canonical unit too when they differ (133 mg/dL (7.4 mmol/L))."""
    shown = f"{f.shown_values} {f.unit}"
    first, value = next(iter(f.values.items()))
    if f.unit != CANONICAL_UNITS[first]:
        canonical = to_canonical(first, value, f.unit)
        shown += f" ({canonical:.{1 if canonical < 100 else 0}f} {CANONICAL_UNITS[first]})"
    return shown


def _pairs(recorded: list[Reading]) -> list:
    """Readings to confirm: single values first, then blood pressure as pairs."""
    singles = [r for r in recorded if r.indicator not in (Indicator.systolic_bp, Indicator.diastolic_bp)]
    return singles + pair_blood_pressure(recorded)


def _reading_words(item) -> str:
    if isinstance(item, tuple):
        s, d = item
        return f"your blood pressure {s.value:g}/{d.value:g} mmHg ({s.measured_at:%d %b %H:%M})"
    r: Reading = item
    shown = f"{r.entered_value:g} {r.entered_unit}" if r.entered_value is not None else f"{r.value:g} {r.unit}"
    return f"your {LABELS[r.indicator]} {shown} ({r.measured_at:%d %b %H:%M})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def escalation_for(triage: TriageResult) -> Escalation | None:
    if triage.level in ("none", "routine"):
        return None
    hit = triage.hits[0]
    reason = hit.label + (" (safety check: a person reviews it)" if hit.kind == "safety_check" else "")
    return Escalation(level=hit.level, reason=reason, passage_id=hit.passage_id, evidence=hit.evidence)
