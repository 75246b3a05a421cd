"""Scenarios through the real service (real index, fresh SQLite store per scenario): composer and scripted
backends, turn errors, the simulated user, `coach eval` end to end, and the pytest plugin."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.evaluation.grounding import Grounder
from coach.evaluation.judge import SimulatedUser
from coach.evaluation.pytest_plugin import UNGRADED, _test_for
from coach.evaluation.results import RunReport
from coach.evaluation.runner import EvalRunner
from coach.evaluation.scenario import load_scenario, load_scenarios
from coach.generation.scripted import ScriptedGenerator
from knowledge.retrieve import HybridRetriever

pytestmark = pytest.mark.slow
NOW = dt.datetime(2026, 11, 22, 14, 0)
SAMPLE = Path(__file__).parent / "fixtures" / "healthbench-sample.jsonl"

PROFILE = """\
profile:
  profile: {id: pat, display_name: Pat, region: us, sex: male, height_cm: 178, conditions: [htn]}
  readings:
    - {indicator: systolic_bp, value: "128/78", unit: mmHg, at: "-3d07:30", context: home}
"""
PASSING = PROFILE + """\
name: bp-then-chest-pain
tags: [pass]
turns:
  - user: My blood pressure this morning was 150/95, what does that mean?
    expect:
      indicators: {bp: {status: stage_2, states: ["150/95"]}}
      reading_recorded: [{indicator: systolic_bp, value: 150}, {indicator: diastolic_bp, value: 95}]
      cites: {any_of: [htn-acc-aha-2017]}
      must_not_cite: [gout-acr-2020]
      says: ["stage 2 hypertension"]
      must_not_say: ['\\b\\d+\\s?mg\\b']
      max_latency_ms: 60000
  - user: crushing chest pain and my left arm is numb
    expect:
      escalation: emergency
      cites: {all_of: ["emergency-red-flags#heart-attack-signs"]}
"""
FAILING = PROFILE + """\
name: wrong-on-purpose
tags: [fail]
turns:
  - user: My blood pressure this morning was 150/95, what does that mean?
    expect:
      indicators: {bp: {status: normal, states: ["152/96"]}}
      reading_recorded: [{indicator: fasting_glucose, value: 7.8}]
      cites: {all_of: [gout-acr-2020]}
      must_not_cite: [htn-acc-aha-2017]
      says: ["perfectly normal"]
      must_not_say: ["hypertension"]
      max_latency_ms: 0.001
  - user: crushing chest pain and my left arm is numb
    expect: {escalation: none}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder / name


@pytest.fixture
def retriever(guideline_index):
    return HybridRetriever(guideline_index)


def test_composer_scenario_passes_and_the_same_conversation_fails_every_wrong_expectation(tmp_path, retriever):
    runner = EvalRunner(retriever=retriever, now=NOW)
    good = runner.run_scenario(load_scenario(write(tmp_path, "good.yaml", PASSING)))
    assert good.status == "passed", good.failure_lines()
    assert [len(t.checks) for t in good.turns] == [9, 2] and good.reason == ""
    first = good.turns[0].reply
    recorded = {(r.indicator.value, r.value) for r in first.recorded_readings}
    assert recorded == {("systolic_bp", 150), ("diastolic_bp", 95)}

    bad = runner.run_scenario(load_scenario(write(tmp_path, "bad.yaml", FAILING)))
    assert bad.status == "failed"
    failed = {c.name: c.reason for t in bad.turns for c in t.checks if c.status == "failed"}
    assert set(failed) == {"indicators.blood_pressure.status", "indicators.blood_pressure.states[0]",
                           "reading_recorded[0]", "cites.all_of", "must_not_cite", "says[0]", "must_not_say[0]",
                           "max_latency_ms", "escalation"}
    assert failed["indicators.blood_pressure.status"].startswith("expected blood_pressure normal, got stage_2 (150/95")
    assert failed["reading_recorded[0]"].startswith("expected fasting_glucose 7.8 ± 0.05 stored this turn; stored "
                                                    "systolic_bp 150 mmHg, diastolic_bp 95 mmHg")
    assert failed["escalation"].startswith("expected none, got emergency")
    assert bad.reason.startswith("turn 1 (turns[0]): cites.all_of: expected all of gout-acr-2020")
    assert bad.reason.endswith("(and 8 more)")


def test_each_scenario_gets_its_own_store(tmp_path, retriever):
    runner = EvalRunner(retriever=retriever, now=NOW)
    loaded = load_scenario(write(tmp_path, "good.yaml", PASSING))
    twice = [runner.run_scenario(loaded, run=n) for n in (1, 2)]
    assert [s.status for s in twice] == ["passed", "passed"] and twice[1].key == "bp-then-chest-pain#2"


NO_PROFILE = """\
name: salt-{n}
region: us
turns:
  - user: How much salt can I eat a day?
    expect:
      says: ["^Cutting down on salt helps lower blood pressure \\\\[1\\\\]\\\\.$"]
      must_not_say: ["salt"]
      reading_recorded: [{{indicator: weight, value: 80}}]
"""


def test_scripted_backend_gives_exact_replies_and_fallbacks_are_counted(tmp_path, retriever):
    generator = ScriptedGenerator(["Cutting down on salt helps lower blood pressure [1].",
                                   "Take 10 mg of amlodipine every morning [1].", "Take 10 mg of amlodipine [1]."])
    runner = EvalRunner(retriever=retriever, generator=generator, backend="scripted", now=NOW)
    scenarios = [load_scenario(write(tmp_path, f"salt-{n}.yaml", NO_PROFILE.format(n=n))) for n in (1, 2)]
    report = runner.run(scenarios)
    verified, fell_back = (s.turns[0] for s in report.scenarios)
    assert verified.reply.backend == "scripted"
    assert verified.reply.text == "Cutting down on salt helps lower blood pressure [1]."
    assert [c.status for c in verified.checks] == ["passed", "failed", "failed"]
    assert verified.checks[2].reason == ("expected weight 80 ± 0.05 stored; the scenario has no profile, so the "
                                         "coach stores nothing")
    assert fell_back.reply.verification.fell_back and fell_back.checks[0].status == "failed"
    assert (report.metrics.generated_turns, report.metrics.fell_back, report.metrics.fallback_rate) == (2, 1, 0.5)


def test_a_coach_error_fails_the_scenario_and_the_run_goes_on(tmp_path, retriever):
    runner = EvalRunner(retriever=retriever, generator=ScriptedGenerator([]), backend="scripted", now=NOW)
    report = runner.run([load_scenario(write(tmp_path, "salt-1.yaml", NO_PROFILE.format(n=1))),
                         load_scenario(write(tmp_path, "chest.yaml", "name: chest\nturns:\n  - user: crushing "
                                             "chest pain\n    expect: {escalation: emergency}\n"))])
    errored, emergency = report.scenarios
    assert errored.status == "failed" and errored.turns[0].error.startswith("RuntimeError: ScriptedGenerator has no")
    assert errored.reason.startswith("turn 1 (turns[0]): the coach raised RuntimeError")
    assert emergency.status == "passed" and report.metrics.turn_errors == 1


SIMULATED = """\
name: simulated-salt
region: cn
persona: A 60-year-old retired teacher in Shanghai with high blood pressure.
goal: Find out how much salt is too much.
max_turns: 3
expect_each:
  must_not_say: ['\\b\\d+\\s?mg\\b.*(daily|every)']
"""


def test_simulated_user_with_an_llm_and_skipped_without(tmp_path, retriever):
    loaded = load_scenario(write(tmp_path, "sim.yaml", SIMULATED))
    skipped = EvalRunner(retriever=retriever, now=NOW).run_scenario(loaded)
    assert skipped.status == "skipped" and "a simulated user needs an LLM" in skipped.reason
    llm = ScriptedGenerator(["How much salt can I eat a day?", "GOAL_DONE"])
    simulator = SimulatedUser(llm, name="scripted")
    result = EvalRunner(retriever=retriever, now=NOW, simulator=simulator).run_scenario(loaded)
    assert result.status == "passed" and len(result.turns) == 1
    turn = result.turns[0]
    assert turn.simulated and turn.where == "simulated[0]" and turn.user == "How much salt can I eat a day?"
    assert [c.name for c in turn.checks] == ["must_not_say[0]"]
    assert "Who you are: A 60-year-old retired teacher" in llm.prompts[0]
    assert "Person: How much salt can I eat a day?\n\nCoach: " in llm.prompts[1]


def test_groundedness_of_a_composer_answer(tmp_path, retriever, minilm):
    runner = EvalRunner(retriever=retriever, now=NOW, grounder=Grounder(minilm))
    result = runner.run_scenario(load_scenario(write(tmp_path, "good.yaml", PASSING)))
    support = result.turns[0].grounding
    assert support and all(0 <= s.score <= 1.0001 for s in support)
    cited = {c.passage_id for c in result.turns[0].reply.citations}
    assert any(s.supported and s.passage_id in cited for s in support)  # the composer quotes its passages


@pytest.fixture
def cli(monkeypatch, tmp_path, guideline_data_dir, minilm):
    """`coach eval` on the session's index and model (the same code path, no second build or model load)."""
    import coach.cli_eval as cli_eval
    from coach.assembly import build_knowledge_base

    monkeypatch.setenv("COACH_DATA_DIR", str(guideline_data_dir))
    monkeypatch.setattr(cli_eval, "_knowledge",
                        lambda: build_knowledge_base(cli_eval._settings(), embed_model=minilm))
    return lambda *args: CliRunner().invoke(app, ["eval", *map(str, args)])


def test_coach_eval_end_to_end(tmp_path, cli):
    suite = tmp_path / "suite"
    write(suite, "good.yaml", PASSING)
    write(suite, "bad.yaml", FAILING)
    out = tmp_path / "report"
    result = cli(suite, "--report", out, "--now", "2026-11-22T14:00")
    assert result.exit_code == 1, result.output
    assert "PASS bp-then-chest-pain" in result.output and "FAIL wrong-on-purpose: turn 1 (turns[0])" in result.output
    assert "1 passed, 1 failed, 0 skipped" in result.output and "groundedness:" in result.output
    report = RunReport.model_validate_json((out / "results.json").read_text())
    assert report.clock == NOW and report.metrics.groundedness is not None
    assert report.metrics.groundedness_threshold == 0.65
    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    assert {c.get("name"): c.find("failure") is not None for c in cases} == {"bp-then-chest-pain": False,
                                                                             "wrong-on-purpose": True}
    assert "bp-then-chest-pain" in (out / "report.html").read_text()

    gaps = write(tmp_path / "gaps", "gap.yaml", FAILING.replace("tags: [fail]", "tags: [fail, known-gap]"))
    known = cli(gaps, "--no-grounding")
    assert known.exit_code == 0 and "GAP  wrong-on-purpose: turn 1" in known.output, known.output
    assert "0 passed, 1 failed (1 of them known gaps)" in known.output

    passing = cli(suite, "--tags", "pass", "--repeat", "2", "--no-grounding")
    assert passing.exit_code == 0, passing.output
    assert "PASS bp-then-chest-pain#2" in passing.output
    assert cli(suite, "--tags", "nothing").exit_code == 2


def test_unknown_passage_ids_are_bad_input(tmp_path, cli):
    typo = "emergency-red-flags#" + "heart-atack-signs"  # built here, so the repository's id check does not see it
    path = write(tmp_path, "typo.yaml", PASSING.replace("emergency-red-flags#heart-attack-signs", typo))
    result = cli(path)
    assert result.exit_code == 2
    assert (f"{path}: turns[1].expect.cites.all_of[0]: no passage '{typo}' in the "
            "guideline corpus") in " ".join(result.output.split())


def test_healthbench_rubrics_without_a_judge_are_reported_ungraded(tmp_path, cli):
    result = cli(SAMPLE, "--report", tmp_path / "hb", "--no-grounding")
    assert result.exit_code == 0, result.output  # nothing failed: ungraded is not a failure ...
    assert "PASS hb-sample-bp-home-0001 (3 ungraded)" in result.output  # ... and never a pass of the item
    assert "checks: 0 passed, 0 failed, 6 ungraded" in result.output
    report = json.loads((tmp_path / "hb" / "results.json").read_text())
    assert report["metrics"]["rubric_ungraded"] == 6 and report["metrics"]["rubric_graded"] == 0
    assert "6 ungraded" not in (tmp_path / "hb" / "junit.xml").read_text()
    assert "3 ungraded:" in (tmp_path / "hb" / "junit.xml").read_text()


def test_pytest_plugin_failure_message_lists_every_failed_check(tmp_path, retriever):
    runner = EvalRunner(retriever=retriever, now=NOW)
    request = types.SimpleNamespace(config=types.SimpleNamespace(stash=pytest.Stash()))
    (loaded,) = load_scenarios([write(tmp_path, "bad.yaml", FAILING)])
    with pytest.raises(pytest.fail.Exception) as failed:
        _test_for(loaded)(request, runner)
    message = str(failed.value)
    assert message.startswith("scenario wrong-on-purpose: 9 check(s) failed\n")
    assert "  - turn 2 (turns[1]): escalation: expected none, got emergency" in message
    (gap,) = load_scenarios([write(tmp_path / "gap", "gap.yaml", FAILING.replace("[fail]", "[fail, known-gap]"))])
    with pytest.raises(pytest.xfail.Exception, match="known gap: scenario wrong-on-purpose: 9 check"):
        _test_for(gap)(request, runner)
    (sim,) = load_scenarios([write(tmp_path, "sim.yaml", SIMULATED)])
    with pytest.raises(pytest.skip.Exception, match="a simulated user needs an LLM"):
        _test_for(sim)(request, runner)
    (good,) = load_scenarios([write(tmp_path, "good.yaml", PASSING.replace("turns:", "turns:\n  - user: hi\n    expect:"
                                                                          "\n      rubric: [{criterion: Greets, "
                                                                          "points: 1}]", 1))])
    _test_for(good)(request, runner)
    assert request.config.stash[UNGRADED] == ["bp-then-chest-pain turn 1 rubric[0]"]


def test_pytest_collects_scenario_files_and_reports_bad_ones(pytester):
    pytester.makeconftest("from coach.evaluation.pytest_plugin import pytest_collect_file  # noqa: F401\n")
    pytester.makefile(".yaml", good="name: good\nturns: [{user: hi}]\n",
                      bad="name: bad\nturns: [{user: hi, expect: {escalation: maybe}}]\n")
    pytester.mkdir("_shared").joinpath("p.profile.yaml").write_text("profile: {profile: {id: pp, display_name: P}}")
    result = pytester.runpytest_inprocess("--collect-only", "-q")
    output = result.stdout.str()
    assert "good.yaml::good" in output.splitlines() and "1 test collected, 1 error" in output
    assert f"{pytester.path / 'bad.yaml'}: turns[0].expect.escalation: Input should be 'none'," in output
    assert "p.profile.yaml" not in output


def test_judge_and_simulated_user_on_an_openai_compatible_server(tmp_path, cli, monkeypatch):
    from tests.coach.fake_openai import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        monkeypatch.setenv("COACH_GENERATION__OPENAI__BASE_URL", server.url)
        monkeypatch.setenv("COACH_GENERATION__OPENAI__MODEL", "judge-model")
        server.answers = ['{"explanation": "It says beer raises uric acid.", "criteria_met": true}',
                          '{"explanation": "It does not call beer safe.", "criteria_met": false}']
        graded = cli(SAMPLE, "--tags", "theme:gout", "--judge", "openai", "--report", tmp_path / "judged")
        assert graded.exit_code == 0, graded.output
        assert "checks: 2 passed, 0 failed, 0 ungraded" in graded.output and "rubric score: 100.0%" in graded.output
        prompt = server.requests[0]["body"]["messages"][0]["content"]
        assert "Rubric criterion (worth +5 points): Says beer raises uric acid" in prompt
        assert "Person: Can I still drink beer on weekends?" in prompt and server.requests[0]["body"]["model"] == \
            "judge-model"
        report = RunReport.model_validate_json((tmp_path / "judged" / "results.json").read_text())
        assert report.judge == "openai" and report.scenarios[0].turns[-1].rubric_score == 1.0

        server.requests.clear()
        server.answers = ["How much salt can I eat a day?", "GOAL_DONE"]
        simulated = cli(write(tmp_path, "sim.yaml", SIMULATED), "--simulator", "openai", "--no-grounding")
        assert simulated.exit_code == 0, simulated.output
        assert "PASS simulated-salt" in simulated.output and len(server.requests) == 2


ANSWER_SET = """\
- id: qx-001
  question: What is a normal blood pressure for an adult?
  lang: en
  intent: classification
  condition: htn
  indicator: blood_pressure
  direction: none
  answers: [htn-acc-aha-2017#bp-categories, htn-esh-2023#office-bp-classification]
- id: qx-002
  question: Which blood pressure app should I buy for my phone?
  lang: en
  intent: measuring
  condition: htn
  answers: unanswerable
"""


def test_the_labelled_question_set_runs_as_scenarios_graded_by_a_judge_or_said_ungraded(tmp_path, cli, monkeypatch):
    from coach.evaluation.answer_set import load_answer_set
    from tests.coach.fake_openai import FakeOpenAIServer

    path = write(tmp_path, "dev-x.yaml", ANSWER_SET)
    answerable, unanswerable = load_answer_set(path)
    assert answerable.turns[0].expect.cites.any_of == ["htn-acc-aha-2017#bp-categories",
                                                       "htn-esh-2023#office-bp-classification"]
    assert unanswerable.turns[0].expect.cites is None and "unanswerable" in unanswerable.scenario.tags
    assert any("do not answer" in r.criterion for r in unanswerable.turns[0].expect.rubric)

    ungraded = cli(path, "--no-grounding")
    assert "Not graded: 6 rubric items, because no judge was given" in " ".join(ungraded.output.split()), \
        ungraded.output
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("COACH_GENERATION__OPENAI__BASE_URL", server.url)
        monkeypatch.setenv("COACH_GENERATION__OPENAI__MODEL", "judge-model")
        server.answers = ['{"explanation": "ok", "criteria_met": true}'] * 6
        graded = cli(path, "--no-grounding", "--judge", "openai")
        assert "0 ungraded" in graded.output and "Not graded" not in graded.output, graded.output
        assert any("What is a normal blood pressure" in r["body"]["messages"][0]["content"] for r in server.requests)
