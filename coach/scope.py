"""Scope guard: requests to start, stop or change a medicine or its dose, for a diagnosis, or for
someone else's data.

The coach answers these with what the guideline says and a referral, never a dose or a diagnosis.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

MEDICINE = (r"(?:dose|dosage|pills?|tablets?|meds?|medicines?|medications?|insulin|metformin|statins?|"
            r"atorvastatin|rosuvastatin|simvastatin|amlodipine|lisinopril|losartan|valsartan|ramipril|"
            r"hydrochlorothiazide|thiazide|diuretic|water pill|allopurinol|febuxostat|colchicine|"
            r"glipizide|gliclazide|sulfonylurea|empagliflozin|jardiance|dapagliflozin|semaglutide|ozempic|"
            r"aspirin|beta.?blocker|metoprolol|bisoprolol|[a-z]+(?:pril|sartan|statin|olol|dipine|gliflozin))")
CHANGE = (r"(?:stop|quit|skip|double|increase|decrease|reduce|lower|raise|up|cut|change|halve|adjust|"
          r"come off|go off|start|take more|take less|take extra|switch)")

MEDICATION_CHANGE = [
    re.compile(rf"\b(?:should|can|could|may|do|shall) i\b.{{0,40}}\b{CHANGE}\b.{{0,40}}\b{MEDICINE}\b", re.I),
    re.compile(rf"\b{CHANGE}\b.{{0,15}}\b(?:my|the)\b.{{0,20}}\b{MEDICINE}\b.{{0,40}}\?", re.I),
    re.compile(rf"\bhow (?:much|many)\b.{{0,30}}\b(?:{MEDICINE}|units|mg)\b.{{0,30}}\b(?:take|inject|use)\b", re.I),
    re.compile(r"\bwhat (?:dose|dosage)\b", re.I),
    re.compile(r"\b(?:units|mg|milligrams?) of\b.{0,30}\bshould i\b", re.I),
    re.compile(r"\b(?:starting|usual|normal|right|correct|new|maximum|max|daily) (?:dose|dosage)\b", re.I),
    re.compile(rf"\b(?:prescribe|recommend|give) (?:me|him|her|them)\b.{{0,30}}\b{MEDICINE}\b", re.I),
    re.compile(rf"\b(?:double|halve|triple)\b.{{0,30}}\b{MEDICINE}\b", re.I),
]
# Asking for someone else's records: the coach only ever talks about the logged-in person's own data.
OTHER_PERSON = [
    re.compile(r"\b(?:another|other|different) (?:one of your )?(?:patients?|users?|people|person)\b", re.I),
    re.compile(r"\b(?:show|tell|give|send) me\b.{0,20}\b(?!my\b)[A-Z][a-z]+'s\b.{0,40}\b(?:readings?|data|"
               r"records?|results?|blood|profile|numbers)\b"),
]
DIAGNOSIS = [
    re.compile(r"\b(?:do|have) i (?:have|got)\b.{0,30}\b(?:diabetes|hypertension|high blood pressure|gout|"
               r"heart disease|kidney disease|prediabetes|metabolic syndrome|obesity|a stroke|a heart attack)\b", re.I),
    re.compile(r"\bam i (?:diabetic|hypertensive|obese|prediabetic)\b", re.I),
    re.compile(r"\b(?:diagnose|diagnosis for) me\b|\bcan you diagnose\b", re.I),
]

# A task that has nothing to do with health coaching ("write me a poem about the sea"): whatever words it
# happens to share with some guideline passage, quoting that passage would only pretend to answer.
UNRELATED = [
    re.compile(r"\b(?:write|compose|make up|tell|sing|draft|generate)\b.{0,15}\b(?:an? |some |me an? |me some )?"
               r"(?:poem|story|song|joke|limerick|haiku|essay|rap|novel|code|script|program|lyrics)s?\b", re.I),
    re.compile(r"\btranslate\b.{0,30}\binto\b", re.I),
]

Scope = Literal["in_scope", "medication_change", "diagnosis", "other_person", "unrelated"]


class ScopeCheck(BaseModel):
    scope: Scope
    evidence: str | None = None


def check_scope(text: str) -> ScopeCheck:
    for kind, patterns in (("other_person", OTHER_PERSON), ("medication_change", MEDICATION_CHANGE),
                           ("diagnosis", DIAGNOSIS), ("unrelated", UNRELATED)):
        for pattern in patterns:
            if match := pattern.search(text):
                return ScopeCheck(scope=kind, evidence=match.group(0))
    return ScopeCheck(scope="in_scope")
