"""Routine follow-up: findings that call for a clinician visit within a stated time, decided by rules."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.follow_up import follow_up_for, load_follow_ups
from coach.indicators import load_rules
from coach.models import Profile
from coach.profile.store import ProfileStore, sqlite_url
from coach.service import Coach
from knowledge.retrieve import HybridRetriever

NOW = dt.datetime(2026, 11, 22, 14, 0)


def test_every_follow_up_rule_names_real_rules_statuses_and_passages():
    from knowledge.corpus import load_corpus
    from tests.conftest import REPO
    rules = {r.id: r for r in load_rules().rules}
    passages = {p.id for p in load_corpus(REPO / "guidelines").passages}
    for f in load_follow_ups():
        assert f.passage in passages, f.id
        for rule_id in f.rules:
            assert rule_id in rules, f"{f.id}: no indicator rule {rule_id}"
            assert set(f.statuses) <= {b.status for b in rules[rule_id].bands}, f"{f.id}: {rule_id} statuses"


@pytest.fixture
def store(tmp_path):
    store = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    store.create_profile(Profile(id="sam", display_name="Sam", region="us", sex="male", height_cm=178))
    store.create_profile(Profile(id="mei", display_name="Mei", region="cn", sex="female", height_cm=160))
    store.create_profile(Profile(id="li", display_name="Li", region="cn", conditions=["diabetes"]))
    return store


def ask(guideline_index, store, profile_id, message):
    coach = Coach(HybridRetriever(guideline_index), store, None, clock=lambda: NOW)
    return coach.reply(message, store.get_profile(profile_id))


@pytest.mark.slow
def test_a_new_stage_2_reading_gets_a_visit_within_a_month_and_a_record_for_managers(guideline_index, store):
    reply = ask(guideline_index, store, "sam", "my bp this morning was 152/96")
    e = reply.escalation
    assert (e.level, e.within, e.passage_id) == ("routine", "within 1 month", "htn-acc-aha-2017#follow-up-intervals")
    assert "Please see your clinician within 1 month about this" in reply.text
    assert "htn-acc-aha-2017#follow-up-intervals" in {c.passage_id for c in reply.citations}
    records = store.escalations()
    assert [(r.level, r.profile_id) for r in records] == [("routine", "sam")]
    # Asking about it later repeats the advice but adds no second record.
    again = ask(guideline_index, store, "sam", "is my blood pressure ok?")
    assert again.escalation.level == "routine" and len(store.escalations()) == 1


@pytest.mark.slow
def test_no_follow_up_below_stage_2_or_for_a_known_condition(guideline_index, store):
    assert ask(guideline_index, store, "sam", "my bp this morning was 134/82").escalation is None
    first = ask(guideline_index, store, "mei", "fasting sugar 7.8 mmol/L this morning")
    assert (first.escalation.level, first.escalation.passage_id) == ("routine", "dm-china-2020#diagnostic-criteria")
    known = ask(guideline_index, store, "li", "fasting sugar 7.8 mmol/L this morning")
    assert known.escalation is None  # Li's diabetes is known: nothing to confirm


def test_the_most_severe_finding_decides():
    from coach.assessment import assess
    from coach.models import Indicator as I
    from coach.models import Reading
    when = NOW - dt.timedelta(hours=1)
    readings = [Reading(indicator=I.systolic_bp, value=165, unit="mmHg", measured_at=when),
                Reading(indicator=I.diastolic_bp, value=95, unit="mmHg", measured_at=when),
                Reading(indicator=I.fasting_glucose, value=7.2, unit="mmol/L", measured_at=when)]
    profile = Profile(id="eva", display_name="Eva", region="eu")
    escalation, finding = follow_up_for(assess(profile, readings, NOW), profile)
    assert finding.indicator == "blood_pressure" and finding.status == "grade_2"
    assert escalation.within == "soon" and escalation.passage_id == "htn-esh-2023#treatment-initiation"


def test_grade_2_in_china_gets_a_visit_soon_with_the_chinese_passage():
    from coach.assessment import assess
    from coach.models import Indicator as I
    from coach.models import Reading
    when = NOW - dt.timedelta(hours=1)
    readings = [Reading(indicator=I.systolic_bp, value=165, unit="mmHg", measured_at=when),
                Reading(indicator=I.diastolic_bp, value=102, unit="mmHg", measured_at=when)]
    mei = Profile(id="mei", display_name="Mei", region="cn")
    escalation, finding = follow_up_for(assess(mei, readings, NOW), mei)
    assert (finding.rule_id, finding.status) == ("bp-china-2018", "grade_2")
    assert (escalation.level, escalation.within) == ("routine", "soon")
    assert escalation.passage_id == "htn-china-2018#grade-2-3-follow-up"
    # Grade 1 (159/99) is below the rule's 160/100 line: no visit is asked for.
    lower = [r.model_copy(update={"value": v}) for r, v in zip(readings, (159, 99))]
    assert follow_up_for(assess(mei, lower, NOW), mei) is None


def test_the_chinese_grade_2_rule_states_the_line_its_passage_gives():
    from knowledge.corpus import load_corpus
    from tests.conftest import REPO
    passages = {p.id: p for p in load_corpus(REPO / "guidelines").passages}
    rule = next(r for r in load_follow_ups() if r.id == "bp-grade-2-3-cn")
    text = passages[rule.passage].text
    assert "160/100 mmHg" in rule.reason and "160/100 mmHg or more" in text and "grade 2" in text
