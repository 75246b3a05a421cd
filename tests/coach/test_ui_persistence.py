"""Chainlit chat history in a real SQLite file: threads, steps, elements and feedback survive a restart."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid

import chainlit as cl
import plotly.graph_objects as go
import pytest
from chainlit.context import ChainlitContext, context_var
from chainlit.session import HTTPSession
from chainlit.types import Feedback, Pagination, ThreadFilter

from coach.profile.store import StoreUnavailable
from coach.settings import load_settings
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)
from coach.ui.persistence import (
    CoachDataLayer, LocalFileStorage, add_element_file_route, elements, ensure_schema, feedbacks, make_data_layer,
    steps, threads, users,
)


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_backend(request, tmp_path):
    """Settings for SQLite (the default) or a fresh PostgreSQL database (reached with asyncpg)."""
    if request.param == "sqlite":
        return load_settings(data_dir=tmp_path / "data")
    url = request.getfixturevalue("postgres_server").create_database()
    settings = load_settings(data_dir=tmp_path / "data", database_url=url)
    assert settings.chainlit_database.startswith("postgresql+asyncpg://")
    return settings


def run(coroutine):
    return asyncio.run(coroutine)


def in_chainlit_context(thread_id: str, user=None) -> None:
    """What Chainlit sets for a request: the data layer's write methods and new elements read it."""
    session = HTTPSession(id=str(uuid.uuid4()), client_type="webapp", thread_id=thread_id, user=user)
    context_var.set(ChainlitContext(session))


def prepared(element, for_id: str):
    """What `Element.send(for_id)` does before the data layer stores it (minus showing it in a browser)."""
    element.for_id = for_id
    element.mime = element.mime or {"text": "text/plain", "plotly": "application/json"}.get(element.type)
    return element


def sent(step, second: int):
    """What `send()` stamps on a message or step: the time it was created (UTC, ISO with a Z)."""
    step.created_at = step.start = f"2026-11-22T08:00:{second:02d}.000000Z"
    return step.to_dict()


def figure() -> go.Figure:
    return go.Figure(go.Scatter(x=["2026-11-01", "2026-11-02"], y=[152, 147], name="systolic"))


async def write_conversation(layer: CoachDataLayer, thread_id: str, identifier: str = "mei") -> dict:
    in_chainlit_context(thread_id)
    user = await layer.create_user(cl.User(identifier=identifier, metadata={"role": "patient", "profile_id": "mei"}))
    in_chainlit_context(thread_id, user)
    await layer.update_thread(thread_id, name="my blood pressure", user_id=user.id,
                              metadata={"chat_profile": "patient", "profile_id": "mei"}, tags=["patient"])
    question = cl.Message(content="my bp was 152/96 this morning", author="mei", type="user_message")
    await layer.create_step(sent(question, 1))
    tool = cl.Step(name="findings", type="tool")  # a Step writes autoCollapse, missing from Chainlit's docs schema
    tool.input, tool.output = "152/96", "Stage 2 hypertension (htn-acc-aha-2017#bp-categories)"
    await layer.create_step(sent(tool, 2))
    reply = cl.Message(content="That reading is stage 2 hypertension [1].", author="coach")
    await layer.create_step(sent(reply, 3))
    text = prepared(cl.Text(name="sources", content="[1] htn-acc-aha-2017#bp-categories: 140/90 or higher"),
                    reply.id)
    chart = prepared(cl.Plotly(name="bp-trend", figure=figure()), reply.id)
    table = prepared(cl.CustomElement(name="IndicatorTable", props={"rows": [["systolic", 152, "stage 2"]]}),
                     reply.id)
    csv = prepared(cl.File(name="readings.csv", content=b"date,systolic\n2026-11-01,152\n"), reply.id)
    for element in (text, chart, table, csv):
        await layer.create_element(element)
    await layer.upsert_feedback(Feedback(forId=reply.id, value=1, threadId=thread_id, comment="clear"))
    return {"user": user, "question": question, "tool": tool, "reply": reply, "text": text, "chart": chart,
            "table": table, "csv": csv}


async def _author_of_a_missing_thread(settings):
    layer = make_data_layer(settings)
    try:
        return await layer.get_thread_author(str(uuid.uuid4()))
    finally:
        await layer.close()


def test_thread_steps_elements_and_feedback_survive_a_restart(any_backend):
    settings = any_backend
    thread_id = str(uuid.uuid4())

    async def before():
        layer = make_data_layer(settings)
        written = await write_conversation(layer, thread_id)
        await layer.close()
        return written

    written = run(before())

    async def after():  # a new server process: new data layer, same files
        layer = make_data_layer(settings)
        try:
            thread = await layer.get_thread(thread_id)
            stored = {e["name"]: await layer.storage_provider.read_file(e["objectKey"]) for e in thread["elements"]}
            return thread, stored, await layer.get_thread_author(thread_id)
        finally:
            await layer.close()

    thread, stored, author = run(after())
    assert author == "mei"
    assert run(_author_of_a_missing_thread(settings)) == ""  # Chainlit's access check answers 404 for it
    assert thread["name"] == "my blood pressure" and thread["userIdentifier"] == "mei"
    assert thread["metadata"] == {"chat_profile": "patient", "profile_id": "mei"}  # objects, not JSON text
    assert thread["tags"] == ["patient"]
    assert [s["id"] for s in thread["steps"]] == [written[k].id for k in ("question", "tool", "reply")]
    question, tool, reply = thread["steps"]
    assert question["output"] == "my bp was 152/96 this morning" and question["type"] == "user_message"
    assert tool["output"].startswith("Stage 2 hypertension") and tool["streaming"] is False
    assert reply["output"] == "That reading is stage 2 hypertension [1]." and reply["name"] == "coach"
    assert reply["feedback"]["value"] == 1 and reply["feedback"]["comment"] == "clear"
    assert isinstance(reply["metadata"], dict)

    by_name = {e["name"]: e for e in thread["elements"]}
    assert set(by_name) == {"sources", "bp-trend", "IndicatorTable", "readings.csv"}
    for name, element in by_name.items():
        assert element["forId"] == written["reply"].id and element["threadId"] == thread_id
        assert element["url"] == f"/coach-files/{element['objectKey']}"
        assert element["objectKey"].startswith(f"{written['user'].id}/{element['id']}/")
        assert stored[name] is not None, name
    assert stored["sources"].content.decode() == "[1] htn-acc-aha-2017#bp-categories: 140/90 or higher"
    assert stored["sources"].mime == "text/plain"
    chart = json.loads(stored["bp-trend"].content)
    assert chart["data"][0]["y"] == [152, 147] and stored["bp-trend"].mime == "application/json"
    assert by_name["IndicatorTable"]["props"] == {"rows": [["systolic", 152, "stage 2"]]}
    assert json.loads(stored["IndicatorTable"].content) == {"rows": [["systolic", 152, "stage 2"]]}
    assert stored["readings.csv"].mime == "application/octet-stream"  # Chainlit's default when none is set


def test_thread_list_rename_feedback_update_and_delete(any_backend):
    settings = any_backend
    first, second, other = (str(uuid.uuid4()) for _ in range(3))

    async def scenario():
        layer = make_data_layer(settings)
        try:
            written = await write_conversation(layer, first)
            await write_conversation(layer, second)
            await write_conversation(layer, other, identifier="sam")
            user = written["user"]
            listed = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user.id))
            found = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user.id, search="152/96"))
            missing = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user.id, search="gout"))
            await layer.update_thread(first, name="Renamed: blood pressure")
            renamed = await layer.get_thread(first)
            # A second vote on the same message, without the first vote's id, replaces it.
            in_chainlit_context(first, user)
            await layer.upsert_feedback(Feedback(forId=written["reply"].id, value=0, threadId=first))
            revoted = await layer.get_thread(first)
            keys = [e["objectKey"] for e in renamed["elements"]]
            files_before = [layer.storage_provider.path_for(k).exists() for k in keys]
            await layer.delete_thread(first)
            files_after = [layer.storage_provider.path_for(k).exists() for k in keys]
            left = {table: await layer.execute_sql(f'SELECT count(*) AS n FROM {table} WHERE "threadId" = :id',
                                                   {"id": first}) for table in ("steps", "elements", "feedbacks")}
            all_steps = await layer.execute_sql("SELECT count(*) AS n FROM steps", {})
            return (listed, found, missing, renamed, revoted, files_before, files_after, await layer.get_thread(first),
                    await layer.get_thread(second), left, all_steps)
        finally:
            await layer.close()

    listed, found, missing, renamed, revoted, before, after, deleted, kept, left, all_steps = run(scenario())
    assert {t["id"] for t in listed.data} == {first, second}  # sam's thread is not mei's
    assert len(found.data) == 2 and missing.data == []
    assert renamed["name"] == "Renamed: blood pressure" and renamed["metadata"]["profile_id"] == "mei"
    assert len(revoted["steps"]) == 3  # one feedback row per step, so the reply is not listed twice
    assert revoted["steps"][2]["feedback"]["value"] == 0
    assert all(before) and not any(after)
    assert deleted is None
    assert kept is not None and len(kept["elements"]) == 4
    assert {table: rows[0]["n"] for table, rows in left.items()} == {"steps": 0, "elements": 0, "feedbacks": 0}
    assert all_steps[0]["n"] == 6  # the other two threads keep theirs


def test_delete_step_removes_its_element_files(any_backend):
    settings = any_backend
    thread_id = str(uuid.uuid4())

    async def scenario():
        layer = make_data_layer(settings)
        try:
            written = await write_conversation(layer, thread_id)
            keys = [e["objectKey"] for e in (await layer.get_thread(thread_id))["elements"]]
            await layer.delete_step(written["reply"].id)
            thread = await layer.get_thread(thread_id)
            return thread, [layer.storage_provider.path_for(k).exists() for k in keys]
        finally:
            await layer.close()

    thread, exists = run(scenario())
    assert [s["name"] for s in thread["steps"]] == ["mei", "findings"] and thread["elements"] == []
    assert not any(exists)


def test_element_files_are_served_to_their_owner_only(settings):
    from chainlit.auth import get_current_user
    from chainlit.server import app
    from fastapi.testclient import TestClient

    thread_id = str(uuid.uuid4())

    async def write():
        layer = make_data_layer(settings)
        written = await write_conversation(layer, thread_id)
        sam = await layer.create_user(cl.User(identifier="sam"))
        await layer.close()
        return written, sam

    written, sam = run(write())
    layer = make_data_layer(settings)  # the server's data layer, after a restart
    thread = run(layer.get_thread(thread_id))
    urls = {e["name"]: e["url"] for e in thread["elements"]}
    route = add_element_file_route(app, get_layer=lambda: layer)
    current = {"user": written["user"]}
    app.dependency_overrides[get_current_user] = lambda: current["user"]
    try:
        client = TestClient(app)
        chart = client.get(urls["bp-trend"])
        assert chart.status_code == 200 and chart.headers["content-type"] == "application/json"
        assert chart.json()["data"][0]["y"] == [152, 147]  # what Chainlit's Plotly component reads
        text = client.get(urls["sources"])
        assert text.headers["content-type"].startswith("text/plain") and text.text.startswith("[1] htn-acc")
        assert text.headers["x-content-type-options"] == "nosniff"
        csv = client.get(urls["readings.csv"])
        assert csv.content == b"date,systolic\n2026-11-01,152\n"
        unknown = client.get("/coach-files/" + written["user"].id + "/nothing/here")
        assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/json"
        current["user"] = sam
        assert client.get(urls["bp-trend"]).status_code == 404  # another patient's chart
        current["user"] = None
        assert client.get(urls["bp-trend"]).status_code == 401
    finally:
        app.router.routes.remove(route)
        app.dependency_overrides.pop(get_current_user, None)
        run(layer.close())


def test_every_field_chainlit_writes_has_a_column():
    """Chainlit builds its INSERTs from these dicts; a key without a column loses the whole row, silently."""

    async def written_keys():
        in_chainlit_context(str(uuid.uuid4()))
        return {
            steps: set(cl.Step(name="s", type="tool").to_dict()) | set(cl.Message(content="m").to_dict()),
            elements: set().union(*(e.to_dict() for e in (
                cl.Text(content="t"), cl.Plotly(figure=figure()), cl.CustomElement(props={"a": 1}),
                cl.Audio(content=b"x"), cl.Video(content=b"x"), cl.Pdf(content=b"x"), cl.Image(content=b"x"),
                cl.File(content=b"x")))) - {"path"},  # create_element never writes path
            feedbacks: set(Feedback.__dataclass_fields__),
            users: {"id", "identifier", "createdAt", "metadata"},
            threads: {"id", "createdAt", "name", "userId", "userIdentifier", "tags", "metadata"},
        }

    for table, keys in run(written_keys()).items():
        assert keys <= set(table.c.keys()), (table.name, keys - set(table.c.keys()))


def test_schema_is_created_once_and_upgrades_an_older_database(settings):
    path = settings.data_dir / "chainlit.db"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:  # Chainlit's documented steps table, before autoCollapse and modes
        db.execute('CREATE TABLE steps ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL, '
                   '"threadId" TEXT NOT NULL, "streaming" BOOLEAN NOT NULL, "output" TEXT, "defaultOpen" BOOLEAN)')
        db.execute("INSERT INTO steps VALUES ('s1', 'coach', 'assistant_message', 't1', 0, 'kept', 0)")
    ensure_schema(settings.chainlit_database)
    ensure_schema(settings.chainlit_database)  # at every start: nothing to do the second time
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(steps)")}
        assert {"autoCollapse", "modes", "command"} <= columns
        assert db.execute("SELECT output FROM steps").fetchone() == ("kept",)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"users", "threads", "steps", "elements", "feedbacks"} <= tables


def test_an_unreachable_database_is_one_line_without_the_password(postgres_server):  # noqa: F811
    dead = f"postgresql+asyncpg://coach:secret@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(StoreUnavailable, match="cannot open the chat history database") as caught:
        ensure_schema(dead)
    assert "secret" not in str(caught.value) and "no_such_db" in str(caught.value)
    with pytest.raises(StoreUnavailable, match="no installed async database driver"):
        ensure_schema("mysql+aiomysql://coach@localhost/chat")


def test_storage_keys_never_leave_the_folder(tmp_path):
    storage = LocalFileStorage(tmp_path / "files")
    for bad in ("", "../x", "a/../../x", "a//b", "/abs"):
        with pytest.raises(ValueError, match="invalid object key"):
            storage.path_for(bad)
    odd = storage.path_for("user/element/@content/..%2F?name " + "x" * 300)
    assert odd.resolve().is_relative_to((tmp_path / "files").resolve()) and len(odd.name) < 130

    async def scenario():
        result = await storage.upload_file("u1/e1/notes.txt", "hello", mime="text/plain")
        assert result == {"object_key": "u1/e1/notes.txt", "url": "/coach-files/u1/e1/notes.txt"}
        assert await storage.get_read_url("u1/e1/a b?.txt") == "/coach-files/u1/e1/a%20b%3F.txt"
        await storage.upload_file("u1/e1/notes.txt", b"again", mime="text/plain")
        stored = await storage.read_file("u1/e1/notes.txt")
        deleted = await storage.delete_file("u1/e1/notes.txt")
        return stored, deleted, await storage.read_file("u1/e1/notes.txt"), await storage.delete_file("u1/e1/x")

    stored, deleted, gone, nothing = run(scenario())
    assert stored.content == b"again" and stored.mime == "text/plain"
    assert deleted and gone is None and not nothing
    assert list((tmp_path / "files").iterdir()) == []  # empty folders are removed too


def test_default_locations_follow_the_settings(tmp_path):
    settings = load_settings(data_dir=tmp_path / "data")
    assert settings.chainlit_database == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chainlit.db'}"
    assert settings.chainlit_files_dir == tmp_path / "data" / "chainlit-files"
    pg = load_settings(data_dir=tmp_path, database_url="postgresql+psycopg://coach:pw@db:5432/coach")
    assert pg.chainlit_database == "postgresql+asyncpg://coach:pw@db:5432/coach"
    short = load_settings(data_dir=tmp_path, database_url="postgres://coach@db/coach")
    assert short.chainlit_database == "postgresql+asyncpg://coach@db/coach"
    explicit = load_settings(data_dir=tmp_path, chainlit_database_url="sqlite+aiosqlite:////srv/chat.db")
    assert explicit.chainlit_database == "sqlite+aiosqlite:////srv/chat.db"


def test_a_step_update_fired_right_after_its_creation_is_the_one_kept(any_backend):
    """Chainlit fires create_step (send) and update_step (update, end of `async with cl.Step()`, or a streamed
    reply) as two unawaited tasks; the update must land last, or the stored reply is the empty first one."""
    settings = any_backend
    thread_id = str(uuid.uuid4())

    async def scenario():
        layer = make_data_layer(settings)
        try:
            await write_conversation(layer, thread_id)
            outputs = []
            for n in range(5):
                reply = cl.Message(content="", author="coach")
                first = asyncio.create_task(layer.create_step(sent(reply, 10 + n)))
                reply.content = f"the whole answer {n}"
                second = asyncio.create_task(layer.update_step(reply.to_dict()))
                await asyncio.gather(first, second)
                outputs.append((await layer.get_step(reply.id))["output"])
            return outputs
        finally:
            await layer.close()

    assert run(scenario()) == [f"the whole answer {n}" for n in range(5)]


def test_an_element_written_before_its_thread_row_is_kept(any_backend):
    """On the first turn Chainlit's tasks may store the reply's chart before anything created the thread."""
    settings = any_backend
    thread_id = str(uuid.uuid4())

    async def scenario():
        layer = make_data_layer(settings)
        try:
            in_chainlit_context(thread_id)
            user = await layer.create_user(cl.User(identifier="mei"))
            reply = cl.Message(content="first answer", author="coach")
            await layer.create_element(prepared(cl.Plotly(name="bp-trend", figure=figure()), reply.id))
            await layer.create_step(sent(reply, 1))
            await layer.update_thread(thread_id, name="first", user_id=user.id)  # Chainlit's init_thread, late
            return await layer.get_thread(thread_id)
        finally:
            await layer.close()

    thread = run(scenario())
    assert [e["name"] for e in thread["elements"]] == ["bp-trend"] and thread["userIdentifier"] == "mei"
    assert thread["elements"][0]["objectKey"].startswith("unknown/")  # the key cannot tell the owner: the
    # file route looks the owner up through the thread instead


def test_a_new_thumbs_down_tells_the_app_whose_answer_it_was_once(any_backend):
    settings = any_backend
    thread_id = str(uuid.uuid4())
    told = []

    async def scenario():
        layer = make_data_layer(settings, on_thumbs_down=lambda *rated: told.append(rated))
        try:
            written = await write_conversation(layer, thread_id)  # a thumbs-up: nobody is told
            reply_id = written["reply"].id
            await layer.upsert_feedback(Feedback(forId=reply_id, value=0, threadId=thread_id, comment="wrong"))
            await layer.upsert_feedback(Feedback(forId=reply_id, value=0, threadId=thread_id, comment="very wrong"))
            await layer.upsert_feedback(Feedback(forId=reply_id, value=1, threadId=thread_id))
            await layer.upsert_feedback(Feedback(forId=reply_id, value=0, threadId=thread_id))
        finally:
            await layer.close()

    run(scenario())
    answer = "That reading is stage 2 hypertension [1]."
    assert told == [("mei", answer, "wrong"), ("mei", answer, "")]  # the same vote again is not a new one
