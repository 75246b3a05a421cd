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
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError

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


class StoreUnavailable(ValueError):
    """The database URL is malformed, names a driver that is not installed, or the server cannot be reached."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path)}"


def database_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here (the driver installed), not psycopg2."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailable(f"{url!r} is not a database URL; use sqlite:///path/coach.db or "
                               "postgresql+psycopg://user:password@host:5432/dbname") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class ProfileStore:
    """Profiles and their readings. `url`: sqlite:///file.db or postgresql+psycopg://..."""

    def __init__(self, url: str):
        self.engine: Engine = open_engine(url, "profile database", metadata)

    def close(self) -> None:
        """Close pooled connections (a PostgreSQL server keeps one per open connection)."""
        self.engine.dispose()

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

    def get_profiles(self, profile_ids: list[str]) -> dict[str, Profile]:
        """Several profiles in one query, by id (ids with no profile are left out)."""
        if not profile_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(profiles.c.data).where(profiles.c.id.in_(profile_ids))).all()
        found = [Profile.model_validate(r.data) for r in rows]
        return {p.id: p for p in found}

    def list_profiles(self) -> list[Profile]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(profiles.c.data).order_by(profiles.c.id)).all()
        return [Profile.model_validate(r.data) for r in rows]

    # -- readings ------------------------------------------------------------------------------------
    def import_profile(self, profile: Profile, new: list[Reading], replace: bool = False) -> list[Reading]:
        """A profile with its readings in one transaction; returns the readings with their ids.

        An existing profile is an error (`ProfileExists`) unless `replace`: then its data and all its readings
        are replaced by these. Its escalation records stay (they belong to the health managers' history).
        """
        now = _utcnow()
        data = profile.model_dump(mode="json")
        with self.engine.begin() as conn:
            exists = conn.execute(select(profiles.c.id).where(profiles.c.id == profile.id)).first()
            if exists and not replace:
                raise ProfileExists(profile.id)
            if exists:
                conn.execute(readings.delete().where(readings.c.profile_id == profile.id))
                conn.execute(profiles.update().where(profiles.c.id == profile.id).values(data=data, updated_at=now))
            else:
                conn.execute(profiles.insert().values(id=profile.id, data=data, created_at=now, updated_at=now))
            return _insert_readings(conn, profile.id, new)

    def add_readings(self, profile_id: str, new: list[Reading]) -> list[Reading]:
        """Store readings all-or-nothing; returns them with their ids."""
        self.get_profile(profile_id)  # raises ProfileNotFound before anything is written
        with self.engine.begin() as conn:
            return _insert_readings(conn, profile_id, new)

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


    def last_measured(self, profile_ids: list[str]) -> dict[str, dt.datetime]:
        """When each of these people's latest reading was taken (one query; people with none are left out)."""
        if not profile_ids:
            return {}
        from sqlalchemy import func
        with self.engine.connect() as conn:
            rows = conn.execute(select(readings.c.profile_id, func.max(readings.c.measured_at))
                                .where(readings.c.profile_id.in_(profile_ids)).group_by(readings.c.profile_id)).all()
        return {pid: at for pid, at in rows}

    # -- escalations -----------------------------------------------------------------------------------
    def add_escalation(self, record: EscalationRecord) -> EscalationRecord:
        values = record.model_dump(exclude={"id"})
        for column in ("reason", "passage_id", "evidence", "message"):  # PostgreSQL enforces the lengths
            values[column] = values[column][:escalations.c[column].type.length]
        with self.engine.begin() as conn:
            result = conn.execute(escalations.insert().values(**values))
        return record.model_copy(update={"id": result.inserted_primary_key[0]})

    def escalation(self, escalation_id: int) -> EscalationRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(escalations).where(escalations.c.id == escalation_id)).mappings().first()
        return EscalationRecord.model_validate(dict(row)) if row else None

    def escalations(self, status: str | None = None, profile_ids: list[str] | None = None,
                    level: str | None = None) -> list[EscalationRecord]:
        """Newest first; `profile_ids`: only those of these people (a manager's patients); `level`: only those."""
        query = select(escalations).order_by(escalations.c.created_at.desc(), escalations.c.id.desc())
        if status is not None:
            query = query.where(escalations.c.status == status)
        if level is not None:
            query = query.where(escalations.c.level == level)
        if profile_ids is not None:
            query = query.where(escalations.c.profile_id.in_(profile_ids))
        with self.engine.connect() as conn:
            return [EscalationRecord.model_validate(dict(row)) for row in conn.execute(query).mappings().all()]


def _insert_readings(conn: Connection, profile_id: str, new: list[Reading]) -> list[Reading]:
    if not new:
        return []
    now = _utcnow()
    rows = [{**r.model_dump(exclude={"id"}), "indicator": r.indicator.value, "profile_id": profile_id,
             "created_at": now} for r in new]
    ids = conn.execute(readings.insert().returning(readings.c.id, sort_by_parameter_order=True), rows).scalars().all()
    return [r.model_copy(update={"id": i}) for r, i in zip(new, ids, strict=True)]


def open_engine(url: str, what: str, schema: MetaData) -> Engine:
    """An engine for `url` with `schema`'s tables created: the one way every store of the coach opens
    its database (profiles, accounts). Raises StoreUnavailable, one line and no password, for a missing
    driver or a database that cannot be opened; `what` names the database in that message."""
    url = database_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        engine = create_engine(url, future=True)
    except (NoSuchModuleError, ImportError):
        raise StoreUnavailable(f"no installed database driver for {shown}; use sqlite:/// or "
                               "postgresql+psycopg:// (psycopg 3 is installed)") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    try:
        schema.create_all(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailable(f"cannot open the {what} {shown}: {reason}") from None
    return engine


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """Every SQLite connection of the coach: the chat app, the CLI and the manager console share files."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer (chat + manager console)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")  # a second writer waits instead of failing
    cursor.close()
