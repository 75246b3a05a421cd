"""Runs scenarios through the real coaching service and checks every reply.

Each scenario gets a fresh SQLite profile store in a temporary folder, its profile and readings (relative
times resolved against the run's fixed clock), and a `Coach` on the shared retriever and answer backend,
so scenarios never see each other's data and a run can be repeated with the same dates.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from coach.evaluation.assertions import check_reply, grade_rubric
from coach.evaluation.grounding import Grounder
from coach.evaluation.judge import Judge, SimulatedUser
from coach.evaluation.metrics import compute_metrics
from coach.evaluation.results import RunReport, ScenarioResult, TurnResult
from coach.evaluation.scenario import KNOWN_GAP, Expectations, LoadedScenario, ScenarioError, fixture_readings
from coach.models import Turn
from coach.profile.store import ProfileStore, sqlite_url
from coach.service import Coach


def select(scenarios: list[LoadedScenario], tags: list[str]) -> list[LoadedScenario]:
    """Scenarios carrying any of `tags` (all of them when no tag is given)."""
    wanted = {t.strip() for t in tags if t.strip()}
    return [s for s in scenarios if not wanted or wanted & set(s.scenario.tags)]


def check_ids(scenarios: list[LoadedScenario], passage_ids: set[str]) -> None:
    """Every cited or forbidden id must name a passage or a document of the corpus (a typo would make a
    `cites` check fail, or a `must_not_cite` check pass, forever). Raises one ScenarioError listing all."""
    documents = {p.split("#", 1)[0] for p in passage_ids}
    errors = []
    for s in scenarios:
        problems = []
        expectations = [(s.turn_path(i), t.expect) for i, t in enumerate(s.turns)]
        expectations.append(("expect_each", s.scenario.expect_each))
        for where, expect in expectations:
            lists = [("must_not_cite", expect.must_not_cite)]
            if expect.cites is not None:
                lists += [("cites.all_of", expect.cites.all_of), ("cites.any_of", expect.cites.any_of)]
            for field, ids in lists:
                for j, pid in enumerate(ids):
                    if pid not in (passage_ids if "#" in pid else documents):
                        kind = "passage" if "#" in pid else "document"
                        problems.append(f"{where}.expect.{field}[{j}]: no {kind} {pid!r} in the guideline corpus")
        if problems:
            errors.append(ScenarioError(s.path, problems))
    if errors:
        raise ScenarioError.combine(errors)


@dataclass
class EvalRunner:
    """Runs loaded scenarios against one retriever and answer backend; `generator` None = the composer."""

    retriever: object  # knowledge.retrieve.HybridRetriever
    generator: object | None = None
    backend: str = "composer"
    now: dt.datetime | None = None
    max_attempts: int = 2
    judge: Judge | None = None
    simulator: SimulatedUser | None = None
    grounder: Grounder | None = None

    def __post_init__(self):
        self.now = self.now or dt.datetime.now().replace(second=0, microsecond=0)

    def run(self, scenarios: list[LoadedScenario], repeat: int = 1, paths: list[str] | None = None,
            tags: list[str] | None = None, progress: Callable[[ScenarioResult], None] | None = None) -> RunReport:
        started, t0 = dt.datetime.now().replace(microsecond=0), time.perf_counter()
        results = []
        for run in range(1, repeat + 1):
            for loaded in scenarios:
                result = self.run_scenario(loaded, run=run)
                results.append(result)
                if progress:
                    progress(result)
        return RunReport(started_at=started, clock=self.now, backend=self.backend,
                         judge=self.judge.name if self.judge else None,
                         simulator=self.simulator.name if self.simulator else None, repeat=repeat,
                         paths=[str(p) for p in paths or []], tags=tags or [],
                         seconds=round(time.perf_counter() - t0, 2), scenarios=results,
                         metrics=compute_metrics(results, self.grounder.threshold if self.grounder else None))

    def run_scenario(self, loaded: LoadedScenario, run: int = 1) -> ScenarioResult:
        s, t0 = loaded.scenario, time.perf_counter()
        base = dict(name=s.name, path=str(loaded.path), description=s.description, tags=s.tags, run=run,
                    known_gap=KNOWN_GAP in s.tags)
        simulated = bool(s.persona and s.goal)
        if not loaded.turns and simulated and self.simulator is None:
            return ScenarioResult(**base, status="skipped", reason="a simulated user needs an LLM: run with "
                                  "--simulator openai (an OpenAI-compatible server, COACH_GENERATION__OPENAI__*)")
        with tempfile.TemporaryDirectory(prefix="coach-eval-") as folder:
            store = ProfileStore(sqlite_url(Path(folder) / "coach.db"))
            try:
                turns = self._conversation(loaded, store)
            finally:
                store.close()
        failures = ScenarioResult(**base, status="failed", turns=turns).failure_lines()
        reason = failures[0] + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "") if failures else ""
        if not failures and simulated and self.simulator is None:
            reason = "the simulated part was skipped: it needs an LLM (--simulator openai)"
        return ScenarioResult(**base, status="failed" if failures else "passed", reason=reason, turns=turns,
                              seconds=round(time.perf_counter() - t0, 3))

    def _conversation(self, loaded: LoadedScenario, store: ProfileStore) -> list[TurnResult]:
        s = loaded.scenario
        profile = loaded.fixture.profile if loaded.fixture else None
        if profile is not None:
            store.import_profile(profile, fixture_readings(loaded.fixture, self.now))
        coach = Coach(self.retriever, store, self.generator, clock=lambda: self.now, max_attempts=self.max_attempts)
        chat = Conversation(coach, store, profile, s.region, self.judge, self.grounder)
        for i, turn in enumerate(loaded.turns):
            if chat.say(turn.user, turn.expect, where=loaded.turn_path(i)).error:
                return chat.results
        if s.persona and s.goal and self.simulator is not None:
            for j in range(s.max_turns):
                message = self.simulator.next_message(s.persona, s.goal, chat.transcript)
                if message is None:
                    break
                if chat.say(message, s.expect_each, where=f"simulated[{j}]", simulated=True).error:
                    break
        return chat.results


class Conversation:
    """One conversation with the coach: history, transcript, and each turn's checked result."""

    def __init__(self, coach: Coach, store: ProfileStore, profile, region, judge, grounder):
        self.coach, self.store, self.profile, self.region = coach, store, profile, region
        self.judge, self.grounder = judge, grounder
        self.history: list[Turn] = []
        self.transcript: list[tuple[str, str]] = []
        self.results: list[TurnResult] = []

    def say(self, text: str, expect: Expectations, where: str, simulated: bool = False) -> TurnResult:
        base = dict(index=len(self.results), where=where, user=text, simulated=simulated, expect=expect)
        before = self._stored_ids()
        try:
            reply = self.coach.reply(text, self.profile, list(self.history), region=self.region)
        except Exception as exc:  # the run goes on; the scenario fails with what was raised
            result = TurnResult(**base, error=f"{type(exc).__name__}: {exc}")
            self.results.append(result)
            return result
        stored = None if before is None else [r for r in self.store.readings(self.profile.id) if r.id not in before]
        checks = check_reply(expect, reply, stored)
        self.transcript += [("user", text), ("coach", reply.text)]
        self.history += [Turn(role="user", text=text), Turn(role="coach", text=reply.text)]
        rubric, score = grade_rubric(expect.rubric, self.judge, self.transcript)
        grounding = self.grounder.support(reply) if self.grounder else None
        result = TurnResult(**base, reply=reply, checks=checks + rubric, grounding=grounding, rubric_score=score)
        self.results.append(result)
        return result

    def _stored_ids(self) -> set[int] | None:
        return None if self.profile is None else {r.id for r in self.store.readings(self.profile.id)}
