"""Clinical concepts in a message, each with its context: spaCy's Matcher finds the concepts' phrases
(rules/triage/concepts.yaml) and medspaCy's ConText decides whether each one is negated, hypothetical,
historical, a relative's, a question about signs, or over (rules/triage/context.yaml on top of medspaCy's
packaged rules).

English runs on spaCy's blank English tokenizer; a message with Chinese characters also runs through
spaCy's blank Chinese pipeline, character by character. No statistical model is loaded: matching is
rules and data, which is what makes every decision explainable and fast (about a millisecond a message).
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from coach.triage.models import MatchedConcept
from coach.text import asks_something

RULES = Path(__file__).resolve().parent.parent / "rules" / "triage"
CONCEPTS_FILE = RULES / "concepts.yaml"
CONTEXT_FILE = RULES / "context.yaml"
CJK = re.compile(r"[\u3400-\u9fff]")
SPAN_GROUP = "concepts"
# Categories of ConText modifiers that stop a concept from being a report of something happening now.
BLOCKING = ("NEGATED_EXISTENCE", "HYPOTHETICAL", "ASKING")
# The time cues end at a comma: "he is slurring his words, he had a stroke in 2019"; a past time ends where
# the message turns to now: "he had a knee replacement last year and now the knee is hot".
CLAUSE_BOUND = {"HISTORICAL": ["CLAUSE", "NEW_CLAUSE", "CURRENT"], "CURRENT": ["CLAUSE", "NEW_CLAUSE"],
                "RESOLVED": ["CLAUSE", "NEW_CLAUSE"], "PAST_TENSE": ["CLAUSE", "NEW_CLAUSE", "CURRENT"],
                "NEGATED_EXISTENCE": ["NEW_CLAUSE"], "DECEASED": ["CLAUSE", "NEW_CLAUSE"]}
# medspaCy's packaged negations were written for clinical notes, where "not" governs the rest of the
# sentence; in chat it rarely reaches past a few words ("can't stand up straight, fever and puked").
NEGATION_SCOPE = 5
# Words that say who a sentence is about: a question with none of them asks about signs, it reports none
# ("what does slurred speech mean?"), while "my dad is slurring, what do I do?" reports.
EXPERIENCER = re.compile(r"\b(?:i|i'?m|im|i'?ve|ive|my|me|we|our|us|he|she|his|her|him|they|them|their|"
                         r"husband|wife|dad|mum|mom|son|daughter|patient|resident|neighbou?r|friend|baby|child)\b|"
                         r"我|他|她|咱|病人|患者|孩子|老公|老婆|爸|妈", re.I)
QUESTION_END = re.compile(r"[?？]\s*$")
ZH_REPORT = re.compile(r"了|刚才|刚刚|现在|今天|一直|正在|突然")
logging.getLogger("PyRuSH").setLevel(logging.WARNING)


# A gap between a phrase's words never crosses a negation or the end of a sentence: "face isn't droopy"
# is not "face ... droopy", and "胸口也不闷" is not "胸口 ... 闷".
GAP_STOPS_EN = ["not", "no", "never", "nothing", "none", "without", ".", "?", "!", ";"]
# Words too common to say which concept a message may hold.
ANCHOR_STOPWORDS = frozenset("i my me a an the is am are was be to of in on at and or it he she his her him "
                             "they we you your can not no do does did will would could have has had so very "
                             "really just all up out".split())
GAP_STOPS_ZH = ["不", "没", "无", "未", "别", "。", "？", "！", "；", "，"]


# A space in Chinese chat is a clause break, except inside Latin text or numbers ("T 38.9℃", "BP 144/93")
SPACE_ZH = re.compile(r"(?<=\S)\s(?=\S)")
LATIN_BOTH_SIDES = re.compile(r"[A-Za-z0-9.:%/]\s[A-Za-z0-9]")


class LexiconError(ValueError):
    """A concept or context file that cannot be compiled, with the entry that is wrong."""


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    figurative: bool
    hyperbole: bool  # a joke marker ("lol") in its sentence makes it figurative: "i want to die lol"
    hypothetical_counts: bool  # a wish is still a report: "if only I could sleep and not wake up"
    en: tuple[str, ...]
    zh: tuple[str, ...]
    literal: bool = False  # an idiom's words are its meaning: "not answering his phone" is unreachable


@lru_cache(maxsize=2)
def load_concepts(path: Path = CONCEPTS_FILE) -> dict[str, Concept]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["concepts"]
    return {cid: Concept(id=cid, label=c["label"], figurative=bool(c.get("figurative")),
                         hyperbole=bool(c.get("hyperbole")), hypothetical_counts=bool(c.get("hypothetical_counts")),
                         en=tuple(c.get("en", [])) + _from_drugs_en(c.get("from_drugs")),
                         zh=tuple(c.get("zh", [])) + _from_drugs_zh(c.get("from_drugs")),
                         literal=bool(c.get("literal")))
            for cid, c in data.items()}


# -- medicine names and counts, from data -----------------------------------------------------------------
# `from_drugs: all|hypo|diabetes` in concepts.yaml makes a concept of the medicine names in rules/drugs.yaml
# (every medicine, those that can cause a low, or those of the diabetes classes), and MED / HYPOMED / DMMED
# in a phrase stand for one of those names.
DRUG_TOKENS = {"MED": "all", "HYPOMED": "hypo", "DMMED": "diabetes"}


@lru_cache(maxsize=3)  # asked once for every phrase that names MED, HYPOMED or DMMED
def _drug_words(which: str) -> frozenset[str]:
    from coach.medicines import load_drugs
    return load_drugs().english_words(hypo_only=which == "hypo", group="diabetes" if which == "diabetes" else None)


def _from_drugs_en(which: str | None) -> tuple[str, ...]:
    return tuple(token for token, w in DRUG_TOKENS.items() if w == which)


def _from_drugs_zh(which: str | None) -> tuple[str, ...]:
    if which not in DRUG_TOKENS.values():
        return ()
    from coach.medicines import load_drugs
    names = load_drugs().chinese_names(hypo_only=which == "hypo", group="diabetes" if which == "diabetes" else None)
    # The names are plain text: one with a phrase-syntax character in it would be misread, so it is left out.
    return tuple(n for n in names if not re.search(r"[()|~?\\s]", n))


NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                           "thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
                                           "twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12, "dozens": 24,
                     "couple": 2, "few": 3, "several": 4})
# MANY: a count of tablets that is an overdose whatever the medicine (no regimen has someone swallow eight
# at once); YOUNG: an age of a child ("my 3 year old", "a 2-year-old").
MANY_TABLETS = 8
CHILD_AGE = 12
# TEMP: a body temperature at fever level, in either scale (the fever threshold of
# guidelines/emergency-general.md#sepsis: 38 °C, 100.4 °F); the ranges do not overlap, so "38.5" and "101"
# both read as fever and "37.2" or "98.6" as not.
FEVER_C = (38.0, 43.0)
FEVER_F = (100.4, 109.0)


def token_count(token) -> int:
    """The number a token says ("16", "sixteen", "a dozen"), or -1."""
    text = token.lower_.replace(",", "")
    if text.isdigit():
        return int(text) if len(text) < 6 else -1
    return NUMBER_WORDS.get(token.norm_, NUMBER_WORDS.get(text, -1))


def token_fever(token) -> bool:
    """A number that is a fever-level body temperature ("38.5", "39", "101.3", "38.5c")."""
    match = re.fullmatch(r"(\d{2,3}(?:[.,]\d)?)(?:°?[cf])?", token.lower_)
    if not match:
        return False
    value = float(match.group(1).replace(",", "."))
    return FEVER_C[0] <= value <= FEVER_C[1] or FEVER_F[0] <= value <= FEVER_F[1]


def _register_count() -> None:
    from spacy.tokens import Token
    if not Token.has_extension("count"):
        Token.set_extension("count", getter=token_count)
    if not Token.has_extension("fever"):
        Token.set_extension("fever", getter=token_fever)


# -- the phrase syntax ----------------------------------------------------------------------------------
def _token(word: str, phrase: str) -> dict:
    """One word of a phrase: `a|b`, `stem*`, `word?`, `NUM`."""
    optional = word.endswith("?") and len(word) > 1
    word = word[:-1] if optional else word
    if word == "NUM":
        token: dict = {"LIKE_NUM": True}
    elif word == "MANY":
        token = {"_": {"count": {">=": MANY_TABLETS}}}
    elif word == "YOUNG":
        token = {"_": {"count": {">=": 0, "<=": CHILD_AGE}}}
    elif word == "TEMP":
        token = {"_": {"fever": True}}
    elif word.startswith("*") and len(word) > 1 and "|" not in word:
        # TEXT: a suffix names no word to index the phrase by
        token = {"TEXT": {"REGEX": rf"(?i)^\w+{re.escape(word[1:])}$"}}
    elif word == "CHILDAGE":
        # A child's age written as one word, as clinicians and parents do: "2yo", "3M", "3F", "18mo"
        token = {"TEXT": {"REGEX": r"(?i)^(?:(?:[1-9]|1[0-2])(?:yo|y/o|yr|yrs|y|m|f)|(?:[1-9]|[12]\d|3[0-6])(?:mo|mos|mth|mths|months?|wk|wks|weeks?))$"}}
    elif word == "PREGWEEKS":
        # Weeks of pregnancy in obstetric notation: "24/40", "36+2/40"
        token = {"TEXT": {"REGEX": r"^(?:[4-9]|[1-3]\d|4[0-2])(?:\+[0-6])?/40$"}}
    elif word == "BPNUM":
        token = {"TEXT": {"REGEX": r"(?i)^\d{2,3}/\d{2,3}(?:mm\s?hg)?$"}}  # TEXT: not indexed by a word
    else:
        options = [w for w in word.split("|") if w]
        options = [n for o in options for n in (sorted(_drug_words(DRUG_TOKENS[o])) if o in DRUG_TOKENS else [o])]
        if not options:
            raise LexiconError(f"empty word in phrase {phrase!r}")
        stems = [o[:-1] for o in options if o.endswith("*")]
        exact = [o for o in options if not o.endswith("*")]
        if stems:
            alternatives = "|".join([re.escape(st) + r"\w*" for st in stems] + [re.escape(e) for e in exact])
            token = {"NORM": {"REGEX": f"^(?:{alternatives})$"}}
        else:
            token = {"NORM": exact[0]} if len(exact) == 1 else {"NORM": {"IN": exact}}
    if optional:
        token["OP"] = "?"
    return token


def english_patterns(phrase: str) -> list[list[dict]]:
    """One concepts.yaml phrase as spaCy Matcher patterns on the token norm (see the file's header): a
    `(several words|others)` group expands into one pattern per alternative."""
    choices: list[list[list[dict]]] = []
    for item in re.findall(r"\([^)]*\)\??|\S+", phrase):
        if item.startswith("("):
            optional = item.endswith("?")
            alts = [a for a in item.strip("()?").split("|")]
            # Single words of a group make one token (a Matcher pattern each would multiply the patterns)
            special = ("NUM", "MANY", "YOUNG", "TEMP", "BPNUM", "CHILDAGE", "PREGWEEKS")
            singles = [a for a in alts if len(a.split()) == 1 and a not in special and not a.startswith("*")]
            alternatives = [[_token(w, phrase) for w in alt.split()] for alt in alts
                            if len(alt.split()) > 1 or alt in special or alt.startswith("*")]
            if singles:
                alternatives.append([_token("|".join(singles), phrase)])
            choices.append(alternatives + ([[]] if optional else []))
        elif re.fullmatch(r"~\d+", item):
            choices.append([[{"NORM": {"NOT_IN": GAP_STOPS_EN}, "OP": f"{{,{item[1:]}}}"}]])
        elif "(" in item or ")" in item:
            raise LexiconError(f"phrase {phrase!r}: a (group) must stand alone, found {item!r}")
        else:
            choices.append([[_token(item, phrase)]])
    patterns = [[t for part in combo for t in part] for combo in itertools.product(*choices)]
    for pattern in patterns:
        if not pattern or str(pattern[0].get("OP", "")).startswith("{") or str(pattern[-1].get("OP", "")).startswith("{"):
            raise LexiconError(f"phrase {phrase!r} starts or ends with a gap")
    return patterns


def _expand_zh(phrase: str) -> list[str]:
    """'(左|右)手~2麻' -> ['左手~2麻', '右手~2麻']; '(了)?' is optional."""
    parts = re.split(r"(\([^)]*\)\??)", phrase)
    choices = []
    for part in parts:
        if part.startswith("("):
            optional = part.endswith("?")
            options = part.strip("()?").split("|")
            choices.append(options + ([""] if optional else []))
        elif part:
            choices.append([part])
    return ["".join(c) for c in itertools.product(*choices)]


def chinese_patterns(phrase: str) -> list[list[dict]]:
    """A Chinese phrase as Matcher patterns over single characters; `~N` is up to N other characters."""
    # Gaps are cut out before the (a|b) groups expand, so a digit in a group ("~3(84|酒精)") stays a character.
    segments = re.split(r"(~\d+)", phrase)
    choices = [[[{"ORTH": {"NOT_IN": GAP_STOPS_ZH}, "OP": f"{{,{seg[1:]}}}"}]] if re.fullmatch(r"~\d+", seg) else
               [[{"LOWER": ch.lower()} if ch.isascii() else {"ORTH": ch} for ch in variant.replace("\\", "")]
                for variant in _expand_zh(seg)]
               for seg in segments if seg]
    patterns = [[t for part in combo for t in part] for combo in itertools.product(*choices)]
    for pattern in patterns:
        if not pattern or "OP" in pattern[0] or "OP" in pattern[-1]:
            raise LexiconError(f"phrase {phrase!r} starts or ends with a gap")
    return patterns


# -- the pipelines -----------------------------------------------------------------------------------
def _words(concepts: Iterable[Concept]) -> set[str]:
    words = set()
    for c in concepts:
        for phrase in c.en:
            for raw in phrase.split():
                for w in raw.strip("()?").split("|"):
                    if w in DRUG_TOKENS:
                        words |= _drug_words(DRUG_TOKENS[w])
                    elif w and not w.startswith("~") and w.isalpha() and w.islower() and not w.endswith("*"):
                        words.add(w)
    return words


class SpellingNormaliser:
    """Sets each token's norm to the concept word it is a misspelling of ("vomitting" -> "vomiting"), so
    the phrases match it. A real English word is never changed ("swearing" is not "sweating")."""

    def __init__(self, concept_words: set[str], known_words: frozenset[str]):
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        self.targets = sorted(w for w in concept_words if len(w) >= 5)
        self.known = known_words | concept_words
        self._extract = lambda w, limit: process.extractOne(w, self.targets, scorer=Levenshtein.distance,
                                                            score_cutoff=limit)
        self._cache: dict[str, str] = {}
        self._known_list: list[str] | None = None

    def _near_known(self, word: str, target: str) -> bool:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        if self._known_list is None:
            self._known_list = sorted(w for w in self.known if len(w) >= 4)
        return any(w != target and _double_letter_slip(word, w)
                   for w, _, _ in process.extract(word, self._known_list, scorer=Levenshtein.distance,
                                                  score_cutoff=1, limit=5))

    def __call__(self, doc):
        for token in doc:
            lower = token.lower_
            if len(lower) < 5 or not lower.isalpha() or lower in self.known:
                continue
            if lower not in self._cache:
                # One letter off, same first letter: "chopping" must not become "choking"
                found = self._extract(lower, 1)
                found = found if found and found[0][0] == lower[0] else None
                # "afebrile" is the opposite of "febrile", not a misspelling of it
                opposite = found and lower.endswith(found[0]) and lower[: len(lower) - len(found[0])] in (
                    "a", "an", "non", "un", "in", "anti", "dis")
                # "choping" is one letter from "choking", and "chopping" with its double letter typed once
                # (the commonest slip): such a word is not read as a symptom
                ambiguous = found and not opposite and self._near_known(lower, found[0])
                self._cache[lower] = found[0] if found and not opposite and not ambiguous else lower
            token.norm_ = self._cache[lower]
        return _no_longer(doc)


CLOCK = frozenset({"am", "pm", "a.m.", "p.m.", "o'clock", "oclock", ":", "ish", "tonight", "this", "last"})


def _time_of_day(modifier, doc) -> bool:
    """"at 2am" is a time of day, not an age ("at 55"): the age cue does not make it history."""
    start, end = modifier.modifier_span
    return (modifier.category.upper() == "HISTORICAL" and doc[start].lower_ == "at" and end < len(doc)
            and doc[end].lower_ in CLOCK)


def _has_got(modifier, doc) -> bool:
    """"my dad's got terrible pain" is now ("has got"), not the past tense of family history."""
    start, _ = modifier.modifier_span
    return (modifier.category.upper() == "PAST_TENSE" and doc[start].lower_ == "got" and start > 0
            and doc[start - 1].lower_ in ("'s", "’s", "has", "have", "'ve", "’ve", "s", "ve"))


def _double_letter_slip(typed: str, word: str) -> bool:
    """`typed` is `word` with a double letter typed once or a letter typed twice ("choping", "chopping")."""
    short, long_ = sorted((typed, word), key=len)
    if len(long_) != len(short) + 1:
        return False
    return any(long_[i] == long_[i + 1] and long_[:i] + long_[i + 1:] == short for i in range(len(long_) - 1))


MODALS = frozenset({"can", "could", "ca", "am", "is", "are", "was", "were", "'m", "'s", "'re"})


def _no_longer(doc):
    """"can no longer finish a sentence" is "can not finish" (one token, norm "not"): the phrases' "can not"
    then match it, and the "no" of "no longer" negates nothing after it ("is no longer able to speak")."""
    spans = [doc[i:i + 2] for i in range(1, len(doc) - 1)
             if doc[i].lower_ == "no" and doc[i + 1].lower_ == "longer" and doc[i - 1].lower_ in MODALS]
    if spans:
        with doc.retokenize() as retokenizer:
            for span in spans:
                retokenizer.merge(span, attrs={"NORM": "not"})
    return doc


def _context_rules(language: str, spec: dict):
    from medspacy.context import ConTextRule

    rules = []
    for entry in spec.get(language, []):
        try:
            rules.append(ConTextRule(literal=entry["literal"], category=entry["category"],
                                     direction=entry.get("direction", "BIDIRECTIONAL"),
                                     pattern=entry.get("pattern"), max_scope=entry.get("max_scope"),
                                     terminated_by=set(entry["terminated_by"]) if entry.get("terminated_by") else None))
        except Exception as exc:  # medspaCy raises plain ValueErrors: name the rule
            raise LexiconError(f"{CONTEXT_FILE.name}: {language} rule {entry!r}: {exc}") from exc
    return rules


class ConceptMatcher:
    """spaCy Matchers for the concepts' phrases, one per phrase, run only for the phrases whose most
    telling required word is in the message: spaCy's Matcher tries every pattern at every token, and with
    some thousands of patterns that would be most of triage's time."""

    def __init__(self, nlp, language: str, concepts: dict[str, Concept]):
        from spacy.matcher import Matcher

        self.language = language
        self.matchers: dict[str, Matcher] = {}
        self.by_word: dict[str, set[str]] = {}
        self.stems: dict[str, set[str]] = {}
        self.always: set[str] = set()
        for c in concepts.values():
            for n, phrase in enumerate(c.en if language == "en" else c.zh):
                matcher = Matcher(nlp.vocab)
                try:
                    patterns = english_patterns(phrase) if language == "en" else chinese_patterns(phrase)
                except LexiconError as exc:
                    raise LexiconError(f"{CONCEPTS_FILE.name}: concept {c.id}: {exc}") from exc
                key = f"{c.id}#{n}"
                matcher.add(key, patterns)
                self.matchers[key] = matcher
                for pattern in patterns:
                    self._index(key, pattern)

    def _index(self, concept: str, pattern: list[dict]) -> None:
        """Index the pattern by its most telling required word: "can not ~1 stand" by "stand", not "can"."""
        options = [w for w in (self._words(t) for t in pattern if "OP" not in t) if w is not None]
        if not options:
            self.always.add(concept)
            return
        exact, stems = max(options, key=lambda o: (not (o[0] & ANCHOR_STOPWORDS),
                                                   min((len(w) for w in o[0] | set(o[1])), default=0)))
        for word in exact:
            self.by_word.setdefault(word, set()).add(concept)
        for stem in stems:
            self.stems.setdefault(stem, set()).add(concept)

    @staticmethod
    def _words(token: dict) -> tuple[set[str], list[str]] | None:
        """The words (and stems) a required token accepts, or None when it accepts any of infinitely many."""
        value = token.get("NORM") or token.get("ORTH") or token.get("LOWER")
        if isinstance(value, str):
            return {value}, []
        if isinstance(value, dict) and "IN" in value:
            return set(value["IN"]), []
        if isinstance(value, dict) and "REGEX" in value:  # ^(?:stem\w*|word)$ as english_patterns writes it
            exact, stems = set(), []
            for alternative in value["REGEX"][4:-2].split("|"):
                word = re.sub(r"\\(.)", r"\1", alternative.replace("\\w*", ""))
                (stems.append(word) if alternative.endswith("\\w*") else exact.add(word))
            return exact, stems
        return None

    def __call__(self, doc):
        from spacy.tokens import Span

        words = {t.norm_ if self.language == "en" else t.text for t in doc} | {t.lower_ for t in doc}
        run = set(self.always)
        for w in words:
            run |= self.by_word.get(w, set())
        for w in words:
            for n in range(1, len(w) + 1):
                run |= self.stems.get(w[:n], set())
        spans = []
        for key in run:
            concept = key.split("#", 1)[0]
            spans.extend(Span(doc, start, end, label=concept) for _, start, end in self.matchers[key](doc))
        doc.spans[SPAN_GROUP] = spans
        return doc


def build_pipeline(language: str, concepts: dict[str, Concept]):
    """spaCy + medspaCy for `language` ('en' or 'zh'): sentences, then ConText over the spans that
    ConceptMatcher puts in the doc."""
    import medspacy  # noqa: F401 - registers medspaCy's pipeline factories
    import spacy

    spec = yaml.safe_load(CONTEXT_FILE.read_text(encoding="utf-8"))
    _register_count()
    nlp = spacy.blank(language)
    if language == "en":
        # "a fever of 101.8F. He had..." : a full stop after a number's unit ends the sentence (spaCy keeps
        # "101.8F." one token, and the next sentence's past tense would reach back into this one)
        from spacy.util import compile_suffix_regex
        nlp.tokenizer.suffix_search = compile_suffix_regex(
            list(nlp.Defaults.suffixes) + [r"(?<=[0-9][A-Za-z°%])\."]).search
    nlp.add_pipe("sentencizer")
    config = {"input_span_type": "group", "span_group_name": SPAN_GROUP, "terminating_types": CLAUSE_BOUND,
              "phrase_matcher_attr": "LOWER"}
    rules = []
    if language == "en":
        # medspaCy's packaged English rules, less the ones that misread chat, plus the project's.
        packaged = spacy.blank("en").add_pipe("medspacy_context", config={**config, "rules": "default"})
        dropped = set(spec.get("drop_default", []))
        rules = [r for r in packaged.rules if r.literal not in dropped]
        for r in rules:
            if r.category.upper() == "NEGATED_EXISTENCE" and r.max_scope is None:
                r.max_scope = NEGATION_SCOPE
    context = nlp.add_pipe("medspacy_context", config={**config, "rules": None})
    context.add(rules + _context_rules(language, spec))
    return nlp, ConceptMatcher(nlp, language, concepts)


def known_english_words() -> frozenset[str]:
    """Whole English words of the embedding model's vocabulary: a token that is one is not a misspelling."""
    try:
        from knowledge.embedding import default_model_path
        vocab = (Path(default_model_path()) / "vocab.txt").read_text(encoding="utf-8").split()
    except (OSError, ImportError):
        return frozenset()
    return frozenset(w for w in vocab if w.isalpha() and w.islower() and len(w) > 1)


class ConceptFinder:
    """Finds concepts in a message, with their context, in English and Chinese."""

    def __init__(self, concepts: dict[str, Concept] | None = None):
        self.concepts = concepts or load_concepts()
        self.en, self.en_matcher = build_pipeline("en", self.concepts)
        self.spelling = SpellingNormaliser(_words(self.concepts.values()), known_english_words())
        self._zh = None

    @property
    def zh(self):
        if self._zh is None:
            self._zh = build_pipeline("zh", self.concepts)
        return self._zh

    @staticmethod
    def _run(pipeline, doc):
        nlp, matcher = pipeline
        doc = nlp.get_pipe("sentencizer")(doc)
        for token in doc[1:]:
            previous = doc[token.i - 1]
            if previous.text == "?" and not previous.whitespace_ and token.is_alpha:
                token.is_sent_start = False  # clinical shorthand: "?septic arthritis" is a query, not a question
        return nlp.get_pipe("medspacy_context")(matcher(doc))

    def find(self, text: str) -> list[MatchedConcept]:
        doc = self.spelling(self.en.make_doc(text))  # norms first: the matcher reads them
        found = self._from_doc(self._run((self.en, self.en_matcher), doc), "en")
        if CJK.search(text):
            nlp = self.zh[0]
            # A space in Chinese chat separates clauses, as a comma would ("抖个不停 脑子一片空白": the 不
            # of the first does not reach the second); one character for one keeps every offset.
            clauses = SPACE_ZH.sub(lambda m: m.group(0) if LATIN_BOTH_SIDES.fullmatch(
                text[max(0, m.start() - 1):m.end() + 1]) else "，", text)
            found += self._from_doc(self._run(self.zh, nlp.make_doc(clauses)), "zh", original=text)
        return found

    def _from_doc(self, doc, language: str, original: str | None = None) -> list[MatchedConcept]:
        spans = list(doc.spans.get(SPAN_GROUP, []))
        figurative = [s for s in spans if self.concepts[s.label_].figurative]
        out: list[MatchedConcept] = []
        literal = [s for s in spans if not self.concepts[s.label_].figurative]
        # Per concept, the longest match wins where several of its phrases overlap; a match inside a longer
        # one of another concept is part of it ("中毒" in "酸中毒", ketoacidosis, is not poisoning).
        for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
            concept = self.concepts[span.label_]
            if concept.figurative:
                continue
            if language == "zh" and any(o.label_ != span.label_ and o.start <= span.start and span.end <= o.end
                                        and (o.end - o.start) > (span.end - span.start) for o in literal):
                continue
            if language == "zh" and _inside_a_number(span):
                continue  # "5岁" in "35岁": a child's age read out of an adult's
            if any(o.concept == concept.id and o.language == language and o.start < span.end and span.start < o.end
                   for o in out):
                continue
            # A cue inside the concept's own words is part of it: "I don't see the point" is not negated. One
            # that only reaches into them still counts: "If my grandson ever" before "grandson ever swallowed".
            modifiers = [m for m in span._.modifiers
                         if not (span.start <= m.modifier_span[0] and m.modifier_span[1] <= span.end)]
            # (medspaCy leaves a target that overlaps a cue unmodified: add the cue that starts before it
            # and whose scope covers the rest of it.)
            modifiers += [m for m in doc._.context_graph.modifiers if m not in modifiers
                          and m.modifier_span[0] < span.start < m.modifier_span[1] and span.end <= m.scope_span[1]
                          and m.category.upper() in BLOCKING]
            modifiers = [m for m in modifiers if not _time_of_day(m, doc) and not _has_got(m, doc)]
            categories = {m.category.upper() for m in modifiers}
            if not concept.hyperbole:
                categories.discard("FIGURATIVE")  # "my speech is slurry, not drunk lol" is still slurred speech
            if concept.hypothetical_counts:
                categories -= {"HYPOTHETICAL", "ASKING"}
            if "FAMILY" in categories:
                categories.add("OTHER_EXPERIENCER")
            status = _status(categories, span, [] if concept.literal else figurative, doc)
            if status == "reported" and "BELIEF" in categories and _corrected(span, doc, language):
                status = "negated"  # "thought I was having a seizure but I wasn't jerking": it was not
            out.append(MatchedConcept(
                concept=concept.id, label=concept.label, status=status, language=language,
                words=original[span.start_char:span.end_char] if original else span.text,
                start=span.start, end=span.end, sentence=span.sent.text.strip(),
                experiencer="other" if "OTHER_EXPERIENCER" in categories else "self",
                modifiers=sorted({f"{m.category.lower()}: {doc[m.modifier_span[0]:m.modifier_span[1]].text}"
                                  for m in modifiers if m.category.upper() != "CLAUSE"})))
        return _negated_lists(out, doc) if language == "en" else _negated_lists_zh(out, doc)


@lru_cache(maxsize=2)
def _corrections(language: str) -> re.Pattern:
    spec = yaml.safe_load(CONTEXT_FILE.read_text(encoding="utf-8"))
    words = spec.get("corrections", {}).get(language, [])
    return re.compile("|".join(f"(?:{w})" for w in words) or "(?!)", re.I)


def _corrected(span, doc, language: str) -> bool:
    """A belief ("thought I was having a stroke") that the message then takes back ("but it was just cramp",
    "then remembered the beetroot"): the words after it, to the end of the next sentence."""
    sentence = span.sent
    after = doc[span.end:sentence.end].text
    following = next((s for s in doc.sents if s.start >= sentence.end), None)
    if following is not None:
        after += " " + following.text
    return bool(_corrections(language).search(after))


ZH_DIGITS = set("0123456789〇一二两三四五六七八九十百")


def _inside_a_number(span) -> bool:
    """A Chinese match that starts with a digit in the middle of a longer number."""
    return span.start > 0 and span.text[:1] in ZH_DIGITS and span.doc[span.start - 1].text in ZH_DIGITS


LIST_WORDS = frozenset({",", "or", "nor", "and", "/", "any", "no", "either", "neither"})
DENIALS = frozenset({"denies", "denied", "denying", "nil", "negative for", "no evidence of", "no history of", "no signs of",
                     "no symptoms of", "no c/o", "no complaints of"})
REPORT_WORDS = frozenset({"but", "now", "is", "are", "was", "were", "am", "have", "has", "had", "i", "he", "she", "we",
                          "they", "it", "feel", "feels", "felt", "got", "gets", "keeps", "still", "yet", "though",
                          "then", "so", "because", "since", "with", "'s", "'m", "m", "s"})


def _negated_lists(found: list[MatchedConcept], doc) -> list[MatchedConcept]:
    """A negation governs a list however long it is, when the list is one ("denies chest pain, dyspnoea,
    syncope or palpitations"): a concept joined to a negated one by list words only, in a list that has an
    "or"/"nor", is negated too. "no chest pain, sweating a lot" has no "or": the sweating stays reported."""
    ordered = sorted(found, key=lambda c: c.start)
    for before, after in zip(ordered, ordered[1:]):
        if before.status != "negated" or after.status != "reported" or before.sentence != after.sentence:
            continue
        if (before.start, before.end) == (after.start, after.end):
            after.status = "negated"  # the same words read as two concepts ("epigastric pain"): one reading
            after.modifiers = sorted(set(after.modifiers) | set(before.modifiers))
            continue
        between = {t.lower_ for t in doc[before.end:after.start]}
        rest = doc[after.end:after.end + 1]
        joined = between | {t.lower_ for t in rest}
        # Items the lexicon does not know may sit in the list ("denies chest pain, dyspnoea, palpitations or
        # syncope"): a few plain words between commas, none of them a verb or a pronoun that starts a report
        unknown = between - LIST_WORDS
        listish = not unknown or (len(unknown) <= 3 and "," in between and not unknown & REPORT_WORDS)
        # A clinician's "denies" or "nil" governs the whole comma list, "or" or not: "Denies CP, SOB, syncope"
        denial = any(m.lower().startswith("negated_existence: ") and m.lower().split(": ", 1)[1] in DENIALS
                     for m in before.modifiers)
        if listish and (joined & {"or", "nor"} or denial or any(
                o.status == "negated" and o.start >= after.end and {t.lower_ for t in doc[after.end:o.start]} & {"or", "nor"}
                for o in ordered)):
            after.status = "negated"
            after.modifiers = sorted(set(after.modifiers) | {f"negated_existence: a list after {before.words!r}"})
    return found


LIST_MARKS_ZH = frozenset("、和或及与")


def _negated_lists_zh(found: list[MatchedConcept], doc) -> list[MatchedConcept]:
    """无气短、出汗、恶心: a negation governs the items joined to it by 、 (or 和/或/及), each item as far as
    the next one."""
    ordered = sorted(found, key=lambda c: c.start)
    for before, after in zip(ordered, ordered[1:]):
        if before.status != "negated" or after.status != "reported" or before.sentence != after.sentence:
            continue
        between = doc[before.end:after.start].text
        if between and set(between) <= LIST_MARKS_ZH:
            after.status = "negated"
            after.modifiers = sorted(set(after.modifiers) | {f"negated_existence: a list after {before.words!r}"})
    return found


# A Chinese sentence that asks something: 症状/表现 then mean "what are the signs", not "无视觉症状"
ZH_QUESTION = re.compile(r"[?？]|吗|什么|哪些|怎么|怎样|如何|咋|啥|是不是|有没有|会不会|区分|区别|分不清")
# V+过, the experiential aspect inside a match: 发作过好几次 is a past event, not one now
ZH_EXPERIENCED = re.compile(r"(?:发作|抽|搐|犯|得|晕|昏|倒|住|拉|吐|咳|摔|吞|服|喝|吃)过(?![量敏度多头去来])")


def _status(categories: set[str], span, figurative: list, doc) -> str:
    if any(f.start <= span.start and span.end <= f.end or (f.start < span.end and span.start < f.end)
           for f in figurative):
        return "figurative"
    if "NEGATED_EXISTENCE" in categories:
        return "negated"
    if "HYPOTHETICAL" in categories:
        return "hypothetical"
    if "FIGURATIVE" in categories:
        return "figurative"
    if "DOCUMENT" in categories:
        return "asking"  # written about (a leaflet, a lesson, a novel), not happening
    if "METAPHOR" in categories:
        return "figurative"  # "累到吐血（比喻，无呕血）": the message says so itself
    if doc.lang_ == "zh" and "ASKING" in categories and not ZH_QUESTION.search(span.sent.text):
        categories = categories - {"ASKING"}
    if doc.lang_ == "zh" and ZH_EXPERIENCED.search(span.text) and "CURRENT" not in categories:
        return "historical"
    if "ASKING" in categories or _only_asking(span.sent.text, span.doc.lang_):
        return "asking"
    if "DECEASED" in categories:
        return "historical"
    current = "CURRENT" in categories
    if "HISTORICAL" in categories and not current:
        return "historical"
    if "FAMILY" in categories and not current and categories & {"HISTORICAL", "PAST_TENSE"}:
        return "historical"  # "my dad had a stroke": family history; "my dad is slurring": now
    if categories & {"RESOLVED", "RESOLVED_SINCE"} and not current:
        return "resolved"
    if span.doc.lang_ == "en" and RESOLVED_LATER.search(doc[span.end:span.sent.end].text):
        return "resolved"  # "gasping at the end, but her breathing was back to normal within two minutes"
    return "reported"


# Over, said later in the sentence even across a "but" (which ends ConText's scopes): the symptom stopped
RESOLVED_LATER = re.compile(r"\b(?:back to normal|settled (?:down )?within|passed within|(?:was )?gone within|"
                            r"went away within|recovered within|came round within|fine (?:again )?within|"
                            r"normal again within|(?:and )?(?:it|the bleeding|bleeding) (?:has )?stopped|"
                            r"(?:passed|settled|went|gone|eased) in (?:a few |a couple of )?(?:seconds|minutes|secs|mins)|"
                            r"no (?:more )?bleeding (?:an hour later|since))\b", re.I)


def _only_asking(sentence: str, language: str = "en") -> bool:
    """A question that says nothing about anyone ("what does slurred speech mean?") reports no symptom. In
    Chinese a completed or present event (了, 刚才, 现在) reports one even without a pronoun."""
    if not QUESTION_END.search(sentence) and not (language == "zh" and sentence.rstrip().endswith("吗")):
        return False
    if language != "zh" and not asks_something(sentence):
        return False  # "bp 201/123??": alarm, not a question
    return not EXPERIENCER.search(sentence) and not (language == "zh" and ZH_REPORT.search(sentence))
