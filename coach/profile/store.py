"""Profiles and readings in SQL: SQLite (WAL) by default, PostgreSQL by URL, through SQLAlchemy.

Every write validates first and commits in one transaction, so a bad value never half-writes a batch
and never touches what was already saved.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (
    JSON, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, create_engine, event, select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from pydantic import BaseModel

from coach.models import Indicator, Profile, Reading

metadata = MetaData()

profiles = Table(
    "profiles", metadata,
    Column("id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

readings = Table(
    "readings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("indicator", String(32), nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("entered_value", Float),
    Column("entered_unit", String(16)),
    Column("measured_at", DateTime, nullable=False, index=True),
    Column("context", String(16)),
    Column("source", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
)


escalations = Table(
    "escalations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(64), index=True),  # None: an anonymous conversation
    Column("level", String(16), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("passage_id", String(200), nullable=False),
    Column("evidence", String(500), nullable=False),
    Column("message", String(4000), nullable=False),
    Column("status", String(16), nullable=False),  # open / acknowledged / closed (set by the managers)
    Column("created_at", DateTime, nullable=False, index=True),
)


class EscalationRecord(BaseModel):
    """A red flag handed to the health managers: who, what, why (with the passage), and its status."""

    id: int | None = None
    profile_id: str | None
    level: str
    reason: str
    passage_id: str
    evidence: str
    message: str
    status: str = "open"
    created_at: dt.datetime


class ProfileNotFound(LookupError):
    def __init__(self, profile_id: str):
        super().__init__(f"no profile with id {profile_id!r}")


class ProfileExists(ValueError):
    def __init__(self, profile_id: str):
        super().__init__(f"a profile with id {profile_id!r} already exists")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path)}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class ProfileStore:
    """Profiles and their readings. `url`: sqlite:///file.db or postgresql+psycopg://..."""

    def __init__(self, url: str):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    # -- profiles ------------------------------------------------------------------------------------
    def create_profile(self, profile: Profile) -> Profile:
        now = _utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(profiles.insert().values(id=profile.id, data=profile.model_dump(mode="json"),
                                                      created_at=now, updated_at=now))
        except IntegrityError:
            raise ProfileExists(profile.id) from None
        return profile

    def save_profile(self, profile: Profile) -> Profile:
        """Create or replace."""
        with self.engine.begin() as conn:
            exists = conn.execute(select(profiles.c.id).where(profiles.c.id == profile.id)).first()
            data = profile.model_dump(mode="json")
            if exists:
                conn.execute(profiles.update().where(profiles.c.id == profile.id)
                             .values(data=data, updated_at=_utcnow()))
            else:
                conn.execute(profiles.insert().values(id=profile.id, data=data, created_at=_utcnow(),
                                                      updated_at=_utcnow()))
        return profile

    def get_profile(self, profile_id: str) -> Profile:
        with self.engine.connect() as conn:
            row = conn.execute(select(profiles.c.data).where(profiles.c.id == profile_id)).first()
        if row is None:
            raise ProfileNotFound(profile_id)
        return Profile.model_validate(row.data)

    def list_profiles(self) -> list[Profile]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(profiles.c.data).order_by(profiles.c.id)).all()
        return [Profile.model_validate(r.data) for r in rows]

    # -- readings ------------------------------------------------------------------------------------
    def add_readings(self, profile_id: str, new: list[Reading]) -> list[Reading]:
        """Store readings all-or-nothing; returns them with their ids."""
        self.get_profile(profile_id)  # raises ProfileNotFound before anything is written
        stored = []
        with self.engine.begin() as conn:
            for reading in new:
                values = reading.model_dump(exclude={"id"})
                values["indicator"] = reading.indicator.value
                result = conn.execute(readings.insert().values(profile_id=profile_id, created_at=_utcnow(),
                                                               **values))
                stored.append(reading.model_copy(update={"id": result.inserted_primary_key[0]}))
        return stored

    def add_reading(self, profile_id: str, reading: Reading) -> Reading:
        return self.add_readings(profile_id, [reading])[0]

    def readings(self, profile_id: str, indicator: Indicator | None = None,
                 since: dt.datetime | None = None) -> list[Reading]:
        """Readings oldest first."""
        query = select(readings).where(readings.c.profile_id == profile_id)
        if indicator is not None:
            query = query.where(readings.c.indicator == indicator.value)
        if since is not None:
            query = query.where(readings.c.measured_at >= since)
        query = query.order_by(readings.c.measured_at, readings.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Reading.model_validate({k: v for k, v in row.items() if k not in ("profile_id", "created_at")})
                for row in rows]


    # -- escalations -----------------------------------------------------------------------------------
    def add_escalation(self, record: EscalationRecord) -> EscalationRecord:
        values = record.model_dump(exclude={"id"})
        values["message"] = values["message"][:4000]
        with self.engine.begin() as conn:
            result = conn.execute(escalations.insert().values(**values))
        return record.model_copy(update={"id": result.inserted_primary_key[0]})

    def escalations(self, status: str | None = None) -> list[EscalationRecord]:
        """Newest first."""
        query = select(escalations).order_by(escalations.c.created_at.desc(), escalations.c.id.desc())
        if status is not None:
            query = query.where(escalations.c.status == status)
        with self.engine.connect() as conn:
            return [EscalationRecord.model_validate(dict(row)) for row in conn.execute(query).mappings().all()]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer (chat + manager console)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
