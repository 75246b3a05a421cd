"""Every red flag, its look-alikes that must not trigger, and the reading-based flags."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.models import Indicator as I
from coach.models import Profile, Reading
from coach.profile.parse import parse_readings
from coach.triage import all_checks, triage
from coach.triage.flags import load_flags

ALL_CHECKS = all_checks()

NOW = dt.datetime(2026, 11, 22, 9, 0)


@pytest.mark.parametrize("text, flag, level", [
    ("crushing chest pain and my left arm is numb", "heart_attack", "emergency"),
    ("my chest feels tight and heavy", "heart_attack", "emergency"),
    ("my face is drooping and I can't lift my right arm", "stroke", "emergency"),
    ("Dad's speech is slurred and he can't move his left arm", "stroke", "emergency"),
    ("suddenly the worst headache of my life", "stroke", "emergency"),
    ("I can't breathe properly, gasping for air", "breathless", "emergency"),
    ("I keep thinking about taking all my insulin at once and just not waking up", "self_harm", "emergency"),
    ("honestly I don't want to live anymore", "self_harm", "emergency"),
    ("vomiting since yesterday and my ketones are high", "dka_hhs", "emergency"),
    ("very high sugar and I keep throwing up", "dka_hhs", "emergency"),
    ("my big toe is red and swollen and I have a fever", "hot_joint_fever", "urgent"),
    ("my husband is on insulin and I can't really wake him", "severe_hypo", "emergency"),
    ("胸口痛得厉害", "heart_attack", "emergency"),
    ("他说话不清，嘴歪了", "stroke", "emergency"),
    ("呕吐，酮体高", "dka_hhs", "emergency"),
    ("老公打了胰岛素，现在叫不醒", "severe_hypo", "emergency"),
    ("膝盖红肿，还发烧", "hot_joint_fever", "urgent"),
    ("my knee is red and swollen, 发烧了", "hot_joint_fever", "urgent"),
    ("我现在胸口很痛", "heart_attack", "emergency"),
    # A past event in the same message does not hide a symptom now.
    ("my dad is slurring his words, he had a stroke in 2019", "stroke", "emergency"),
    ("I had chest pain two years ago and it is back again now", "heart_attack", "emergency"),
    ("I had chest pain last year and again today", "heart_attack", "emergency"),
    ("Last year I had chest pain. Now my chest feels tight", "heart_attack", "emergency"),
    ("I had crushing chest pain an hour ago", "heart_attack", "emergency"),
])
def test_red_flags_in_text(text, flag, level):
    result = triage(text)
    assert result.level == level and flag in {h.id for h in result.hits}
    hit = next(h for h in result.hits if h.id == flag)
    assert hit.passage_id.startswith("emergency-red-flags#") and hit.evidence
    assert flag not in result.checked


@pytest.mark.parametrize("text", [
    "I have no chest pain, just a question about salt",
    "What are the warning signs of a stroke?",
    "what does slurred speech mean?",
    "I'm not short of breath but my ankles swell a bit",
    "my big toe is red and swollen again, like my usual gout",  # no fever: a flare, not a red flag here
    "my blood sugar was high yesterday, what should I eat?",
    "My blood pressure readings this week were 150/95 and 148/92, what should I do?",
    "how do I stop feeling so tired after lunch?",
    "my uncle had a heart attack last year; how can I lower my cholesterol?",
    "我没有胸痛，只是想问问饮食",
    "我膝盖红肿，是痛风吗",
    "中风有哪些症状？",
    # History, not a symptom now.
    "My mother had a stroke with slurred speech when she was 70. Does that mean my blood pressure matters more?",
    "Two years ago I had chest pain and got a stent. What should my LDL be now?",
    "my dad had a stroke in 2019",
    "两年前我胸痛过",
])
def test_look_alikes_do_not_escalate(text):
    result = triage(text)
    assert result.level == "none" and result.hits == []
    assert result.checked == list(ALL_CHECKS)


def readings(text):
    return parse_readings(text, NOW).readings


def test_very_high_blood_pressure_without_and_with_symptoms():
    calm = triage("my bp is 186/112 and I feel totally fine", readings("my bp is 186/112"))
    assert calm.level == "urgent" and calm.hits[0].passage_id == "emergency-red-flags#severe-bp-without-symptoms"
    ill = triage("bp 190/125 with a bad headache and blurred vision", readings("bp 190/125"))
    assert ill.level == "emergency" and ill.hits[0].passage_id == "emergency-red-flags#hypertensive-emergency"
    assert triage("bp 178/110", readings("bp 178/110")).level == "none"


def test_every_reading_in_a_message_is_checked():
    # Two pairs share one moment; the severe one must not be hidden by the one after it.
    text = "my bp readings were 186/112 and 150/95"
    assert triage(text, readings(text)).level == "urgent"


def test_high_blood_pressure_in_pregnancy():
    pregnant = Profile(id="ana", display_name="Ana", conditions=["pregnancy"])
    assert triage("bp 145/92", readings("bp 145/92"), pregnant).level == "urgent"
    assert triage("bp 145/92 and a headache that won't go", readings("bp 145/92"), pregnant).level == "emergency"
    assert triage("bp 162/100", readings("bp 162/100"), pregnant).level == "emergency"
    assert triage("I'm 30 weeks pregnant, bp 150/95", readings("bp 150/95")).level == "urgent"
    assert triage("bp 145/92", readings("bp 145/92")).level == "none"  # not pregnant: a finding, not a flag


def test_low_glucose_reading():
    low = Reading(indicator=I.fasting_glucose, value=2.8, unit="mmol/L", measured_at=NOW)
    result = triage("fasting sugar 2.8 this morning", [low])
    assert result.level == "urgent" and result.hits[0].id == "low_glucose"
    assert result.hits[0].passage_id == "dm-ada-glycemic-targets#hypoglycemia-levels"


def test_most_severe_first_and_all_checks_accounted_for():
    result = triage("my knee is hot and swollen with a fever, and now crushing chest pain")
    assert [h.level for h in result.hits] == ["emergency", "urgent"]
    assert set(result.checked) | {h.id for h in result.hits} == set(ALL_CHECKS)


def test_every_red_flag_passage_exists():
    from knowledge.corpus import load_corpus
    from tests.conftest import REPO
    known = {p.id for p in load_corpus(REPO / "guidelines").passages}
    assert {f.passage for f in load_flags().flags} <= known


@pytest.mark.parametrize("text, flag, passage", [
    ("My mother had a stroke with slurred speech when she was 70. Does that mean my blood pressure matters more?",
     "stroke", "emergency-red-flags#stroke-be-fast"),
    ("Two years ago I had chest pain and got a stent. What should my LDL be now?", "heart_attack",
     "emergency-red-flags#heart-attack-signs"),
    ("两年前我胸痛过", "heart_attack", "emergency-red-flags#heart-attack-signs"),
])
def test_a_red_flag_told_as_history_is_kept_apart_not_raised(text, flag, passage):
    result = triage(text)
    assert result.level == "none" and result.hits == []
    assert [(h.id, h.passage_id) for h in result.history] == [(flag, passage)]


@pytest.mark.parametrize("text", ["I had chest pain two years ago and it is back again now",
                                  "no chest pain", "what are the signs of a stroke?"])
def test_a_symptom_now_a_negated_one_or_a_question_is_no_history(text):
    assert triage(text).history == []
