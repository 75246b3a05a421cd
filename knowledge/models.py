"""Typed models for guideline documents, their citable passages, and search filters."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Region = Literal["global", "us", "eu", "cn"]
REGIONS: tuple[str, ...] = ("global", "us", "eu", "cn")

Condition = Literal["htn", "diabetes", "lipids", "urate", "obesity", "general"]
CONDITIONS: tuple[str, ...] = ("htn", "diabetes", "lipids", "urate", "obesity", "general")

# What kinds of question a passage answers (its `Answers:` line) and a question asks (the question analysis).
Intent = Literal["definition", "classification", "causes", "symptoms", "complications", "screening", "target",
                 "measuring", "lifestyle", "food", "treatment", "medicine_use", "side_effects", "interactions",
                 "stopping", "missed_dose", "onset", "prognosis", "emergency"]
INTENTS: tuple[str, ...] = Intent.__args__
# The indicators a passage is about (its `Indicators:` line): glucose covers fasting and after-meal values.
IndicatorKey = Literal["blood_pressure", "heart_rate", "glucose", "hba1c", "total_cholesterol", "ldl_c", "hdl_c",
                       "triglycerides", "uric_acid", "weight", "bmi", "waist"]
INDICATOR_KEYS: tuple[str, ...] = IndicatorKey.__args__
# The side of a value a passage is about, when only one: the treatment of a low glucose is "low".
Direction = Literal["high", "low"]
Audience = Literal["patient", "clinician"]

# Words people type for a condition -> the corpus's condition code.
CONDITION_ALIASES: dict[str, str] = {
    "htn": "htn", "hypertension": "htn", "bp": "htn", "blood-pressure": "htn",
    "diabetes": "diabetes", "dm": "diabetes", "glucose": "diabetes", "hyperglycemia": "diabetes",
    "hyperglycaemia": "diabetes",
    "lipids": "lipids", "lipid": "lipids", "cholesterol": "lipids", "hyperlipidemia": "lipids",
    "hyperlipidaemia": "lipids", "dyslipidemia": "lipids",
    "urate": "urate", "gout": "urate", "uric-acid": "urate", "hyperuricemia": "urate",
    "hyperuricaemia": "urate",
    "obesity": "obesity", "weight": "obesity", "overweight": "obesity", "bmi": "obesity",
    "general": "general",
}


class SourceRef(BaseModel):
    """Where a document's facts come from: the public guideline, its edition and section."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(min_length=3, description="Full name of the source guideline")
    edition: str = Field(min_length=1, description="Edition or year of the source")
    section: str = Field(min_length=1, description="Default section reference")


class DocumentMeta(BaseModel):
    """Front matter of one guideline document."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Document id (file stem)")
    title: str = Field(min_length=3)
    issuer: str = Field(min_length=2)
    source: SourceRef
    url: str = Field(pattern=r"^https?://", description="Where the source guideline can be read")
    region: Region
    conditions: list[Condition] = Field(min_length=1)
    reviewed: dt.date


class Passage(BaseModel):
    """One citable section of a guideline document, as parsed from the corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable citable id: '<document id>#<anchor>'")
    document_id: str
    document_title: str
    issuer: str
    source_document: str
    edition: str
    section: str = Field(description="Section of the source this passage draws on")
    url: str
    region: Region
    conditions: tuple[Condition, ...]
    heading_path: tuple[str, ...] = Field(description="Headings from the document title down")
    text: str
    asked_as: tuple[str, ...] = Field(default=(), description="Questions, in patients' words, that this "
                                      "passage answers; indexed to find it, never shown as its text")
    answers: tuple[Intent, ...] = Field(default=(), description="The kinds of question it answers")
    indicators: tuple[IndicatorKey, ...] = ()
    direction: Direction | None = Field(default=None, description="The one side of a value it is about")
    medicines: tuple[str, ...] = Field(default=(), description="Medicine class or drug ids (coach/rules/drugs.yaml)")
    audience: Audience = "patient"
    path: str = Field(description="File the passage came from, relative to the corpus root")
    line: int = Field(description="Line of the passage heading in that file")

    @property
    def heading(self) -> str:
        return self.heading_path[-1]


class GuidelinePassage(BaseModel):
    """A passage as retrieval returns it: what a reply cites, with the scores that ranked it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    document_id: str
    document_title: str
    issuer: str
    source_document: str
    edition: str
    section: str
    url: str
    region: Region
    conditions: list[Condition]
    heading_path: list[str]
    text: str
    answers: list[Intent] = Field(default_factory=list)
    indicators: list[IndicatorKey] = Field(default_factory=list)
    direction: Direction | None = None
    medicines: list[str] = Field(default_factory=list)
    audience: Audience = "patient"
    score: float = Field(description="Fused hybrid score (higher is better)")
    similarity: float | None = Field(default=None, description="Best cosine similarity of the query to the "
                                     "passage's text or one of its questions")
    key_similarity: float | None = Field(default=None, description="Best cosine similarity of the query to one "
                                         "of the passage's questions (its Asked-as lines)")
    dense_rank: int | None = Field(default=None, description="Rank in the dense list, 1-based")
    lexical_rank: int | None = Field(default=None, description="Rank in the BM25 list, 1-based")

    @classmethod
    def from_passage(cls, passage: Passage, score: float, dense_rank: int | None = None,
                     lexical_rank: int | None = None, similarity: float | None = None,
                     key_similarity: float | None = None) -> GuidelinePassage:
        data = passage.model_dump(exclude={"path", "line", "asked_as"})
        return cls(**data, score=score, dense_rank=dense_rank, lexical_rank=lexical_rank, similarity=similarity,
                   key_similarity=key_similarity)


class SearchFilters(BaseModel):
    """Metadata filters: a condition, and a region (which always includes `global` passages)."""

    model_config = ConfigDict(extra="forbid")

    condition: Condition | None = None
    region: Region | None = None

    def regions(self) -> tuple[str, ...] | None:
        if self.region is None:
            return None
        return (self.region,) if self.region == "global" else (self.region, "global")

    def conditions(self) -> tuple[str, ...] | None:
        # Cross-cutting documents list every condition they apply to, so the match is exact.
        return None if self.condition is None else (self.condition,)

    def accepts(self, region: str, conditions: tuple[str, ...] | list[str]) -> bool:
        regions = self.regions()
        wanted = self.conditions()
        if regions is not None and region not in regions:
            return False
        if wanted is not None and not set(wanted) & set(conditions):
            return False
        return True


def normalise_condition(value: str) -> str:
    """Map a user's word for a condition ('gout', 'hypertension') to its code, or raise ValueError."""
    key = value.strip().lower().replace("_", "-").replace(" ", "-")
    if key in CONDITION_ALIASES:
        return CONDITION_ALIASES[key]
    raise ValueError(
        f"unknown condition {value!r}; use one of {', '.join(CONDITIONS)} "
        "(or a common name such as hypertension, gout, cholesterol)"
    )
