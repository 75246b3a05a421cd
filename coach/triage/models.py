"""What triage found and why: the concepts with their context, the flags raised or ruled out, by layer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["none", "routine", "urgent", "emergency"]
LEVELS: tuple[str, ...] = ("none", "routine", "urgent", "emergency")
Layer = Literal["concepts", "readings", "semantic", "language"]
Status = Literal["reported", "negated", "hypothetical", "asking", "historical", "figurative", "resolved"]


class MatchedConcept(BaseModel):
    """One clinical concept found in the message, with what its context says about it."""

    model_config = ConfigDict(extra="forbid")

    concept: str
    label: str
    words: str = Field(description="The words that matched")
    status: Status = Field(description="reported (happening now), or why it is not: negated, hypothetical, "
                           "asking about signs, historical, figurative, resolved (over)")
    experiencer: Literal["self", "other"] = "self"
    language: str = "en"
    start: int = 0
    end: int = 0
    sentence: str = ""
    modifiers: list[str] = Field(default_factory=list, description="The context cues that applied (ConText)")


class RedFlagHit(BaseModel):
    id: str
    level: Literal["routine", "urgent", "emergency"]
    label: str
    passage_id: str
    evidence: str = Field(description="The words or the reading that raised it")
    layer: Layer = "concepts"
    kind: Literal["flag", "safety_check"] = Field(default="flag", description="safety_check: not enough for "
                                                   "the flag, too much to let pass; the reply asks `question`")
    concepts: list[MatchedConcept] = Field(default_factory=list)
    question: str | None = None
    similarity: float | None = Field(default=None, description="Semantic layer: cosine to the nearest example")
    example: str | None = Field(default=None, description="Semantic layer: the nearest example utterance")
    passed: bool = Field(default=False, description="The symptoms were over when written")


class RuledOut(BaseModel):
    id: str
    label: str
    reason: str = Field(description='e.g. "none of face, arm or leg, speech" or "chest pain: negated"')


class TriageResult(BaseModel):
    level: Level
    hits: list[RedFlagHit] = Field(default_factory=list)
    checked: list[str] = Field(description="Red flags looked for and not found")
    history: list[RedFlagHit] = Field(default_factory=list, description="Red flags the message mentions only "
                                      "as past history (a stroke two years ago): not raised, and their "
                                      "emergency advice is not the answer")
    ruled_out: list[RuledOut] = Field(default_factory=list)
    concepts: list[MatchedConcept] = Field(default_factory=list)
    language: str = "en"
    unreadable_language: str | None = Field(default=None, description="A language the coach cannot read "
                                            "(ISO 639-1): the reply is the fixed multilingual safety message")
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def is_emergency(self) -> bool:
        return self.level == "emergency"

    @property
    def is_safety_check(self) -> bool:
        return self.level == "urgent" and bool(self.hits) and self.hits[0].kind == "safety_check"
