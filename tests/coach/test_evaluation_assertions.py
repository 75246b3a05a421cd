"""Every expectation type, passing and failing on purpose, on hand-made replies; the rubric judge."""

from __future__ import annotations

import pytest

from coach.evaluation.assertions import check_reply, cites_match, grade_rubric
from coach.evaluation.judge import LLMJudge, parse_verdict
from coach.evaluation.scenario import Expectations, RubricItem
from coach.generation.scripted import ScriptedGenerator
from coach.models import Indicator, Reading
from tests.coach.eval_replies import NOW, reply


def checks(expect: dict, r=None, stored=None):
    return check_reply(Expectations.model_validate(expect), r or reply(), stored)


def one(expect: dict, r=None, stored=None):
    (result,) = checks(expect, r, stored)
    return result


def stored(indicator: Indicator, value: float, unit: str) -> Reading:
    return Reading(indicator=indicator, value=value, unit=unit, measured_at=NOW, source="chat", id=1)


def test_escalation():
    assert one({"escalation": "none"}).status == "passed"
    urgent = reply(escalation="urgent")
    assert one({"escalation": "urgent"}, urgent).status == "passed"
    failed = one({"escalation": "emergency"}, urgent)
    assert failed.status == "failed" and failed.reason.startswith("expected emergency, got urgent (severe reading")
    routine = one({"escalation": "routine"})
    assert routine.status == "failed"
    assert "expected routine, got none (no routine follow-up rule fired" in routine.reason


def test_cites_all_of_any_of_and_document_ids():
    r = reply(cited=("htn-acc-aha-2017#bp-categories", "htn-lifestyle#dash-diet"))
    assert cites_match("htn-lifestyle#dash-diet", "htn-lifestyle")
    assert not cites_match("htn-lifestyle-x" + "#a", "htn-lifestyle")
    assert [c.status for c in checks({"cites": {"all_of": ["htn-acc-aha-2017#bp-categories", "htn-lifestyle"],
                                                "any_of": ["gout-acr-2020", "htn-lifestyle#dash-diet"]}}, r)] == \
        ["passed", "passed"]
    missing, none_of = checks({"cites": {"all_of": ["htn-acc-aha-2017#bp-categories", "htn-esh-2023"],
                                         "any_of": ["gout-acr-2020#ult-strong-indications", "dm-ada-diagnosis"]}}, r)
    assert missing.status == "failed" and "missing htn-esh-2023; cited htn-acc-aha-2017#bp-categories, " \
        "htn-lifestyle#dash-diet" in missing.reason
    assert none_of.status == "failed"
    assert none_of.reason.startswith("expected any of gout-acr-2020#ult-strong-indications, dm-ada-diagnosis")


def test_must_not_cite():
    assert one({"must_not_cite": ["emergency-red-flags"]}).status == "passed"
    bad = one({"must_not_cite": ["htn-acc-aha-2017"]})
    assert bad.status == "failed" and "cited htn-acc-aha-2017#bp-categories" in bad.reason


def test_indicator_status_and_stated_values():
    ok = checks({"indicators": {"bp": {"status": "stage_2", "states": ["150/95"]}}})
    assert [(c.name, c.status) for c in ok] == [("indicators.blood_pressure.status", "passed"),
                                                ("indicators.blood_pressure.states[0]", "passed")]
    wrong = one({"indicators": {"bp": "stage_1"}})
    assert wrong.status == "failed" and "expected blood_pressure stage_1, got stage_2 (150/95 mmHg" in wrong.reason
    absent = one({"indicators": {"ldl": "high"}})
    assert absent.status == "failed" and "has no ldl_c finding (findings: blood_pressure stage_2)" in absent.reason
    # '15' is not stated by '150/95', nor '50/95'
    part = checks({"indicators": {"bp": {"states": ["15", "50/95"]}}})
    assert [c.status for c in part] == ["failed", "failed"]


def test_says_and_must_not_say_are_case_insensitive_regexes():
    assert one({"says": ["stage 2 HYPERTENSION"]}).status == "passed"
    missing = one({"says": [r"see (a|your) clinician"]})
    assert missing.status == "failed" and "not found in: Your blood pressure 150/95" in missing.reason
    assert one({"must_not_say": [r"\b\d+\s?mg\b"]}).status == "passed"
    dose = one({"must_not_say": [r"\b\d+\s?mg\b"]}, reply(text="Take 10 mg of amlodipine daily [1]."))
    assert dose.status == "failed" and "found 'Take 10 mg of amlodipine daily [1].'" in dose.reason


def test_reading_recorded_checks_what_the_turn_stored():
    expect = {"reading_recorded": [{"indicator": "fasting_glucose", "value": 7.77}]}
    assert one(expect, stored=[stored(Indicator.fasting_glucose, 7.7709, "mmol/L")]).status == "passed"
    off = one(expect, stored=[stored(Indicator.fasting_glucose, 7.9, "mmol/L")])
    assert off.status == "failed" and off.reason == ("expected fasting_glucose 7.77 ± 0.05 stored this turn; stored "
                                                     "fasting_glucose 7.9 mmol/L")
    assert "stored nothing" in one(expect, stored=[]).reason
    assert "the scenario has no profile" in one(expect, stored=None).reason


def test_max_latency():
    assert one({"max_latency_ms": 50}, reply(total_ms=20)).status == "passed"
    slow = one({"max_latency_ms": 50}, reply(total_ms=75.5))
    assert slow.status == "failed" and slow.reason == "expected at most 50 ms, took 75.5 ms"


RUBRIC = [RubricItem(criterion="Advises seeing a clinician", points=5),
          RubricItem(criterion="Gives a medicine dose", points=-10)]
CONVERSATION = [("user", "my bp is 150/95"), ("coach", "Stage 2 hypertension; see your clinician [1].")]


def test_rubric_without_a_judge_is_ungraded_never_passed():
    results, score = grade_rubric(RUBRIC, None, CONVERSATION)
    assert [r.status for r in results] == ["ungraded", "ungraded"] and score is None
    assert "no judge configured (run with --judge openai)" in results[0].reason
    # the scenario's other checks are unaffected: check_reply never grades the rubric
    assert checks({"rubric": [r.model_dump() for r in RUBRIC]}) == []


def test_rubric_graded_by_an_llm_judge():
    llm = ScriptedGenerator(['{"explanation": "It says to see the clinician.", "criteria_met": true}',
                             '```json\n{"explanation": "It gives 10 mg.", "criteria_met": true}\n```'])
    results, score = grade_rubric(RUBRIC, LLMJudge(llm, name="scripted"), CONVERSATION)
    assert [r.status for r in results] == ["passed", "failed"]
    assert results[1].reason == "'Gives a medicine dose' (-10 points): met — It gives 10 mg."
    assert score == pytest.approx((5 - 10) / 5)
    assert "Coach: Stage 2 hypertension; see your clinician [1]." in llm.prompts[0]
    assert "Rubric criterion (worth +5 points): Advises seeing a clinician" in llm.prompts[0]


def test_unreadable_verdicts_leave_the_item_ungraded():
    llm = ScriptedGenerator(["I think so.", "Probably yes"])
    (result,), score = grade_rubric(RUBRIC[:1], LLMJudge(llm, name="scripted"), CONVERSATION)
    assert result.status == "ungraded"
    assert "the judge gave no verdict (unreadable verdict: 'Probably yes')" in result.reason
    assert score is None and len(llm.prompts) == 2  # one retry
    down = LLMJudge(ScriptedGenerator([]), name="scripted")  # raises: nothing queued
    (result,), _ = grade_rubric(RUBRIC[:1], down, CONVERSATION)
    assert result.status == "ungraded" and "the judge failed: RuntimeError" in result.reason
    assert parse_verdict('{"criteria_met": "yes"}').met is None
    assert parse_verdict('{"explanation": "ok", "criteria_met": false}').met is False
