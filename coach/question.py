"""What a question is about and what it asks: a typed analysis of each message, from rules and data.

The words come from rules/question.yaml (terms that name a condition, an indicator, a direction or an
intent, in English and Chinese) and rules/drugs.yaml (medicines by generic and brand name). They are
compiled with the triage phrase syntax into spaCy Matchers, misspellings are read by rapidfuzz, and where
phrases overlap the longest wins ("low carb" is a diet, "low blood sugar" a low). Nothing is learned:
every field of the analysis names the words that set it, so the retrieval step can show why.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.models import Condition, IndicatorKey, Intent

QUESTION_RULES = Path(__file__).resolve().parent / "rules" / "question.yaml"
CJK = re.compile(r"[\u3400-\u9fff]")
QuestionDirection = Literal["high", "low", "raise", "lower", "start", "stop"]
# Which side of a value a direction is about: you lower a high value and raise a low one.
SIDE = {"high": "high", "lower": "high", "low": "low", "raise": "low"}
Whose = Literal["self", "other", "general"]


class Cue(BaseModel):
    """Words of the question and what they say."""

    model_config = ConfigDict(frozen=True)

    term: str
    words: str
    start: int = Field(description="Character offset in the question")


class MedicineMention(BaseModel):
    """A medicine the question names, as written, with what it is."""

    written: str
    drug_id: str | None = Field(default=None, description="None when only a class is named ('my statin')")
    generic: str | None = None
    drug_class: str | None = None
    class_label: str | None = None
    group: str


class QuestionAnalysis(BaseModel):
    """What a question asks, and the words that say so."""

    text: str
    language: Literal["en", "zh"]
    conditions: list[Condition] = Field(default_factory=list)
    indicators: list[IndicatorKey] = Field(default_factory=list)
    direction: QuestionDirection | None = None
    side: Literal["high", "low"] | None = Field(default=None, description="The side of the value it is about")
    side_unclear: bool = Field(default=False, description="It names both a high and a low of one value")
    intents: list[Intent] = Field(default_factory=list, description="What it asks, the main one first")
    whose: Whose = "general"
    medicines: list[MedicineMention] = Field(default_factory=list)
    extended_release: bool = Field(default=False, description="It names a slow-release form (ER, XL, 控释)")
    outside: list[str] = Field(default_factory=list, description="Words naming what the guidelines do not cover")
    foods: list[str] = Field(default_factory=list, description="The foods and drinks named, by the guidelines' words")
    cues: list[Cue] = Field(default_factory=list)

    @property
    def intent(self) -> str | None:
        return self.intents[0] if self.intents else None

    def english_query(self) -> str:
        """What the question asks, in the guidelines' English words ("side effects statin atorvastatin"):
        added to the search, so that a question in Chinese, or in words no passage uses, still finds the
        passages about what it asks."""
        words = [INTENT_WORDS.get(i, "") for i in self.intents[:2]]
        side = {"high": "high", "low": "low"}.get(self.side or "", "")
        words += [f"{side} {INDICATOR_WORDS[i]}".strip() for i in self.indicators if i in INDICATOR_WORDS]
        words += [CONDITION_WORDS[c] for c in self.conditions if c in CONDITION_WORDS and not self.indicators]
        for m in self.medicines:
            words += [x for x in (m.generic, m.class_label) if x]
        words += self.foods
        return " ".join(dict.fromkeys(w for w in words if w))

    def corrected_words(self) -> str:
        """The guideline names of the foods and medicines the question names in other words or misspelt
        ("coffe" -> "coffee", "茶" -> "tea"): added to an English question's search."""
        lowered = self.text.lower()
        names = [f for f in self.foods if not any(w.rstrip("s") in lowered for w in f.split())]
        names += [m.generic for m in self.medicines if m.generic and m.generic.lower() not in lowered]
        return " ".join(dict.fromkeys(names))

    def summary(self) -> str:
        """One line for the retrieval step: intent, topic, direction, medicines, whose."""
        parts = [f"asks: {', '.join(self.intents) or 'unclear'}"]
        if self.conditions or self.indicators:
            parts.append(f"about: {', '.join(dict.fromkeys([*self.conditions, *self.indicators]))}")
        if self.direction:
            parts.append(f"direction: {self.direction}" + (f" ({self.side} side)" if self.side and
                                                            self.side != self.direction else ""))
        if self.side_unclear:
            parts.append("direction unclear (both high and low)")
        if self.foods:
            parts.append("foods: " + ", ".join(self.foods))
        if self.medicines:
            parts.append("medicines: " + ", ".join(
                f"{m.written} = {m.generic or m.class_label}" + (f" ({m.class_label})" if m.generic else "")
                for m in self.medicines))
        if self.outside:
            parts.append(f"outside the guidelines: {', '.join(self.outside)}")
        parts.append(f"whose: {self.whose}")
        return "; ".join(parts)


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")

    condition: Condition | None = None
    indicator: IndicatorKey | None = None
    direction: QuestionDirection | None = None
    intent: Intent | None = None
    priority: int = 0
    absorbs: bool = Field(default=False, description="Words inside it have no direction ('low sugar diet')")
    outside: bool = Field(default=False, description="It names what the guidelines do not cover (prices, apps)")
    needs_medicine: bool = Field(default=False, description="It counts only when a medicine is named ('stop it')")
    without_medicine: bool = Field(default=False, description="It counts only when none is named (吃: to eat)")
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class Words(BaseModel):
    model_config = ConfigDict(extra="forbid")

    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class QuestionRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: dict[str, Term]
    whose: dict[Literal["self", "other"], Words]
    medicine_classes: dict[str, Words]
    groups: dict[str, Words]
    extended_release: Words
    foods: dict[str, Words] = Field(default_factory=dict, description="A food or drink's guideline name -> words")
    related_intents: dict[Intent, list[Intent]] = Field(default_factory=dict, description="Intents close to "
                                                        "each other, listed both ways")

    @model_validator(mode="after")
    def _both_ways(self) -> "QuestionRules":
        missing = [f"{b} -> {a}" for a, near in self.related_intents.items() for b in near
                   if a not in self.related_intents.get(b, [])]
        if missing:
            raise ValueError(f"related_intents must list each pair both ways; missing: {', '.join(missing)}")
        return self


@lru_cache(maxsize=1)
def load_rules(path: Path = QUESTION_RULES) -> QuestionRules:
    return QuestionRules.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


class QuestionReader:
    """Builds the matchers once (about a second); `analyse` then takes a millisecond or two."""

    def __init__(self, rules: QuestionRules | None = None):
        from coach.medicines import load_drugs
        from coach.triage.concepts import Concept

        self.rules = rules or load_rules()
        self.drugs = load_drugs()
        concepts: dict[str, Concept] = {}

        def add(key: str, words: Words | Term) -> None:
            concepts[key] = Concept(id=key, label=key, figurative=False, hyperbole=False,
                                    hypothetical_counts=False, en=tuple(words.en), zh=tuple(words.zh))

        for name, term in self.rules.terms.items():
            add(f"term:{name}", term)
        for name, words in self.rules.whose.items():
            add(f"whose:{name}", words)
        for name, words in self.rules.medicine_classes.items():
            add(f"class:{name}", words)
        for name, words in self.rules.groups.items():
            add(f"group:{name}", words)
        add("release", self.rules.extended_release)
        for name, words in self.rules.foods.items():
            add(f"food:{name}", words)
        self.concepts = concepts
        self._en = self._zh = None
        self._spelling = None
        self._names = self._medicine_names()

    # -- matching --------------------------------------------------------------------------------------
    def _pipeline(self, language: str):
        import spacy

        from coach.triage.concepts import ConceptMatcher

        nlp = spacy.blank(language)
        return nlp, ConceptMatcher(nlp, language, self.concepts)

    @property
    def en(self):
        if self._en is None:
            self._en = self._pipeline("en")
        return self._en

    @property
    def zh(self):
        if self._zh is None:
            self._zh = self._pipeline("zh")
        return self._zh

    @property
    def spelling(self):
        if self._spelling is None:
            from coach.triage.concepts import SpellingNormaliser, _words, known_english_words
            self._spelling = SpellingNormaliser(_words(self.concepts.values()) | set(self._names),
                                                known_english_words())
        return self._spelling

    def _spans(self, text: str) -> list[tuple[str, str, int, int]]:
        """(concept key, words, start char, length in tokens) of every match, longest first where they
        overlap."""
        found = []
        nlp, matcher = self.en
        doc = matcher(self.spelling(nlp.make_doc(text)))
        found += [(s.label_, s.text, s.start_char, s.start, s.end) for s in doc.spans["concepts"]]
        if CJK.search(text):
            nlp, matcher = self.zh
            doc = matcher(nlp.make_doc(text))
            found += [(s.label_, s.text, s.start_char, s.start + 10_000, s.end + 10_000)
                      for s in doc.spans["concepts"]]
            found += self._misspelt_chinese(doc, {label for label, *_ in found})
        # A match inside a longer one of another term is part of it: "low sugar" in "low sugar diet" is a
        # diet, not a low. Matches that only overlap both count ("how do I lower" and "lower my sugar").
        kept: list[tuple[str, str, int, int, int]] = []
        for span in sorted(found, key=lambda s: (-(s[4] - s[3]), s[3], s[0])):  # the label: the same every run
            label, _, _, start, end = span
            family = label.split(":")[0]
            chinese = start >= 10_000
            inside = any(k[3] <= start and end <= k[4] and (
                k[0].split(":")[0] == family and (self._covers(k[0], label) or (
                    chinese and self._topic_only(label) and (k[3], k[4]) != (start, end)))
                # a person or a food in one character inside a longer Chinese word of another kind is part
                # of that word: 他 in 他汀 (a statin), 肝 in 伤肝 (harms the liver)
                or (chinese and end - start == 1 and k[4] - k[3] > 1 and family in ("whose", "food")
                    and k[0].split(":")[0] != family)
                # ...and so is a word that only says what is asked, in one character, inside the name of a
                # value: 油 (oil, a food) in 甘油三酯 (triglycerides)
                or (chinese and end - start == 1 and k[4] - k[3] > 1 and self._intent_only(label)
                    and self._topic_only(k[0]))) for k in kept)
            if not inside and not any(k[0] == label and k[3] < end and start < k[4] for k in kept):
                kept.append(span)
        return [(label, words, char, end - start) for label, words, char, start, end in
                sorted(kept, key=lambda s: (s[2], s[0]))]

    def _misspelt_chinese(self, doc, matched: set[str]) -> list[tuple[str, str, int, int, int]]:
        """Names of values of four characters or more typed with one character swapped for a homophone, as
        pinyin input does (甘油三脂 for 甘油三酯): the same names, for the values not already matched.
        Only names of a value: a word with a direction is never guessed at, since one character is all that
        tells a high from a low (血糖偏高, 血糖偏低)."""
        text, found = doc.text, []
        token_at = {t.idx: t.i for t in doc}
        for label, concept in self.concepts.items():
            if label in matched or not self._topic_only(label):
                continue
            for phrase in concept.zh:
                if (written := _one_character_off(phrase, text)) is None:
                    continue
                char = text.index(written)
                if char in token_at and char + len(written) - 1 in token_at:
                    start, end = token_at[char], token_at[char + len(written) - 1] + 1
                    found.append((label, written, char, start + 10_000, end + 10_000))
                    break
        return found

    def _intent_only(self, label: str) -> bool:
        """A term that only says what is asked (an intent), no topic and no direction."""
        if not label.startswith("term:"):
            return False
        t = self.rules.terms[label[5:]]
        return bool(t.intent) and not (t.direction or t.condition or t.indicator or t.outside)

    def _topic_only(self, label: str) -> bool:
        """A term that names only a topic (a condition, an indicator): in Chinese, written without spaces,
        such a word inside a longer match is part of that word ("肚子" in "拉肚子" is diarrhoea, not the
        belly)."""
        if not label.startswith("term:"):
            return False
        t = self.rules.terms[label[5:]]
        return not (t.direction or t.intent or t.outside)

    def _covers(self, outer: str, inner: str) -> bool:
        """Whether a match of `outer` says all that a match of `inner` inside it would: "high blood sugar"
        says what "blood sugar" does, "lower my blood sugar" does not (a direction, not the indicator).
        A term that `absorbs` (a diet's name) takes the direction out of the words inside it."""
        if outer.startswith("food:") and inner.startswith("food:"):
            return True  # "菜" in "腌菜" is the pickle, "油" in "酱油" the soy sauce
        if not (outer.startswith("term:") and inner.startswith("term:")):
            return outer == inner
        o, i = self.rules.terms[outer[5:]], self.rules.terms[inner[5:]]
        if o.needs_medicine and not i.needs_medicine:
            return False  # it may not count (no medicine named): what is inside it must still count
        said = lambda t: {k for k in ("condition", "indicator", "direction", "intent", "outside") if getattr(t, k)}
        return said(i) <= said(o) or (o.absorbs and i.direction is not None)

    # -- medicines ----------------------------------------------------------------------------------------
    def _medicine_names(self) -> dict[str, str]:
        """Lower-case English name (or its first word) -> drug id."""
        from coach.medicines import COMMON_WORDS

        names: dict[str, str] = {}
        for d in self.drugs.drugs:
            for name in d.names + d.misspellings:
                lowered = name.lower().replace("-", " ")
                first = lowered.split()[0]
                if first.isalpha() and len(first) >= 4 and first not in COMMON_WORDS:
                    names.setdefault(first, d.id)
        return names

    def medicines(self, text: str) -> list[MedicineMention]:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        by_id = {d.id: d for d in self.drugs.drugs}
        found: dict[str, MedicineMention] = {}
        for match in re.finditer(r"[A-Za-z][A-Za-z-]{3,}", text):
            word = match.group(0).lower()
            drug_id = self._names.get(word)
            if drug_id is None and len(word) >= 6 and word not in self.spelling.known:
                # A misspelt name: one letter off (two in a long name), same first letter.
                limit = 2 if len(word) >= 9 else 1
                near = process.extractOne(word, list(self._names), scorer=Levenshtein.distance,
                                          score_cutoff=limit)
                if near and near[0][0] == word[0]:
                    drug_id = self._names[near[0]]
            if drug_id and drug_id not in found:
                found[drug_id] = self._mention(match.group(0), by_id[drug_id])
        for d in self.drugs.drugs:
            for name in d.zh:
                if name and name in text and d.id not in found:
                    found[d.id] = self._mention(name, d)
        if CJK.search(text):
            for d in self.drugs.drugs:
                if d.id in found:
                    continue
                for name in d.zh:
                    if (written := _one_character_off(name, text)) is not None:
                        found[d.id] = self._mention(written, d)
                        break
        return list(found.values())

    def _mention(self, written: str, drug) -> MedicineMention:
        cls = self.drugs.class_of(drug)
        return MedicineMention(written=written, drug_id=drug.id, generic=drug.names[0], drug_class=drug.drug_class,
                               class_label=cls.label, group=cls.group)

    # -- the analysis -------------------------------------------------------------------------------------
    def analyse(self, text: str) -> QuestionAnalysis:
        """What `text` asks. One message is read several times a turn (its search query, the region's and
        the other regions' searches, the answer), so the last analyses are kept: callers only read them."""
        return self._analyse(" ".join((text or "").split()))

    @lru_cache(maxsize=256)
    def _analyse(self, text: str) -> QuestionAnalysis:
        language = "zh" if len(CJK.findall(text)) >= 2 else "en"
        medicines = self.medicines(text)
        # Inside a Chinese medicine's name, characters are not words of their own ("他" in 阿托伐他汀 is not
        # "he"); the name is matched as the medicine it is, and its class word (他汀) from the mention.
        masked = text
        for m in medicines:
            if CJK.search(m.written):
                masked = masked.replace(m.written, " " * len(m.written))
        spans = self._spans(masked)
        cues = [Cue(term=label, words=words, start=char) for label, words, char, _ in spans]
        terms = [(self.rules.terms[label.split(":", 1)[1]], label, char) for label, _, char, _ in spans
                 if label.startswith("term:")]
        conditions = list(dict.fromkeys(t.condition for t, _, _ in terms if t.condition))
        indicators = list(dict.fromkeys(t.indicator for t, _, _ in terms if t.indicator))
        by_class = {m.drug_class for m in medicines}
        for label, words, _, _ in spans:
            kind, name = label.split(":", 1) if ":" in label else (label, "")
            if kind == "class" and name not in by_class:
                cls = self.drugs.classes.get(name)
                if cls is not None:
                    medicines.append(MedicineMention(written=words, drug_class=name, class_label=cls.label,
                                                     group=cls.group))
                    by_class.add(name)
            elif kind == "group" and not any(m.group == name for m in medicines):
                medicines.append(MedicineMention(written=words, group=name, class_label=words))
        if not medicines:  # "how do I stop it going up" stops no medicine
            terms = [t for t in terms if not t[0].needs_medicine]
        else:  # "吃了以后" after taking it
            terms = [t for t in terms if not t[0].without_medicine]
        for m in medicines:  # a medicine says what the question is about: "is metformin safe" -> diabetes
            condition = GROUP_CONDITION.get(m.group)
            if condition and condition not in conditions:
                conditions.append(condition)
        direction, side, unclear = _direction(terms, bool(medicines))
        intents = _intents(terms, medicines, text)
        if medicines and side is None and "symptoms" in intents and "side_effects" not in intents:
            # a symptom told beside a medicine ("on bisoprolol and my pulse is 52") asks whether it is the
            # medicine; the signs of a low on insulin are the low's
            intents[intents.index("symptoms")] = "side_effects"
        whose = _whose([label for label, *_ in spans])
        return QuestionAnalysis(
            text=text, language=language, conditions=conditions, indicators=indicators, direction=direction,
            side=side, side_unclear=unclear, intents=intents, whose=whose, medicines=medicines,
            extended_release=any(label == "release" for label, *_ in spans) or _release_name(medicines, text,
                                                                                           self.drugs),
            outside=[words for label, words, _, _ in spans if label.startswith("term:")
                     and self.rules.terms[label[5:]].outside],
            foods=list(dict.fromkeys(label[5:] for label, *_ in spans if label.startswith("food:"))),
            cues=cues)


INTENT_WORDS = {
    "definition": "what is", "classification": "categories range normal high", "causes": "causes risk factors",
    "symptoms": "symptoms signs", "complications": "complications damage over time", "screening":
    "screening checks tests how often", "target": "target goal", "measuring": "how to measure",
    "lifestyle": "lifestyle changes", "food": "food diet eating", "treatment": "treatment medicines",
    "medicine_use": "how to take medicine", "side_effects": "side effects", "interactions": "interactions taken together",
    "stopping": "stopping suddenly", "missed_dose": "missed dose", "onset": "how soon it works weeks",
    "prognosis": "remission reversed lifelong", "emergency": "emergency urgent care",
}
INDICATOR_WORDS = {
    "blood_pressure": "blood pressure", "glucose": "blood glucose", "hba1c": "HbA1c", "ldl_c": "LDL cholesterol",
    "hdl_c": "HDL cholesterol", "total_cholesterol": "cholesterol", "triglycerides": "triglycerides",
    "uric_acid": "uric acid urate", "weight": "weight", "bmi": "BMI", "waist": "waist", "heart_rate": "heart rate pulse",
}
CONDITION_WORDS = {"htn": "hypertension", "diabetes": "diabetes", "lipids": "cholesterol", "urate": "gout urate",
                   "obesity": "obesity"}

GROUP_CONDITION = {"diabetes": "diabetes", "blood_pressure": "htn", "lipids": "lipids", "gout": "urate",
                   "obesity": "obesity"}


def _direction(terms, has_medicine: bool) -> tuple[str | None, str | None, bool]:
    """The question's direction, the side of the value it is about, and whether its sides disagree.

    Starting or stopping is about a medicine; raising or lowering says the side ("how do I bring my sugar
    down" is about a high) and wins over a side named in passing only when they agree: "how do I lower my
    sugar so I stop having hypos" names a low and a lowering, and which it asks is unclear.
    """
    directions = [t.direction for t, _, _ in terms if t.direction]
    actions = [d for d in directions if d in ("start", "stop")]
    sides = {SIDE[d] for d in directions if d in SIDE}
    side = next(iter(sides)) if len(sides) == 1 else None
    unclear = len(sides) > 1
    if actions and (has_medicine or not sides):
        return actions[0], side, unclear
    moves = [d for d in directions if d in ("raise", "lower")]
    if unclear:
        return None, None, True
    if moves:
        return moves[0], side, False
    named = [d for d in directions if d in ("high", "low")]
    return (named[0] if named else None), side, False


def _intents(terms, medicines: list[MedicineMention], text: str) -> list[str]:
    """The intents cued, highest priority first (earlier first on a tie). A medicine named with no other
    cue asks what it is for; a bare topic ("gout") asks what it is."""
    cued: dict[str, tuple[int, int]] = {}
    for term, _, char in terms:
        if term.intent:
            best = cued.get(term.intent)
            key = (term.priority, -char)
            if best is None or key > best:
                cued[term.intent] = key
    intents = sorted(cued, key=lambda i: cued[i], reverse=True)
    if medicines and "food" in intents and "interactions" not in intents:
        # "can he drink beer on metformin", "bananas with lisinopril": a food with a medicine
        intents.insert(intents.index("food"), "interactions")
    if medicines and not any(i in MEDICINE_INTENTS for i in intents):
        # "metformin?" or "is lisinopril a water pill": about the medicine itself
        weak = [i for i in intents if cued[i][0] <= 3]
        intents = ["medicine_use"] + intents if len(weak) == len(intents) else intents
    return intents


MEDICINE_INTENTS = frozenset({"medicine_use", "side_effects", "interactions", "stopping", "missed_dose", "onset"})


def _whose(labels: list[str]) -> str:
    if "whose:other" in labels:
        return "other"
    if "whose:self" in labels:
        return "self"
    return "general"


def _one_character_off(name: str, text: str) -> str | None:
    """A Chinese medicine name of four characters or more written with one character swapped for another
    (a homophone typed by pinyin: 达格列静 for 达格列净, 倍他洛克 for 倍他乐克), the first character right."""
    n = len(name)
    if n < 4 or not CJK.match(name):
        return None
    for i in range(len(text) - n + 1):
        window = text[i:i + n]
        if window[0] == name[0] and all(CJK.match(c) for c in window) and \
                sum(a != b for a, b in zip(window, name)) == 1:
            return window
    return None


def _release_name(medicines: list[MedicineMention], text: str, drugs) -> bool:
    """A brand that is itself a slow-release form ("拜新同", "Adalat LA")."""
    lowered = text.lower()
    by_id = {d.id: d for d in drugs.drugs}
    return any(r.lower() in lowered for m in medicines if m.drug_id for r in by_id[m.drug_id].release_names)


@lru_cache(maxsize=1)
def default_reader() -> QuestionReader:
    return QuestionReader()


def analyse(text: str) -> QuestionAnalysis:
    return default_reader().analyse(text)
