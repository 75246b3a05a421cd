"""Small text helpers shared by the rule-based readers of messages (readings, red flags, topics)."""

from __future__ import annotations

import re

# A full stop ends a sentence only before a space or the end: "7.8" and "e.g." stay inside one.
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？\n]")


def sentence_at(text: str, position: int) -> str:
    """The sentence of `text` that contains `position`, with its closing punctuation."""
    start = max((m.end() for m in SENTENCE_END.finditer(text, 0, position)), default=0)
    end = SENTENCE_END.search(text, position)
    return text[start:end.end() if end else len(text)]


def is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith(("?", "？"))


# The words people use for each graded indicator: which finding a message is about, and what "it" meant.
TOPICS = {
    "blood_pressure": r"\bbp\b|blood pressure|pressure|hypertens|systolic|diastolic|\b\d{2,3}/\d{2,3}\b|血压",
    "home_blood_pressure": r"\bbp\b|blood pressure|pressure|home|hypertens|血压",
    "fasting_glucose": r"sugar|glucose|diabet|fasting|血糖", "hba1c": r"a1c|hba1c|sugar|diabet|糖化",
    "ldl_c": r"ldl|cholesterol|lipid|statin|血脂|胆固醇", "total_cholesterol": r"cholesterol|lipid|血脂|胆固醇",
    "hdl_c": r"hdl|cholesterol|血脂", "triglycerides": r"triglycer|\btrigs?\b|lipid|fat|甘油三酯",
    "uric_acid": r"uric|urate|gout|尿酸|痛风", "bmi": r"bmi|weigh|obes|overweight|体重|肥胖",
    "waist": r"waist|belly|weight|腰围",
}
# A reading's numbers ("150/95", "7.8 mmol/L", "6.5%"): in a search query they match passages that quote
# similar numbers (mostly emergencies), so the query carries the finding's meaning instead.
READING_NUMBERS = re.compile(
    r"\b\d{2,3}\s*(?:/|over)\s*\d{2,3}\b"  # blood pressure
    r"|\b\d+(?:\.\d+)?\s*(?:mmhg|mg/dl|mmol/l|mmol/mol|µmol/l|umol/l|%|kg|lbs?|cm)(?![\w/])"  # with a unit
    r"|\b\d+\.\d+\b", re.I)  # a bare decimal: "my sugar was 7.8"


def mentions(indicator: str, text: str) -> bool:
    """Whether `text` talks about the indicator, in the words people use for it."""
    pattern = TOPICS.get(indicator)
    return bool(pattern and re.search(pattern, text, re.I))


def without_numbers(text: str) -> str:
    return " ".join(READING_NUMBERS.sub(" ", text).split())
