"""Take-over: a manager answers in an assigned patient's chat, the messages wait until shown, the manager
hands back; every action checked and audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.access import AccessDenied, AccessPolicy
from coach.accounts import AccountStore
from coach.audit import AuditLog
from coach.handover import Handover, HandoverError
from coach.models import Profile
from coach.profile.store import ProfileStore, sqlite_url
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)

NOW = dt.datetime(2026, 12, 8, 9, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    url = (sqlite_url(tmp_path / "coach.db") if request.param == "sqlite"
           else request.getfixturevalue("postgres_server").create_database())
    profiles, accounts, audit = ProfileStore(url), AccountStore(url), AuditLog(url)
    for name in ("mei", "sam"):
        profiles.create_profile(Profile(id=name, display_name=name.title()))
        accounts.add(name, "patient", "long-enough-pw")
    for name in ("li", "wu"):
        accounts.add(name, "manager", "long-enough-pw")
    accounts.assign("li", ["mei"])
    accounts.assign("wu", ["mei", "sam"])
    told = []
    handover = Handover(profiles, AccessPolicy(accounts, audit), clock=lambda: NOW)
    handover.on_message = told.append
    yield handover, accounts, audit, told
    for store in (profiles, accounts, audit):
        store.close()


def test_take_over_write_and_hand_back_each_stored_until_shown_and_audited(world):
    handover, accounts, audit, told = world
    li = accounts.get("li")
    assert handover.active("mei") is None
    taken = handover.take_over(li, "mei")
    assert (taken.manager, taken.ended_at) == ("li", None) and handover.active("mei") == taken
    handover.write(li, "mei", "  Hello Mei, I saw your reading. How do you feel now?  ")
    waiting = handover.undelivered("mei")
    assert [(m.sender, m.text) for m in waiting] == [
        ("notice", waiting[0].text), ("manager", "Hello Mei, I saw your reading. How do you feel now?")]
    assert "li" in waiting[0].text and "will not answer" in waiting[0].text
    assert handover.waiting(["mei", "sam"]) == {"mei"}
    handover.delivered([m.id for m in waiting], thread_id="thread-1")
    assert handover.undelivered("mei") == [] and handover.waiting(["mei"]) == set()
    assert handover.message(waiting[1].id).thread_id == "thread-1"

    assert handover.from_patient("mei", "mei", "A bit dizzy", triage="none").sender == "patient"
    handover.hand_back(li, "mei")
    assert handover.active("mei") is None
    assert handover.from_patient("mei", "mei", "thanks", triage="none") is None  # the coach answers again
    said = handover.conversation(li, "mei")
    assert [m.sender for m in said] == ["notice", "manager", "patient", "notice"]
    assert [m.text for m in handover.conversation(li, "mei", after=said[2].id, audited=False)] == [said[3].text]
    handover.conversation(li, "mei", audited=False)  # the page polling from the start: not audited either
    assert told == ["mei", "mei", "mei"]  # take over, write, hand back: the chat app is told each time
    done = [(e.action, e.outcome) for e in audit.entries(actor="li") if e.outcome == "done"]
    assert done == [("hand back", "done"), ("write", "done"), ("take over", "done")]  # newest first
    views = [e for e in audit.entries(actor="li") if e.action == "view conversation"]
    assert len(views) == 1  # the page is audited; polling it for new messages is not


def test_only_an_assigned_manager_holding_the_chat_writes_in_it(world):
    handover, accounts, _, _ = world
    li, wu, mei = accounts.get("li"), accounts.get("wu"), accounts.get("mei")
    with pytest.raises(HandoverError, match="take over the chat before writing"):
        handover.write(li, "mei", "hello")
    with pytest.raises(AccessDenied):
        handover.take_over(li, "sam")  # not li's patient
    with pytest.raises(AccessDenied):
        handover.take_over(mei, "mei")  # a patient takes over nothing
    handover.take_over(li, "mei")
    with pytest.raises(HandoverError, match="li is answering"):
        handover.take_over(wu, "mei")
    with pytest.raises(HandoverError, match="li is answering"):
        handover.write(wu, "mei", "hi")
    with pytest.raises(HandoverError, match="only they hand back"):
        handover.hand_back(wu, "mei")
    with pytest.raises(HandoverError, match="write a message"):
        handover.write(li, "mei", "   ")
    with pytest.raises(HandoverError, match="at most 4,000"):
        handover.write(li, "mei", "x" * 4001)
    assert handover.take_over(li, "mei").manager == "li"  # taking over twice is the same take-over
    handover.hand_back(li, "mei")
    with pytest.raises(HandoverError, match="already answering"):
        handover.hand_back(li, "mei")
    assert handover.take_over(wu, "mei").manager == "wu"  # free again


def test_a_second_active_take_over_is_refused_by_the_database_itself(world):
    handover, accounts, _, _ = world
    from sqlalchemy.exc import IntegrityError

    from coach.handover import takeovers
    handover.take_over(accounts.get("li"), "mei")
    with pytest.raises(IntegrityError), handover.engine.begin() as conn:  # two managers in the same instant
        conn.execute(takeovers.insert().values(profile_id="mei", manager="wu", started_at=NOW))
