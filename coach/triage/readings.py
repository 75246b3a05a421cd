"""Red flags and triage context from readings: the ones just reported, and numbers the message gives.

Every threshold here is the one its passage states (the passage id sits beside it); a test checks that
each number appears in its passage's text.
"""

from __future__ import annotations

import datetime as dt
import re

from coach.models import Indicator, Profile, Reading, pair_blood_pressure
from coach.triage.models import MatchedConcept, RedFlagHit
from coach.triage.concepts import NUMBER_WORDS  # "nine days ago": the number words triage reads everywhere

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
ZH_NUMERAL = r"(?:[一二两]百(?:[零一二三四五六七八九]十?[一二三四五六七八九]?)?|[五六七八九]十[一二三四五六七八九]?)[几多来]?"
BP_NUMERALS_ZH = re.compile(rf"(?:高压|收缩压|上压|血压|量了?|测了?|都是|是)\D{{0,4}}?({ZH_NUMERAL})[，,/ ]?(?:低压|舒张压|下压)?({ZH_NUMERAL})")
ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def zh_numeral(text: str) -> int:
    """一百八十几 -> 180, 一百九 -> 190, 一百零五 -> 105, 九十五 -> 95 (a trailing 几/多 adds nothing: the floor)."""
    text = text.rstrip("几多来")
    value = 0
    if "百" in text:
        hundreds, text = text.split("百", 1)
        value += ZH_DIGIT[hundreds] * 100
        if len(text) == 1 and text != "零":  # 一百九: ninety
            return value + ZH_DIGIT[text] * 10
        text = text.lstrip("零")
    if "十" in text:
        tens, text = text.split("十", 1)
        value += (ZH_DIGIT[tens] if tens else 1) * 10
    if text:
        value += ZH_DIGIT[text]
    return value
# "two hundred and one over one twenty two", "one ninety over a hundred and ten": a reading said in words
NUMBER_WORD = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
               r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|a)")
SPOKEN = rf"{NUMBER_WORD}(?:[\s-]+(?:and[\s-]+)?{NUMBER_WORD})*"
BP_WORDS_EN = re.compile(rf"\b({SPOKEN})\s+over\s+({SPOKEN})\b", re.I)
UNITS_EN = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                       "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS_EN = {w: 10 * n for n, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}


def spoken_number(text: str) -> int | None:
    """"two hundred and one" -> 201, "one twenty two" -> 122 (said as one-twenty-two), "ninety five" -> 95."""
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w and w != "and"]
    words = ["one" if w == "a" else w for w in words]
    if "hundred" in words:
        i = words.index("hundred")
        head, rest = words[:i], words[i + 1:]
        hundreds = UNITS_EN.get(head[-1], 1) if head else 1
        tail = spoken_number(" ".join(rest)) if rest else 0
        return None if tail is None else hundreds * 100 + tail
    if len(words) >= 2 and words[0] in ("one", "two") and words[1] in TENS_EN:  # one ninety six
        tail = spoken_number(" ".join(words[1:]))
        return None if tail is None else UNITS_EN[words[0]] * 100 + tail
    value = 0
    for w in words:
        if w in TENS_EN and value % 100 == 0:
            value += TENS_EN[w]
        elif w in UNITS_EN and value % 10 == 0:
            value += UNITS_EN[w]
        else:
            return None
    return value


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
    from coach.text import sentence_at

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
        said = LOW_SAID.search(text)
        at = said.start(1) if said and said.group(1) else said.start(2) if said else 0
        if said and not _hypothetical_number(text, at) and not LONG_AGO.search(sentence_at(text, said.start())):
            hits.append(RedFlagHit(id="low_glucose", level="urgent", layer="readings", passage_id=LOW_GLUCOSE_MMOL[1],
                                   label="low glucose (level 2)", evidence=said.group(0)))
    return hits


# A glucose number after a meter's or a sensor's name ("cgm said 2.7", "fingerstick 50 mg/dL", "血糖2.8"):
# triage reads it whether or not the message says fasting or after a meal, and without the words the
# reading parser needs before storing it.
METER_GLUCOSE = re.compile(
    r"(?:cgm|meter|monitor|libre|dexcom|sensor|finger\s?(?:stick|prick)|fingerstick|glucometer|\bbgl?\b|\bbsl?\b|"
    r"\bbms?\b|\bcbgs?\b|\bhypos?\b|"
    r"glucose|sugars?|reading|血糖|血堂|血唐|低血糖|低了|低到|空腹|餐后|指尖|末梢)[^\d/]{0,25}?(?<![\d.])(\d{1,3}(?:[.,]\d)?)(?![\d/]|[.,]\d)\s*"
    r"(mmol(?:/l)?|mg\s*/\s*dl|mg)?", re.I)
# A decimal just measured, in Chinese: "测了2.4", "测过两次都是2.9" (a temperature is 35 or more, a glucose
# with a decimal below it is the common reading; whole numbers are left alone).
MEASURED_ZH = re.compile(r"测(?:了|出|得|的|过)?[^\d，。,.]{0,8}?(?<![\d.])(\d{1,2}[.]\d)(?!\d)\s*(mmol(?:/l)?)?", re.I)
OTHER_MEASURES_ZH = re.compile(r"甘油三酯|胆固醇|血脂|尿酸|糖化|体温|体重|肌酐|血压|hba1c|ldl|hdl", re.I)
# The number before the device: "got 2.7 on my meter", "1.9 on the libre".
METER_GLUCOSE_AFTER = re.compile(
    r"(?<![\d./])(\d{1,3}(?:[.,]\d)?)(?![\d/]|[.,]\d)\s*(mmol(?:/l)?|mg\s*/\s*dl)?\s+(?:on|from|according to)\s+"
    r"(?:my|the|his|her|their|our|mum's|dad's)?\s*(?:cgm|meter|monitor|libre|dexcom|sensor|glucometer|finger\s?prick)",
    re.I)


def _asks_about_a_number(text: str, position: int) -> bool:
    from coach.text import asks_something, sentence_at
    from coach.triage.concepts import EXPERIENCER

    sentence = sentence_at(text, position)
    return asks_something(sentence) and not EXPERIENCER.search(sentence)


# A low written bare in a message about a low ("2.7 when I woke up, had 4 dextrose"; "lowest was 2.8"): with
# a hypo or its treatment named, a decimal under 4 is a glucose in mmol/L.
HYPO_TALK = re.compile(r"\bhypo|\b(?:dropping|drops|dropped|drop|down|fell|falls|falling|going)\s+to\b|dextrose|glucose\s*(?:tabs?|tablets?|gel)|jelly\s*(?:babies|beans)|lucozade|"
                       r"\bjuice\b|\bsweets\b|skittles|haribo|glucogel|glucagon|\bsugar\b|低血糖|糖块|糖果|葡萄糖", re.I)
BARE_LOW = re.compile(r"(?<![\d./:,])([0-3][.,]\d)(?![\d/]|[.,]\d)")
LONG_AGO = re.compile(r"\b(?:ago|(?<!the )last\s+(?:week|month|year|summer|winter)|years?\s+back|in\s+(?:19|20)\d\d)\b|年前|去年|上个月", re.I)
# A glucose in mg/dL without a glucose word ("waking up at 45-50 mg/dL"): the unit says what it is, unless
# a lipid or another lab is named just before it.
MG_DL = re.compile(r"(?<![\d./])(\d{2,3})(?:\s*(?:-|–|to)\s*\d{2,3})?\s*(mg\s*/\s*dl)", re.I)
OTHER_MEASURES_EN = re.compile(r"cholesterol|\bldl|\bhdl|triglycer|\btrigs?\b|lipid|uric|urate|creatinine|a1c", re.I)
# Lows said by their level rather than a number ("four readings below 3.0 mmol/L", "hypos under 3"): the
# passage's level 2, said in words.
LOW_SAID = re.compile(r"\b(?:readings?|sugars?|glucose|levels?|bgs?|cbgs?|bms?|lows?|hypos?|numbers|results|bsl|"
                      r"episodes?|events?|values?|times)\b"
                      r"[^.\d]{0,20}?(?:\b(?:below|under|less than|lower than)|<)\s*(3(?:[.,]0)?|54)(?![\d.,]\d)|"
                      r"(?:血糖|低血糖|cgm|监测|指尖|末梢)[^。]{0,8}?(?:<|＜|低于|小于|不到|低过)\s*(3(?:[.,]0)?)(?![\d.,]\d)", re.I)
# A glucose measured again ("fingers were wet, dried them and retested: 6.8"): the repeat counts.
RETEST = re.compile(r"\bre-?(?:test|check|do|did|done)\w*|\b(?:tested|checked|pricked|did it|done it)\s+again\b|"
                    r"\bwashed\s+(?:my\s+|his\s+|her\s+)?hands\b|\bdried\s+(?:them|my|his|her)\b|"
                    r"\b(?:second|another|new)\s+(?:reading|test|check|finger\s*prick)\b|重新测|再测|复测|洗手", re.I)


def glucose_in_text(text: str, now: dt.datetime) -> list[Reading]:
    """Glucose values in the message, in mmol/L, for triage only (nothing here is stored)."""
    from coach.profile.parse import parse_readings
    from coach.text import sentence_at

    found: list[tuple[int, Reading]] = []
    for r in parse_readings(text, now, glucose_context="fasting").readings:
        at = max(0, text.find(f"{r.value:g}"))
        if r.indicator == Indicator.fasting_glucose and not _hypothetical_number(text, at):
            found.append((at, r))
    seen = {round(r.value, 1) for _, r in found}
    zh = [m for m in MEASURED_ZH.finditer(text) if float(m.group(1)) < 35
          and not OTHER_MEASURES_ZH.search(text[max(0, m.start() - 8):m.end(1)])]
    bare = [m for m in BARE_LOW.finditer(text) if HYPO_TALK.search(text)
            and not LONG_AGO.search(sentence_at(text, m.start(1)))]
    mg = [m for m in MG_DL.finditer(text) if not OTHER_MEASURES_EN.search(text[max(0, m.start() - 30):m.start()])]
    for m in [*METER_GLUCOSE.finditer(text), *METER_GLUCOSE_AFTER.finditer(text), *zh, *bare, *mg]:
        before = text[max(0, m.start(1) - 12):m.start(1)].lower()
        after = text[m.end(1):m.end(1) + 12].lower()
        if re.search(r"level|type|grade|stage|step|class|week|day|hour|minute|min|x\s*$|times", before) or \
                re.match(r"\s*(?:years?|yrs?|months?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?|times|x\b|units?|"
                         r"tablets?|pills?|kids?|children|am\b|pm\b|kg|g\b|litres?|liters?|l\b|ml|mg\b(?!\s*/\s*dl)|%|km|miles?|"
                         r"年|个月|周|天|次|小时|分钟|岁)", after) or \
                _hypothetical_number(text, m.start(1)):
            continue  # "level 2 hypoglycaemia", "type 1", "a hypo ... 2 years ago", "what glucose is too low?",
            # "如果我血糖低到2点几"
        value, unit = float(m.group(1).replace(",", ".")), (m.group(2) or "").lower() if m.re is not BARE_LOW else ""
        mmol = value / 18.016 if unit.startswith("mg") or (not unit and value >= 35) else value
        if 0.5 <= mmol <= 60 and round(mmol, 1) not in seen:
            seen.add(round(mmol, 1))
            found.append((m.start(1), Reading(indicator=Indicator.fasting_glucose, value=round(mmol, 2), unit="mmol/L",
                                              measured_at=now, source="chat")))
    retests = [m.end() for m in RETEST.finditer(text)]
    if retests and found and not any(at > retests[-1] for at, _ in found):
        # The repeat given bare: "dried them and retested, 6.8"
        repeat = re.match(r"[^\d]{0,15}?(?<![\d.])(\d{1,2}[.,]\d)(?![\d/]|[.,]\d)", text[retests[-1]:])
        if repeat:
            found.append((retests[-1] + repeat.start(1), Reading(
                indicator=Indicator.fasting_glucose, value=float(repeat.group(1).replace(",", ".")), unit="mmol/L",
                measured_at=now, source="chat")))
    if retests and any(at > retests[-1] for at, _ in found):
        found = [(at, r) for at, r in found if at > retests[-1]]
    return [r for _, r in sorted(found, key=lambda f: f[0])]
