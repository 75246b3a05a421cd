"""The goal of a clinician-set risk category, for a question about it that no reading answers yet."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assessment import assess
from coach.composer import compose_answer
from coach.goals import risk_goals
from coach.models import Indicator as I
from coach.models import Profile, Reading
from coach.scope import check_scope
from coach.triage import triage
from knowledge.corpus import load_corpus
from tests.conftest import REPO

NOW = dt.datetime(2026, 11, 22, 9, 0)
ASK = "Two years ago I had chest pain and got a stent. What should my LDL be now?"


def person(region, risk):
    return Profile(id="dave", display_name="Dave", region=region, sex="male", cv_risk=risk)


@pytest.mark.parametrize("region, risk, says, passage", [
    ("us", "very_high", 'LDL cholesterol below 70 mg/dL is "Below the 70 mg/dL threshold for very high risk"',
     "lipid-acc-aha-2018#very-high-risk-nonstatin"),
    ("eu", "high", 'LDL cholesterol below 1.8 mmol/L is "At goal for high risk"', "lipid-esc-eas-2019#ldl-goals"),
    ("cn", "low", 'LDL cholesterol below 3.4 mmol/L is "At target for low risk"', "lipid-china-2023#ldl-c-targets"),
])
def test_the_goal_of_the_risk_category_the_clinician_set(region, risk, says, passage):
    (goal,) = risk_goals(person(region, risk), ASK, [])
    assert goal.text.startswith(f"Your clinician has set your cardiovascular risk as {risk.replace('_', ' ')}")
    assert says in goal.text and goal.passage_id == passage


def test_no_goal_without_a_risk_category_a_goal_rule_a_question_about_it_or_when_a_reading_answers_it():
    assert risk_goals(person("us", None), ASK, []) == []
    assert risk_goals(None, ASK, []) == []
    assert risk_goals(person("us", "high"), ASK, []) == []  # ACC/AHA 2018: no goal for this group
    assert risk_goals(person("us", "very_high"), "is my blood pressure ok?", []) == []
    ldl = Reading(indicator=I.ldl_c, value=2.0, unit="mmol/L", measured_at=NOW - dt.timedelta(days=1))
    findings = assess(person("us", "very_high"), [ldl], NOW)
    assert [f.indicator for f in findings] == ["ldl_c"] and risk_goals(person("us", "very_high"), ASK, findings) == []


def test_the_composer_states_the_goal_with_its_passage():
    passages = {p.id: p for p in load_corpus(REPO / "guidelines").passages}
    dave = person("us", "very_high")
    text, citations = compose_answer(ASK, [], [], triage(ASK, [], dave), check_scope(ASK), [], [],
                                     passages.__getitem__, goals=risk_goals(dave, ASK, []))
    assert text.startswith("Your clinician has set your cardiovascular risk as very high: under ACC/AHA 2018")
    assert "70 mg/dL" in text and "couldn't find" not in text
    assert [c.passage_id for c in citations] == ["lipid-acc-aha-2018#very-high-risk-nonstatin"]
