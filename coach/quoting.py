"""Which retrieved passages a composed answer quotes, and which of their sentences.

Two things decide it. What the question asks for (a target, warning signs, how to measure, what to do):
a passage whose heading names it answers the question, so when some do, only they are quoted. And the
words the question shares with a passage, each weighted by how rare it is in the guidelines: "beer" says
more about a passage than "blood pressure", which half the corpus mentions.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Protocol, Sequence

from knowledge.bm25 import stem, words
from knowledge.chunking import split_sentences

# A sentence opening like this refers back to the one before it: it is never quoted without that one.
LEANS_BACK = re.compile(r"^(?:This|These|That|Those|It|Its|They|Their|Such|Both|Here|Because (?:this|that)|However|"
                        r"Otherwise|Instead|Also|Then|So|The (?:same|former|latter)|In (?:this|that|such|either) "
                        r"cases?|For (?:them|these|those|this reason))\b")
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
# A sentence that announces how many things follow ("describe two families of symptoms.", "grade low glucose
# in three levels:", "accept four ways of showing diabetes"): what it promises is quoted with it.
PROMISE = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|[2-9])\s+(?:[\w-]+\s+){0,3}?[\w-]+s"
                     r"(?:\s+(?:of|for|in|to)\s+[^.:;,]+)?\s*[.:]$|\bthe following\b[^.]*:$|\bas follows:$", re.I)
LIST_ITEM = re.compile(r"^(?:[-*]|\d+\.)\s+")
LEAD_BONUS = 1.0  # passages are written lead first
LIST_BONUS = 2.0  # a question asking for signs wants the list that names them
ADDED_WORD = 0.5  # what naming the intent ("target", "goal") counts, next to a word of the question's own
CONTEXT_WORD = 0.5  # a word of a statement around the question ("Two years ago I had chest pain.")
SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]*")
# What the person says they do not have ("no chest pain or anything") is not what they ask about.
NEGATED = re.compile(r"\b(?:no|without|never)(?:\s+[\w'-]+){1,3}", re.I)
MAX_ITEMS = 2  # the best items quoted after a lead-in when the question does not ask for the whole list


# People's words for what the guidelines often name otherwise, so that both match ("uric acid", "urate").
SAME_AS = ((re.compile(r"\buric acid\b", re.I), "urate"), (re.compile(r"\b(blood|fasting) sugar\b", re.I), r"\1 glucose"),
           (re.compile(r"\ba1c\b", re.I), "hba1c"))


def stems(text: str) -> frozenset[str]:
    for pattern, same in SAME_AS:
        text = pattern.sub(same, text)
    return frozenset(stem(w) for w in words(text))


@lru_cache(maxsize=1024)
def passage_words(text: str, headings: tuple[str, ...] = ()) -> frozenset[str]:
    """The stems of a passage's text and headings, kept: a passage is a candidate of many questions."""
    return stems(" ".join((text, *headings)))


@dataclass(frozen=True)
class Intent:
    """Something a question asks for, how people ask it, and the words a passage that answers it uses."""

    name: str
    asked: re.Pattern
    search: str  # added to the search query, and to the words a quote is chosen by
    marks: frozenset[str]  # stems that name it in a passage's heading
    wants_list: bool = False  # the answer is an enumeration (the signs, the steps), quoted whole
    about_status: bool = True  # the person's finding ("Stage 1 hypertension") is part of the topic


INTENTS = (
    Intent("lifestyle", re.compile(
        r"\bwhat (?:can|should|could) i do\b|\bhow (?:can|do|could|should) i (?:lower|reduce|improve|bring|fix|"
        r"control)\b|\bhow (?:can|do|could|should) i get (?:\w+ ){0,3}(?:down|lower|under control)\b"
        r"|\bwithout (?:medicine|medication|pills|tablets|drugs)\b|\bnaturally\b", re.I),
        "lifestyle changes to lower it",
        stems("lifestyle diet eating food salt sodium potassium weight activity exercise alcohol smoking"),
        wants_list=True),
    Intent("activity", re.compile(
        r"\bget (?:fit|fitter|in shape|more active|moving)\b|\bfitness\b|\bhow much (?:exercise|activity|walking)\b"
        r"|\b(?:start|begin)\w* (?:to )?(?:exercis\w*|physical activity|working out|walking)\b", re.I),
        "physical activity exercise", stems("activity exercise walking fitness aerobic sedentary"),
        wants_list=True, about_status=False),
    Intent("target", re.compile(
        r"\b(?:targets?|goals?|aim|aiming)\b|\bwhat should (?:my|his|her|our|their) \w+(?: \w+)? (?:be|get down to)\b",
        re.I), "target goal", stems("target goal aim"), about_status=False),
    Intent("measuring", re.compile(
        r"\bhow (?:best )?(?:do|should|can|could|to) (?:i |you |we )?(?:measure|check|take|test|monitor)\b",
        re.I), "measurement technique",
        stems("measure measurement technique cuff device monitor posture preparing schedule protocol"),
        wants_list=True, about_status=False),
    Intent("signs", re.compile(
        r"\bwhat (?:are|were|is) (?:the |some )?(?:\w+ ){0,2}(?:signs?|symptoms?)\b|\bwarning signs?\b"
        r"|\bhow (?:do|would|can|could) (?:i|you) (?:know|tell|recogni[sz]e)\b", re.I),
        "warning signs symptoms", stems("sign symptom warning"), wants_list=True, about_status=False),
)


# Words a passage uses where it says what an intent of the question analysis asks for: the sentence of a
# passage on low glucose that lists its signs, not the one that defines it, answers "what are the signs".
ANSWER_WORDS = {
    "symptoms": "symptom symptoms sign signs feel feeling shaky sweating thirst tired blurred", "causes":
    "cause causes risk factor factors raise raises lead leads inherit genes", "complications":
    "damage complication complications over time harm", "screening": "check checked test tested exam screen "
    "screening every year yearly", "target": "target goal aim below under", "measuring": "measure measuring "
    "cuff reading readings", "lifestyle": "lifestyle exercise activity diet weight", "food": "eat eating food "
    "foods drink portion", "treatment": "treatment treat medicine medicines", "medicine_use": "used take taking "
    "works", "side_effects": "side effect effects cause causes", "interactions": "together with combine combined "
    "interact", "stopping": "stop stopping suddenly", "missed_dose": "missed dose forget forgotten", "onset":
    "week weeks month months days effect full", "prognosis": "remission reverse reversed cure lifelong outlook",
    "definition": "means called is", "classification": "category categories range stage level", "emergency":
    "emergency call urgent immediately",
}


def intents_of(question: str) -> tuple[Intent, ...]:
    return tuple(i for i in INTENTS if i.asked.search(question))


def search_words(question: str) -> str:
    """Words added to the search for what the question asks ("target goal"), "" when it asks nothing special."""
    return " ".join(i.search for i in intents_of(question))


def about_status(question: str) -> bool:
    """Whether the person's findings' statuses belong in the search: not for a target, signs or technique."""
    return all(i.about_status for i in intents_of(question))


class WordWeights:
    """How much a shared word says: its inverse document frequency over the guideline passages."""

    def __init__(self, texts: Iterable[str] = ()):
        texts = list(texts)
        self.size = len(texts)
        self.df = Counter(s for text in texts for s in stems(text))

    def __call__(self, word: str) -> float:
        if not self.size:
            return 1.0  # no corpus: every word counts the same
        n = self.df.get(word, 0)
        return math.log(1 + (self.size - n + 0.5) / (n + 0.5))


@dataclass(frozen=True)
class Topic:
    """What a quote is chosen by: the question's words, its intents and how much each word says."""

    words: frozenset[str]  # the words of the sentences that ask (all of them when none ends in "?")
    intents: tuple[Intent, ...]
    weights: WordWeights = field(default_factory=WordWeights)
    added: frozenset[str] = frozenset()  # words naming what it asks for ("target", "goal")
    context: frozenset[str] = frozenset()  # the words of statements around the question

    @classmethod
    def of(cls, question: str, weights: WordWeights | None = None, asks: Sequence[str] = ()) -> Topic:
        """`asks`: the intents the question analysis found; the words that name each in a passage count
        as naming what is asked, like the intents read here."""
        intents = intents_of(question)
        added = frozenset().union(*(stems(i.search) | i.marks for i in intents),
                                  *(stems(ANSWER_WORDS.get(a, "")) for a in asks[:1]))
        sentences = [s for s in SENTENCE.findall(NEGATED.sub(" ", question)) if s.strip()]
        asks = [s for s in sentences if s.rstrip().endswith(("?", "？"))] or sentences
        own = stems(" ".join(asks)) - added  # "aim", "target", "goal" name what is asked once, as `added`
        context = stems(" ".join(s for s in sentences if s not in asks)) - own - added
        return cls(own, intents, weights or WordWeights(), added, context)

    def unknown(self) -> float:
        """The share of the question's own words of four letters or more that no guideline passage uses:
        "insurance", "walmart", "amoxicillin" say the question is about something the corpus does not hold."""
        own = [w for w in self.words if len(w) >= 4 and w.isalpha()]
        if not own or not self.weights.size:
            return 0.0
        return sum(self.weights.df.get(w, 0) == 0 for w in own) / len(own)

    def rarest(self) -> str | None:
        """The question's own word of four letters or more that the fewest guideline passages use (and some
        do): what says most of what is asked ("dawn" in "dawn phenomenon high sugar morning")."""
        used = [w for w in self.words if len(w) >= 4 and w.isalpha() and self.weights.df.get(w, 0) > 0]
        return min(used, key=lambda w: (self.weights.df[w], w)) if used and self.weights.size else None

    def score(self, found: frozenset[str]) -> float:
        """The weights of the question's words found, half those of its context's, and half the weight of
        the rarest word found that names what it asks for: "target" and "goal" say the same thing once."""
        named = [self.weights(w) for w in self.added & found]
        return (sum(self.weights(w) for w in self.words & found)
                + CONTEXT_WORD * sum(self.weights(w) for w in self.context & found)
                + (ADDED_WORD * max(named) if named else 0.0))

    def named_by(self, heading: str) -> bool:
        """Whether a heading names what the question asks for (its target, its signs...)."""
        found = stems(heading)
        return any(i.marks & found for i in self.intents)

    @property
    def wants_list(self) -> bool:
        return any(i.wants_list for i in self.intents)


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a passage: a prose sentence, or a list with the sentence that leads into it."""

    position: int
    text: str
    items: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return bool(self.items)


def units(text: str) -> list[Unit]:
    """Prose sentences and lists (a lead-in ending in ':' and its items); tables, headings, bare items and
    fragments are left out."""
    out: list[Unit] = []
    lines = [line.strip().replace("**", "") for line in text.splitlines() if line.strip()]
    position, i = 0, 0
    while i < len(lines):
        line = lines[i]
        if LIST_ITEM.match(line) or line.startswith(("|", "#")):
            i += 1  # an item with no lead-in, a table row or a heading
            continue
        sentences = split_sentences(line)
        items: list[str] = []
        while sentences[-1].endswith(":") and i + 1 < len(lines) and LIST_ITEM.match(lines[i + 1]):
            items.append(_item(lines[i + 1]))
            i += 1
        i += 1
        for k, sentence in enumerate(sentences):
            last = k == len(sentences) - 1
            if last and items:
                out.append(Unit(position, sentence, tuple(items)))
            elif sentence.endswith(".") and len(sentence) > 30:
                out.append(Unit(position, sentence))
            position += 1
    return out


def promised(unit: Unit) -> int:
    """How many things a unit announces ("two families of symptoms." -> 2); a list's lead-in announcing
    "the following" promises all its items; 0 when it announces nothing."""
    found = PROMISE.search(unit.text)
    if not found:
        return 0
    count = found.group(1)
    if count is None:
        return len(unit.items)
    return NUMBER_WORDS.get(count.lower()) or int(count)


def _item(line: str) -> str:
    item = LIST_ITEM.sub("", line).rstrip(" ;,.")
    return re.sub(r"[;,]?\s+(?:or|and)$", "", item)


@dataclass(frozen=True)
class Quote:
    text: str
    score: float
    words: frozenset[str]


def excerpt(text: str, topic: Topic, run: int = 2) -> Quote | None:
    """The run of up to `run` consecutive units of a passage that says most about the topic.

    A list counts as one unit: with the question asking for a list (signs, steps, what to do) or its
    lead-in announcing how many things it holds ("four ways"), its items are quoted whole, otherwise the
    items sharing most with the question (at most two) after its lead-in, and a list none of whose items
    shares a word is not quoted. A sentence announcing a count ("two families of symptoms.") is quoted with
    the sentences that follow it, up to that count. A run opening with "This"/"It"... leans on a sentence
    it leaves out, so it is not quoted (the run that starts one sentence earlier may be); ties go to the
    earlier run, and a passage sharing no word with the topic gives no quote.
    """
    pieces = units(text)
    candidates = []
    for start in range(len(pieces)):
        first = pieces[start]
        if first.position > 0 and LEANS_BACK.match(first.text):
            continue
        chosen: list[tuple[str, frozenset[str]]] = []
        end = base = min(start + run, len(pieces))
        owed, k = 0, start  # owed: how many units a sentence announcing a count still has to come
        while k < end:
            if k > start and pieces[k].position != pieces[k - 1].position + 1:
                break
            rendered = _render(pieces[k], topic, whole=owed > 0)
            if rendered is None:
                break
            chosen.append(rendered)
            if pieces[k].is_list:
                if owed:  # the list is what was announced ("accept four ways ...:" and the four)
                    owed, end = 0, max(base, k + 1)
            elif count := promised(pieces[k]):
                owed, end = count, max(end, min(k + 1 + count, len(pieces)))
            else:
                owed = max(0, owed - 1)
            k += 1
        if not chosen:
            continue
        score = topic.score(frozenset().union(*(found for _, found in chosen)))
        if not score:
            continue
        if first.position == 0:
            score += LEAD_BONUS
        if topic.wants_list and any(pieces[k].is_list for k in range(start, start + len(chosen))):
            score += LIST_BONUS
        candidates.append((score, -start, chosen))
    if not candidates:
        return None
    score, _, best = max(candidates, key=lambda c: (c[0], c[1]))
    return Quote(" ".join(t for t, _ in best), score, frozenset().union(*(found for _, found in best)))


def _render(unit: Unit, topic: Topic, whole: bool = False) -> tuple[str, frozenset[str]] | None:
    """A unit as quoted, and its words; a list none of whose items shares a word with the topic is None.
    `whole`: a sentence before it announced the list."""
    if not unit.is_list:
        return unit.text, stems(unit.text)
    items = list(unit.items)
    if not (whole or topic.wants_list or promised(unit)):  # "four categories:" promises all four
        scores = [topic.score(stems(item)) for item in items]
        if not max(scores):
            return None
        items = [item for item, score in zip(items, scores) if score == max(scores)][:MAX_ITEMS]
    text = f"{unit.text} {'; '.join(items)}."
    return text, stems(text)


class Quotable(Protocol):
    id: str
    text: str
    heading_path: Sequence[str]


def coverage(text: str, topic: Topic) -> float:
    """How much of the question's own words (by weight) a passage's best excerpt holds, 0 to 1."""
    quote = excerpt(text, topic)
    total = sum(topic.weights(w) for w in topic.words)
    if quote is None or not total:
        return 0.0
    return sum(topic.weights(w) for w in topic.words & quote.words) / total


def choose(passages: Sequence[Quotable], topic: Topic, skip: set[str] = frozenset(),
           limit: int = 2) -> list[tuple[Quotable, str]]:
    """The passages to quote (at most `limit`) with their excerpts.

    When some passage's heading names what the question asks for, only those are quoted, and of those only
    the ones sharing a word of the question's own when some do: "what should my LDL be?" wants an LDL goal,
    not the HbA1c goal passage beside it. A passage whose excerpt and heading say less than half of what
    the best one's say about the question is left out ("diet alone will not solve gout" next to "beer
    raises urate"); the rest keep the retriever's order.
    """
    scored = []
    for passage in passages:
        if passage.id in skip or not (quote := excerpt(passage.text, topic)):
            continue
        heading = passage.heading_path[-1] if passage.heading_path else ""
        relevance = quote.score + topic.score(stems(heading) - quote.words)  # a word counts once
        named = topic.named_by(heading)
        on_topic = named and bool(topic.words & (quote.words | stems(heading)))
        scored.append((named, on_topic, relevance, passage, quote.text))
    scored = [s for s in scored if s[1]] or [s for s in scored if s[0]] or scored
    if not scored:
        return []
    best = max(relevance for _, _, relevance, *_ in scored)
    return [(passage, text) for _, _, relevance, passage, text in scored if relevance >= best / 2][:limit]
