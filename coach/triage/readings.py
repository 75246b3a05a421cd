"""Red flags and triage context from readings: the ones just reported, and numbers the message gives.

Every threshold here is the one its passage states (the passage id sits beside it); a test checks that
each number appears in its passage's text.
"""

from __future__ import annotations

import re

from coach.models import Indicator, Profile, Reading, pair_blood_pressure
from coach.triage.models import MatchedConcept, RedFlagHit
from coach.triage.concepts import NUMBER_WORDS  # "nine days ago": the number words triage reads everywhere
from coach.triage.spoken_numbers import SPOKEN, ZH_NUMERAL, spoken_number, zh_numeral

SEVERE_BP = (180, 120, "emergency-red-flags#severe-bp-without-symptoms")
PREGNANCY_SEVERE_BP = (160, 110, "emergency-red-flags#pregnancy-high-bp")
PREGNANCY_HIGH_BP = (140, 90, "emergency-red-flags#pregnancy-high-bp")
POSTPARTUM_PASSAGE = "emergency-red-flags#postpartum-high-bp"
POSTPARTUM_DAYS = (42, POSTPARTUM_PASSAGE)  # "within 6 weeks after birth"
LOW_GLUCOSE_MMOL = (3.0, "dm-ada-glycemic-targets#hypoglycemia-levels")  # level 2: below 54 mg/dL
HIGH_GLUCOSE_MMOL = (13.9, "dm-sick-days-dka-hhs#when-to-test-ketones")  # 250 mg/dL: check ketones
GLUCOSE_BACK_UP_MMOL = (3.9, "dm-ada-glycemic-targets#hypoglycemia-levels")  # level 1 starts below 70 mg/dL
PEAK_FLOW_SEVERE_PERCENT = (50, "emergency-general#severe-asthma")  # GINA: at or below 50% of best is severe

# A blood pressure written bare ("worst headache, flashing lights, 158/104"): triage reads it even where
# the reading parser, which stores what it reads, wants "bp" or "mmHg" beside it.
BARE_BP = re.compile(r"(?<![\d/.])([12]\d{2}|[89]\d)\s*/\s*(\d{2,3})(?![\d/]|\.\d)")
# 高压198低压120: the two numbers named by the words for systolic and diastolic
BP_WORDS_ZH = re.compile(r"(?:高压|收缩压|上压)\D{0,3}?(\d{2,3})\D{0,6}?(?:低压|舒张压|下压)\D{0,3}?(\d{2,3})")
# 一百八十几一百二十几, 高压一百九低压一百一: a reading in Chinese numerals, systolic then diastolic
BP_NUMERALS_ZH = re.compile(rf"(?:高压|收缩压|上压|血压|量了?|测了?|都是|是)\D{{0,4}}?({ZH_NUMERAL})[，,/ ]?(?:低压|舒张压|下压)?({ZH_NUMERAL})")
# "two hundred and one over one twenty two", "one ninety over a hundred and ten": a reading said in words
BP_WORDS_EN = re.compile(rf"\b({SPOKEN})\s+over\s+({SPOKEN})\b", re.I)
DAYS_AGO = re.compile(r"(\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s*"
                      r"(day|days|week|weeks|wk|wks|month|months|mo)\b|(\d+)\s*(天|周|星期|个月|月)", re.I)


# A peak flow and the person's best or predicted ("peak flow 150, my best is 480"; "PEFR 180 (best 450)")
PEAK_FLOW = re.compile(r"\b(?:peak\s*flows?|pefr?|pf)\b[^\d]{0,20}?(?<![\d.])(\d{2,3})(?!\d)", re.I)
PEAK_BEST = re.compile(r"\b(?:best|normal|usual|personal\s+best|pb|predicted|baseline|normally|usually)\b[^\d]{0,15}?"
                       r"(?<![\d.])(\d{2,3})(?!\d)|(?<![\d.])(\d{2,3})(?!\d)\s*(?:is|'s)?\s*(?:my|his|her|their)?\s*"
                       r"(?:best|normal|usual|personal best|predicted)\b", re.I)


PEAK_PERCENT = re.compile(r"\b(?:peak\s*flows?|pefr?)\b|峰流速", re.I)
PERCENT_AFTER = re.compile(r"\D{0,8}?(?:<|＜|below|under|only|about|around|低于)?\s*(\d{1,3})\s*%")


def peak_flow_percent(text: str) -> float | None:
    """A peak flow as a percentage of the best or predicted value the message gives ("peak flow 150, my best
    is 480"; "PEF <30% predicted"), or None."""
    named = PEAK_PERCENT.search(text)
    given = PERCENT_AFTER.match(text, named.end()) if named else None
    if given:
        return float(given.group(1))
    flow, best = PEAK_FLOW.search(text), PEAK_BEST.search(text)
    if not flow or not best:
        return None
    value, top = int(flow.group(1)), int(best.group(1) or best.group(2))
    if top == value or not 50 <= top <= 900:
        return None
    return 100 * value / top


# "what should he do if a reading is 190/120", "Is 180/120 always an emergency?": a number asked about.
IF_CLAUSE = re.compile(r"\b(?:if|whether|suppose|supposing|imagine|asks?|asking(?!\s+(?:cos|coz|cuz|because|as|since|bc)\b)|"
                       r"wonder\w*|what happens)\b|如果|万一|假如", re.I)


def _hypothetical_number(text: str, position: int) -> bool:
    from coach.text import sentence_at

    sentence = sentence_at(text, position)
    before = sentence[: max(0, sentence.find(text[position:position + 7]))] if text[position:position + 7] in sentence \
        else sentence
    return _asks_about_a_number(text, position) or bool(IF_CLAUSE.search(before))


def blood_pressures(readings: list[Reading], text: str, concepts: list[MatchedConcept] | None = None
                    ) -> list[tuple[float, float]]:
    """The blood pressures the message reports now. A reading said as history ("190/110 back in March"), as
    a condition or a question is not one; of a reading and its repeat ("201/130 ... redid it after 5 minutes
    sat down: 128/79") the repeat counts, as the passage on very high readings asks (rest and measure again)."""
    pairs = []
    for s, d in pair_blood_pressure(readings):
        at = text.find(f"{s.value:g}")
        if at >= 0 and _hypothetical_number(text, at):
            continue
        pairs.append((s.value, d.value))
    if not pairs:
        for m in [*BARE_BP.finditer(text), *BP_WORDS_ZH.finditer(text), *BP_NUMERALS_ZH.finditer(text),
                  *BP_WORDS_EN.finditer(text)]:
            if _hypothetical_number(text, m.start()):
                continue  # "is 180/120 dangerous?" asks about a threshold
            read = {BP_NUMERALS_ZH: zh_numeral, BP_WORDS_EN: spoken_number}.get(m.re, int)
            systolic, diastolic = read(m.group(1)), read(m.group(2))
            if systolic is None or diastolic is None:
                continue
            if 70 <= systolic <= 300 and 30 <= diastolic <= 200 and diastolic < systolic:
                pairs.append((systolic, diastolic))
    return _reported_now(pairs, concepts or [])


def _reported_now(pairs: list[tuple[float, float]], concepts: list[MatchedConcept]) -> list[tuple[float, float]]:
    said = [c for c in concepts if c.concept == "bp_value" and c.language == "en"]
    if not said:
        return pairs
    at = {pair: [c for c in said if re.match(rf"{pair[0]:g}\b", c.words)] for pair in pairs}
    # History, a condition, a question or a denial: not a reading now
    kept = [p for p in pairs if not at[p] or any(c.status in ("reported", "resolved") for c in at[p])]
    repeats = [c.start for c in concepts if c.concept == "remeasured" and c.language == "en"]
    if repeats and len(kept) > 1:
        last = max(repeats)
        after = [p for p in kept if any(c.start > last for c in at[p])]
        if after:
            kept = after
    return kept


def contexts(profile: Profile | None, concepts: list[MatchedConcept], readings: list[Reading], text: str) -> set[str]:
    """What the flags' `needs` may ask for, from the profile, the message's concepts and the readings."""
    out: set[str] = set()
    conditions = set(profile.conditions) if profile else set()
    said = {m.concept for m in concepts if m.status in ("reported", "resolved", "historical")}
    if conditions & {"diabetes", "prediabetes"} or said & {"diabetes_mention", "diabetes_medicine", "hypo_words"}:
        out.add("diabetes")
    glucose = [r.value for r in readings if r.indicator in (Indicator.fasting_glucose, Indicator.postprandial_glucose)]
    if any(v < LOW_GLUCOSE_MMOL[0] for v in glucose):
        out.add("glucose_low")
    if any(v >= HIGH_GLUCOSE_MMOL[0] for v in glucose):
        out.add("glucose_high")
    if "diabetes" in out or "glucose_low" in out or "hypo_words" in said:
        out.add("low_or_diabetes")
    if "pregnancy" in conditions or "pregnant" in said:
        out.add("pregnancy")
    if any(m.concept == "postpartum" and m.status != "negated" and _within_weeks(m, text) for m in concepts):
        out.add("postpartum")
    if out & {"pregnancy", "postpartum"}:
        out.add("pregnant_or_postpartum")
    pressures = blood_pressures(readings, text, concepts)
    for systolic, diastolic in pressures:
        if systolic >= SEVERE_BP[0] or diastolic >= SEVERE_BP[1]:
            out.add("bp_severe")
        if systolic >= PREGNANCY_HIGH_BP[0] or diastolic >= PREGNANCY_HIGH_BP[1]:
            out.add("bp_high")
    percent = peak_flow_percent(text)
    if percent is not None and percent <= PEAK_FLOW_SEVERE_PERCENT[0]:
        out.add("peak_flow_severe")
    # A reading given, and not high: "through the roof. Not literally, I checked, 124/80"; "sugars 8-9"
    if pressures and "bp_high" not in out:
        out.add("bp_not_high")
    if glucose and "glucose_high" not in out and "glucose_low" not in out:
        out.add("glucose_not_high")
    # A low treated and back up: "3.7 before lunch, took glucose tablets, 15 minutes later 5.8"
    if len(glucose) >= 2 and min(glucose[:-1]) < GLUCOSE_BACK_UP_MMOL[0] <= glucose[-1]:
        out.add("glucose_back_up")
    return out


def _within_weeks(mention: MatchedConcept, text: str) -> bool:
    """A birth within the last 6 weeks: "had my baby 9 days ago" yes, "my son was born 3 years ago" no; a
    birth with no time given counts (asking costs less than missing postpartum preeclampsia)."""
    sentence = mention.sentence or text
    # "my son was born 3 years ago", "孩子3岁了": not recent; "a 29-year-old woman", "29岁产妇" is the mother's age
    if re.search(r"\b(?:years?|yrs?)\b(?![- ]old)|年前|岁(?!的?(?:产妇|孕妇|女性|女士|女|妈妈|宝妈|初产妇|经产妇|患者))",
                 sentence, re.I):
        return False
    for m in DAYS_AGO.finditer(sentence):
        number = m.group(1) or m.group(3)
        unit = (m.group(2) or m.group(4)).lower()
        n = int(number) if number.isdigit() else NUMBER_WORDS.get(number.lower(), 1)
        days = n * (30 if unit.startswith(("mo", "个月", "月")) else 7 if unit.startswith(("w", "周", "星期")) else 1)
        return days <= POSTPARTUM_DAYS[0]
    return True


def reading_flags(readings: list[Reading], text: str, ctx: set[str], concepts: list[MatchedConcept] | None = None
                  ) -> list[RedFlagHit]:
    """Urgent flags a reading raises on its own; with symptoms, flags.yaml raises them to emergencies."""
    from coach.triage.glucose_text import lows_said  # it reads numbers with this module's rules

    hits = []
    pregnant = "pregnant_or_postpartum" in ctx
    # After birth, the postpartum passage; in pregnancy, ACOG's (160/110 and 140/90 are in both).
    passage_high = POSTPARTUM_PASSAGE if "postpartum" in ctx and "pregnancy" not in ctx else PREGNANCY_HIGH_BP[2]
    for systolic, diastolic in blood_pressures(readings, text, concepts):
        shown = f"{systolic:g}/{diastolic:g} mmHg"
        if pregnant and (systolic >= PREGNANCY_SEVERE_BP[0] or diastolic >= PREGNANCY_SEVERE_BP[1]):
            hits.append(RedFlagHit(id="pregnancy_bp", level="emergency", layer="readings", evidence=shown,
                                   passage_id=passage_high,
                                   label="severe-range blood pressure in pregnancy or after birth"))
        elif pregnant and (systolic >= PREGNANCY_HIGH_BP[0] or diastolic >= PREGNANCY_HIGH_BP[1]):
            hits.append(RedFlagHit(id="pregnancy_bp", level="urgent", layer="readings", evidence=shown,
                                   passage_id=passage_high, label="high blood pressure in pregnancy or after birth"))
        elif systolic >= SEVERE_BP[0] or diastolic >= SEVERE_BP[1]:
            hits.append(RedFlagHit(id="severe_bp", level="urgent", layer="readings", evidence=shown,
                                   passage_id=SEVERE_BP[2], label="very high blood pressure"))
    for r in readings:
        if r.indicator in (Indicator.fasting_glucose, Indicator.postprandial_glucose) and r.value < LOW_GLUCOSE_MMOL[0]:
            hits.append(RedFlagHit(id="low_glucose", level="urgent", layer="readings", passage_id=LOW_GLUCOSE_MMOL[1],
                                   label="low glucose (level 2)", evidence=f"{r.value:g} mmol/L"))
            break
    else:
        said = lows_said(text)
        if said:
            hits.append(RedFlagHit(id="low_glucose", level="urgent", layer="readings", passage_id=LOW_GLUCOSE_MMOL[1],
                                   label="low glucose (level 2)", evidence=said))
    return hits

def _asks_about_a_number(text: str, position: int) -> bool:
    from coach.text import asks_something, sentence_at
    from coach.triage.concepts import EXPERIENCER, ZH_REPORT

    sentence = sentence_at(text, position)
    if ZH_REPORT.search(sentence) or re.search(r"[我他她]", sentence):
        return False  # "今天体检顺便量了个血压186/122…还好吧？" reports it
    return asks_something(sentence) and not EXPERIENCER.search(sentence)

