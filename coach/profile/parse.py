"""Readings people mention in chat ("my BP this morning was 152/96", "fasting sugar 7.8") -> Readings.

Deterministic patterns, English first; other languages add their own vocabulary tables. What cannot be
stored is returned as a problem to tell the person, never silently dropped or guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from coach.models import CANONICAL_UNITS, Indicator, Reading
from coach.text import is_question, sentence_at
from coach.units import ReadingError, check_blood_pressure, normalise_unit, to_canonical

# "1,200" is twelve hundred; "1,2" and "7.8" are decimals.
NUMBER = r"(\d{1,3}(?:,\d{3})+(?!\d)|\d{1,4}(?:[.,]\d{1,2})?(?!\d))"
UNIT = r"\s*(mmol\s*/\s*l|mg\s*/\s*dl|[uµμ]mol\s*/\s*l|mmol\s*/\s*mol|%|kg|lbs?|pounds?|cm|inch(?:es)?|in\b)?"
GAP = r"[^\d\n]{0,30}?"  # words between the name and the number ("this morning was")

BP = re.compile(r"(?<![\d/.])(\d{2,3})\s*(?:/|over)\s*(\d{2,3})(?![\d/])\s*(mm\s*hg)?", re.I)
# Chinese words carry no \b (a Chinese character is a word character, so "血压是150" has no boundary).
BP_WORDS = re.compile(r"\b(bp|blood\s*pressure|pressure|reading|mm\s*hg|systolic|diastolic|top number|cuff|machine|omron)\b"
                      r"|血压|高压|低压|毫米汞柱", re.I)

# (indicator or 'glucose', pattern for its name). Glucose is split into fasting / after a meal below.
NAMED: list[tuple[str, re.Pattern]] = [
    ("hba1c", re.compile(r"\b(?:hb\s*a1c|a1c|glycated ha?emoglobin)\b|糖化血红蛋白|糖化", re.I)),
    ("glucose", re.compile(r"\b(?:blood\s*)?(?:sugar|glucose|bg)\b|血糖", re.I)),
    ("ldl_c", re.compile(r"\b(?:ldl(?:-c)?|bad cholesterol)\b|低密度脂蛋白(?:胆固醇)?", re.I)),
    ("hdl_c", re.compile(r"\b(?:hdl(?:-c)?|good cholesterol)\b|高密度脂蛋白(?:胆固醇)?", re.I)),
    ("total_cholesterol", re.compile(r"\b(?:total cholesterol|cholesterol total|tc)\b|总胆固醇", re.I)),
    ("triglycerides", re.compile(r"\b(?:triglycerides?|trigs?|tg)\b|甘油三酯", re.I)),
    ("uric_acid", re.compile(r"\b(?:uric acid|urate|ua)\b|尿酸", re.I)),
    # "can't put weight on it" is a load on a limb, not the body's weight
    ("weight", re.compile(r"\b(?:weight(?!\s+(?:on|bearing)\b)(?!-bearing)|weigh(?:s|ed)?)\b|体重", re.I)),
    ("waist", re.compile(r"\bwaist(?: size| circumference)?\b|腰围", re.I)),
    ("heart_rate", re.compile(r"\b(?:pulse|heart\s*rate|hr)\b|心率|脉搏", re.I)),
]
FASTING = re.compile(r"\b(fasting|fasted|before breakfast|empty stomach|on waking)\b|空腹|早餐前|早饭前", re.I)
AFTER_MEAL = re.compile(r"\b(after (?:a |my )?(?:meal|eating|lunch|dinner|breakfast)|post[- ]?(?:meal|prandial)|"
                        r"\d\s*h(?:ours?|rs?)? after)\b|餐后|饭后", re.I)
# A glucose without "fasting" or "after a meal" is not guessed: the person is asked, and the answer is read
# with the previous message (clarified_glucose).
ASK_GLUCOSE_CONTEXT = "was it fasting or after a meal? Tell me and I'll record it."
GlucoseContext = Literal["fasting", "after_meal"]
# Without a unit, a value's size says which unit the person used (7.8 is mmol/L, 140 is mg/dL).
UNITLESS: dict[str, tuple[float, str, str]] = {
    "glucose": (35, "mmol/L", "mg/dL"), "ldl_c": (20, "mmol/L", "mg/dL"), "hdl_c": (5, "mmol/L", "mg/dL"),
    "total_cholesterol": (20, "mmol/L", "mg/dL"), "triglycerides": (30, "mmol/L", "mg/dL"),
    "uric_acid": (25, "mg/dL", "µmol/L"), "hba1c": (20, "%", "mmol/mol"), "weight": (1000, "kg", "kg"),
    "waist": (60, "in", "cm"), "heart_rate": (1000, "bpm", "bpm"),
}


# What makes the number after a reading's name something else: a duration, a count or a dose ("sugar 2 hours
# after dinner was 9.1", "weight 80 after 10 days", "uric acid 480 for 3 years") or an age ("a1c target at age
# 50", "I'm 45"); a target ("my sugar target is 7") is not a reading either, and a name's value is in its own
# sentence ("What should my A1c be? I'm 45" gives no HbA1c).
NOT_A_READING_AFTER = re.compile(
    r"\s*(?:-\s*\d+\s*)?(?:years?|yrs?|y/?o|months?|mos?|weeks?|wks?|days?|nights?|hours?|hrs?|h|minutes?|mins?|"
    r"times?|x|tablets?|tabs?|pills?|capsules?|units?|iu|doses?|mg(?!\s*/)|mcg|µg|grams?|g|servings?|cups?|"
    r"glasses?|cans?|bottles?|pints?|steps?|flights?|kcal|calories|cigarettes?)\b|\s*(?:岁|年|个月|月|周|天|小时|分钟|次|片|粒|单位|杯|瓶)",
    re.I)
# "at" is not an age on its own: "fasting glucose at 3.1" is a reading ("at age 50" has "age").
AGE_BEFORE = re.compile(r"(?:\bage[ds]?|\baged|\bi'?m|\bi am|\bhe'?s|\bshe'?s|\bhe is|\bshe is|\bturn(?:ed|s|ing)?)\s*$"
                        r"|年龄|今年", re.I)
# "my weight went up 3 kg", "lost 5 kg": a change, not a reading ("dropped to 3.2" is one).
CHANGE_BEFORE = re.compile(r"\b(?:up|down|gained|gain(?:ing)?|lost|los(?:e|ing)|dropped|dropping|fell|rose|risen|"
                           r"increased|decreased|reduced|by)\s*$|(?:增加|减少|降了|升了|涨了|少了|多了|瘦了|胖了)$", re.I)
TARGET_WORDS = re.compile(r"\b(?:targets?|goals?|aim(?:ing)?|cut-?offs?|thresholds?|limits?)\b|目标|控制在|达标", re.I)
SENTENCE_END = re.compile(r"[.?!;。？！；]")


VALUE = re.compile(GAP + NUMBER + UNIT, re.I)  # a name's value: words, then the number and its unit


def _value_after(text: str, start: int) -> re.Match | None:
    """The number (and unit) that is this name's value: the first after it in the same sentence that is not a
    duration, a count, a dose or an age; None when the words between name a target."""
    at = start
    for _ in range(3):
        number = VALUE.match(text, at)
        if not number:
            return None
        gap = text[start:number.start(1)]
        if SENTENCE_END.search(gap) or TARGET_WORDS.search(gap) or CHANGE_BEFORE.search(gap):
            return None
        if number.group(2) is None and (NOT_A_READING_AFTER.match(text, number.end(1))
                                        or AGE_BEFORE.search(text[at:number.start(1)])):
            at = number.end(1)  # "2 hours after dinner was 9.1": the value comes later
            continue
        return number
    return None


FIRST_PERSON = re.compile(r"\b(my|i|i'?m|i'?ve|me|mine|we|our|today|yesterday|this morning|last night|got|was)\b"
                          r"|我|今天|昨天|今早|早上|晚上|刚才|测", re.I)


def _about_a_threshold(text: str, position: int) -> bool:
    """'Is 130/80 good?' asks about a number; 'my bp is 150/95, is that high?' reports one."""
    sentence = sentence_at(text, position)
    return is_question(sentence) and not FIRST_PERSON.search(sentence)


class ParsedReadings(BaseModel):
    readings: list[Reading] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="What could not be stored, and why")


def parse_readings(text: str, now: dt.datetime, glucose_context: GlucoseContext | None = None) -> ParsedReadings:
    """The readings in `text`. `glucose_context` says what a glucose without "fasting" or "after a meal" was
    (the person's answer to the coach's question about it); without it such a glucose is asked about."""
    out = ParsedReadings()
    when = _when(text, now)
    taken: list[tuple[int, int]] = []
    if BP_WORDS.search(text) or re.search(r"\d{2,3}\s*(?:/|over)\s*\d{2,3}\s*mm\s*hg", text, re.I):
        for match in BP.finditer(text):
            taken.append(match.span())
            if _about_a_threshold(text, match.start()):
                continue
            try:
                systolic, diastolic = check_blood_pressure(int(match.group(1)), int(match.group(2)))
            except ReadingError as exc:
                out.problems.append(str(exc))
                continue
            for indicator, value in ((Indicator.systolic_bp, systolic), (Indicator.diastolic_bp, diastolic)):
                out.readings.append(Reading(indicator=indicator, value=value, unit="mmHg", measured_at=when,
                                            entered_value=value, entered_unit="mmHg", source="chat",
                                            context=_bp_context(text)))
    for name, pattern in NAMED:
        for match in pattern.finditer(text):
            number = _value_after(text, match.end())
            if not number or any(a <= number.start(1) < b for a, b in taken):
                continue
            if _about_a_threshold(text, number.start(1)):
                continue
            taken.append(number.span())
            raw = number.group(1)
            raw = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw) else raw.replace(",", ".")
            _add(out, name, raw, number.group(2), text, when, glucose_context)
    return out


def clarified_glucose(asked: str, answer: str, now: dt.datetime) -> list[Reading]:
    """The glucose values the previous message (`asked`) gave without saying fasting or after a meal, now that
    `answer` says which ("it was fasting, before breakfast"): what the coach promised to record when told.

    Nothing when the answer gives no context, is itself a question ("should I be fasting for it?") or gives
    a glucose of its own, or when the previous message had no glucose waiting for one."""
    glucose = (Indicator.fasting_glucose, Indicator.postprandial_glucose)
    context = _glucose_context(answer)
    if context is None or is_question(answer) or not any(p.endswith(ASK_GLUCOSE_CONTEXT)
                                                         for p in parse_readings(asked, now).problems):
        return []
    if any(r.indicator in glucose for r in parse_readings(answer, now).readings):
        return []  # a new glucose of its own ("fasting sugar 6.1 today"): which one the context is for is unclear
    return [r for r in parse_readings(asked, now, context).readings if r.indicator in glucose]


def _glucose_context(text: str) -> GlucoseContext | None:
    if FASTING.search(text):
        return "fasting"
    if AFTER_MEAL.search(text):
        return "after_meal"
    return None


def _add(out: ParsedReadings, name: str, raw: str, unit: str | None, text: str, when: dt.datetime,
         glucose_context: GlucoseContext | None = None) -> None:
    value = float(raw)
    if unit:
        unit = normalise_unit(re.sub(r"\s+", "", unit))
        unit = {"pound": "lb", "pounds": "lb", "lbs": "lb", "inch": "in", "inches": "in"}.get(unit, unit)
    else:
        limit, small, large = UNITLESS[name]
        unit = small if value < limit else large
    context = None
    if name == "glucose":
        context = _glucose_context(text) or glucose_context
        if context is None:
            out.problems.append(f"glucose {raw} {unit}: {ASK_GLUCOSE_CONTEXT}")
            return
        indicator = Indicator.fasting_glucose if context == "fasting" else Indicator.postprandial_glucose
    else:
        indicator = Indicator(name)
    try:
        canonical = to_canonical(indicator, value, unit)
    except ReadingError as exc:
        out.problems.append(str(exc))
        return
    out.readings.append(Reading(indicator=indicator, value=canonical, unit=CANONICAL_UNITS[indicator],
                                measured_at=when, entered_value=value, entered_unit=unit, source="chat",
                                context=context))


def _bp_context(text: str) -> str | None:
    if re.search(r"\b(clinic|doctor'?s?|gp|office|surgery|hospital|nurse)\b|医院|诊所|医生|体检", text, re.I):
        return "office"
    if re.search(r"\b(home|at home|my (?:own )?(?:machine|monitor|cuff))\b|在家|家里|家用", text, re.I):
        return "home"
    return None


DAY_WORDS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
             "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
DAYS_AGO = re.compile(r"\b(\d{1,2}|one|a|two|three|four|five|six|seven)\s+days?\s+ago\b|(\d{1,2}|[一两二三四五六七])天前")


def _when(text: str, now: dt.datetime) -> dt.datetime:
    """'this morning', 'last night', 'yesterday', 'N days ago'; otherwise now."""
    lowered = text.lower()
    day = now
    if match := DAYS_AGO.search(lowered):
        count = match.group(1) or match.group(2)
        day = now - dt.timedelta(days=int(count) if count.isdigit() else DAY_WORDS[count])
    elif any(w in lowered for w in ("yesterday", "last night", "昨天", "昨晚")):
        day = now - dt.timedelta(days=1)
    if "morning" in lowered or any(w in lowered for w in ("早上", "今早", "上午")):
        return day.replace(hour=8, minute=0, second=0, microsecond=0) if day.date() != now.date() or now.hour >= 8 \
            else day
    if any(w in lowered for w in ("last night", "evening", "tonight", "晚上", "昨晚")):
        return day.replace(hour=21, minute=0, second=0, microsecond=0) if day.date() != now.date() or now.hour >= 21 \
            else day
    return day
