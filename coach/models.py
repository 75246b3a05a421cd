"""Typed models at the coach's boundaries: readings, indicator findings (more arrive with issue 3)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Region = Literal["global", "us", "eu", "cn"]
Sex = Literal["male", "female"]
# Cardiovascular risk category, as the person's clinician set it (the coach never estimates it): picks the
# LDL-C goal where a guideline sets goals by risk (ESC/EAS 2019, Chinese lipid guideline 2023).
CvRisk = Literal["low", "moderate", "high", "very_high", "ultra_high"]


class Indicator(StrEnum):
    """What a reading measures. Values are stored in the canonical unit of `CANONICAL_UNITS`."""

    systolic_bp = "systolic_bp"
    diastolic_bp = "diastolic_bp"
    heart_rate = "heart_rate"
    fasting_glucose = "fasting_glucose"
    postprandial_glucose = "postprandial_glucose"
    hba1c = "hba1c"
    total_cholesterol = "total_cholesterol"
    ldl_c = "ldl_c"
    hdl_c = "hdl_c"
    triglycerides = "triglycerides"
    uric_acid = "uric_acid"
    weight = "weight"
    height = "height"
    waist = "waist"
    bmi = "bmi"  # derived from weight and height, never entered


CANONICAL_UNITS: dict[Indicator, str] = {
    Indicator.systolic_bp: "mmHg", Indicator.diastolic_bp: "mmHg", Indicator.heart_rate: "bpm",
    Indicator.fasting_glucose: "mmol/L", Indicator.postprandial_glucose: "mmol/L", Indicator.hba1c: "%",
    Indicator.total_cholesterol: "mmol/L", Indicator.ldl_c: "mmol/L", Indicator.hdl_c: "mmol/L",
    Indicator.triglycerides: "mmol/L", Indicator.uric_acid: "µmol/L", Indicator.weight: "kg",
    Indicator.height: "cm", Indicator.waist: "cm", Indicator.bmi: "kg/m²",
}

LABELS: dict[Indicator, str] = {
    Indicator.systolic_bp: "systolic blood pressure", Indicator.diastolic_bp: "diastolic blood pressure",
    Indicator.heart_rate: "heart rate", Indicator.fasting_glucose: "fasting glucose",
    Indicator.postprandial_glucose: "glucose after a meal", Indicator.hba1c: "HbA1c",
    Indicator.total_cholesterol: "total cholesterol", Indicator.ldl_c: "LDL cholesterol",
    Indicator.hdl_c: "HDL cholesterol", Indicator.triglycerides: "triglycerides",
    Indicator.uric_acid: "uric acid", Indicator.weight: "weight", Indicator.height: "height",
    Indicator.waist: "waist circumference", Indicator.bmi: "BMI",
}


ProfileCondition = Literal["htn", "diabetes", "prediabetes", "lipids", "urate", "gout", "obesity", "ckd",
                          "cvd", "pregnancy"]


class Medication(BaseModel):
    """A medicine the person takes, as they name it; the class is optional (free text allowed)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    drug_class: str | None = Field(default=None, max_length=80, description="e.g. ACE inhibitor, statin")


class Profile(BaseModel):
    """A person the coach works with. Region picks the guideline set used for every threshold."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", description="Stable id (lowercase, digits, - or _)")
    display_name: str = Field(min_length=1, max_length=80)
    birth_year: int | None = Field(default=None, ge=1900, le=2026)
    sex: Sex | None = None
    height_cm: float | None = Field(default=None, ge=80, le=250)
    conditions: list[ProfileCondition] = Field(default_factory=list)
    diabetes_type: Literal["type1", "type2", "gestational", "other"] | None = None
    medications: list[Medication] = Field(default_factory=list)
    allergies: list[str] = Field(default_factory=list)
    region: Region = "global"
    cv_risk: CvRisk | None = Field(default=None, description="Cardiovascular risk category set by the "
                                   "clinician; picks the LDL-C goal")
    goals: list[str] = Field(default_factory=list)
    tier: Literal["basic", "professional", "premium"] = "basic"

    def age(self, today: dt.date) -> int | None:
        return None if self.birth_year is None else today.year - self.birth_year


class Reading(BaseModel):
    """One measurement, in its indicator's canonical unit (and as the person gave it)."""

    model_config = ConfigDict(extra="forbid")

    indicator: Indicator
    value: float
    unit: str = Field(description="Always the canonical unit of the indicator")
    entered_value: float | None = Field(default=None, description="The value as the person gave it")
    entered_unit: str | None = Field(default=None, description="The unit the person used")
    measured_at: dt.datetime
    context: Literal["fasting", "after_meal", "random", "home", "office", "lab"] | None = None
    source: Literal["chat", "manual", "device", "lab", "import"] = "manual"
    id: int | None = Field(default=None, description="Set by the store")

    @model_validator(mode="after")
    def _canonical_and_plausible(self) -> Reading:
        from coach.units import PLAUSIBLE  # units builds on these models; imported here to stay acyclic

        if self.unit != CANONICAL_UNITS[self.indicator]:
            raise ValueError(f"{LABELS[self.indicator]} must be stored in {CANONICAL_UNITS[self.indicator]}, "
                             f"not {self.unit} (convert with coach.units.to_canonical)")
        low, high = PLAUSIBLE[self.indicator]
        if not low <= self.value <= high:
            raise ValueError(f"{LABELS[self.indicator]} {self.value:g} {self.unit} is outside the accepted "
                             f"range {low:g}-{high:g} {self.unit}")
        if self.measured_at.tzinfo is not None:  # stored as naive UTC everywhere
            self.measured_at = self.measured_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return self


class Trend(BaseModel):
    """How an indicator moved over a window ending now."""

    model_config = ConfigDict(extra="forbid")

    window_days: int
    readings: int
    mean: dict[Indicator, float] = Field(description="Mean per component, canonical unit")
    direction: Literal["rising", "falling", "stable"] | None = Field(
        description="From a least-squares slope over the window; None with fewer than 3 readings")
    change_per_week: dict[Indicator, float] = Field(default_factory=dict)


class IndicatorFinding(BaseModel):
    """An indicator's latest value judged by a guideline rule: what, how, by which passage."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(description="Indicator, or a combined one such as 'blood_pressure'")
    values: dict[Indicator, float] = Field(description="The values judged, in the rule's unit")
    unit: str = Field(description="The rule's unit (the guideline's own)")
    measured_at: dt.datetime
    status: str
    label: str
    rule_id: str
    guideline: str
    region: Region
    threshold: str = Field(description="The band's bounds in words, for the reply and the table")
    passage_id: str = Field(description="The guideline passage that defines this threshold")
    severity: int = Field(description="0 = the rule's reference band; higher is further from it")
    derived: str | None = Field(default=None, description="How a derived value was computed, e.g. the BMI "
                                "formula or 'mean of 6 home readings over 7 days'")
    trends: list[Trend] = Field(default_factory=list, description="7- and 30-day trends where data allow")

    @property
    def shown_values(self) -> str:
        """The values as people write them: '152/96' for blood pressure, '133' otherwise (no unit)."""
        return "/".join(f"{v:g}" for v in self.values.values())



def finding_components(indicator: str) -> set[Indicator]:
    """The readings a finding is computed from: both BP numbers, weight for BMI, else the indicator itself."""
    if indicator in ("blood_pressure", "home_blood_pressure"):
        return {Indicator.systolic_bp, Indicator.diastolic_bp}
    if indicator == "bmi":
        return {Indicator.weight}
    return {Indicator(indicator)}


def pair_blood_pressure(readings: list[Reading]) -> list[tuple[Reading, Reading]]:
    """Systolic and diastolic readings taken at the same moment, as (systolic, diastolic) pairs, oldest first.

    Several pairs can share a moment ("150/95 and 148/92" in one message): they pair in the order given.
    """
    by_time: dict[dt.datetime, dict[Indicator, list[Reading]]] = {}
    for r in readings:
        if r.indicator in (Indicator.systolic_bp, Indicator.diastolic_bp):
            by_time.setdefault(r.measured_at, {Indicator.systolic_bp: [], Indicator.diastolic_bp: []})[
                r.indicator].append(r)
    return [pair for when in sorted(by_time)
            for pair in zip(by_time[when][Indicator.systolic_bp], by_time[when][Indicator.diastolic_bp])]


class Citation(BaseModel):
    """A guideline passage a reply relies on, quoted, with the marker used in the text ([1], [2]...)."""

    model_config = ConfigDict(extra="forbid")

    marker: int = Field(ge=1)
    passage_id: str
    document_title: str
    issuer: str
    edition: str
    section: str
    url: str
    quote: str = Field(description="The passage text")
    score: float | None = Field(default=None, description="Retrieval score; None for rule-cited passages")


class Escalation(BaseModel):
    """A red flag handed to humans (health managers), with the passage that says why."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["routine", "urgent", "emergency"]
    reason: str
    passage_id: str
    evidence: str
    within: str | None = Field(default=None, description="When to see a clinician (routine follow-ups)")


class Verification(BaseModel):
    """What was checked on the generated text, and whether the deterministic composer took over."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    fell_back: bool = False
    attempts: int = 0
    problems: list[str] = Field(default_factory=list)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "coach"]
    text: str


# -- triage: what it found and why (coach/triage builds these) ----------------------------------------
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
    set_aside: bool = Field(default=False, description="The flag's words were there and the rules read them as "
                            "not a report now (negated, hypothetical, a question, history, a figure of speech) or "
                            "as explained by a cause (pain on pressing): the semantic net does not raise it again")


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
    # Kept out of the serialised reply (CoachReply.timings_ms has triage's total): golden replies stay stable.
    timings_ms: dict[str, float] = Field(default_factory=dict, exclude=True)

    @property
    def is_emergency(self) -> bool:
        return self.level == "emergency"

    @property
    def is_safety_check(self) -> bool:
        return self.level == "urgent" and bool(self.hits) and self.hits[0].kind == "safety_check"


class CoachReply(BaseModel):
    """Everything a front end renders for one answer: text, evidence, safety, provenance."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The answer, with citation markers like [1]")
    citations: list[Citation] = Field(default_factory=list)
    indicators: list[IndicatorFinding] = Field(default_factory=list)
    escalation: Escalation | None = None
    red_flags_checked: list[str] = Field(default_factory=list,
                                         description="Red flags looked for and not found in this turn")
    triage: TriageResult | None = Field(default=None, description="What triage found and ruled out, by layer")
    recorded_readings: list[Reading] = Field(default_factory=list)
    reading_problems: list[str] = Field(default_factory=list)
    scope: Literal["in_scope", "medication_change", "diagnosis", "other_person", "unrelated"] = "in_scope"
    question: "QuestionAnalysis | None" = Field(default=None, description="What the message asks")
    answerability: "Answerability | None" = Field(default=None, description="Whether the passages answer it")
    asked_for_person: str | None = Field(default=None, description="The words that asked for a person, if any "
                                         "(recorded as an alert for the health manager)")
    verification: Verification
    backend: str
    timings_ms: dict[str, float] = Field(default_factory=dict)


from coach.answering import Answerability  # noqa: E402 - they import this module's neighbours, not CoachReply
from coach.question import QuestionAnalysis  # noqa: E402

CoachReply.model_rebuild()
