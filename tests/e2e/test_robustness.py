"""The chat app over its real websocket protocol: odd messages, rapid sends, a dropped socket, two patients at once.

The real `coach serve` on a free loopback port (started once for the module) with the session's real index, and
bench/chainlit_client.py, which logs in and talks Chainlit's socket.io protocol as the browser does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import subprocess
import time
import uuid

import pytest

from bench.chainlit_client import ChainlitError, ChainlitSession
from coach.accounts import AccountStore
from coach.models import Indicator, Profile, Reading
from coach.profile.store import ProfileStore, sqlite_url
from tests.e2e.server import ARTIFACTS, COACH, AppServer, app_env

pytestmark = pytest.mark.slow
PASSWORD = "robust-patient-2026"
SORRY = "Sorry, something went wrong"
PLEASE_TYPE = "Please type your question or a reading"


@pytest.fixture(scope="module")
def server(guideline_index, guideline_data_dir):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = guideline_data_dir
    subprocess.run(COACH + ["demo"], env=app_env(data_dir), check=True, capture_output=True)
    profiles = ProfileStore(sqlite_url(data_dir / "coach.db"))
    accounts = AccountStore(sqlite_url(data_dir / "coach.db"))
    patients = (("robust-a", "Ana Alvarez", "eu", 81.7), ("robust-b", "Bo Bergstrom", "us", 66.4),
                ("robust-c", "Cai Chen", "cn", 58.2))
    for name, display, region, weight in patients:
        if not accounts.exists(name):
            profiles.create_profile(Profile(id=name, display_name=display, birth_year=1960, sex="female",
                                            height_cm=165, conditions=["htn"], region=region))
            profiles.add_reading(name, Reading(indicator=Indicator.weight, value=weight, unit="kg",
                                               measured_at=dt.datetime.now().replace(microsecond=0),
                                               source="manual"))
            accounts.add(name, "patient", PASSWORD, profile_id=name)
    log = ARTIFACTS / "robustness-server.log"
    log.unlink(missing_ok=True)
    app = AppServer(data_dir, log)
    app.start()
    yield app
    app.stop()


def run(scenario):
    return asyncio.run(asyncio.wait_for(scenario, 180))


def session(server, username="robust-a") -> ChainlitSession:
    return ChainlitSession(server.url, username, PASSWORD)


def systolic_values(server, profile_id: str) -> list[float]:
    store = ProfileStore(sqlite_url(server.data_dir / "coach.db"))
    return [r.value for r in store.readings(profile_id, indicator=Indicator.systolic_bp)]


def assert_answered(turn):
    assert turn.answer and not turn.is_error, turn.outputs
    assert SORRY not in turn.answer, "the server failed answering; see out/e2e/robustness-server.log"


def server_log(server) -> str:
    return server.log.read_text(encoding="utf-8", errors="replace")


def test_empty_and_blank_messages_are_asked_for_a_question(server):
    async def scenario():
        client = session(server)
        try:
            await client.connect()
            for text in ("", "   \n\t  "):
                turn = await client.ask(text)
                assert_answered(turn)
                assert PLEASE_TYPE in turn.answer
            turn = await client.ask("my blood pressure this morning was 128/82")  # and the session goes on
            assert_answered(turn)
            assert "I've recorded your blood pressure 128/82 mmHg" in turn.answer
        finally:
            await client.close()
    run(scenario())


def test_a_20000_character_message_is_read_up_to_the_limit_and_says_so(server):
    text = "My blood pressure this morning was 147/93. " + "I walk every day and cook with less salt. " * 480
    assert len(text) > 20_000

    async def scenario():
        client = session(server)
        try:
            await client.connect()
            turn = await client.ask(text)
        finally:
            await client.close()
        assert_answered(turn)
        assert turn.answer.startswith("Your message was long, so I read the first 4,000 characters.")
        assert "147/93" in turn.answer
    run(scenario())
    assert systolic_values(server, "robust-a").count(147) == 1


def test_emoji_and_chinese_text_are_answered(server):
    async def scenario():
        client = session(server, "robust-c")
        try:
            await client.connect()
            emoji = await client.ask("😀👍 is my blood pressure of 126/81 ok? ❤️🩺")
            chinese = await client.ask("我应该怎样减少盐的摄入？")  # how should I eat less salt?
            emergency = await client.ask("我胸口痛得厉害，左臂发麻")  # bad chest pain, left arm numb
        finally:
            await client.close()
        for turn in (emoji, chinese, emergency):
            assert_answered(turn)
        assert "126/81" in emoji.answer
        assert emergency.outputs[0].startswith("**EMERGENCY: call your local emergency number now.**")
        assert "Triage" in [s.get("name") for s in emergency.steps.values()]
        # the user's text came back intact in the triage step
        assert "我胸口痛得厉害，左臂发麻" in next(s["input"] for s in emergency.steps.values() if s.get("name") == "Triage")
    run(scenario())


def test_rapid_sends_are_all_answered_in_order_and_each_reading_is_stored_once(server):
    values = [(141, 91), (143, 92), (145, 93), (149, 94), (151, 95)]
    before = systolic_values(server, "robust-b")

    async def scenario():
        client = session(server, "robust-b")
        try:
            await client.connect(wait=False)  # typing before the welcome is there, as a quick patient does
            turns = [await client.send(f"my blood pressure this morning was {s}/{d}") for s, d in values]
            for turn in turns:
                await client.wait(turn)
        finally:
            await client.close()
        return turns

    turns = run(scenario())
    for turn, (s, d) in zip(turns, values):
        assert_answered(turn)
        assert f"I've recorded your blood pressure {s}/{d} mmHg" in turn.answer
    for earlier, later in zip(turns, turns[1:]):
        assert earlier.answered_at < later.first_output_at, "each answer is complete before the next one starts"
    after = systolic_values(server, "robust-b")
    assert sorted(after) == sorted(before + [s for s, _ in values]), "each reading stored exactly once"


def test_a_dropped_socket_mid_answer_loses_nothing_and_the_server_answers_on(server):
    async def scenario():
        dropped = session(server, "robust-a")
        other = session(server, "robust-b")
        try:
            await asyncio.gather(dropped.connect(), other.connect())
            session_id = dropped.session_id
            await dropped.started(await dropped.send("my blood pressure this morning was 163/104"))
            await dropped.drop()  # the network goes while the answer is being written

            answer = await other.ask("How much exercise should I do each week?")  # others are still answered
            assert_answered(answer)

            await dropped.connect(session_id=session_id)  # the browser reconnects to its session
            again = await dropped.ask("is that blood pressure too high?")
            assert_answered(again)
            assert "163/104" in again.answer
            await dropped.disconnect()

            fresh = session(server, "robust-a")  # or a new tab: the reading is in "my data"
            try:
                await fresh.connect()
                data = await fresh.ask("my data")
            finally:
                await fresh.close()
            assert "163/104 mmHg" in data.answer
        finally:
            await asyncio.gather(dropped.close(), other.close())

    run(scenario())
    assert systolic_values(server, "robust-a").count(163) == 1, "the reading was stored once"

    async def resumed_thread():  # the interrupted answer was finished and kept in its conversation
        client = session(server, "robust-a")
        try:
            await client.login()
            deadline = time.monotonic() + 20
            while True:
                outputs = [[s.get("output") or "" for s in t.get("steps", [])] for t in await client.list_threads()]
                if any("my blood pressure this morning was 163/104" in steps
                       and any("I've recorded your blood pressure 163/104 mmHg" in o for o in steps)
                       for steps in outputs):
                    return
                assert time.monotonic() < deadline, "the interrupted answer never reached its stored thread"
                await asyncio.sleep(0.5)
        finally:
            await client.close()
    run(resumed_thread())
    assert server.process.poll() is None


def test_two_patients_at_once_never_see_each_other(server):
    async def scenario():
        a, b = session(server, "robust-a"), session(server, "robust-b")
        try:
            await asyncio.gather(a.connect(), b.connect())
            a_turn, b_turn = await asyncio.gather(
                a.ask("my blood pressure this morning was 171/101, is that high?"), b.ask("my data"))
            assert_answered(a_turn)
            assert any(e["type"] == "plotly" for e in a_turn.elements)
            await asyncio.gather(a.thread(), b.thread())
            # B's "my data" is B's profile and readings only
            assert "Bo Bergstrom" in b_turn.answer and "66.4 kg" in b_turn.answer
            assert "Ana Alvarez" not in b_turn.answer and "171/101" not in b_turn.answer
            assert "81.7" not in b_turn.answer

            a_file = await _stored_element_url(a, a.thread_id)
            status, _ = await a.request("GET", a_file)
            assert status == 200, "the author reads her own element file"

            b_threads = {t["id"] for t in await b.list_threads(first=100)}
            a_threads = {t["id"] for t in await a.list_threads(first=100)}
            assert a.thread_id in a_threads and not (a_threads & b_threads)
            assert b.thread_id in b_threads
            assert await b.list_threads(search="171/101") == [], "B's search box finds nothing of A's"
            assert a.thread_id in {t["id"] for t in await a.list_threads(search="171/101")}

            for path in (a_file, f"/project/thread/{a.thread_id}", f"/project/share/{a.thread_id}",
                         f"/project/thread/{a.thread_id}/element/{a_turn.elements[0]['id']}"):
                status, body = await b.request("GET", path)
                assert status in (401, 403, 404), f"B read {path}: HTTP {status}"
                assert b"171/101" not in (body if isinstance(body, bytes) else str(body).encode())

            status, _ = await b.request("GET", f"/project/thread/{uuid.uuid4()}")
            assert status == 404, f"a thread that does not exist: HTTP {status}"  # a stale link, not a crash

            intruder = session(server, "robust-b")
            try:
                with pytest.raises(ChainlitError):  # nor open A's conversation over the socket
                    await intruder.connect(thread_id=a.thread_id)
            finally:
                await intruder.close()

            b_again = await b.ask("is my blood pressure ok?")  # and B's answers use B's data only
            assert "171/101" not in b_again.answer
        finally:
            await asyncio.gather(a.close(), b.close())
    run(scenario())


async def _stored_element_url(client: ChainlitSession, thread_id: str) -> str:
    """The /coach-files URL of an element of the thread, once Chainlit has written it (its writes are not awaited)."""
    deadline = time.monotonic() + 20
    while True:
        status, thread = await client.request("GET", f"/project/thread/{thread_id}")
        urls = [e.get("url") for e in (thread.get("elements") or [])] if status == 200 else []
        urls = [u for u in urls if u and u.startswith("/coach-files/")]
        if urls:
            return urls[0]
        assert time.monotonic() < deadline, f"no stored element in the thread ({status})"
        await asyncio.sleep(0.5)


def test_another_server_stopping_in_the_same_folder_does_not_break_answers(server, tmp_path):
    """Chainlit deletes its session-files folder when a server stops; every `coach serve` runs in the project
    folder, so one server stopping used to take the folder from under another, whose answers with sources or
    charts then all failed."""
    second = AppServer(server.data_dir, tmp_path / "second-server.log")
    second.start()
    second.stop()

    async def scenario():
        client = session(server, "robust-c")
        try:
            await client.connect()
            return await client.ask("my blood pressure this morning was 152/96, is that high?")
        finally:
            await client.close()
    turn = run(scenario())
    assert_answered(turn)
    assert any(e["type"] == "plotly" for e in turn.elements) and any(e["type"] == "text" for e in turn.elements)


def test_no_message_crashed_the_server(server):
    assert server.process.poll() is None
    log = server_log(server)
    assert "answering a message failed" not in log
    assert not re.search(r"^Traceback", log, re.M), "a traceback in out/e2e/robustness-server.log"
