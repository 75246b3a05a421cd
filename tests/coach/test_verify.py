"""Verification on hand-made findings and citations: what passes and what each check catches."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.models import Citation, IndicatorFinding
from coach.models import Indicator as I
from coach.verify import verify

FINDING = IndicatorFinding(indicator="blood_pressure", values={I.systolic_bp: 152, I.diastolic_bp: 96}, unit="mmHg",
                           measured_at=dt.datetime(2026, 11, 22, 8, 0), status="stage_2", label="Stage 2 hypertension",
                           rule_id="bp-acc-aha-2017", guideline="ACC/AHA 2017", region="us",
                           threshold="systolic blood pressure at least 140 mmHg", passage_id="htn-acc-aha-2017#bp-categories",
                           severity=3)
GLUCOSE = IndicatorFinding(indicator="fasting_glucose", values={I.fasting_glucose: 133}, unit="mg/dL",
                           measured_at=dt.datetime(2026, 11, 22, 8, 0), status="diabetes_range", label="Diabetes range",
                           rule_id="fpg-ada-2025", guideline="ADA 2025", region="us", threshold="at least 126 mg/dL",
                           passage_id="dm-ada-diagnosis#diagnostic-criteria", severity=2)
CITATION = Citation(marker=1, passage_id="htn-acc-aha-2017#bp-categories", document_title="BP", issuer="ACC/AHA",
                    edition="2017", section="3.1", url="https://example.org",
                    quote="Stage 1 hypertension is 130-139 or 80-89 mmHg; stage 2 is 140/90 mmHg or higher.")
QUESTION = "my bp this morning was 152/96, is that bad?"


def check(text, findings=(FINDING,)):
    return verify(text, [CITATION], list(findings), QUESTION)


def test_a_grounded_answer_passes():
    result = check("Your reading of 152/96 is in the Stage 2 hypertension range, which starts at 140/90 mmHg [1].")
    assert result.passed and result.problems == []


@pytest.mark.parametrize("text, problem", [
    ("Your blood pressure is high [2].", "cites passages that were not retrieved: [2]"),
    ("Your blood pressure is high.", "cites no passage"),
    ("Your reading of 152/96 is above 135/85 [1].", "states numbers found in no passage, finding or question: 135, 85"),
    ("Your blood pressure of 152/96 is Elevated [1].", "calls the blood pressure 'Elevated'"),
    ("152/96 is not bad, nothing to worry about [1].", "reassures about a blood pressure"),
    ("Take 5 mg of amlodipine [1].", "gives a dosing instruction: '5 mg'"),
    ("You should double your dose of insulin [1].", "gives a dosing instruction"),
])
def test_each_check_catches_its_problem(text, problem):
    result = check(text)
    assert not result.passed and any(p.startswith(problem) for p in result.problems), result.problems


def test_units_and_general_guideline_sentences_are_not_false_alarms():
    # mg/dL is a unit, not a dose; 7.4 is the same value in mmol/L; a quoted guideline sentence about
    # another category is not a statement about the person.
    text = ("Your fasting glucose of 133 mg/dL (7.4 mmol/L) is in the Diabetes range [1]. "
            "Stage 1 hypertension is 130-139 or 80-89 mmHg [1].")
    assert verify(text, [CITATION], [FINDING, GLUCOSE], "fasting glucose 133 mg/dL").passed


def test_amounts_the_cited_guideline_states_are_not_doses():
    sodium = CITATION.model_copy(update={"quote": "The optimal goal is less than 1500 mg of sodium a day."})
    assert verify("Aim for less than 1500 mg of sodium a day [1].", [sodium], [], "how much sodium?").passed
    assert not verify("Take 1500 mg of metformin [1].", [CITATION], [], "metformin?").passed


def test_an_answer_about_the_other_side_of_the_value_asked_about_fails():
    from coach.question import analyse
    from coach.verify import verify

    asked = analyse("how can I bring my blood sugar down")
    low = verify("When your sugar is low, take fast sugar and check again [1].", [CITATION], [], asked.text, asked=asked)
    assert not low.passed and any("low value when the question is about a high" in p for p in low.problems)
    high = verify("Being active most days helps bring a high blood sugar down [1].", [CITATION], [], asked.text, asked=asked)
    assert not any("value when the question" in p for p in high.problems)


def test_an_answer_that_leans_only_on_a_passage_about_something_else_fails():
    from coach.question import analyse
    asked = analyse("what are the side effects of amlodipine?")
    assert asked.intent == "side_effects"
    uses = CITATION.model_copy(update={"marker": 1, "passage_id": "ccb#what-it-is", "quote": "Amlodipine widens arteries."})
    effects = CITATION.model_copy(update={"marker": 2, "passage_id": "ccb#side-effects",
                                          "quote": "Amlodipine can cause ankle swelling."})
    declared = {"ccb#what-it-is": ["medicine_use"], "ccb#side-effects": ["side_effects"]}
    wrong = verify("Amlodipine widens arteries [1].", [uses, effects], [], asked.text, asked=asked, declared=declared)
    assert not wrong.passed and "answers another question" in wrong.problems[0]
    right = verify("Amlodipine can cause ankle swelling [2].", [uses, effects], [], asked.text, asked=asked,
                   declared=declared)
    assert right.passed
    # When no offered passage is about what was asked, there is nothing better to have cited.
    alone = verify("Amlodipine widens arteries [1].", [uses], [], asked.text, asked=asked, declared=declared)
    assert alone.passed
