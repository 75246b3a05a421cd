"""Delivering what a health manager writes into a patient's open chat, live.

Chainlit has no way to push a message into another user's session, so this keeps its own registry: every
patient chat that opens (new or resumed) registers its Chainlit session under the patient's profile id. When
the take-over service stores a message for a patient (coach/handover.py: `on_message`, called from the
console's request thread), delivery is scheduled on the server's event loop and the message is sent into each
of the patient's open sessions, in that session's own Chainlit context, so that it is shown and persisted in
its thread like any message there. A sweep every few seconds delivers whatever is still waiting (a message
stored by another server process, a notice missed in a reconnect) for the patients connected here.

A message counts as delivered once it was shown in a chat that is stored: a resumed thread, or a new chat the
patient has spoken in (Chainlit stores a new chat only from its first user message). Until then it stays
waiting, so a patient who glanced at a new chat and closed it sees the message again in the next one; each
session shows a message once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

import chainlit as cl
from chainlit.context import init_ws_context
from chainlit.session import WebsocketSession

from coach.handover import MANAGER_AUTHOR, NOTICE_AUTHOR, Handover, HandoverMessage

log = logging.getLogger("coach.ui.live")
SWEEP_SECONDS = 3.0


def label(message: HandoverMessage) -> str:
    """How the patient sees it: plainly from a person, not from the coach."""
    if message.sender == "manager":
        return f"**Your health manager, {message.author}, writes:**\n\n{message.text}"
    return f"_{message.text}_"


class LiveChats:
    def __init__(self, handover: Handover, sweep_seconds: float = SWEEP_SECONDS,
                 session_of: Callable[[str], WebsocketSession | None] = WebsocketSession.get_by_id,
                 show: Callable[[WebsocketSession, list[HandoverMessage]], Awaitable[None]] | None = None,
                 connected: Callable[[WebsocketSession], bool] | None = None):
        self.handover = handover
        self.sweep_seconds = sweep_seconds
        self.session_of = session_of  # Chainlit's live sessions by id (tests give their own)
        self.show = show or _show
        self.connected = connected or _socket_open
        self._sessions: dict[str, set[str]] = {}  # profile id -> Chainlit session ids open here
        self._shown: dict[str, set[int]] = {}  # session id -> message ids shown in it
        self._locks: dict[str, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.Task | None = None

    # -- called from the chat app's handlers (on the event loop) --------------------------------------
    async def opened(self, profile_id: str, session_id: str) -> None:
        """A patient's chat opened (started or resumed): register it and show what waits for it."""
        self._loop = asyncio.get_running_loop()
        self._sessions.setdefault(profile_id, set()).add(session_id)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep_forever())
        await self.deliver(profile_id)

    async def spoke(self, profile_id: str, session_id: str) -> None:
        """The patient sent a message in this session: a new chat is now stored, so what it showed counts
        as delivered."""
        shown = self._shown.get(session_id)
        session = self.session_of(session_id)
        if shown and session is not None:
            waiting = {m.id for m in await asyncio.to_thread(self.handover.undelivered, profile_id)}
            await asyncio.to_thread(self.handover.delivered, sorted(shown & waiting), session.thread_id)

    # -- called from any thread (the console's handlers) ----------------------------------------------
    def notify(self, profile_id: str) -> None:
        """Something was stored for this patient's chat: deliver it now if they are connected here."""
        loop = self._loop
        if loop is None or loop.is_closed() or profile_id not in self._sessions:
            return  # nobody connected here: shown when they next open a chat (or by another server's sweep)
        asyncio.run_coroutine_threadsafe(self.deliver(profile_id), loop)

    # -- delivery ------------------------------------------------------------------------------------
    async def deliver(self, profile_id: str) -> int:
        """Show every waiting message in each of the patient's open sessions; returns how many sessions got
        something."""
        lock = self._locks.setdefault(profile_id, asyncio.Lock())
        async with lock:  # a notify and the sweep at once must not show a message twice
            sessions = self._open_sessions(profile_id)
            if not sessions:
                return 0
            waiting = await asyncio.to_thread(self.handover.undelivered, profile_id)
            if not waiting:
                return 0
            reached, stored_in = 0, None
            for session in sessions:
                shown = self._shown.setdefault(session.id, set())
                new = [m for m in waiting if m.id not in shown]
                if not new:
                    continue
                try:
                    await asyncio.create_task(self.show(session, new))  # its own task: its own Chainlit context
                except Exception:  # noqa: BLE001 - a closed socket; the message stays waiting for the next chat
                    log.exception("showing a health manager's message in session %s failed", session.id)
                    continue
                shown.update(m.id for m in new)
                reached += 1
                if session.has_first_interaction and stored_in is None:
                    stored_in = session.thread_id
            if stored_in is not None:
                await asyncio.to_thread(self.handover.delivered, [m.id for m in waiting], stored_in)
            return reached

    def _open_sessions(self, profile_id: str) -> list[WebsocketSession]:
        sessions = []
        for session_id in sorted(self._sessions.get(profile_id, set())):
            session = self.session_of(session_id)
            if session is None:  # Chainlit deleted it (closed, timed out): forget it
                self._sessions[profile_id].discard(session_id)
                self._shown.pop(session_id, None)
            elif self.connected(session):
                # A tab closed a moment ago keeps its Chainlit session for a while (to be restored if the
                # socket comes back): nothing is shown into it meanwhile, so the message waits
                sessions.append(session)
        if not self._sessions.get(profile_id):
            self._sessions.pop(profile_id, None)
        return sessions

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - the sweep must outlive a database hiccup
                log.exception("the live delivery sweep failed")

    async def sweep(self) -> None:
        """One query for every patient connected here; delivery for those with something waiting."""
        connected = list(self._sessions)
        for profile_id in await asyncio.to_thread(self.handover.waiting, connected):
            await self.deliver(profile_id)


def _socket_open(session: WebsocketSession) -> bool:
    from chainlit.server import sio
    return sio.manager.is_connected(session.socket_id, "/")


async def _show(session: WebsocketSession, messages: list[HandoverMessage]) -> None:
    init_ws_context(session)
    for message in messages:
        await cl.Message(content=label(message),
                         author=MANAGER_AUTHOR if message.sender == "manager" else NOTICE_AUTHOR).send()
