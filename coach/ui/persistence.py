"""Chat history for the Chainlit app: threads, messages and their elements, kept across restarts.

Chainlit's `SQLAlchemyDataLayer` (2.12) writes rows by raw SQL built from `to_dict()` keys and never creates
its tables; this module creates them, stores element files in the data folder and serves them back.

What the app needs to know (read from Chainlit 2.12.0's source, checked by tests/coach/test_ui_persistence.py):

* Register `make_data_layer(settings)` with `@cl.data_layer`, and call `add_element_file_route(app)` once at
  import (`from chainlit.server import app`). Resuming a thread also needs an `@cl.on_chat_resume` handler:
  without one, Chainlit shows old threads read-only and never resumes them.
* While a session is live, an element's content is served from the session's temporary folder
  (`/project/file/{chainlitKey}?session_id=...`, in memory of that session only). For later, the data layer
  uploads the content to the storage client under `{user id}/{element id}/{element name}`, stores the client's
  URL and object key in `elements`, and on resume/`get_thread` asks `get_read_url(object_key)` again; the
  browser then fetches that URL (same origin, with the login cookie). Without a storage client, elements are
  silently not stored. Here files go to `data/chainlit-files/`, and the URL is `/coach-files/<object key>`,
  served by `add_element_file_route` to the thread's author only. The owner is looked up through the
  element's thread, never read from the key: on a conversation's first turn the key starts with `unknown/`
  (the thread has no user yet when Chainlit builds it).
* The route must be inserted before Chainlit's catch-all `GET /{full_path:path}` (which answers every path
  with the app's HTML page); a route added with `@app.get` after import is never reached.
* The browser reads the served file by its Content-Type: Plotly needs `application/json` (the JSON is parsed
  by the fetch), a Dataframe must NOT be served as JSON (its component parses the text itself; Chainlit gives
  it `application/octet-stream`), Text is `text/plain`. So the stored mime is served as it was uploaded.
* Only elements attached to a message (`cl.Message(elements=[...])`, `element.send(for_id=message.id)`) are
  stored; `for_id` empty (TaskList, sidebar elements) are not. Elements and steps sent before the first user
  message (e.g. in on_chat_start) are queued and written only when the user sends a message; a conversation
  the user never speaks in is never stored. Send elements with `content=` (or `path=`), not `url=`: with a URL
  the data layer downloads it from the server at write time.
* Chainlit writes steps and elements from unawaited tasks. Two races lost data on a real server, and are
  fixed here: `update_step` (end of `async with cl.Step()`, a streamed reply's final text) could land
  before the `create_step` it follows, leaving the stored output empty; and a first-turn element could be
  written before its thread row existed (foreign key: element dropped). Writes of one step are now ordered
  and an element creates its thread row first.
* Every write goes through `execute_sql`, which logs a warning and returns None on any error: a missing
  column makes a step or element silently vanish. Chainlit's documented schema lacks `steps.autoCollapse`
  (added to Step.to_dict in 2.10, Chainlit issue #2832) and `elements.autoPlay/playerConfig`; here every key
  the 2.12 dicts write has a column (a test checks), and missing columns are added to an existing database.
* SQLite cannot bind lists or dicts (thread tags from chat profiles, message `modes`): they are stored as JSON
  text, and JSON text (metadata, tags, generation, props) is decoded again when threads are read, so the
  browser gets objects as it would from PostgreSQL. The same portable TEXT/BOOLEAN/INTEGER schema is used on
  PostgreSQL (a database made from Chainlit's documented DDL, with UUID/JSONB/TEXT[] columns, is not).
* Resumed steps do not carry `command`, `modes`, `defaultOpen` or `autoCollapse` (Chainlit does not select
  them); `list_threads` loads every step of up to 1,000 threads per call (Chainlit's design).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.data.utils import queue_until_user_message
from sqlalchemy import (
    Boolean, Column, ForeignKey, Index, Integer, MetaData, Table, Text, event, inspect, text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateColumn

from coach.profile.store import StoreUnavailable, sqlite_pragmas
from coach.settings import CoachSettings

FILES_URL_PREFIX = "/coach-files"

# -- schema ------------------------------------------------------------------------------------------------
# Column names are Chainlit's (camelCase, quoted). Ids, timestamps and JSON are TEXT on every database.
schema = MetaData()

users = Table(
    "users", schema,
    Column("id", Text, primary_key=True),
    Column("identifier", Text, nullable=False, unique=True),
    Column("metadata", Text, nullable=False),
    Column("createdAt", Text),
)

threads = Table(
    "threads", schema,
    Column("id", Text, primary_key=True),
    Column("createdAt", Text),
    Column("name", Text),
    Column("userId", Text, ForeignKey("users.id", ondelete="CASCADE")),
    Column("userIdentifier", Text),
    Column("tags", Text),
    Column("metadata", Text),
    Index("ix_threads_userId", "userId"),
)

steps = Table(
    "steps", schema,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("threadId", Text, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("parentId", Text),
    Column("streaming", Boolean, nullable=False),
    Column("waitForAnswer", Boolean),
    Column("isError", Boolean),
    Column("metadata", Text),
    Column("tags", Text),
    Column("input", Text),
    Column("output", Text),
    Column("createdAt", Text),
    Column("command", Text),
    Column("modes", Text),
    Column("start", Text),
    Column("end", Text),
    Column("generation", Text),
    Column("showInput", Text),
    Column("language", Text),
    Column("indent", Integer),
    Column("defaultOpen", Boolean),
    Column("autoCollapse", Boolean),
    Index("ix_steps_threadId", "threadId"),
)

elements = Table(
    "elements", schema,
    Column("id", Text, primary_key=True),
    Column("threadId", Text, ForeignKey("threads.id", ondelete="CASCADE")),
    Column("type", Text),
    Column("url", Text),
    Column("chainlitKey", Text),
    Column("name", Text, nullable=False),
    Column("display", Text),
    Column("objectKey", Text),
    Column("size", Text),
    Column("page", Integer),
    Column("language", Text),
    Column("forId", Text),
    Column("mime", Text),
    # Chainlit omits props for ordinary elements, then json.loads(None) in get_element: default to {}.
    Column("props", Text, nullable=False, server_default="{}"),
    Column("autoPlay", Boolean),
    Column("playerConfig", Text),
    Index("ix_elements_threadId", "threadId"),
    Index("ix_elements_objectKey", "objectKey"),
)

feedbacks = Table(
    "feedbacks", schema,
    Column("id", Text, primary_key=True),
    Column("forId", Text, nullable=False),
    Column("threadId", Text, ForeignKey("threads.id", ondelete="CASCADE")),  # Feedback.threadId is optional
    Column("value", Integer, nullable=False),
    Column("comment", Text),
    Index("ix_feedbacks_forId", "forId"),
)


def ensure_schema(url: str) -> None:
    """Create the five tables if missing and add any column a newer schema has; safe to run at every start.

    Raises StoreUnavailable (one line, no password) for a missing driver or an unreachable database.

    Runs on its own event loop in a worker thread, so it can be called from sync code, and from inside a
    running loop (Chainlit calls the `@cl.data_layer` factory lazily, from a request).
    """
    if url.startswith("sqlite+aiosqlite:///"):
        Path(url.removeprefix("sqlite+aiosqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_create_and_upgrade)
        finally:
            await engine.dispose()

    shown = make_url(url).render_as_string(hide_password=True)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, run()).result()
    except (NoSuchModuleError, ImportError):
        raise StoreUnavailable(f"no installed async database driver for {shown}; use sqlite+aiosqlite:/// or "
                               "postgresql+asyncpg://") from None
    except (DBAPIError, OSError) as exc:  # asyncpg reports a missing database as a bare DBAPIError
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreUnavailable(f"cannot open the chat history database {shown}: {reason}") from None


def _create_and_upgrade(conn) -> None:
    schema.create_all(conn)
    inspector = inspect(conn)
    preparer = conn.dialect.identifier_preparer
    for table in schema.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                spec = CreateColumn(column).compile(dialect=conn.dialect)
                conn.execute(text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {spec}"))


# -- element files -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredFile:
    content: bytes
    mime: str


class LocalFileStorage(BaseStorageClient):
    """Element files in a folder: one directory per object key holding `@content` and `@meta.json`.

    Key segments are percent-encoded (so no segment can be `@...`, `.` or `..`), long ones shortened with a
    hash. `get_read_url` gives `<url_prefix>/<object key>`, served by `add_element_file_route`.
    """

    def __init__(self, root: Path, url_prefix: str = FILES_URL_PREFIX):
        self.root = Path(root)
        self.url_prefix = url_prefix.rstrip("/")

    def path_for(self, object_key: str) -> Path:
        segments = object_key.split("/")
        if not object_key or any(s in ("", ".", "..") for s in segments):
            raise ValueError(f"invalid object key {object_key!r}")
        safe = [_safe_segment(s) for s in segments]
        return self.root.joinpath(*safe)

    async def upload_file(self, object_key: str, data: bytes | str, mime: str = "application/octet-stream",
                          overwrite: bool = True, content_disposition: str | None = None) -> dict[str, Any]:
        content = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        folder = self.path_for(object_key)
        meta = {"object_key": object_key, "mime": mime or "application/octet-stream", "size": len(content)}
        await asyncio.to_thread(_write_object, folder, content, meta, overwrite)
        return {"object_key": object_key, "url": await self.get_read_url(object_key)}

    async def read_file(self, object_key: str) -> StoredFile | None:
        try:
            folder = self.path_for(object_key)
        except ValueError:
            return None
        return await asyncio.to_thread(_read_object, folder)

    async def delete_file(self, object_key: str) -> bool:
        folder = self.path_for(object_key)
        return await asyncio.to_thread(_delete_object, folder, self.root)

    async def get_read_url(self, object_key: str) -> str:
        return f"{self.url_prefix}/{quote(object_key, safe='/')}"

    async def close(self) -> None:
        return None


def _safe_segment(segment: str) -> str:
    quoted = quote(segment, safe="")
    if len(quoted) > 120:  # file names are limited to 255 bytes
        quoted = quoted[:80] + "~" + hashlib.sha256(segment.encode()).hexdigest()[:16]
    return quoted


def _write_object(folder: Path, content: bytes, meta: dict, overwrite: bool) -> None:
    if not overwrite and (folder / "@content").exists():
        raise FileExistsError(f"{meta['object_key']} is already stored")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("@content", content), ("@meta.json", json.dumps(meta).encode())):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, folder / name)  # readers see the old file or the new one, never half of one


def _read_object(folder: Path) -> StoredFile | None:
    try:
        meta = json.loads((folder / "@meta.json").read_text())
        return StoredFile(content=(folder / "@content").read_bytes(), mime=meta["mime"])
    except (FileNotFoundError, NotADirectoryError, KeyError, ValueError):
        return None


def _delete_object(folder: Path, root: Path) -> bool:
    if not (folder / "@content").exists():
        return False
    for name in ("@content", "@meta.json"):
        (folder / name).unlink(missing_ok=True)
    for tmp in folder.glob(".tmp-*"):
        tmp.unlink(missing_ok=True)
    parent = folder
    while parent != root and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
    return True


# -- the data layer ------------------------------------------------------------------------------------------
_JSON_FIELDS = {"thread": ("metadata", "tags"), "step": ("metadata", "tags", "generation"), "element": ("props",)}
_BOOL_FIELDS = ("streaming", "waitForAnswer", "isError")


class CoachDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer with the fixes a portable schema needs (see the module docstring)."""

    storage_provider: LocalFileStorage | None

    def __init__(self, conninfo: str, storage_provider: BaseStorageClient | None = None,
                 on_thumbs_down: Callable[[str, str, str], None] | None = None, **kwargs):
        super().__init__(conninfo=conninfo, storage_provider=storage_provider, **kwargs)
        # Told (thread owner's identifier, the answer's text, the comment) when a patient gives an answer a
        # thumbs-down: the app makes it an alert for their health manager. Run in a worker thread.
        self.on_thumbs_down = on_thumbs_down
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        self._step_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def create_step(self, step_dict):
        """Writes of one step in the order they were fired.

        Chainlit fires `create_step` (send) and `update_step` (update: the end of `async with cl.Step()`, a
        streamed reply's final text) as unawaited tasks; each first upserts the thread, so the empty first
        version could be written last. The lock is taken before the first await, and asyncio's locks are
        first come, first served. (`update_step` calls this method, so it is ordered too.)
        """
        lock = self._step_locks.get(step_dict["id"])
        if lock is None:
            lock = self._step_locks[step_dict["id"]] = asyncio.Lock()
        async with lock:
            return await super().create_step(step_dict)

    async def execute_sql(self, query: str, parameters: dict):
        """SQLite binds neither lists nor dicts, and TEXT columns on PostgreSQL neither: store them as JSON."""
        return await super().execute_sql(query, {k: _sql_value(v) for k, v in parameters.items()})

    async def get_current_timestamp(self) -> str:
        # Chainlit writes local time with a 'Z'; messages carry real UTC times, so threads would sort wrongly.
        import datetime as dt
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat() + "Z"

    async def get_all_user_threads(self, user_id: str | None = None, thread_id: str | None = None):
        threads_ = await super().get_all_user_threads(user_id=user_id, thread_id=thread_id)
        for thread in threads_ or []:
            _decode(thread, "thread")
            for step in thread["steps"]:
                _decode(step, "step")
            for element in thread["elements"]:
                _decode(element, "element")
        return threads_

    async def get_thread_author(self, thread_id: str) -> str:
        """"" for a thread that does not exist: Chainlit's access check answers 404 for a falsy author,
        while the base class raises, which the server turned into a 500 for a stale or mistyped link."""
        try:
            return await super().get_thread_author(thread_id)
        except ValueError:
            return ""

    async def get_step(self, step_id: str):
        step = await super().get_step(step_id)
        return _decode(step, "step") if step else step

    async def upsert_feedback(self, feedback) -> str:
        """One feedback per step: a second vote without an id replaces the first (two rows would show the
        step twice when the thread is read)."""
        rows = await self.execute_sql('SELECT "id", "value" FROM feedbacks WHERE "forId" = :for_id',
                                      {"for_id": feedback.forId})
        before = rows[0] if isinstance(rows, list) and rows else None
        if not feedback.id and before is not None:
            feedback.id = before["id"]
        stored = await super().upsert_feedback(feedback)
        # A new thumbs-down (not the same vote again, nor a comment added to it) reaches a person
        if self.on_thumbs_down is not None and feedback.value == 0 and (before is None or before["value"] != 0):
            rated = await self.execute_sql(
                'SELECT s."output" AS answer, t."userIdentifier" AS owner FROM steps s JOIN threads t '
                'ON t."id" = s."threadId" WHERE s."id" = :id', {"id": feedback.forId})
            if isinstance(rated, list) and rated and rated[0]["owner"]:
                await asyncio.to_thread(self.on_thumbs_down, rated[0]["owner"], rated[0]["answer"] or "",
                                        feedback.comment or "")
        return stored

    @queue_until_user_message()
    async def create_element(self, element):
        """On a conversation's first turn Chainlit may write an element before anything created its thread
        row (the thread is made by unawaited tasks); the foreign key would then drop the element, so the
        thread row is made first, as Chainlit's own PostgreSQL data layer does."""
        if element.thread_id and element.for_id:
            await self.update_thread(element.thread_id)
        await SQLAlchemyDataLayer.create_element.__wrapped__(self, element)

    @queue_until_user_message()
    async def delete_step(self, step_id: str):
        """Chainlit deletes a step's element rows but leaves their files; delete those too."""
        rows = await self.execute_sql('SELECT "objectKey" FROM elements WHERE "forId" = :id', {"id": step_id})
        if self.storage_provider is not None and isinstance(rows, list):
            for row in rows:
                if row["objectKey"]:
                    await self.storage_provider.delete_file(object_key=row["objectKey"])
        await SQLAlchemyDataLayer.delete_step.__wrapped__(self, step_id)

    async def element_owner(self, object_key: str) -> str | None:
        """The identifier of the user whose thread holds the element stored under `object_key`."""
        rows = await self.execute_sql(
            'SELECT t."userIdentifier" AS owner FROM elements e JOIN threads t ON t."id" = e."threadId" '
            'WHERE e."objectKey" = :key', {"key": object_key})
        return rows[0]["owner"] if isinstance(rows, list) and rows else None


def _sql_value(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _decode(record: dict, kind: str) -> dict:
    for field in _JSON_FIELDS[kind]:
        value = record.get(field)
        if isinstance(value, str):
            try:
                record[field] = json.loads(value)
            except ValueError:
                pass
    if kind == "step":
        for field in _BOOL_FIELDS:
            if isinstance(record.get(field), int):
                record[field] = bool(record[field])
    return record


def make_data_layer(settings: CoachSettings, url_prefix: str = FILES_URL_PREFIX,
                    on_thumbs_down: Callable[[str, str, str], None] | None = None) -> CoachDataLayer:
    """The data layer for `@cl.data_layer`: schema ensured, element files in `settings.chainlit_files_dir`."""
    url = settings.chainlit_database
    ensure_schema(url)
    storage = LocalFileStorage(settings.chainlit_files_dir, url_prefix=url_prefix)
    return CoachDataLayer(conninfo=url, storage_provider=storage, on_thumbs_down=on_thumbs_down)


# -- serving element files -----------------------------------------------------------------------------------
# Served inline; anything else (HTML, SVG, ...) is sent as an attachment so it never runs in the app's origin.
INLINE_TYPES = ("text/plain", "application/json", "application/octet-stream", "application/pdf", "text/csv",
                "image/png", "image/jpeg", "image/gif", "image/webp", "audio/", "video/")


def add_element_file_route(app, get_layer: Callable[[], Any] | None = None,
                           may_read: Callable[[Any, str], bool] | None = None,
                           url_prefix: str = FILES_URL_PREFIX):
    """Serve stored element files at `GET <url_prefix>/<object key>` on Chainlit's FastAPI `app`.

    Only a logged-in user whose thread holds the element may read it (`may_read(user, owner_identifier)`
    widens that, e.g. to managers). `get_layer` defaults to Chainlit's registered data layer. The route is
    put first, ahead of Chainlit's catch-all page route. Returns the route.
    """
    from chainlit.auth import get_current_user
    from fastapi import Depends, HTTPException
    from fastapi.responses import Response
    from fastapi.routing import APIRoute

    from chainlit.data import get_data_layer

    layer_of = get_layer or get_data_layer
    allowed = may_read or (lambda user, owner: user.identifier == owner)

    async def element_file(object_key: str, current_user=Depends(get_current_user)):
        if current_user is None:
            raise HTTPException(status_code=401, detail="Unauthorized")
        layer = layer_of()
        if not isinstance(layer, CoachDataLayer) or layer.storage_provider is None:
            raise HTTPException(status_code=404, detail="Not found")
        owner = await layer.element_owner(object_key)
        if owner is None or not allowed(current_user, owner):
            raise HTTPException(status_code=404, detail="Not found")  # 404, so ids cannot be probed
        stored = await layer.storage_provider.read_file(object_key)
        if stored is None:
            raise HTTPException(status_code=404, detail="Not found")
        headers = {"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"}
        if not stored.mime.startswith(INLINE_TYPES):
            headers["Content-Disposition"] = "attachment"
        return Response(content=stored.content, media_type=stored.mime, headers=headers)

    route = APIRoute(f"{url_prefix.rstrip('/')}/{{object_key:path}}", element_file, methods=["GET"],
                     include_in_schema=False, dependency_overrides_provider=app)
    app.router.routes.insert(0, route)
    return route
