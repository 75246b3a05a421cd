"""Red flags as combinations of concepts and context (rules/triage/flags.yaml), evaluated on the concepts
found in a message. Deterministic: the same concepts always give the same flags, and each hit names the
concepts and words that raised it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.triage.models import MatchedConcept, RedFlagHit, RuledOut

FLAGS_FILE = Path(__file__).resolve().parent.parent / "rules" / "triage" / "flags.yaml"
CONTEXTS = {"diabetes", "low_or_diabetes", "pregnancy", "postpartum", "pregnant_or_postpartum", "bp_severe",
            "bp_high", "glucose_low", "glucose_high", "bp_not_high", "glucose_not_high", "peak_flow_severe",
            "glucose_back_up"}


class Alternative(BaseModel):
    model_config = ConfigDict(extra="forbid")

    any: list[str] = Field(default_factory=list)
    all: list[list[str]] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list, description="Concepts that explain the symptom away when "
                              "reported with it (a sore chest that hurts when pressed, after bench press), or "
                              "contexts that do (bp_not_high: a reading given and below 140/90)")

    @model_validator(mode="after")
    def _one_shape(self):
        if not self.any and not self.all:
            raise ValueError("an alternative needs `any` or `all`")
        unknown = set(self.needs) - CONTEXTS
        if unknown:
            raise ValueError(f"unknown context {sorted(unknown)}; known: {sorted(CONTEXTS)}")
        return self

    @property
    def groups(self) -> list[list[str]]:
        return ([self.any] if self.any else []) + self.all

    def concepts(self) -> set[str]:
        return {c for g in self.groups for c in g} | (set(self.unless) - CONTEXTS)


class Flag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    level: Literal["urgent", "emergency"]
    label: str
    passage: str
    signs: str
    when: list[Alternative]
    passed: Literal["none", "urgent", "emergency"] = "urgent"
    check: list[Alternative] = Field(default_factory=list)
    question: str | None = None
    figurative_check: bool = Field(default=False, description="A figure of speech in the flag's words (\"this "
                                   "diet makes me want to die lol\") still gets the safety check: asking costs little")

    @model_validator(mode="after")
    def _question_for_check(self):
        if (self.check or self.figurative_check) and not self.question:
            raise ValueError(f"flag {self.id}: a `check` needs the `question` it asks")
        return self

    def concepts(self) -> set[str]:
        return {c for a in self.when + self.check for c in a.concepts()}


class FlagBook(BaseModel):
    flags: list[Flag]


@lru_cache(maxsize=2)
def load_flags(path: Path = FLAGS_FILE) -> FlagBook:
    return FlagBook.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def _satisfied(alt: Alternative, by_concept: dict[str, list[MatchedConcept]], contexts: set[str]
               ) -> list[MatchedConcept] | None:
    """The concepts that satisfy `alt` (one per group), or None."""
    if not set(alt.needs) <= contexts or _explained(alt, by_concept, contexts):
        return None
    return _pick(alt.groups, by_concept, [])


def _explained(alt: Alternative, by_concept: dict[str, list[MatchedConcept]], contexts: set[str]) -> bool:
    """One of the alternative's `unless` concepts is reported, or one of its `unless` contexts holds."""
    return any(by_concept.get(c) or c in contexts for c in alt.unless)


def _pick(groups: list[list[str]], by_concept: dict[str, list[MatchedConcept]], used: list[MatchedConcept]
          ) -> list[MatchedConcept] | None:
    """One mention per group, none crossing another's words: "背部疼痛" across "胸背部疼" (chest and back pain)
    is not a second symptom spreading to the back (a search: the first choice for one group may be the only
    one that another can do without)."""
    if not groups:
        return used
    for c in groups[0]:
        for m in by_concept.get(c, []):
            if m not in used and not any(_overlap(m, u) for u in used) and (
                    found := _pick(groups[1:], by_concept, used + [m])):
                return found
    return None


def _overlap(a: MatchedConcept, b: MatchedConcept) -> bool:
    """Two readings that cross each other's words ("胸背部疼" and "背部疼痛"). One inside the other is an
    attribute of it ("glipizide" in "swallowed a couple of her glipizide tablets"), and counts."""
    if a.language != b.language or not (a.start < b.end and b.start < a.end):
        return False
    inside = (a.start >= b.start and a.end <= b.end) or (b.start >= a.start and b.end <= a.end)
    return not inside


def evaluate(book: FlagBook, concepts: list[MatchedConcept], contexts: set[str]
             ) -> tuple[list[RedFlagHit], list[RedFlagHit], list[RuledOut]]:
    """Flags raised now (emergency, urgent, and safety checks), flags told only as history, and the rest
    ruled out with the reason."""
    now = _index(m for m in concepts if m.status in ("reported", "resolved"))
    past = _index(m for m in concepts if m.status == "historical")
    # A joke marker ("i want to die lol") can hide what is meant, so the flag's question is still asked; a
    # known idiom ("I could kill myself for eating that cake") is a figure of speech and asks nothing.
    said_loosely = _index(m for m in concepts if m.status in ("reported", "resolved") or (
        m.status == "figurative" and any(x.startswith("figurative:") for x in m.modifiers)))
    hits, history, ruled_out = [], [], []
    for flag in book.flags:
        used = next((u for a in flag.when if (u := _satisfied(a, now, contexts))), None)
        if used:
            passed = all(m.status == "resolved" for m in used)
            level = flag.passed if passed else flag.level
            if level != "none":
                hits.append(_hit(flag, level, used, passed=passed))
                continue
        check = next((u for a in flag.check if (u := _satisfied(a, now, contexts))), None)
        if check is None and flag.figurative_check:
            check = next((u for a in flag.when if (u := _satisfied(a, said_loosely, contexts))), None)
        if check and not all(m.status == "resolved" for m in check):
            hits.append(_hit(flag, "urgent", check, kind="safety_check"))
            continue
        old = next((u for a in flag.when if (u := _satisfied(a, past | now, contexts))), None)
        if old and any(m.status == "historical" for m in old):
            history.append(_hit(flag, flag.level, old))
        ruled_out.append(RuledOut(id=flag.id, label=flag.label, reason=_why_not(flag, concepts),
                                  set_aside=_set_aside(flag, concepts, now, contexts)))
    return hits, history, ruled_out


def _index(mentions) -> dict[str, list[MatchedConcept]]:
    out: dict[str, list[MatchedConcept]] = {}
    for m in mentions:
        out.setdefault(m.concept, []).append(m)
    return out


def _hit(flag: Flag, level: str, used: list[MatchedConcept], kind: str = "flag", passed: bool = False) -> RedFlagHit:
    return RedFlagHit(id=flag.id, level=level, label=flag.label, passage_id=flag.passage, layer="concepts",
                      evidence="; ".join(dict.fromkeys(m.words for m in used)), concepts=used, kind=kind,
                      question=flag.question if kind == "safety_check" else None, passed=passed)


def _set_aside(flag: Flag, concepts: list[MatchedConcept], now: dict[str, list[MatchedConcept]],
               contexts: set[str]) -> bool:
    """The rules read this flag's words and decided: every one is negated, hypothetical, asked about, history
    or a figure of speech, or a cause in the message explains them (an `unless`). An embedding barely sees
    "no", "if" or "two years ago", so the semantic net must not raise such a flag again."""
    related = [m for m in concepts if m.concept in flag.concepts()]
    if not related:
        return False
    if all(m.status not in ("reported", "resolved") for m in related):
        return True
    return any(_explained(a, now, contexts) and set(a.needs) <= contexts and _pick(a.groups, now, [])
               for a in flag.when)


def _why_not(flag: Flag, concepts: list[MatchedConcept]) -> str:
    """'none of face, arm or leg, speech', or which related words were there and why they did not count."""
    related = [m for m in concepts if m.concept in flag.concepts()]
    if not related:
        return f"none of {flag.signs}"
    explaining = {c for a in flag.when for c in a.unless}
    reasons = "; ".join(dict.fromkeys(f"{m.words!r} {m.status}" if m.status != "reported"
                                      else f"{m.words!r} explains it" if m.concept in explaining
                                      else f"{m.words!r} alone is not enough" for m in related))
    return f"{reasons} (looked for: {flag.signs})"
