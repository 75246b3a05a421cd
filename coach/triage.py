"""Safety triage: red flags in the message and in the readings, decided by rules before anything else.

Emergency means "call the local emergency number now"; urgent means "a clinician today". The rules are
data (rules/red_flags.yaml) per language; thresholds on readings come from the cited passages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from coach.models import Indicator, Profile, Reading, pair_blood_pressure
from coach.text import is_question, sentence_at

RULES_FILE = Path(__file__).resolve().parent / "rules" / "red_flags.yaml"
Level = Literal["none", "routine", "urgent", "emergency"]
LEVELS: tuple[str, ...] = ("none", "routine", "urgent", "emergency")
NEGATION = re.compile(r"\b(?:no|not|never|without|denies|don'?t|doesn'?t|didn'?t|isn'?t|wasn'?t|haven'?t|"
                      r"hasn'?t|none)\b|没有|不", re.I)
CLAUSE_START = re.compile(r"[.;!?,，。；！？]|\bbut\b|\band\b|但是", re.I)
FIRST_PERSON = re.compile(r"\b(?:i|i'?m|i'?ve|my|me|we|our|he|she|his|her|husband|wife|dad|mum|mom|son|"
                          r"daughter)\b|我|他|她", re.I)

# A symptom placed in the past ("two years ago I had chest pain", "when she was 70") is history, not a
# red flag now; minutes and hours ago, or "now"/"today" in the same sentence, keep it current.
PAST = re.compile(r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few|some) "
                  r"(?:years?|months?|decades?) (?:ago|back|before)\b|\blast (?:year|month|summer|winter|spring|"
                  r"autumn|fall)\b|\bin (?:19|20)\d\d\b|\bwhen (?:i|he|she|they) (?:was|were)\b|\bhistory of\b|"
                  r"(?:年前|个月前|去年)", re.I)
PRESENT = re.compile(r"\b(?:now|right now|today|tonight|this (?:morning|afternoon|evening)|currently|just|again|"
                     r"minutes? ago|hours? ago|started|is having|am having|keeps?)\b|现在|刚才|今天", re.I)

# Reading thresholds, each with the passage that defines it.
SEVERE_BP = (180, 120, "emergency-red-flags#severe-bp-without-symptoms")
SEVERE_BP_SYMPTOMS = "emergency-red-flags#hypertensive-emergency"
PREGNANCY_SEVERE_BP = (160, 110, "emergency-red-flags#pregnancy-high-bp")
PREGNANCY_HIGH_BP = (140, 90, "emergency-red-flags#pregnancy-high-bp")
LOW_GLUCOSE_MMOL = (3.0, "dm-ada-glycemic-targets#hypoglycemia-levels")  # level 2: below 54 mg/dL


class RedFlag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    level: Literal["routine", "urgent", "emergency"]
    label: str
    passage: str
    patterns: dict[str, list[str]]
    requires_any: list[str] = Field(default_factory=list)


class RedFlagHit(BaseModel):
    id: str
    level: Literal["routine", "urgent", "emergency"]
    label: str
    passage_id: str
    evidence: str = Field(description="The words or the reading that raised it")


class TriageResult(BaseModel):
    level: Level
    hits: list[RedFlagHit] = Field(default_factory=list)
    checked: list[str] = Field(description="Red flags looked for and not found")
    history: list[RedFlagHit] = Field(default_factory=list, description="Red flags the message mentions only "
                                      "as past history (a stroke two years ago): not raised, and their "
                                      "emergency advice is not the answer")

    @property
    def is_emergency(self) -> bool:
        return self.level == "emergency"


class RedFlagBook(BaseModel):
    flags: list[RedFlag]
    helpers: dict[str, dict[str, list[str]]]


@lru_cache(maxsize=2)
def load_red_flags(path: Path = RULES_FILE) -> RedFlagBook:
    return RedFlagBook.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


ALL_CHECKS = ("stroke", "chest_pain", "breathless", "suicidal", "dka_symptoms", "hot_joint_fever",
              "hypo_confusion", "severe_bp", "pregnancy_bp", "low_glucose")


def triage(text: str, readings: list[Reading] | None = None, profile: Profile | None = None,
           language: str = "en") -> TriageResult:
    """Red flags in `text` (and in `readings`, e.g. the ones just reported), most severe level first."""
    book = load_red_flags()
    hits: list[RedFlagHit] = []
    history: list[RedFlagHit] = []
    for flag in book.flags:
        evidence, past = _text_match(flag, text, language)
        if (evidence or past) and all(_mentions(book.helpers[h], text) for h in flag.requires_any):
            (hits if evidence else history).append(RedFlagHit(
                id=flag.id, level=flag.level, label=flag.label, passage_id=flag.passage, evidence=evidence or past))
    hits.extend(_reading_flags(readings or [], text, profile, book))
    hits.sort(key=lambda h: -LEVELS.index(h.level))
    level: Level = hits[0].level if hits else "none"
    found = {h.id for h in hits}
    return TriageResult(level=level, hits=hits, checked=[c for c in ALL_CHECKS if c not in found], history=history)


def _text_match(flag: RedFlag, text: str, language: str) -> tuple[str | None, str | None]:
    """The words reporting the red flag now, else None; and the words placing it in the past, if any."""
    past = None
    # Every language's patterns are tried: people mix languages, and missing a red flag costs more.
    for pattern in flag.patterns.get(language, []) + [p for lang, ps in flag.patterns.items()
                                                      if lang != language for p in ps]:
        for match in re.finditer(pattern, text, re.I):
            if _negated(text, match.start()) or _only_asking(text, match.start()):
                continue
            if _in_the_past(text, match.start()):
                past = past or match.group(0).strip()
                continue
            return match.group(0).strip(), None
    return None, past


def _negated(text: str, position: int) -> bool:
    clause_start = max((m.end() for m in CLAUSE_START.finditer(text, 0, position)), default=0)
    return bool(NEGATION.search(text[clause_start:position]))


def _in_the_past(text: str, position: int) -> bool:
    """The symptom's own clause places it in the past ("my dad is slurring his words, he had a stroke in
    2019": the slurring is now), and nothing in its sentence brings it back ("... and it is back today")."""
    start = max((m.end() for m in CLAUSE_START.finditer(text, 0, position)), default=0)
    end = next((m.start() for m in CLAUSE_START.finditer(text, position)), len(text))
    return bool(PAST.search(text[start:end])) and not PRESENT.search(sentence_at(text, position))


def _only_asking(text: str, position: int) -> bool:
    """'What are the signs of a stroke?' asks about symptoms; it reports none."""
    sentence = sentence_at(text, position)
    return is_question(sentence) and not FIRST_PERSON.search(sentence)


def _mentions(words: dict[str, list[str]], text: str) -> bool:
    """Any helper word, in any language (see _text_match)."""
    return any(re.search(w, text, re.I) for ws in words.values() for w in ws)


def _reading_flags(readings: list[Reading], text: str, profile: Profile | None,
                   book: RedFlagBook) -> list[RedFlagHit]:
    hits = []
    pregnant = profile is not None and "pregnancy" in profile.conditions or bool(re.search(r"\bpregnan", text, re.I))
    for systolic, diastolic in pair_blood_pressure(readings):
        sys_, dia = systolic.value, diastolic.value
        shown = f"{sys_:g}/{dia:g} mmHg"
        if pregnant and (sys_ >= PREGNANCY_SEVERE_BP[0] or dia >= PREGNANCY_SEVERE_BP[1]):
            hits.append(RedFlagHit(id="pregnancy_bp", level="emergency", passage_id=PREGNANCY_SEVERE_BP[2],
                                   label="severe-range blood pressure in pregnancy", evidence=shown))
        elif pregnant and (sys_ >= PREGNANCY_HIGH_BP[0] or dia >= PREGNANCY_HIGH_BP[1]):
            symptoms = _mentions(book.helpers["bp_symptom"], text)
            hits.append(RedFlagHit(id="pregnancy_bp", level="emergency" if symptoms else "urgent",
                                   passage_id=PREGNANCY_HIGH_BP[2], evidence=shown,
                                   label="high blood pressure in pregnancy"))
        elif sys_ >= SEVERE_BP[0] or dia >= SEVERE_BP[1]:
            if _mentions(book.helpers["bp_symptom"], text):
                hits.append(RedFlagHit(id="severe_bp", level="emergency", passage_id=SEVERE_BP_SYMPTOMS,
                                       label="very high blood pressure with symptoms", evidence=shown))
            else:
                hits.append(RedFlagHit(id="severe_bp", level="urgent", passage_id=SEVERE_BP[2],
                                       label="very high blood pressure", evidence=shown))
    for r in readings:
        if r.indicator in (Indicator.fasting_glucose, Indicator.postprandial_glucose) and r.value < LOW_GLUCOSE_MMOL[0]:
            hits.append(RedFlagHit(id="low_glucose", level="urgent", passage_id=LOW_GLUCOSE_MMOL[1],
                                   label="low glucose (level 2)", evidence=f"{r.value:g} mmol/L"))
    return hits
