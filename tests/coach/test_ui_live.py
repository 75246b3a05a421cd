"""Live delivery of a manager's messages into a patient's open chats (coach/ui/live.py), over the real
take-over service and database; the Chainlit sessions are small stand-ins with what delivery reads of them."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import pytest

from coach.access import AccessPolicy
from coach.accounts import AccountStore
from coach.handover import Handover
from coach.models import Profile
from coach.profile.store import ProfileStore, sqlite_url
from coach.ui.live import LiveChats, label


@dataclass
class Session:
    id: str
    thread_id: str
    has_first_interaction: bool  # Chainlit stores a new chat's thread only once the patient has spoken
    online: bool = True  # its socket is open (a closed tab's session lingers a while, offline)


@pytest.fixture
def world(tmp_path):
    url = sqlite_url(tmp_path / "coach.db")
    profiles, accounts = ProfileStore(url), AccountStore(url)
    profiles.create_profile(Profile(id="mei", display_name="Mei"))
    accounts.add("mei", "patient", "long-enough-pw")
    accounts.add("li", "manager", "long-enough-pw")
    accounts.assign("li", ["mei"])
    handover = Handover(profiles, AccessPolicy(accounts), clock=lambda: dt.datetime(2026, 12, 8, 9))
    sessions: dict[str, Session] = {}
    shown: list[tuple[str, str]] = []

    async def show(session, messages):
        shown.extend((session.id, label(m)) for m in messages)

    live = LiveChats(handover, sweep_seconds=0.05, session_of=sessions.get, show=show,
                     connected=lambda session: session.online)
    handover.on_message = live.notify
    yield handover, live, sessions, shown, accounts.get("li")
    profiles.close()
    accounts.close()


def test_a_message_reaches_every_open_chat_once_and_counts_as_delivered_in_a_stored_thread(world):
    handover, live, sessions, shown, li = world

    async def scenario():
        sessions["s1"] = Session("s1", "thread-1", has_first_interaction=True)  # a resumed thread
        sessions["s2"] = Session("s2", "thread-2", has_first_interaction=False)  # a new chat, not stored yet
        await live.opened("mei", "s1")
        await live.opened("mei", "s2")
        await asyncio.to_thread(handover.take_over, li, "mei")  # from another thread, as the console does
        await asyncio.to_thread(handover.write, li, "mei", "Hello Mei, it's Li.")
        await asyncio.sleep(0.3)  # the notify, then a few sweeps: nothing is shown twice
        return shown

    asyncio.run(scenario())
    assert sorted(shown) == sorted([(s, t) for s in ("s1", "s2") for t in (
        shown[0][1], "**Your health manager, li, writes:**\n\nHello Mei, it's Li.")])
    assert "has joined this chat" in shown[0][1]
    assert handover.undelivered("mei") == []  # shown in a stored thread
    assert {m.thread_id for m in handover.conversation(li, "mei")} == {"thread-1"}


def test_a_patient_offline_gets_the_message_in_the_next_chat_they_open(world):
    handover, live, sessions, shown, li = world
    handover.take_over(li, "mei")
    handover.write(li, "mei", "Call me when you can.")  # nobody connected: it waits

    async def scenario():
        assert live.notify("mei") is None and shown == []
        sessions["new"] = Session("new", "thread-9", has_first_interaction=False)
        await live.opened("mei", "new")  # a new chat: shown, but not stored until she speaks
        assert len(shown) == 2 and len(handover.undelivered("mei")) == 2
        await live.sweep()  # shown once per session, however often the sweep runs
        assert len(shown) == 2
        sessions["new"].has_first_interaction = True
        await live.spoke("mei", "new")

    asyncio.run(scenario())
    assert handover.undelivered("mei") == []
    assert {m.thread_id for m in handover.conversation(li, "mei")} == {"thread-9"}


def test_a_chat_closed_before_it_was_stored_shows_the_message_again_in_the_next_one(world):
    handover, live, sessions, shown, li = world
    handover.take_over(li, "mei")

    async def scenario():
        sessions["glance"] = Session("glance", "thread-a", has_first_interaction=False)
        await live.opened("mei", "glance")
        del sessions["glance"]  # closed without a word: Chainlit never stored it
        sessions["later"] = Session("later", "thread-b", has_first_interaction=True)
        await live.opened("mei", "later")

    asyncio.run(scenario())
    assert [s for s, _ in shown] == ["glance", "later"]
    assert handover.undelivered("mei") == [] and live._sessions == {"mei": {"later"}}


def test_a_tab_closed_a_moment_ago_gets_nothing_and_the_message_waits_until_it_is_back(world):
    handover, live, sessions, shown, li = world

    async def scenario():
        sessions["tab"] = Session("tab", "thread-1", has_first_interaction=True)
        await live.opened("mei", "tab")
        sessions["tab"].online = False  # the tab was closed; Chainlit keeps the session for a while
        await asyncio.to_thread(handover.take_over, li, "mei")
        await live.sweep()
        assert shown == [] and len(handover.undelivered("mei")) == 1
        sessions["tab"].online = True  # the socket came back (a restored session): the sweep delivers
        await live.sweep()

    asyncio.run(scenario())
    assert [s for s, _ in shown] == ["tab"] and handover.undelivered("mei") == []
