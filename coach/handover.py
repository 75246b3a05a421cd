"""Take-over: a health manager answers in a patient's chat instead of the coach, then hands back.

A take-over is of the patient, not of one thread: a patient who opens a new chat while a person is answering
must not fall back to the coach unnoticed. While it lasts, the chat app runs triage on every message (its
escalations reach the manager's alerts, and an emergency still gets its fixed advice at once) and composes
nothing else; the patient's messages and the manager's are kept here, in the profile database, so the
console shows the conversation and nothing a manager wrote is lost.

Delivery: what the manager writes (and the notices "your health manager has joined" / "handed back") is
stored first, undelivered. The chat app shows it live in every chat the patient has open (coach/ui/live.py),
or in the next chat they open, and only then marks it delivered with the thread it was shown in. Every
action is checked by the access policy (a manager reaches only their assigned patients) and audited.
Nothing here knows of HTTP or Chainlit.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, and_, select, update
from sqlalchemy.exc import IntegrityError

from coach.access import AccessDenied, AccessPolicy
from coach.accounts import Account
from coach.profile.store import ProfileStore

Sender = Literal["manager", "patient", "notice"]
MAX_TEXT = 4000
# The authors of chat messages that people wrote (or the notices about them), and of the safety banner: no
# coach answer, for the chat's history and for conversation review
MANAGER_AUTHOR = "Health manager"
NOTICE_AUTHOR = "Care team"
SAFETY_AUTHOR = "Safety"
NOT_COACH_AUTHORS = (SAFETY_AUTHOR, MANAGER_AUTHOR, NOTICE_AUTHOR)

metadata = MetaData()

takeovers = Table(
    "takeovers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), nullable=False, index=True),
    Column("manager", String(64), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),  # None while the manager answers
)
# One take-over at a time per patient, even when two managers press "Take over" at the same moment
Index("uq_takeovers_active", takeovers.c.profile_id, unique=True,
      sqlite_where=takeovers.c.ended_at.is_(None), postgresql_where=takeovers.c.ended_at.is_(None))

handover_messages = Table(
    "handover_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), nullable=False, index=True),
    Column("takeover_id", Integer, nullable=False),
    Column("sender", String(16), nullable=False),  # manager | patient | notice
    Column("author", String(64), nullable=False),  # the manager's or the patient's account
    Column("text", String(MAX_TEXT), nullable=False),
    Column("triage", String(16)),  # a patient's message: the level triage gave it
    Column("created_at", DateTime, nullable=False),
    Column("delivered_at", DateTime),  # to the patient's chat; None until shown there
    Column("thread_id", String(64)),  # the chat it was shown in
)


class HandoverError(ValueError):
    """An action that cannot be done now (writing before taking over, taking over a chat another manager
    holds), said in words."""


class TakeOver(BaseModel):
    id: int
    profile_id: str
    manager: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None


class HandoverMessage(BaseModel):
    id: int
    profile_id: str
    takeover_id: int
    sender: Sender
    author: str
    text: str
    triage: str | None = Field(default=None, description="For a patient's message, the level triage gave it")
    created_at: dt.datetime
    delivered_at: dt.datetime | None = None
    thread_id: str | None = None


class Handover:
    def __init__(self, store: ProfileStore, policy: AccessPolicy, clock: Callable[[], dt.datetime] | None = None):
        self.engine = store.engine  # in the profile database, beside the alerts
        metadata.create_all(self.engine)
        self.policy = policy
        self.clock = clock or _utcnow
        # Told of every message for a patient's chat once it is stored (the chat app delivers it live)
        self.on_message: Callable[[str], None] | None = None

    # -- the manager's side --------------------------------------------------------------------------
    def take_over(self, account: Account, profile_id: str) -> TakeOver:
        self._require(account, profile_id, "take over")
        try:
            with self.engine.begin() as conn:
                current = self._active(conn, profile_id)
                if current is not None:
                    if current.manager == account.username:
                        return current
                    raise HandoverError(f"{current.manager} is answering this patient's chat; they hand back first")
                now = self.clock()
                takeover_id = conn.execute(takeovers.insert().values(
                    profile_id=profile_id, manager=account.username, started_at=now)).inserted_primary_key[0]
                self._add(conn, profile_id, takeover_id, "notice", account.username,
                          f"Your health manager, {account.username}, has joined this chat and is answering you "
                          "now. The coach will not answer until they hand back.", now)
        except IntegrityError:  # another manager took over in the same instant
            raise HandoverError("another manager has just taken over this patient's chat") from None
        self._done(account, profile_id, "take over")
        return self.active(profile_id)

    def write(self, account: Account, profile_id: str, text: str) -> HandoverMessage:
        self._require(account, profile_id, "write")
        text = (text or "").strip()
        if not text:
            raise HandoverError("write a message first")
        if len(text) > MAX_TEXT:
            raise HandoverError(f"a message holds at most {MAX_TEXT:,} characters; this one has {len(text):,}")
        with self.engine.begin() as conn:
            current = self._active(conn, profile_id)
            if current is None or current.manager != account.username:
                raise HandoverError("take over the chat before writing in it" if current is None else
                                    f"{current.manager} is answering this patient's chat")
            message_id = self._add(conn, profile_id, current.id, "manager", account.username, text, self.clock())
        self._done(account, profile_id, "write")
        return self.message(message_id)

    def hand_back(self, account: Account, profile_id: str) -> TakeOver:
        self._require(account, profile_id, "hand back")
        with self.engine.begin() as conn:
            current = self._active(conn, profile_id)
            if current is None:
                raise HandoverError("the coach is already answering this patient's chat")
            if current.manager != account.username:
                raise HandoverError(f"{current.manager} is answering this patient's chat; only they hand back")
            now = self.clock()
            conn.execute(update(takeovers).where(takeovers.c.id == current.id).values(ended_at=now))
            self._add(conn, profile_id, current.id, "notice", account.username,
                      "Your health manager has handed this chat back to the coach. You can ask for them again "
                      "at any time.", now)
        self._done(account, profile_id, "hand back")
        return current.model_copy(update={"ended_at": now})

    def conversation(self, account: Account, profile_id: str, after: int = 0, limit: int = 200,
                     audited: bool = True) -> list[HandoverMessage]:
        """What was said while managers answered this patient's chat, oldest first (after message id `after`).
        `audited=False` for the page's polling: the page's view is audited once, not every poll of it."""
        self._require(account, profile_id, "view conversation", audited=audited)
        with self.engine.connect() as conn:
            rows = conn.execute(select(handover_messages).where(
                handover_messages.c.profile_id == profile_id, handover_messages.c.id > after)
                .order_by(handover_messages.c.id.desc()).limit(limit)).mappings().all()
        return [HandoverMessage.model_validate(dict(r)) for r in reversed(rows)]

    # -- the patient's side (the chat app, for the logged-in patient) --------------------------------
    def active(self, profile_id: str) -> TakeOver | None:
        with self.engine.connect() as conn:
            return self._active(conn, profile_id)

    def from_patient(self, profile_id: str, author: str, text: str, triage: str) -> HandoverMessage | None:
        """A patient's message while a manager answers: kept for the manager, with what triage made of it.
        None when no one has taken the chat over (the coach answers it)."""
        with self.engine.begin() as conn:
            current = self._active(conn, profile_id)
            if current is None:
                return None
            now = self.clock()
            message_id = conn.execute(handover_messages.insert().values(
                profile_id=profile_id, takeover_id=current.id, sender="patient", author=author,
                text=text[:MAX_TEXT], triage=triage, created_at=now, delivered_at=now)).inserted_primary_key[0]
        return self.message(message_id)

    def undelivered(self, profile_id: str) -> list[HandoverMessage]:
        """Messages for the patient's chat not yet shown there, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(handover_messages).where(
                handover_messages.c.profile_id == profile_id, handover_messages.c.delivered_at.is_(None))
                .order_by(handover_messages.c.id)).mappings().all()
        return [HandoverMessage.model_validate(dict(r)) for r in rows]

    def waiting(self, profile_ids: list[str]) -> set[str]:
        """Which of these patients have messages waiting for their chat (one query, for the live sweep)."""
        if not profile_ids:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(select(handover_messages.c.profile_id).distinct().where(
                handover_messages.c.profile_id.in_(profile_ids),
                handover_messages.c.delivered_at.is_(None))).scalars())

    def delivered(self, message_ids: list[int], thread_id: str | None) -> None:
        if not message_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(update(handover_messages).where(and_(
                handover_messages.c.id.in_(message_ids), handover_messages.c.delivered_at.is_(None)))
                .values(delivered_at=self.clock(), thread_id=thread_id))

    def message(self, message_id: int) -> HandoverMessage:
        with self.engine.connect() as conn:
            row = conn.execute(select(handover_messages).where(handover_messages.c.id == message_id)).mappings().one()
        return HandoverMessage.model_validate(dict(row))

    # -- internals -----------------------------------------------------------------------------------
    def _require(self, account: Account, profile_id: str, action: str, audited: bool = True) -> None:
        if account.role != "manager":
            raise AccessDenied(account, "threads", "only a health manager answers in a patient's chat")
        if audited or not self.policy.decide(account, "threads", profile_id).allowed:
            self.policy.require(account, "threads", profile_id, action=action)  # a refusal is always audited

    def _done(self, account: Account, profile_id: str, action: str) -> None:
        if self.policy.audit is not None:
            self.policy.audit.record(account.username, account.role, "threads", action, "done", patient=profile_id)
        if self.on_message is not None:
            self.on_message(profile_id)

    @staticmethod
    def _active(conn, profile_id: str) -> TakeOver | None:
        row = conn.execute(select(takeovers).where(takeovers.c.profile_id == profile_id,
                                                   takeovers.c.ended_at.is_(None))
                           .order_by(takeovers.c.id.desc())).mappings().first()
        return TakeOver.model_validate(dict(row)) if row else None

    @staticmethod
    def _add(conn, profile_id: str, takeover_id: int, sender: Sender, author: str, text: str,
             now: dt.datetime) -> int:
        return conn.execute(handover_messages.insert().values(
            profile_id=profile_id, takeover_id=takeover_id, sender=sender, author=author, text=text,
            created_at=now)).inserted_primary_key[0]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
