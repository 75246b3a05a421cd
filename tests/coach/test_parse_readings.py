"""Readings mentioned in chat: found, converted, timed, and refused with a reason when wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assessment import assess
from coach.models import Indicator as I
from coach.models import Profile
from coach.profile.parse import ASK_GLUCOSE_CONTEXT, clarified_glucose, parse_readings

NOW = dt.datetime(2026, 11, 22, 14, 0)


def summary(text):
    parsed = parse_readings(text, NOW)
    return [(r.indicator.value, r.entered_value, r.entered_unit, r.context) for r in parsed.readings], parsed.problems


@pytest.mark.parametrize("text, readings", [
    ("my BP this morning was 152/96", [("systolic_bp", 152, "mmHg", None), ("diastolic_bp", 96, "mmHg", None)]),
    ("my bp is 150/95, is that high?", [("systolic_bp", 150, "mmHg", None), ("diastolic_bp", 95, "mmHg", None)]),
    ("blood pressure 135 over 85 at the clinic", [("systolic_bp", 135, "mmHg", "office"),
                                                  ("diastolic_bp", 85, "mmHg", "office")]),
    ("home reading 128/82 mmHg", [("systolic_bp", 128, "mmHg", "home"), ("diastolic_bp", 82, "mmHg", "home")]),
    ("fasting sugar 7.8 mmol/L", [("fasting_glucose", 7.8, "mmol/L", "fasting")]),
    ("Fasting glucose was 126 mg/dl", [("fasting_glucose", 126, "mg/dL", "fasting")]),
    ("sugar 140 two hours after lunch", [("postprandial_glucose", 140, "mg/dL", "after_meal")]),
    ("a1c came back 7.2%", [("hba1c", 7.2, "%", None)]),
    ("HbA1c 53 mmol/mol", [("hba1c", 53, "mmol/mol", None)]),
    ("LDL 3.6 and triglycerides 2.4", [("ldl_c", 3.6, "mmol/L", None), ("triglycerides", 2.4, "mmol/L", None)]),
    ("my bad cholesterol is 160", [("ldl_c", 160, "mg/dL", None)]),
    ("HDL 1,2 mmol/l", [("hdl_c", 1.2, "mmol/L", None)]),
    ("my uric acid is 480", [("uric_acid", 480, "µmol/L", None)]),
    ("uric acid 7.4 mg/dL", [("uric_acid", 7.4, "mg/dL", None)]),
    ("I weigh 176 lbs and my waist is 36 inches", [("weight", 176, "lb", None), ("waist", 36, "in", None)]),
    ("weight 82.5 kg", [("weight", 82.5, "kg", None)]),
    ("pulse 72", [("heart_rate", 72, "bpm", None)]),
])
def test_readings_are_found_with_units(text, readings):
    found, problems = summary(text)
    assert found == readings and problems == []


@pytest.mark.parametrize("text", ["my appointment is on 11/22", "I walked 150 minutes this week",
                                  "I'm 52 and have 2 kids", "what does 130/80 mean for a diabetic?",
                                  "is 130/80 a good blood pressure?", "is an LDL of 100 ok?",
                                  "is a fasting glucose of 7.8 normal?"])
def test_no_reading_where_there_is_none(text):
    found, problems = summary(text)
    assert found == [] and problems == []


@pytest.mark.parametrize("text, problem", [
    ("bp 80/120", "blood pressure: the diastolic (lower) value 120 must be below the systolic (upper) value 80"),
    ("my blood pressure was 400/90", "systolic blood pressure: 400 mmHg is outside the accepted range 50-300 mmHg"),
    ("a1c 40%", "HbA1c: 40 % is outside the accepted range 3-20 %"),
    ("my sugar was 8", "glucose 8 mmol/L: was it fasting or after a meal?"),
])
def test_bad_or_ambiguous_values_become_problems_not_readings(text, problem):
    found, problems = summary(text)
    assert found == [] and len(problems) == 1 and problems[0].startswith(problem)


def test_times_follow_the_words():
    times = {text: parse_readings(text, NOW).readings[0].measured_at for text in
             ["bp 130/80 this morning", "bp 130/80 yesterday", "bp 130/80 last night", "bp 130/80 3 days ago",
              "bp 130/80"]}
    assert times == {"bp 130/80 this morning": dt.datetime(2026, 11, 22, 8, 0),
                     "bp 130/80 yesterday": dt.datetime(2026, 11, 21, 14, 0),
                     "bp 130/80 last night": dt.datetime(2026, 11, 21, 21, 0),
                     "bp 130/80 3 days ago": dt.datetime(2026, 11, 19, 14, 0),
                     "bp 130/80": NOW}


def test_two_pairs_in_one_message_stay_two_readings():
    parsed = parse_readings("My blood pressure readings this week were 150/95 and 148/92", NOW)
    assert [r.value for r in parsed.readings] == [150, 95, 148, 92]
    profile = Profile(id="p1", display_name="P", region="us")
    (finding,) = [f for f in assess(profile, parsed.readings, NOW) if f.indicator == "blood_pressure"]
    assert finding.values == {I.systolic_bp: 148, I.diastolic_bp: 92} and finding.status == "stage_2"
    assert finding.trends[0].readings == 2


def test_thousands_separators_are_not_decimals():
    found, _ = summary("My triglycerides were 1,200 and my doctor mentioned my pancreas")
    assert found == [("triglycerides", 1200, "mg/dL", None)]


@pytest.mark.parametrize("answer, reading", [
    ("it was fasting, before breakfast", ("fasting_glucose", 142, "mg/dL", "fasting")),
    ("on an empty stomach", ("fasting_glucose", 142, "mg/dL", "fasting")),
    ("about 2 hours after lunch", ("postprandial_glucose", 142, "mg/dL", "after_meal")),
])
def test_the_answer_to_fasting_or_after_a_meal_records_the_glucose_asked_about(answer, reading):
    asked = "my sugar was 142 this morning"
    assert parse_readings(asked, NOW).problems[0].endswith(ASK_GLUCOSE_CONTEXT)
    (found,) = clarified_glucose(asked, answer, NOW)
    assert (found.indicator.value, found.entered_value, found.entered_unit, found.context) == reading
    assert round(found.value, 3) == 7.882 and found.measured_at == dt.datetime(2026, 11, 22, 8, 0)


@pytest.mark.parametrize("asked, answer", [
    ("my sugar was 142 this morning", "thanks"),  # no context given
    ("my sugar was 142 this morning", "should I be fasting before the test?"),  # a question, not an answer
    ("my sugar was 142 this morning", "fasting sugar 6.1 today"),  # a new glucose of its own
    ("fasting sugar 7.8 mmol/L", "it was fasting"),  # recorded already: nothing was waiting
    ("my bp was 150/95", "it was fasting"),
])
def test_nothing_is_recorded_without_a_pending_glucose_and_a_plain_answer(asked, answer):
    assert clarified_glucose(asked, answer, NOW) == []


@pytest.mark.parametrize("text, readings", [
    ("我的血压是150/95", [("systolic_bp", 150, "mmHg", None), ("diastolic_bp", 95, "mmHg", None)]),
    ("今天早上在家量血压148/92，高吗？", [("systolic_bp", 148, "mmHg", "home"), ("diastolic_bp", 92, "mmHg", "home")]),
    ("医院测的血压 138/88 mmHg", [("systolic_bp", 138, "mmHg", "office"), ("diastolic_bp", 88, "mmHg", "office")]),
    ("我空腹血糖7.8", [("fasting_glucose", 7.8, "mmol/L", "fasting")]),
    ("饭后两小时血糖11.2 mmol/L", [("postprandial_glucose", 11.2, "mmol/L", "after_meal")]),
    ("我的尿酸520", [("uric_acid", 520, "µmol/L", None)]),
    ("体重72公斤，腰围88厘米", [("weight", 72, "kg", None), ("waist", 88, "cm", None)]),
    ("我的糖化血红蛋白是7.2%", [("hba1c", 7.2, "%", None)]),
])
def test_readings_in_chinese_are_found(text, readings):
    assert summary(text) == (readings, [])


def test_a_question_in_chinese_about_a_number_records_nothing():
    assert summary("血压140/90算高血压吗？") == ([], [])


def test_days_in_words_and_in_chinese():
    times = {text: parse_readings(text, NOW).readings[0].measured_at for text in
             ["bp 130/80 two days ago", "bp 130/80 a day ago", "三天前血压130/80", "昨天晚上血压130/80"]}
    assert times == {"bp 130/80 two days ago": dt.datetime(2026, 11, 20, 14, 0),
                     "bp 130/80 a day ago": dt.datetime(2026, 11, 21, 14, 0),
                     "三天前血压130/80": dt.datetime(2026, 11, 19, 14, 0),
                     "昨天晚上血压130/80": dt.datetime(2026, 11, 21, 21, 0)}


@pytest.mark.parametrize("text, readings", [
    # the number after the name is a duration: the value comes later in the sentence
    ("my sugar 2 hours after dinner was 9.1", [("postprandial_glucose", 9.1, "mmol/L", "after_meal")]),
    ("血糖餐后2小时9.1", [("postprandial_glucose", 9.1, "mmol/L", "after_meal")]),
    ("my uric acid has been 480 for 3 years", [("uric_acid", 480, "µmol/L", None)]),
    # an age, a target, a change or another sentence's number is not the name's value
    ("What should my A1c target be? I'm 45, type 2", []),
    ("what a1c should I have at age 50", []),
    ("my sugar target is 7", []),
    ("my weight went up 3 kg this month", []),
    ("my weight is up by 4 kg", []),
    ("my sugar dropped to 3.2 fasting", [("fasting_glucose", 3.2, "mmol/L", "fasting")]),  # "to": a reading
    ("fasting glucose at 3.1 this morning", [("fasting_glucose", 3.1, "mmol/L", "fasting")]),  # "at": a reading
    ("my uric acid at 520", [("uric_acid", 520, "µmol/L", None)]),
    ("my a1c when I turned 50 was 7.1%", [("hba1c", 7.1, "%", None)]),  # the age, then the value
    ("Is my cholesterol ok? 10 days ago I started a diet", []),
])
def test_a_number_is_a_reading_only_when_it_is_the_names_value(text, readings):
    found, problems = summary(text)
    assert found == readings and problems == []
