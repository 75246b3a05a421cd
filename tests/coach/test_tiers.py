"""The service tiers as data (rules/tiers.yaml), and what a person who asks for a human is told by tier."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from coach.composer import compose_human_request
from coach.human_request import asks_for_person
from coach.tiers import TIERS_FILE, Tiers, load_tiers


def test_the_shipped_tiers_load_and_every_queue_holds_emergencies_and_safety_checks():
    tiers = load_tiers()
    assert all(t.reaches_manager("emergency") and t.reaches_manager("safety") for t in tiers.tiers.values())
    assert not tiers.of("basic").reaches_manager("routine")
    assert tiers.of("professional").reaches_manager("unanswered")
    assert tiers.of("premium").notifies_at_once("emergency") and not tiers.of("professional").notifies_at_once(
        "emergency")
    assert tiers.of(None) == tiers.of("basic")


def test_a_tier_that_would_hide_emergencies_is_refused_with_its_name():
    data = yaml.safe_load(TIERS_FILE.read_text(encoding="utf-8"))
    data["tiers"]["basic"]["queue"] = ["routine"]
    with pytest.raises(ValidationError, match="emergency, safety"):
        Tiers.model_validate(data)
    data = yaml.safe_load(TIERS_FILE.read_text(encoding="utf-8"))
    data["tiers"]["basic"]["notify_at_once"] = ["routine"]  # paged for what never reaches the list
    with pytest.raises(ValidationError, match="routine"):
        Tiers.model_validate(data)


def test_the_reply_to_a_request_for_a_person_promises_only_what_the_tier_gives():
    tiers = load_tiers()
    basic = compose_human_request(tiers.of("basic"), has_profile=True)
    assert "no health manager follows up" in basic and "within" not in basic
    professional = compose_human_request(tiers.of("professional"), has_profile=True)
    assert "within 24 hours" in professional and "told now" not in professional
    premium = compose_human_request(tiers.of("premium"), has_profile=True)
    assert "within 2 hours" in premium and "told now" in premium
    for text in (basic, professional, premium, compose_human_request(tiers.of("basic"), has_profile=False)):
        assert "emergency number" in text  # what to do meanwhile if it is urgent


@pytest.mark.parametrize("text", [
    "I want to talk to a person", "Can I speak to a real human please?", "could someone call me back?",
    "this is useless, get me a human", "I'd like to chat with my health manager", "connect me with a nurse",
    "转人工", "我想找健康管理师", "能不能跟人聊一下"])
def test_requests_for_a_person_in_words(text):
    assert asks_for_person(text)


@pytest.mark.parametrize("text", [
    "I don't want to talk to anyone", "Should I speak to my doctor about statins?", "I'm a person with diabetes",
    "people with gout should avoid what?", "my blood pressure is 150/95", "我不想跟人聊", "血压150/95要紧吗"])
def test_no_request_where_none_was_made(text):
    assert asks_for_person(text) is None
