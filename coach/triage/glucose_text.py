"""Glucose values in the words of a message, for triage only (nothing here is stored): after a meter's name,
bare in a message about a low, in mg/dL, in Chinese, retested, or said by their level ("readings below 3.0")."""

from __future__ import annotations

import datetime as dt
import re

from coach.models import Indicator, Reading
from coach.triage.readings import _hypothetical_number

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


def lows_said(text: str) -> str | None:
    """Lows said by their level, now ("four readings below 3.0 mmol/L this week"): the words, or None."""
    from coach.text import sentence_at

    said = LOW_SAID.search(text)
    if not said:
        return None
    at = said.start(1) if said.group(1) else said.start(2)
    if _hypothetical_number(text, at) or LONG_AGO.search(sentence_at(text, said.start())):
        return None
    return said.group(0)
