"""Safety triage: red flags decided by rules and data before anything else, in layers that each explain
themselves.

1. language   a message the coach cannot read (py3langid) gets the fixed multilingual safety message;
2. concepts   clinical concepts (spaCy Matcher over rules/triage/concepts.yaml) with their context
              (medspaCy ConText: negated, hypothetical, historical, a relative's, a question, over), then
              flags as combinations of concepts and context (rules/triage/flags.yaml);
3. readings   thresholds on the readings just given, each from its passage (readings.py);
4. semantic   the message's embedding against example utterances (semantic.py): it can only raise.

Emergency means "call the local emergency number now"; urgent means "a clinician today", or the safety
check when it is unclear (the deciding question is asked and a person reviews it). No language model
takes part.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from coach.models import Profile, Reading
from coach.triage import language as lang
from coach.triage.concepts import ConceptFinder, LexiconError, load_concepts
from coach.triage.flags import FlagBook, load_flags, evaluate
from coach.triage.models import LEVELS, Level, MatchedConcept, RedFlagHit, RuledOut, TriageResult
from coach.triage.glucose_text import glucose_in_text
from coach.triage.readings import contexts, reading_flags
from coach.triage.semantic import SemanticNet

__all__ = ["Triage", "TriageResult", "RedFlagHit", "RuledOut", "MatchedConcept", "triage", "default_triage",
           "all_checks", "LEVELS", "Level", "UNREADABLE_PASSAGE"]

UNREADABLE_PASSAGE = "emergency-red-flags#call-now-vs-urgent"
GUIDELINES = Path(__file__).resolve().parents[2] / "guidelines"
EmbedQuery = Callable[[str], Sequence[float]]


def all_checks(book: FlagBook | None = None) -> list[str]:
    """Every flag triage looks for, text and readings, in the order they are reported."""
    ids = [f.id for f in (book or load_flags()).flags]
    return ids + [i for i in ("severe_bp", "low_glucose") if i not in ids]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Words of the guideline corpus (English prose) and of the concepts: a message made mostly of them is
    English, whatever the language identifier guesses for a short one."""
    words: set[str] = set()
    for path in GUIDELINES.glob("*.md"):
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", path.read_text(encoding="utf-8")))
    for c in load_concepts().values():
        for phrase in c.en:
            words.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", phrase))
    return frozenset(words) | known_chat_words()


def known_chat_words() -> frozenset[str]:
    return frozenset({"im", "ive", "dont", "cant", "wont", "didnt", "doesnt", "isnt", "hes", "shes", "thats",
                      "ok", "okay", "pls", "plz", "thx", "thanks", "hi", "hello", "yeah", "yes", "no", "bp",
                      "mmhg", "mmol", "mg", "dl", "lol", "idk", "u", "ur", "gonna", "wanna", "mum", "mom", "dad"})


class Triage:
    """The layered classifier. `semantic` is optional (tests of the rules run without the model); the
    service passes the message's embedding to `__call__` when it has one."""

    def __init__(self, finder: ConceptFinder | None = None, book: FlagBook | None = None,
                 semantic: SemanticNet | None = None):
        self.finder = finder or ConceptFinder()
        self.book = book or load_flags()
        unknown = {f"{f.id}: {c}" for f in self.book.flags for c in f.concepts() if c not in self.finder.concepts}
        if unknown:
            raise LexiconError(f"flags.yaml names concepts that concepts.yaml does not define: {sorted(unknown)}")
        self.semantic = semantic
        self.checks = all_checks(self.book)
        self.english = english_words()
        # Load what the first message would otherwise wait for (the Chinese pipeline, py3langid's model).
        self.finder.find("warm up 热身")
        lang.identify("warm up the language model")

    def __call__(self, text: str, readings: list[Reading] | None = None, profile: Profile | None = None,
                 embedding: Sequence[float] | None = None, now: dt.datetime | None = None) -> TriageResult:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        readings = list(readings or [])
        if not any(r.indicator.endswith("glucose") for r in readings):
            readings += glucose_in_text(text, now or dt.datetime.now())

        unreadable = lang.unreadable(text, self.english)
        t = _lap(timings, "language", started)
        concepts = self.finder.find(text)
        ctx = contexts(profile, concepts, readings, text)
        hits, history, ruled_out = evaluate(self.book, concepts, ctx)
        t = _lap(timings, "concepts", t)
        hits = _merge(hits, reading_flags(readings, text, ctx, concepts))
        if unreadable:
            hits.append(RedFlagHit(id="unreadable_language", level="urgent", layer="language",
                                   label=f"a message in a language the coach cannot read ({unreadable})",
                                   passage_id=UNREADABLE_PASSAGE, evidence=text[:120], kind="safety_check"))
        if self.semantic is not None and embedding is not None:
            hits = self._semantic(hits, embedding, chinese=bool(lang.CJK.search(text)),
                                  reports_finding=self._reports_finding(concepts) or not _asks(text),
                                  set_aside={r.id for r in ruled_out if r.set_aside})
            t = _lap(timings, "semantic", t)
        hits.sort(key=lambda h: (-LEVELS.index(h.level), h.kind == "safety_check"))
        level: Level = hits[0].level if hits else "none"
        found = {h.id for h in hits}
        timings["total"] = round((time.perf_counter() - started) * 1000, 3)
        return TriageResult(level=level, hits=hits, checked=[c for c in self.checks if c not in found],
                            history=[h for h in history if h.id not in found],
                            ruled_out=[r for r in ruled_out if r.id not in found], concepts=concepts,
                            language="zh" if lang.CJK.search(text) else (unreadable or "en"),
                            unreadable_language=unreadable, timings_ms=timings)

    def _reports_finding(self, concepts: list[MatchedConcept]) -> bool:
        skip = set(self.semantic.thresholds.not_findings) if self.semantic else set()
        return any(c.status in ("reported", "resolved") and c.concept not in skip for c in concepts)

    def _semantic(self, hits: list[RedFlagHit], embedding: Sequence[float], chinese: bool = False,
                  reports_finding: bool = True, set_aside: set[str] = frozenset()) -> list[RedFlagHit]:
        """Raise, never lower: a semantic hit counts only where the rules said less, and never for a flag whose
        words the rules read and set aside (`set_aside`: "no chest pain", "pain when I press on it")."""
        nearest = self.semantic.nearest(embedding, chinese=chinese)
        decision = self.semantic.decide(nearest, reports_finding)
        if decision is None or nearest.flag in set_aside:
            return hits
        flag = next((f for f in self.book.flags if f.id == nearest.flag), None)
        if flag is None:
            return hits
        level = flag.level if decision == "flag" else "urgent"
        if hits and max(LEVELS.index(h.level) for h in hits) >= LEVELS.index(level):
            return hits
        question = flag.question or ("Is this happening now, and is the person awake, breathing normally and "
                                     "able to talk?")
        return hits + [RedFlagHit(
            id=flag.id, level=level, label=flag.label, passage_id=flag.passage, layer="semantic",
            kind="flag" if decision == "flag" else "safety_check", question=None if decision == "flag" else question,
            evidence=self.semantic.explain(nearest), similarity=nearest.similarity, example=nearest.example)]


def _asks(text: str) -> bool:
    """The message asks something ("Do I have diabetes? My fasting sugar was 7.4"): with nothing happening in
    it that the rules could read, the semantic net leaves it to the answer."""
    return bool(re.search(r"[?？]|吗\s*$", text))


def _merge(hits: list[RedFlagHit], more: list[RedFlagHit]) -> list[RedFlagHit]:
    """Reading flags join the concept flags; an id already raised at a higher level is not repeated."""
    out = list(hits)
    for h in more:
        same = next((o for o in out if o.id == h.id or (h.id == "severe_bp" and o.id == "hypertensive_emergency")),
                    None)
        if same is None:
            out.append(h)
        elif LEVELS.index(h.level) > LEVELS.index(same.level) or same.kind == "safety_check":
            out[out.index(same)] = h
    return out


def _lap(timings: dict, stage: str, since: float) -> float:
    now = time.perf_counter()
    timings[stage] = round((now - since) * 1000, 3)
    return now


@lru_cache(maxsize=1)
def default_triage() -> Triage:
    """The rule layers, built once (about 2 s: spaCy pipelines and medspaCy's rules)."""
    return Triage()


def triage(text: str, readings: list[Reading] | None = None, profile: Profile | None = None,
           language: str = "en", now: dt.datetime | None = None) -> TriageResult:
    """Red flags in `text` (and in `readings`, e.g. the ones just reported), most severe level first; the
    rule layers only (the service adds the semantic layer with the message's embedding)."""
    return default_triage()(text, readings, profile, now=now)
