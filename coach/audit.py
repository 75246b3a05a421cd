"""An append-only audit log: every view of a patient's data by someone else and every manager action —
who, with which role, when, which patient, which resource, what was done, and the outcome.

It lives in the profile database (`settings.database`: SQLite by default, PostgreSQL by URL), table
`audit_log`, so it survives restarts with the data it is about. The store only adds and reads: no method
changes or deletes an entry. Admins read it (`coach audit list`, `coach audit export --format csv|json`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select

from coach.profile.store import open_engine

Outcome = Literal["allowed", "denied", "done", "failed"]

metadata = MetaData()

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("patient", String(64), index=True),  # the profile id the entry is about; None for others
    Column("resource", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", String(500), nullable=False, default=""),
)


class AuditEntry(BaseModel):
    id: int | None = None
    at: dt.datetime
    actor: str = Field(description="The account that acted")
    role: str
    patient: str | None = Field(default=None, description="The patient's profile id, when about one")
    resource: str = Field(description="profile, readings, threads, alerts, accounts, ...")
    action: str = Field(description="view, acknowledge, resolve, take_over, assign, ...")
    outcome: Outcome
    detail: str = ""


FIELDS = tuple(AuditEntry.model_fields)


class AuditLog:
    def __init__(self, url: str):
        self.engine = open_engine(url, "audit database", metadata)

    def close(self) -> None:
        self.engine.dispose()

    def record(self, actor: str, role: str, resource: str, action: str, outcome: Outcome,
               patient: str | None = None, detail: str = "", at: dt.datetime | None = None) -> AuditEntry:
        entry = AuditEntry(at=at or _utcnow(), actor=actor, role=role, patient=patient, resource=resource,
                           action=action, outcome=outcome, detail=detail[:500])
        with self.engine.begin() as conn:
            result = conn.execute(audit_log.insert().values(**entry.model_dump(exclude={"id"})))
        return entry.model_copy(update={"id": result.inserted_primary_key[0]})

    def record_many(self, entries: list[AuditEntry]) -> None:
        """Several entries in one transaction (a page that shows many patients is one write, not one each)."""
        if entries:
            with self.engine.begin() as conn:
                conn.execute(audit_log.insert(), [e.model_dump(exclude={"id"}) | {"detail": e.detail[:500]}
                                                  for e in entries])

    def entries(self, patient: str | None = None, actor: str | None = None, since: dt.datetime | None = None,
                limit: int | None = None) -> list[AuditEntry]:
        """Newest first."""
        query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        if patient is not None:
            query = query.where(audit_log.c.patient == patient)
        if actor is not None:
            query = query.where(audit_log.c.actor == actor)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [AuditEntry.model_validate(dict(row)) for row in conn.execute(query).mappings()]

    def export(self, fmt: Literal["csv", "json"], **filters) -> str:
        entries = self.entries(**filters)
        if fmt == "json":
            return json.dumps([e.model_dump(mode="json") for e in entries], indent=1, ensure_ascii=False)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS)
        writer.writeheader()
        for e in entries:
            writer.writerow(e.model_dump(mode="json"))
        return buffer.getvalue()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
