"""A patient's chat threads as their health manager reviews them: every coach answer beside its evidence (the
passages it cited, the indicators it used, what triage decided), and the manager's review of it: approved,
or flagged with a reason code and a correction note.

The threads are the chat app's own (Chainlit's tables, coach/ui/persistence.py), read here through a plain
synchronous engine on the same database; each answer's evidence is what the chat app wrote in the message's
metadata when it sent it. Reviews are kept in the profile database, append-only (an answer's latest review
is the one that counts), audited, and exportable as CSV or JSON so that the team can improve rules, passages
and scenarios from the flags. A manager reaches only their assigned patients' threads; a thread of anyone
else is "not found".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Callable, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.engine import make_url

from coach.access import AccessDenied, AccessPolicy
from coach.accounts import Account, AccountStore
from coach.handover import NOT_COACH_AUTHORS, SAFETY_AUTHOR
from coach.profile.store import ProfileStore

Verdict = Literal["approved", "flagged"]
# Why an answer was flagged: the codes a manager picks from, so that the team can count them
FLAG_CODES: dict[str, str] = {
    "wrong": "says something wrong",
    "unsafe": "a missed red flag, a dose, a high/low mix-up",
    "unclear": "unclear or hard to act on",
    "missing_evidence": "a claim its citations or indicators do not support",
}
EVIDENCE_KEY = "coach_evidence"  # the key of a chat message's metadata that holds its evidence

metadata = MetaData()

answer_reviews = Table(
    "answer_reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), nullable=False, index=True),
    Column("thread_id", String(64), nullable=False, index=True),
    Column("step_id", String(64), nullable=False, index=True),
    Column("reviewer", String(64), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("reason_code", String(32)),
    Column("note", String(2000)),
    Column("answer", String(8000), nullable=False),  # the answer as reviewed, for the export
    Column("at", DateTime, nullable=False),
)


class ReviewError(ValueError):
    """A review that cannot be stored (a flag without its reason code or note...), said in words."""


class ThreadNotFound(LookupError):
    pass


class CitedPassage(BaseModel):
    marker: int
    passage_id: str


class UsedIndicator(BaseModel):
    indicator: str
    values: str
    unit: str
    label: str
    threshold: str
    guideline: str
    passage_id: str


class AnswerEvidence(BaseModel):
    """What one answer relied on, as the chat app recorded it when it sent the answer."""

    citations: list[CitedPassage] = Field(default_factory=list)
    indicators: list[UsedIndicator] = Field(default_factory=list)
    triage: str = "none"
    escalation: str | None = None
    backend: str = "composer"
    verified: bool = True

    @classmethod
    def of(cls, reply) -> "AnswerEvidence":
        """From a CoachReply, as the chat app sends it."""
        return cls(citations=[CitedPassage(marker=c.marker, passage_id=c.passage_id) for c in reply.citations],
                   indicators=[UsedIndicator(indicator=f.indicator, values=f.shown_values, unit=f.unit, label=f.label,
                                             threshold=f.threshold, guideline=f.guideline, passage_id=f.passage_id)
                               for f in reply.indicators],
                   triage=reply.triage.level if reply.triage else "none",
                   escalation=reply.escalation.level if reply.escalation else None, backend=reply.backend,
                   verified=reply.verification.passed)


class Review(BaseModel):
    id: int
    profile_id: str
    thread_id: str
    step_id: str
    reviewer: str
    verdict: Verdict
    reason_code: str | None = None
    note: str | None = None
    answer: str
    at: dt.datetime


class Turn(BaseModel):
    step_id: str
    kind: Literal["patient", "coach", "info", "safety", "person"]
    author: str
    text: str
    created_at: str
    evidence: AnswerEvidence | None = None
    thumbs: int | None = Field(default=None, description="The patient's vote: 1 up, 0 down")
    review: Review | None = None


class ThreadSummary(BaseModel):
    id: str
    name: str | None
    created_at: str | None
    answers: int
    flagged: int


class ThreadView(BaseModel):
    summary: ThreadSummary
    turns: list[Turn]


def _parse_time(value) -> dt.datetime | None:
    """Chainlit's timestamps: ISO text in UTC with a 'Z'; naive UTC here, like every other time we store."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def sync_url(chat_url: str) -> str:
    """The chat database's async URL (aiosqlite, asyncpg) as a synchronous one (sqlite, psycopg)."""
    url = make_url(chat_url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}.get(url.get_backend_name())
    if driver is None:
        raise ValueError(f"no synchronous driver for the chat database {url.get_backend_name()!r}")
    return url.set(drivername=driver).render_as_string(hide_password=False)


class Conversations:
    def __init__(self, chat_url: str, store: ProfileStore, policy: AccessPolicy, accounts: AccountStore,
                 clock: Callable[[], dt.datetime] | None = None):
        from coach.ui.persistence import ensure_schema
        ensure_schema(chat_url)  # the chat app's tables, if no chat has run yet
        self.chat = create_engine(sync_url(chat_url), pool_pre_ping=True)
        self.engine = store.engine  # the reviews, beside the alerts
        metadata.create_all(self.engine)
        self.policy, self.accounts = policy, accounts
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))

    def close(self) -> None:
        self.chat.dispose()

    # -- reading -------------------------------------------------------------------------------------
    def threads(self, account: Account, profile_id: str) -> list[ThreadSummary]:
        """The patient's threads, newest first (an audited view)."""
        self._require(account, profile_id, "list threads")
        from coach.ui.persistence import steps, threads
        owners = list(self.accounts.usernames_by_profile([profile_id]))
        if not owners:
            return []
        with self.chat.connect() as conn:
            rows = conn.execute(select(threads.c.id, threads.c.name, threads.c.createdAt)
                                .where(threads.c.userIdentifier.in_(owners))
                                .order_by(threads.c.createdAt.desc())).mappings().all()
            ids = [r["id"] for r in rows]
            answered: dict[str, list[str]] = {}
            if ids:
                for step in conn.execute(select(steps.c.threadId, steps.c.id).where(
                        steps.c.threadId.in_(ids), steps.c.type == "assistant_message",
                        steps.c.name.not_in(NOT_COACH_AUTHORS), steps.c.metadata.contains(EVIDENCE_KEY))).mappings():
                    answered.setdefault(step["threadId"], []).append(step["id"])
        latest = self._latest_reviews(profile_id)
        return [ThreadSummary(id=r["id"], name=r["name"], created_at=r["createdAt"],
                              answers=len(answered.get(r["id"], [])),
                              flagged=sum(1 for s in answered.get(r["id"], []) if
                                          s in latest and latest[s].verdict == "flagged")) for r in rows]

    def thread(self, account: Account, profile_id: str, thread_id: str) -> ThreadView:
        """One thread, message by message, each coach answer with its evidence, the patient's vote and the
        latest review. ThreadNotFound for a thread that is not this patient's (or does not exist)."""
        self._require(account, profile_id, "review thread")
        from coach.ui.persistence import feedbacks, steps, threads
        owners = list(self.accounts.usernames_by_profile([profile_id]))
        with self.chat.connect() as conn:
            row = conn.execute(select(threads).where(threads.c.id == thread_id)).mappings().first()
            if row is None or row["userIdentifier"] not in owners:
                raise ThreadNotFound(thread_id)
            found = conn.execute(select(steps).where(steps.c.threadId == thread_id, steps.c.type.in_(
                ("user_message", "assistant_message"))).order_by(steps.c.createdAt, steps.c.start)).mappings().all()
            votes = {f["forId"]: f["value"] for f in conn.execute(select(feedbacks).where(
                feedbacks.c.threadId == thread_id)).mappings()}
        latest = self._latest_reviews(profile_id)
        turns = [self._turn(s, votes.get(s["id"]), latest.get(s["id"])) for s in found if s["output"]]
        coach = [t for t in turns if t.kind == "coach"]
        return ThreadView(summary=ThreadSummary(
            id=row["id"], name=row["name"], created_at=row["createdAt"], answers=len(coach),
            flagged=sum(1 for t in coach if t.review and t.review.verdict == "flagged")), turns=turns)

    def last_messages(self, profile_ids: list[str]) -> dict[str, dt.datetime]:
        """When each of these patients last wrote in their chat (one query; for the caseload's last contact)."""
        from sqlalchemy import func

        from coach.ui.persistence import steps, threads
        owners = self.accounts.usernames_by_profile(profile_ids)
        if not owners:
            return {}
        with self.chat.connect() as conn:
            rows = conn.execute(select(threads.c.userIdentifier, func.max(steps.c.createdAt)).join(
                threads, threads.c.id == steps.c.threadId).where(
                threads.c.userIdentifier.in_(list(owners)), steps.c.type == "user_message")
                .group_by(threads.c.userIdentifier)).all()
        out: dict[str, dt.datetime] = {}
        for owner, at in rows:
            when = _parse_time(at)
            if when is not None and (owners[owner] not in out or when > out[owners[owner]]):
                out[owners[owner]] = when
        return out

    # -- reviewing -----------------------------------------------------------------------------------
    def review(self, account: Account, profile_id: str, thread_id: str, step_id: str, verdict: str,
               reason_code: str = "", note: str = "") -> Review:
        view = self.thread(account, profile_id, thread_id)
        answer = next((t for t in view.turns if t.step_id == step_id and t.kind == "coach"), None)
        if answer is None:
            raise ReviewError("there is no such coach answer in this thread")
        note = (note or "").strip()
        if verdict == "flagged":
            if reason_code not in FLAG_CODES:
                raise ReviewError(f"pick why it is flagged: one of {', '.join(FLAG_CODES)}")
            if not note:
                raise ReviewError("write a correction note: what the answer should have said")
        elif verdict == "approved":
            reason_code = ""
        else:
            raise ReviewError(f"unknown verdict {verdict!r}: approved or flagged")
        with self.engine.begin() as conn:
            review_id = conn.execute(answer_reviews.insert().values(
                profile_id=profile_id, thread_id=thread_id, step_id=step_id, reviewer=account.username,
                verdict=verdict, reason_code=reason_code or None, note=note[:2000] or None,
                answer=answer.text[:8000], at=self.clock())).inserted_primary_key[0]
            row = conn.execute(select(answer_reviews).where(answer_reviews.c.id == review_id)).mappings().one()
        if self.policy.audit is not None:
            self.policy.audit.record(account.username, account.role, "threads", f"review: {verdict}", "done",
                                     patient=profile_id, detail=f"thread {thread_id}, answer {step_id}"
                                     + (f": {reason_code}" if reason_code else ""))
        return Review.model_validate(dict(row))

    def flags(self, account: Account) -> list[Review]:
        """The answers flagged (and not approved since) among the patients the account follows, newest first."""
        patients = self.policy.patients_visible_to(account)
        if not patients:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(select(answer_reviews).where(answer_reviews.c.profile_id.in_(patients))
                                .order_by(answer_reviews.c.id)).mappings().all()
        latest: dict[str, Review] = {}
        for r in rows:
            latest[r["step_id"]] = Review.model_validate(dict(r))
        return sorted((r for r in latest.values() if r.verdict == "flagged"), key=lambda r: -r.id)

    def export_flags(self, account: Account, fmt: str) -> str:
        flags = self.flags(account)
        if self.policy.audit is not None:
            self.policy.audit.record(account.username, account.role, "threads", f"export flags ({fmt})", "done",
                                     detail=f"{len(flags)} flags")
        rows = [f.model_dump(mode="json") | {"reason": FLAG_CODES.get(f.reason_code or "", "")} for f in flags]
        if fmt == "json":
            return json.dumps(rows, ensure_ascii=False, indent=1)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(Review.model_fields) + ["reason"])
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()

    # -- internals -----------------------------------------------------------------------------------
    def _require(self, account: Account, profile_id: str, action: str) -> None:
        if account.role != "manager":
            raise AccessDenied(account, "threads", "conversation review is a health manager's work")
        self.policy.require(account, "threads", profile_id, action=action)

    def _latest_reviews(self, profile_id: str) -> dict[str, Review]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(answer_reviews).where(answer_reviews.c.profile_id == profile_id)
                                .order_by(answer_reviews.c.id)).mappings().all()
        return {r["step_id"]: Review.model_validate(dict(r)) for r in rows}

    @staticmethod
    def _turn(step, vote, review: Review | None) -> Turn:
        meta = step["metadata"]
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                meta = {}
        evidence = (meta or {}).get(EVIDENCE_KEY) if isinstance(meta, dict) else None
        name = step["name"] or ""
        if step["type"] == "user_message":
            kind = "patient"
        elif name == SAFETY_AUTHOR:
            kind = "safety"
        elif name in NOT_COACH_AUTHORS:
            kind = "person"
        else:  # an answer carries its evidence; a greeting or "your profile is saved" is no answer to review
            kind = "coach" if evidence else "info"
        return Turn(step_id=step["id"], kind=kind, author=name, text=step["output"], created_at=step["createdAt"] or "",
                    evidence=AnswerEvidence.model_validate(evidence) if kind == "coach" and evidence else None,
                    thumbs=vote, review=review if kind == "coach" else None)
