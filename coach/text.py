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


# What makes an English sentence ending in "?" a question about something rather than alarm: "bp 201/123??"
# says a reading with alarm, "is 201/123 too high?" asks about it.
QUESTION_WORDS = re.compile(
    r"\b(?:what|whats|how|why|when|which|who|where|is|are|was|were|am|do|does|did|can|could|should|would|will|"
    r"shall|may|might|normal|ok|okay|bad|dangerous|safe|good|fine|high|low|serious|worry|worried|mean|means|right|"
    r"too|enough|any|anyone|anybody|or|isnt|arent|shouldnt|cant|wont)\b", re.I)


def asks_something(sentence: str) -> bool:
    """A question, and not a statement with a "?" of alarm after it ("bp 201/123?? feel fine tho")."""
    if not is_question(sentence):
        return False
    return bool(re.search(r"[\u4e00-\u9fff]", sentence)) or bool(QUESTION_WORDS.search(sentence))


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


# Numbers with a unit that no reading has: a dose, a duration, a count ("360 mg", "10 days", "2 tablets").
OTHER_NUMBERS = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|grams?|units?|iu|ml|days?|weeks?|wks?|months?|"
                           r"years?|yrs?|hours?|hrs?|h|minutes?|mins?|tablets?|pills?|times?|x|cups?|glass(?:es)?|"
                           r"drinks?|servings?|steps?|kcal|calories)\b|\d+\s*(?:毫克|克|天|周|个月|年|小时|片|粒|次|杯)",
                           re.I)


def without_other_numbers(text: str) -> str:
    return " ".join(OTHER_NUMBERS.sub(" ", text).split())


# The guidelines are written in English: a question in Chinese ("中风有哪些症状？") shares no word with them.
# These Chinese terms, for what the guidelines cover, add their English words to what is searched and to
# the words quotes are chosen by ("stroke symptoms signs"); the person's message itself is not changed, and
# triage and readings keep their own Chinese patterns. Small and hand-written on purpose: a longer term
# wins over one inside it (高血压 over 血压), and single characters are left out (盐 is also in 盐酸).
CHINESE_TERMS = {
    "中风": "stroke", "脑卒中": "stroke", "卒中": "stroke", "心梗": "heart attack", "心肌梗死": "heart attack",
    "心脏病": "heart disease", "胸痛": "chest pain", "胸口痛": "chest pain", "头痛": "headache",
    "症状": "symptoms signs", "征兆": "warning signs", "迹象": "signs", "急救": "emergency",
    "高血压": "high blood pressure hypertension", "血压": "blood pressure", "低血压": "low blood pressure",
    "糖尿病": "diabetes", "血糖": "blood glucose sugar", "低血糖": "low glucose hypoglycaemia",
    "空腹": "fasting", "餐后": "after meals", "糖化血红蛋白": "HbA1c",
    "胆固醇": "cholesterol", "血脂": "blood lipids cholesterol", "甘油三酯": "triglycerides",
    "低密度脂蛋白": "LDL cholesterol", "他汀": "statin",
    "尿酸": "uric acid urate", "高尿酸": "high uric acid hyperuricaemia", "痛风": "gout",
    "肥胖": "obesity", "超重": "overweight", "体重": "weight", "减肥": "weight loss", "腰围": "waist",
    "食盐": "salt", "限盐": "salt reduction", "饮食": "diet eating", "运动": "exercise physical activity",
    "吸烟": "smoking", "饮酒": "alcohol", "喝酒": "alcohol", "啤酒": "beer",
    "怀孕": "pregnancy", "孕妇": "pregnancy", "目标": "target goal", "治疗": "treatment",
    "预防": "prevention", "风险": "risk", "怎么办": "what to do",
}
_CHINESE_TERM = re.compile("|".join(sorted(map(re.escape, CHINESE_TERMS), key=len, reverse=True)))


def english_terms(text: str) -> str:
    """The English words for the Chinese terms in `text`, each once, in the order they appear ("" if none)."""
    words: list[str] = []
    for match in _CHINESE_TERM.finditer(text):
        words += [w for w in CHINESE_TERMS[match.group(0)].split() if w not in words]
    return " ".join(words)


def distinct_sentences(text: str) -> str:
    """The text with each sentence kept once: a message pasted or sent twice searches like the message once."""
    sentences, start = [], 0
    for m in SENTENCE_END.finditer(text):
        sentences.append(text[start:m.end()].strip())
        start = m.end()
    sentences.append(text[start:].strip())
    return " ".join(dict.fromkeys(s for s in sentences if s))
