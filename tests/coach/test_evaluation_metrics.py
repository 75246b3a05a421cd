"""Run metrics on a hand-computed example; the HTML, JUnit and JSON reports; comparing two runs."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.evaluation.assertions import check_reply
from coach.evaluation.compare import compare, render
from coach.evaluation.metrics import compute_metrics
from coach.evaluation.report import html_report, junit_xml, write_reports
from coach.evaluation.results import CheckResult, RunReport, ScenarioResult, SentenceSupport, TurnResult
from coach.evaluation.scenario import Expectations
from coach.models import Escalation
from tests.coach.eval_replies import NOW, reply


def turn(index, expect: dict, r, grounding=(), extra=(), rubric_score=None, user="my bp is 150/95") -> TurnResult:
    e = Expectations.model_validate(expect)
    return TurnResult(index=index, where=f"turns[{index}]", user=user, expect=e, reply=r,
                      checks=check_reply(e, r, None) + list(extra), rubric_score=rubric_score,
                      grounding=[SentenceSupport(sentence=f"sentence {i}", score=0.9 if ok else 0.3, supported=ok)
                                 for i, ok in enumerate(grounding)])


def example() -> list[ScenarioResult]:
    """Three scenarios; the expected metrics are worked out by hand in test_metrics_by_hand."""
    s1 = turn(0, {"escalation": "none", "cites": {"all_of": ["a#1"], "any_of": ["b", "c#2"]},
                  "indicators": {"bp": "stage_2"}},
              reply(cited=("a#1", "d#9", "b#3"), total_ms=10), grounding=(True, True, False))
    fell_back = reply(cited=(), findings=[], total_ms=30, fell_back=True, attempts=2)
    s2_first = turn(0, {"escalation": "urgent", "cites": {"all_of": ["e#1", "f"]}, "indicators": {"ldl": "high"}},
                    fell_back, grounding=(False,),
                    extra=[CheckResult(name="rubric[0]", kind="rubric", status="ungraded", reason="no judge",
                                       points=3)],
                    user="is 150/95 < 160/100? <script>alert(1)</script>")
    emergency = reply(total_ms=50, attempts=1)
    emergency.escalation = Escalation(level="emergency", reason="chest pain", passage_id="x#1", evidence="pain")
    s2_second = turn(1, {"escalation": "emergency"}, emergency,
                     extra=[CheckResult(name="rubric[0]", kind="rubric", status="passed", reason="met", points=2)],
                     rubric_score=0.5)
    return [
        ScenarioResult(name="one", path="scenarios/one.yaml", status="passed", turns=[s1], seconds=0.1),
        ScenarioResult(name="two", path="scenarios/two.yaml", status="failed", reason="turn 1: escalation",
                       description="Checks <b>escaping</b> & more", turns=[s2_first, s2_second], seconds=0.2),
        ScenarioResult(name="three", path="scenarios/three.yaml", status="skipped", reason="needs an LLM"),
    ]


def test_metrics_by_hand():
    m = compute_metrics(example(), grounding_threshold=0.65)
    assert (m.scenarios, m.scenarios_passed, m.scenarios_failed, m.scenarios_skipped) == (3, 1, 1, 1)
    assert m.scenario_pass_rate == 0.5  # skipped scenarios are left out
    # one: escalation, cites.all_of, cites.any_of, indicator pass; two: escalation, cites.all_of, indicator
    # fail, rubric ungraded, then escalation and rubric pass
    assert (m.checks_passed, m.checks_failed, m.checks_ungraded) == (6, 3, 1)
    assert m.expectation_pass_rate == pytest.approx(6 / 9, abs=1e-4)
    assert m.by_kind["cites"] == {"passed": 2, "failed": 1, "ungraded": 0}
    e = m.escalation
    assert (e["none"].expected, e["none"].predicted, e["none"].correct) == (1, 2, 1)
    assert (e["none"].recall, e["none"].precision) == (1.0, 0.5)
    assert (e["urgent"].recall, e["urgent"].precision) == (0.0, None)  # never predicted
    assert (e["emergency"].recall, e["emergency"].precision) == (1.0, 1.0)
    assert (e["routine"].recall, e["routine"].precision) == (None, None)
    # cited a#1, d#9, b#3 (2 expected: a#1 and the document b) + nothing; required a#1, b|c#2, e#1, f
    assert (m.cited_passages, m.cited_expected, m.required_citations, m.required_found) == (3, 2, 4, 2)
    assert m.citation_precision == pytest.approx(2 / 3, abs=1e-4) and m.citation_recall == 0.5
    assert m.indicator_status_accuracy == 0.5 and m.indicator_statuses == 2
    assert (m.answer_sentences, m.supported_sentences, m.groundedness) == (4, 2, 0.5)
    assert (m.generated_turns, m.fell_back, m.fallback_rate) == (2, 1, 0.5)
    assert (m.latency_p50_ms, m.latency_p95_ms) == (30.0, 48.0)  # linear interpolation over 10, 30, 50
    assert (m.rubric_graded, m.rubric_ungraded, m.rubric_score) == (1, 1, 0.5)
    assert (m.turns, m.turn_errors) == (3, 0)


def run_report(results=None) -> RunReport:
    results = results or example()
    return RunReport(started_at=dt.datetime(2026, 11, 22, 13, 59), clock=NOW, backend="composer", paths=["scenarios"],
                     seconds=1.5, scenarios=results, metrics=compute_metrics(results, 0.65))


def test_report_files_are_written_and_well_formed(tmp_path):
    report = run_report()
    files = write_reports(report, tmp_path / "out")
    assert sorted(p.name for p in files.values()) == ["junit.xml", "report.html", "results.json"]

    assert RunReport.model_validate_json(files["json"].read_text()) == report

    root = ET.parse(files["junit"]).getroot()
    suite = root.find("testsuite")
    assert (root.tag, suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("testsuites", "3", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["one", "two", "three"] and cases["two"].get("classname") == "scenarios.two"
    failure = cases["two"].find("failure")
    assert failure.get("message") == "turn 1: escalation"
    assert "turn 1 (turns[0]): escalation: expected urgent, got none" in failure.text
    assert "turn 1 (turns[0]): cites.all_of: expected all of e#1, f; missing e#1, f; cited nothing" in failure.text
    assert cases["three"].find("skipped").get("message") == "needs an LLM"
    assert "1 ungraded:\nturn 1: rubric[0]: no judge" == cases["two"].find("system-out").text
    assert cases["one"].find("failure") is None

    page = files["html"].read_text()
    assert page.startswith("<!doctype html>") and "<script>alert" not in page and "<b>escaping</b>" not in page
    assert "is 150/95 &lt; 160/100? &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Checks &lt;b&gt;escaping&lt;/b&gt; &amp; more" in page
    for name in ("one", "two", "three"):
        assert f"<a href='#s-{name}'>{name}</a>" in page and f"id='s-{name}'" in page
    assert "<details><summary>[1] a#1 — Doc" in page and "<blockquote>A guideline passage.</blockquote>" in page
    assert "expected urgent, got none" in page and "66.7%" in page  # a check's reason; expectation pass rate
    assert "http" not in page.replace("https://example.org/doc", "")  # self-contained: nothing loaded


def test_junit_repeats_are_separate_testcases():
    results = example()[:1]
    results.append(results[0].model_copy(update={"run": 2}))
    names = [c.get("name") for c in ET.fromstring(junit_xml(run_report(results))).iter("testcase")]
    assert names == ["one", "one#2"]
    assert "one#2" in html_report(run_report(results))


def later_run() -> RunReport:
    results = example()
    one, two = results[0], results[1]
    checks = [c.model_copy(update={"status": "failed", "reason": "now bad"}) if c.name == "cites.any_of" else c
              for c in one.turns[0].checks]
    broken = one.turns[0].model_copy(update={"checks": checks})
    results[0] = one.model_copy(update={"status": "failed", "turns": [broken]})
    fixed = [t.model_copy(update={"checks": [c.model_copy(update={"status": "passed"}) if c.status == "failed" else c
                                             for c in t.checks]}) for t in two.turns]
    results[1] = two.model_copy(update={"status": "passed", "turns": fixed})
    results[2] = ScenarioResult(name="four", path="scenarios/four.yaml", status="passed")
    return run_report(results)


def test_compare_two_runs():
    c = compare(run_report(), later_run())
    assert c.newly_failing == ["one"] and c.newly_passing == ["two"]
    assert c.added == ["four"] and c.removed == ["three"]
    assert c.checks_newly_failing == ["one turn 1 cites.any_of: now bad"]
    assert len(c.checks_newly_passing) == 3 and c.checks_newly_passing[0].startswith("two turn 1 cites.all_of")
    rate = next(d for d in c.metrics if d.metric == "expectation pass rate")
    assert (rate.before, rate.after) == (pytest.approx(0.6667), pytest.approx(0.8889))
    text = render(c, "a.json", "b.json")
    assert "Scenarios newly failing (1):\n  one" in text and "Scenarios only in A (1):\n  three" in text
    assert "expectation pass rate" in text and "+22.2 pts" in text
    assert "No change." in render(compare(run_report(), run_report()))


def test_compare_command(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(run_report().model_dump_json())
    b.write_text(later_run().model_dump_json())
    result = CliRunner().invoke(app, ["eval", "compare", str(a), str(b)])
    assert result.exit_code == 0 and "Scenarios newly passing (1):\n  two" in result.output
    as_json = CliRunner().invoke(app, ["eval", "compare", str(a), str(b), "--json"])
    assert json.loads(as_json.output)["newly_failing"] == ["one"]
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    bad = CliRunner().invoke(app, ["eval", "compare", str(a), str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and "not a results.json of `coach eval`" in bad.output


def test_a_known_gap_is_reported_but_does_not_fail_the_run():
    results = example()
    results[1] = results[1].model_copy(update={"known_gap": True, "tags": ["known-gap"]})
    report = run_report(results)
    assert report.passed and report.metrics.known_gaps == 1 and report.metrics.scenarios_failed == 1
    suite = ET.fromstring(junit_xml(report)).find("testsuite")
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "2")
    gap = next(c for c in suite.iter("testcase") if c.get("name") == "two").find("skipped")
    assert gap.get("type") == "known-gap" and gap.get("message") == "known gap: turn 1: escalation"
    assert "turn 1 (turns[0]): escalation: expected urgent, got none" in gap.text
    assert "failed (known gap)" in html_report(report)
    assert not run_report().passed
    assert compare(run_report(example()[:1]), report).added == ["three", "two"]
