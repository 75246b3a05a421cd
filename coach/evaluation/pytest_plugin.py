"""pytest collects scenario files as tests: `pytest scenarios/` (hooks re-exported by scenarios/conftest.py).

Every scenario in a file is one test, run through the same runner as `coach eval`, on the session's real
guideline index (the `guideline_index` fixture of tests/session_fixtures.py, built once per session),
with the backend of the settings (COACH_GENERATION__BACKEND, default composer). A failure lists every
failed check with its reason; a file with errors is a collection error naming file, YAML path and problem.
Rubric items are ungraded here (no judge): the terminal summary counts them.
"""

from __future__ import annotations

import pytest

from coach.evaluation.results import ScenarioResult
from coach.evaluation.scenario import LoadedScenario, ScenarioError, is_scenario_file, load_scenarios

UNGRADED = pytest.StashKey[list]()


def pytest_collect_file(file_path, parent):
    if file_path.suffix in (".yaml", ".yml", ".jsonl") and is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFileError(Exception):
    pass


class ScenarioFile(pytest.File):
    def collect(self):
        try:
            scenarios = load_scenarios([self.path])
        except ScenarioError as exc:
            raise ScenarioFileError("\n".join(exc.messages)) from None
        for loaded in scenarios:
            item = ScenarioItem.from_parent(self, name=loaded.scenario.name, callobj=_test_for(loaded))
            item.add_marker(pytest.mark.slow)
            for tag in loaded.scenario.tags:
                item.user_properties.append(("tag", tag))
            yield item

    def repr_failure(self, excinfo):
        if excinfo.errisinstance(ScenarioFileError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Function):
    """A scenario as a test; `pytest -k 'htn and us'` selects by name."""

    def reportinfo(self):
        return self.path, None, f"scenario {self.name}"


def _test_for(loaded: LoadedScenario):
    def run_scenario(request, scenario_runner):
        from coach.evaluation.runner import check_ids

        try:
            check_ids([loaded], set(scenario_runner.retriever.passages))
        except ScenarioError as exc:
            pytest.fail("\n".join(exc.messages), pytrace=False)
        result: ScenarioResult = scenario_runner.run_scenario(loaded)
        ungraded = [f"{result.name} turn {t.index + 1} {c.name}" for t in result.turns for c in t.checks
                    if c.status == "ungraded"]
        request.config.stash.setdefault(UNGRADED, []).extend(ungraded)
        if result.status == "skipped":
            pytest.skip(result.reason)
        if result.status == "failed":
            lines = result.failure_lines()
            message = f"scenario {result.name}: {len(lines)} check(s) failed\n"
            message += "\n".join(f"  - {line}" for line in lines)
            if result.known_gap:
                pytest.xfail(f"known gap: {message}")
            pytest.fail(message, pytrace=False)

    return run_scenario


@pytest.fixture(scope="session")
def scenario_runner(guideline_index):
    """One runner for the session: the real index, the configured backend, no judge, no groundedness."""
    from knowledge.retrieve import HybridRetriever

    from coach.assembly import build_generator
    from coach.evaluation.runner import EvalRunner
    from coach.settings import load_settings

    settings = load_settings()
    k = settings.knowledge
    retriever = HybridRetriever(guideline_index, top_k=k.top_k, candidates=k.candidates, rrf_k=k.rrf_k,
                                max_query_chars=k.max_query_chars)
    return EvalRunner(retriever=retriever, generator=build_generator(settings),
                      backend=settings.generation.backend, max_attempts=settings.generation.max_attempts)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ungraded = config.stash.get(UNGRADED, [])
    if ungraded:
        terminalreporter.write_line(f"scenarios: {len(ungraded)} rubric items ungraded (no judge under pytest; "
                                    "grade them with `coach eval scenarios/ --judge openai`)")
