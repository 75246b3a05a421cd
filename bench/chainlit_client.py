"""A client for the chat app that speaks Chainlit 2.12's protocol as the browser does, for load and robustness runs.

Used by bench/load.py and tests/e2e/test_robustness.py. What the browser does (read from Chainlit 2.12.0's
server.py, socket.py, callbacks.py and its frontend bundle):

* Log in: `POST /login` with the form fields `username` and `password`; the answer is `{"success": true}` and the
  JWT comes back only as the HttpOnly cookie `access_token`. Every later request carries that cookie.
* Before opening the socket it posts `{"session_id": ...}` to `/set-session-cookie` (sticky sessions), then opens
  socket.io at `/ws/socket.io` with the cookie in the handshake (the server reads the token from the cookie
  only) and `auth = {clientType: "webapp", sessionId: <uuid4, made by the browser>, threadId: <thread to resume
  or "">, userEnv: "{}", chatProfile: ""}`. Once connected it emits `connection_successful`, which runs
  `on_chat_start` (or `on_chat_resume` for a threadId) and `fetch_favorites`. Reconnecting with the same sessionId
  restores the session on the server (its user session, history and running answer included).
* A message is `client_message` with `{message: {threadId: "", id: <uuid4>, name: <user>, type: "user_message",
  output: <text>, createdAt: <ISO time>, metadata: {location}}, fileReferences: []}`. The first message of a
  session creates its thread and is acknowledged by `first_interaction` with the thread id.
* Chainlit runs `on_message` inside a step of type `run` named `on_message` whose parentId is the user message's
  id: it arrives as `new_message` when the handler starts and as `update_message` with `end` set when it returns.
  Everything the handler sends (steps, messages, `stream_start`/`stream_token`, `element`) has that step, or one
  of its children, as parent, so each answer can be told apart even with several messages in flight;
  `task_start`/`task_end` frame each message too but do not say which. A streamed message starts with
  `stream_start`, grows by `stream_token {id, token}` and ends with a `new_message` carrying the full text.
  `on_chat_start` runs inside a `run` step named `on_chat_start` the same way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio

SOCKET_PATH = "/ws/socket.io"
DEFAULT_TIMEOUT = 60.0


class ChainlitError(RuntimeError):
    """Login refused, socket refused or closed, or an answer that did not come in time."""


@dataclass
class Turn:
    """One user message and everything the server sent in answer to it."""

    message_id: str
    text: str
    sent_at: float
    run_id: str | None = None
    first_output_at: float | None = None  # first assistant message or streamed token
    answered_at: float | None = None  # the last complete assistant message
    done_at: float | None = None
    messages: dict[str, dict] = field(default_factory=dict)  # assistant messages by id, latest version
    steps: dict[str, dict] = field(default_factory=dict)  # tool and retrieval steps by id
    elements: list[dict] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)  # the server is answering it (on_message runs)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def latency(self) -> float | None:
        return None if self.done_at is None else self.done_at - self.sent_at

    @property
    def outputs(self) -> list[str]:
        """The assistant messages' texts, in the order they first arrived."""
        return [m.get("output") or "" for m in self.messages.values()]

    @property
    def answer(self) -> str:
        """The last assistant message: the coach's answer (a banner or import note comes before it)."""
        return self.outputs[-1] if self.messages else ""

    @property
    def is_error(self) -> bool:
        return any(m.get("isError") for m in self.messages.values())


class ChainlitSession:
    """One logged-in browser tab: an HTTP client with the login cookie and a socket.io connection."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.username, self.password, self.timeout = username, password, timeout
        self.token: str | None = None
        self.session_id = str(uuid.uuid4())
        self.thread_id: str | None = None
        self.events: list[tuple[float, str, Any]] = []  # everything received: (time, event, data)
        self.welcome: list[dict] = []  # messages sent by on_chat_start
        self.resumed: dict | None = None  # the thread sent back by a resume
        self.disconnected = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._sio: socketio.AsyncClient | None = None
        self._owner: dict[str, Turn] = {}  # step or message id -> its turn
        self._start_run: str | None = None
        self._ready = asyncio.Event()
        self._thread_known = asyncio.Event()

    # -- HTTP ------------------------------------------------------------------------------------------------
    async def login(self) -> None:
        self._http = self._http or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        form = aiohttp.FormData({"username": self.username, "password": self.password})
        async with self._http.post(self.base_url + "/login", data=form) as response:
            if response.status != 200:
                raise ChainlitError(f"login as {self.username!r} refused: HTTP {response.status}")
            cookie = response.cookies.get("access_token")
        if cookie is None:
            raise ChainlitError("the login answer set no access_token cookie")
        self.token = cookie.value

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"access_token={self.token}"} if self.token else {}

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """An HTTP request with the login cookie: (status, parsed JSON or bytes)."""
        self._http = self._http or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        async with self._http.request(method, self.base_url + path, json=body, headers=self._headers()) as response:
            data = await response.read()
            if response.content_type == "application/json":
                return response.status, json.loads(data)
            return response.status, data

    async def list_threads(self, first: int = 20, search: str | None = None) -> list[dict]:
        """The sidebar's thread list, as the browser asks for it (`search`: its search box)."""
        status, body = await self.request("POST", "/project/threads", {"pagination": {"first": first, "cursor": None},
                                                                       "filter": {"search": search} if search else {}})
        if status != 200:
            raise ChainlitError(f"/project/threads answered HTTP {status}")
        return body["data"]

    # -- socket ----------------------------------------------------------------------------------------------
    async def connect(self, thread_id: str | None = None, session_id: str | None = None, wait: bool = True) -> None:
        """Open the socket as a new browser tab (or resume `thread_id`) and wait for on_chat_start or the resume.

        `session_id` reconnects to a session the server still holds, as the browser does after a dropped socket
        (nothing to wait for then). `wait=False` returns as soon as the socket is open, as a quick typist does.
        """
        if self.token is None:
            await self.login()
        if session_id is not None:
            self.session_id = session_id
        self._ready.clear()
        self.disconnected.clear()
        await self.request("POST", "/set-session-cookie", {"session_id": self.session_id})
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("*", self._on_event)
        sio.on("disconnect", self._on_disconnect)
        auth = {"clientType": "webapp", "sessionId": self.session_id, "threadId": thread_id or "",
                "userEnv": "{}", "chatProfile": ""}
        try:
            await sio.connect(self.base_url, headers=self._headers(), auth=auth, transports=["websocket"],
                              socketio_path=SOCKET_PATH, wait_timeout=self.timeout)
        except socketio.exceptions.ConnectionError as error:
            raise ChainlitError(f"the socket was refused: {error}") from None
        self._sio = sio
        await sio.emit("connection_successful")
        await sio.emit("fetch_favorites")
        if wait and session_id is None:
            await self._wait(self._ready, "the welcome (on_chat_start) or the resumed thread")

    async def disconnect(self) -> None:
        if self._sio is not None:
            await self._sio.disconnect()
            self._sio = None

    async def drop(self) -> None:
        """Lose the connection as a dropped network does: the TCP socket is shut, no goodbye is sent."""
        if self._sio is None:
            return
        sio, self._sio = self._sio, None
        sock = sio.eio.ws.get_extra_info("socket") if sio.eio.ws is not None else None
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        try:
            await asyncio.wait_for(self.disconnected.wait(), 10)
        finally:
            await sio.disconnect()  # the client's own clean-up; nothing reaches the server any more

    async def close(self) -> None:
        await self.disconnect()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- messages --------------------------------------------------------------------------------------------
    async def send(self, text: str, command: str | None = None) -> Turn:
        """Send a message as the browser does; returns at once with the Turn that collects the answer."""
        if self._sio is None:
            raise ChainlitError("not connected")
        message_id = str(uuid.uuid4())
        message = {"threadId": "", "id": message_id, "name": self.username, "type": "user_message",
                   "output": text, "createdAt": dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
                   "metadata": {"location": self.base_url + "/"}}
        if command:
            message["command"] = command
        turn = self._owner[message_id] = Turn(message_id, text, time.perf_counter())
        await self._sio.emit("client_message", {"message": message, "fileReferences": []})
        return turn

    async def wait(self, turn: Turn, timeout: float | None = None) -> Turn:
        await self._wait(turn.done, f"the answer to {turn.text[:40]!r}", timeout)
        return turn

    async def started(self, turn: Turn, timeout: float | None = None) -> Turn:
        """Wait until the server has the message and is answering it."""
        await self._wait(turn.started, f"the start of the answer to {turn.text[:40]!r}", timeout)
        return turn

    async def ask(self, text: str, timeout: float | None = None) -> Turn:
        return await self.wait(await self.send(text), timeout)

    async def thread(self, timeout: float | None = None) -> str:
        """The id of this session's thread, once the server has said it (after the first message; it can come
        after the first answer, as the thread is written by a task of its own)."""
        await self._wait(self._thread_known, "the thread id (first_interaction)", timeout)
        return self.thread_id

    async def _wait(self, event: asyncio.Event, what: str, timeout: float | None = None) -> None:
        waiter = asyncio.ensure_future(event.wait())
        lost = asyncio.ensure_future(self.disconnected.wait())
        try:
            done, _ = await asyncio.wait({waiter, lost}, timeout=timeout or self.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            lost.cancel()
        if waiter not in done:
            raise ChainlitError(f"{what}: {'the socket closed' if lost in done else 'no answer'} "
                                f"within {timeout or self.timeout:.0f} s")

    # -- events ----------------------------------------------------------------------------------------------
    async def _on_disconnect(self, *_args) -> None:
        self.disconnected.set()

    async def _on_event(self, event: str, data: Any = None) -> None:
        now = time.perf_counter()
        self.events.append((now, event, data))
        if event == "first_interaction":
            self.thread_id = data.get("thread_id")
            self._thread_known.set()
        elif event == "resume_thread":
            self.resumed, self.thread_id = data, data.get("id")
            self._ready.set()
        elif event in ("new_message", "update_message", "stream_start"):
            self._on_step(data, now, ended=event == "update_message")
        elif event == "stream_token":
            turn = self._owner.get(data.get("id"))
            if turn is not None and turn.first_output_at is None:
                turn.first_output_at = now
        elif event == "element":
            turn = self._owner.get(data.get("forId"))
            if turn is not None:
                turn.elements.append(data)

    def _on_step(self, step: dict, now: float, ended: bool) -> None:
        step_id, parent = step.get("id"), step.get("parentId")
        if step.get("type") == "run" and step.get("name") == "on_chat_start":
            self._start_run = step_id
            if ended and step.get("end"):
                self._ready.set()
            return
        if parent is not None and parent == self._start_run:
            if step.get("type") == "assistant_message":
                self.welcome.append(step)
            return
        turn = self._owner.get(parent) if parent else None
        if turn is None:
            return
        self._owner[step_id] = turn
        if step.get("type") == "run" and parent == turn.message_id:
            turn.run_id = step_id
            turn.started.set()
            if ended and step.get("end"):
                turn.done_at = now
                turn.done.set()
        elif step.get("type") == "assistant_message":
            if turn.first_output_at is None:
                turn.first_output_at = now
            if not step.get("streaming"):
                turn.answered_at = now
            turn.messages[step_id] = {**turn.messages.get(step_id, {}), **step}
        else:
            turn.steps[step_id] = {**turn.steps.get(step_id, {}), **step}
