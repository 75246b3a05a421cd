"""What the service searches for and what the composer then quotes, on the real index."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.models import Profile, Turn
from coach.profile.store import ProfileStore, sqlite_url
from coach.service import Coach
from knowledge.retrieve import HybridRetriever

pytestmark = pytest.mark.slow
NOW = dt.datetime(2026, 11, 22, 14, 0)


@pytest.fixture
def coach(guideline_index, tmp_path):
    store = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    store.create_profile(Profile(id="alex", display_name="Alex", region="us", sex="male", height_cm=178,
                                 conditions=["diabetes"]))
    return Coach(HybridRetriever(guideline_index), store, None, clock=lambda: NOW)


def cited(reply) -> set[str]:
    return {c.passage_id for c in reply.citations}


def test_a_question_about_a_number_keeps_the_number_in_the_search(coach):
    assert "180/120" in coach._query("Is a blood pressure of 180/120 dangerous?", [], [], numbers_are_readings=False)
    assert "150/95" not in coach._query("my bp was 150/95 today", [], [])  # a reading: its meaning instead
    reply = coach.reply("Is a blood pressure of 180/120 dangerous?", region="us")
    assert reply.escalation is None and not reply.recorded_readings
    assert cited(reply) & {"htn-urgency-emergency#severe-bp-definition", "htn-acc-aha-2017#hypertensive-crisis",
                           "htn-urgency-emergency#home-severe-reading-plan"}


def test_a_target_question_searches_for_the_target_not_the_readings_status(coach):
    profile = coach.store.get_profile("alex")
    coach.reply("My new HbA1c is 53 mmol/mol", profile)
    findings = coach.findings(profile)
    query = coach._query("Is that on target?", findings, [Turn(role="user", text="what about my HbA1c?")])
    assert "target goal" in query and "hba1c" in query and "Diabetes range" not in query
    reply = coach.reply("My HbA1c is 53 mmol/mol. Is that on target?", profile)
    assert "dm-ada-glycemic-targets#a1c-goal" in cited(reply)
    diagnosis = {"dm-ada-diagnosis#hba1c-for-diagnosis", "dm-ada-diagnosis#hba1c-unreliable"}
    assert not diagnosis & set(cited(reply))  # how HbA1c is used to diagnose, not the goal


def test_a_follow_up_to_a_reported_reading_is_about_what_the_reading_means(coach):
    profile = coach.store.get_profile("alex")
    said = "My fasting sugar was 112 mg/dL at my checkup this morning."
    first = coach.reply(said, profile)
    history = [Turn(role="user", text=said), Turn(role="coach", text=first.text)]
    query = coach._query("what can I do about it?", coach.findings(profile), history)
    assert "checkup" not in query and "Prediabetes range fasting glucose" in query
    reply = coach.reply("what can I do about it?", profile, history)
    assert "dm-ada-diagnosis#prediabetes-lifestyle" in cited(reply)
    assert "150 minutes" in reply.text  # the programme's list, quoted whole for "what can I do"


def test_a_follow_up_to_a_question_still_carries_the_question(coach):
    history = [Turn(role="user", text="Can I still drink beer with my gout?"), Turn(role="coach", text="...")]
    assert "beer" in coach._query("how much is too much?", [], history)
