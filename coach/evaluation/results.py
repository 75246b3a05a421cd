"""What an evaluation run produces: check results per turn, per scenario, the run's metrics (pydantic models).

The JSON report is `RunReport.model_dump_json()`; `coach eval compare` and dashboards read it back with
`RunReport.model_validate_json`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.evaluation.scenario import EscalationLevel, Expectations
from coach.models import CoachReply

CheckStatus = Literal["passed", "failed", "ungraded"]
REPORT_FORMAT = "coach-eval-run/1"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckResult(Model):
    """One expectation checked on one reply: what was expected, what was found."""

    name: str = Field(description="e.g. 'escalation', 'cites.all_of', 'indicators.blood_pressure.status', "
                                  "'says[1]', 'rubric[0]'")
    kind: str = Field(description="The expectation type: escalation, cites, must_not_cite, indicators, says, "
                                  "must_not_say, reading_recorded, max_latency_ms, rubric, reply")
    status: CheckStatus
    reason: str = Field(description="What was expected and what was found")
    points: float | None = Field(default=None, description="Rubric items: the criterion's points")


class SentenceSupport(Model):
    """An answer sentence and the cited passage sentence most similar to it (embedding cosine)."""

    sentence: str
    score: float = Field(description="Best cosine similarity to a sentence of a cited passage (0 if none cited)")
    passage_id: str | None = None
    supported: bool


class TurnResult(Model):
    index: int = Field(description="0-based position in the conversation")
    where: str = Field(default="", description="Where the turn is written: 'turns[1]', 'simulated[0]', ...")
    user: str
    simulated: bool = False
    expect: Expectations = Field(default_factory=Expectations)
    reply: CoachReply | None = None
    error: str | None = Field(default=None, description="The coach raised instead of answering")
    checks: list[CheckResult] = Field(default_factory=list)
    grounding: list[SentenceSupport] | None = Field(default=None, description="None: not measured")
    rubric_score: float | None = Field(default=None, description="HealthBench score of the graded rubric items: "
                                       "points of the criteria met over the positive points (may be < 0)")

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "failed"]

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failed


class ScenarioResult(Model):
    name: str
    path: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    run: int = Field(default=1, description="1..N with --repeat N")
    status: Literal["passed", "failed", "skipped"]
    known_gap: bool = Field(default=False, description="Tagged `known-gap`: a failure is what the coach does "
                            "today, reported but not failing the run")
    reason: str = Field(default="", description="Why it failed or was skipped, in one line")
    turns: list[TurnResult] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def blocking(self) -> bool:
        """Failed, and not a known gap: fails the run (exit code 1, a JUnit failure, a failed pytest test)."""
        return self.status == "failed" and not self.known_gap

    @property
    def key(self) -> str:
        return self.name if self.run == 1 else f"{self.name}#{self.run}"

    def count(self, status: CheckStatus) -> int:
        return sum(c.status == status for t in self.turns for c in t.checks)

    def failure_lines(self) -> list[str]:
        """Every failed check as 'turn 2 (where): name: reason' (and errors), for JUnit and pytest."""
        lines = []
        for t in self.turns:
            label = f"turn {t.index + 1}" + (f" ({t.where})" if t.where else "")
            if t.error:
                lines.append(f"{label}: the coach raised {t.error}")
            lines += [f"{label}: {c.name}: {c.reason}" for c in t.failed]
        return lines


class LevelScore(Model):
    """Escalation at one level, over turns that state an expected escalation."""

    expected: int = 0
    predicted: int = 0
    correct: int = 0
    recall: float | None = None
    precision: float | None = None


class Metrics(Model):
    """Measures across a run; a rate is None when nothing in the run measures it (see README)."""

    scenarios: int = 0
    scenarios_passed: int = 0
    scenarios_failed: int = 0
    scenarios_skipped: int = 0
    known_gaps: int = Field(default=0, description="Failed scenarios tagged known-gap (counted in the failed)")
    scenario_pass_rate: float | None = None
    checks_passed: int = 0
    checks_failed: int = 0
    checks_ungraded: int = 0
    expectation_pass_rate: float | None = None
    by_kind: dict[str, dict[str, int]] = Field(default_factory=dict, description="kind -> status -> count")
    escalation: dict[EscalationLevel, LevelScore] = Field(default_factory=dict)
    citation_precision: float | None = None
    citation_recall: float | None = None
    cited_passages: int = Field(default=0, description="Passages cited in turns with a `cites` expectation")
    cited_expected: int = Field(default=0, description="Of those, matching an expected id")
    required_citations: int = Field(default=0, description="all_of ids plus one per any_of group")
    required_found: int = 0
    indicator_status_accuracy: float | None = None
    indicator_statuses: int = 0
    groundedness: float | None = None
    groundedness_threshold: float | None = None
    answer_sentences: int = 0
    supported_sentences: int = 0
    fallback_rate: float | None = Field(default=None, description="Of the turns a generator was asked")
    generated_turns: int = 0
    fell_back: int = 0
    turns: int = 0
    turn_errors: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    rubric_graded: int = 0
    rubric_ungraded: int = 0
    rubric_score: float | None = Field(default=None, description="Mean HealthBench score of turns with "
                                       "graded rubric items, clipped to 0..1")


class RunReport(Model):
    format: Literal["coach-eval-run/1"] = REPORT_FORMAT
    started_at: dt.datetime
    clock: dt.datetime = Field(description="The fixed 'now' of the run: relative reading times resolve to it")
    backend: str
    judge: str | None = None
    simulator: str | None = None
    repeat: int = 1
    paths: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, description="The --tags filter, if any")
    seconds: float = 0.0
    scenarios: list[ScenarioResult] = Field(default_factory=list)
    metrics: Metrics = Field(default_factory=Metrics)

    @property
    def passed(self) -> bool:
        """No scenario failed, known gaps apart."""
        return not any(s.blocking for s in self.scenarios)
