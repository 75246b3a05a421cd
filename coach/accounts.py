"""User accounts for the chat app: who may log in, as what role, linked to which coach profile.

Accounts live in the app's database (`settings.database`: SQLite by default, PostgreSQL by URL) in their
own `accounts` table; Chainlit keeps a table called `users` for its own bookkeeping, so the two can share
one PostgreSQL database. Passwords are stored as salted scrypt hashes and compared in constant time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Literal, get_args

from pydantic import BaseModel, Field
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, MetaData, PrimaryKeyConstraint, String, Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from coach.profile.store import open_engine

Role = Literal["patient", "manager", "evaluator", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"  # the profile id pattern: a patient's profile id defaults to it
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # scrypt takes any length; a cap keeps a hostile login from costing memory

# scrypt cost: n=2**14, r=8 needs 16 MiB and about 50 ms per hash (OWASP's minimum is n=2**17 with r=8, p=1 at
# 128 MiB; this coach runs on small machines, so it takes the scrypt paper's interactive-login setting).
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32

metadata = MetaData()

accounts = Table(
    "accounts", metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("profile_id", String(64)),  # a patient's coach Profile id; None for managers and evaluators
    Column("created_at", DateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

# Which patients each health manager follows (`coach users assign`): a manager reaches only these.
assignments = Table(
    "assignments", metadata,
    Column("manager", String(64), ForeignKey("accounts.username"), nullable=False),
    Column("patient", String(64), ForeignKey("accounts.username"), nullable=False),
    Column("assigned_at", DateTime, nullable=False),
    PrimaryKeyConstraint("manager", "patient"),
)

# The health managers on call (`coach users on-call`): they are shown the emergencies of the patients no
# manager follows, so that an emergency always reaches a person.
on_call = Table(
    "on_call", metadata,
    Column("manager", String(64), ForeignKey("accounts.username"), primary_key=True),
    Column("since", DateTime, nullable=False),
)


class Account(BaseModel):
    """A person who may log in to the chat app (never carries the password hash)."""

    username: str = Field(pattern=USERNAME_PATTERN, description="Login name (lowercase, digits, - or _)")
    role: Role = Field(description="patient, manager, evaluator or admin")
    profile_id: str | None = Field(default=None, description="The coach Profile a patient talks about")
    created_at: dt.datetime
    disabled: bool = False


class AccountExists(ValueError):
    def __init__(self, username: str):
        super().__init__(f"a user named {username!r} already exists")


class AccountNotFound(LookupError):
    def __init__(self, username: str):
        super().__init__(f"no user named {username!r}")


class AssignmentRejected(ValueError):
    """An assignment names an account of the wrong role (a manager must be a manager, a patient a patient)."""


class PasswordRejected(ValueError):
    """An empty, too short or too long password."""


def check_password(password: str) -> None:
    if not password:
        raise PasswordRejected("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password is too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password is too long: at most {MAX_PASSWORD_LENGTH} characters")


def check_username(username: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise ValueError(f"invalid username {username!r}: 2-64 characters, lowercase letters, digits, - or _, "
                         "starting with a letter or digit")
    return username


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64), with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    """True when `password` gives `stored`'s hash; the hashes are compared in constant time."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        expected_bytes = base64.b64decode(expected)
        digest = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected_bytes))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected_bytes)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=128 * r * (n + p + 2) + 1024 * 1024)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class AccountStore:
    """Accounts in SQL. `url`: sqlite:///file.db or postgresql://... (the profile store's URL).

    Raises StoreUnavailable (one line, no password) for a bad URL, a missing driver or an unreachable server.
    """

    def __init__(self, url: str):
        self.engine: Engine = open_engine(url, "accounts database", metadata)
        self._dummy_hash: str | None = None

    def close(self) -> None:
        self.engine.dispose()

    def add(self, username: str, role: str, password: str, profile_id: str | None = None) -> Account:
        """Create an account; a patient's profile id defaults to the username."""
        check_username(username)
        role = check_role(role)
        check_password(password)
        if profile_id is None and role == "patient":
            profile_id = username
        account = Account(username=username, role=role, profile_id=profile_id, created_at=_utcnow())
        try:
            with self.engine.begin() as conn:
                conn.execute(accounts.insert().values(password_hash=hash_password(password),
                                                      **account.model_dump()))
        except IntegrityError:
            raise AccountExists(username) from None
        return account

    def get(self, username: str) -> Account:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).mappings().first()
        if row is None:
            raise AccountNotFound(username)
        return _account(row)

    def exists(self, username: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(accounts.c.username).where(accounts.c.username == username)).first() is not None

    def list(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.username)).mappings().all()
        return [_account(row) for row in rows]

    def set_password(self, username: str, password: str) -> None:
        check_password(password)
        self._update(username, password_hash=hash_password(password))

    def set_disabled(self, username: str, disabled: bool) -> None:
        self._update(username, disabled=disabled)

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password is right and the account is enabled; None otherwise.

        Costs one scrypt hash (~50 ms) whether or not the user exists; from async code (Chainlit's
        `@cl.password_auth_callback`) call it with `await asyncio.to_thread(store.authenticate, ...)`.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).mappings().first()
        if row is None:
            verify_password(password, self._dummy())
            return None
        if not verify_password(password, row["password_hash"]) or row["disabled"]:
            return None
        return _account(row)

    # -- assignments -----------------------------------------------------------------------------------
    def assign(self, manager: str, patients: list[str]) -> list[str]:
        """Assign patients to a manager; those already assigned stay so. Returns the newly assigned.
        Every name is checked first: nothing is stored when one is wrong."""
        self._check_roles(manager, patients)
        now = _utcnow()
        with self.engine.begin() as conn:
            have = set(conn.execute(select(assignments.c.patient).where(assignments.c.manager == manager)).scalars())
            new = [p for p in dict.fromkeys(patients) if p not in have]
            if new:
                conn.execute(assignments.insert(), [{"manager": manager, "patient": p, "assigned_at": now}
                                                    for p in new])
        return new

    def unassign(self, manager: str, patients: list[str]) -> list[str]:
        """Remove patients from a manager's caseload. Returns those that were assigned."""
        self._check_roles(manager, patients)
        with self.engine.begin() as conn:
            have = set(conn.execute(select(assignments.c.patient).where(assignments.c.manager == manager)).scalars())
            gone = [p for p in dict.fromkeys(patients) if p in have]
            if gone:
                conn.execute(assignments.delete().where(assignments.c.manager == manager,
                                                        assignments.c.patient.in_(gone)))
        return gone

    def patients_of(self, manager: str) -> list[str]:
        """The usernames of the patients assigned to a manager."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(assignments.c.patient).where(assignments.c.manager == manager)
                                     .order_by(assignments.c.patient)).scalars())

    def profiles_of(self, manager: str) -> set[str]:
        """The profile ids of the patients assigned to a manager (what the access policy checks)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts.c.profile_id).join(
                assignments, assignments.c.patient == accounts.c.username).where(
                assignments.c.manager == manager)).scalars()
            return {r for r in rows if r}

    def managers_of(self, patient: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(assignments.c.manager).where(assignments.c.patient == patient)
                                     .order_by(assignments.c.manager)).scalars())

    def set_on_call(self, manager: str, on: bool) -> None:
        if self.get(manager).role != "manager":
            raise AssignmentRejected(f"{manager!r} is not a manager (its role is {self.get(manager).role})")
        with self.engine.begin() as conn:
            conn.execute(on_call.delete().where(on_call.c.manager == manager))
            if on:
                conn.execute(on_call.insert().values(manager=manager, since=_utcnow()))

    def on_call_managers(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(on_call.c.manager).order_by(on_call.c.manager)).scalars())

    def is_on_call(self, manager: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(on_call.c.manager).where(on_call.c.manager == manager)).first() is not None

    def followed_profiles(self) -> set[str]:
        """The profile ids that have at least one assigned health manager."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts.c.profile_id).distinct().join(
                assignments, assignments.c.patient == accounts.c.username)).scalars()
            return {r for r in rows if r}

    def usernames_by_profile(self, profile_ids: list[str]) -> dict[str, str]:
        """Patient username -> coach profile id, for these profiles."""
        if not profile_ids:
            return {}
        with self.engine.connect() as conn:
            return dict(conn.execute(select(accounts.c.username, accounts.c.profile_id).where(
                accounts.c.profile_id.in_(profile_ids), accounts.c.role == "patient")).all())

    def managers_of_profile(self, profile_id: str) -> list[str]:
        """The managers assigned to the patient account(s) of a coach profile."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(assignments.c.manager).distinct().join(
                accounts, assignments.c.patient == accounts.c.username).where(
                accounts.c.profile_id == profile_id).order_by(assignments.c.manager)).scalars())

    def _check_roles(self, manager: str, patients: list[str]) -> None:
        if not patients:
            raise AssignmentRejected("name at least one patient")
        if self.get(manager).role != "manager":
            raise AssignmentRejected(f"{manager!r} is not a manager (its role is {self.get(manager).role})")
        for p in patients:
            role = self.get(p).role
            if role != "patient":
                raise AssignmentRejected(f"{p!r} is not a patient (its role is {role})")

    def _update(self, username: str, **values) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(accounts.update().where(accounts.c.username == username).values(**values))
        if result.rowcount == 0:
            raise AccountNotFound(username)

    def _dummy(self) -> str:
        """A hash to check against when the username is unknown: a wrong name costs what a wrong password does."""
        if self._dummy_hash is None:
            self._dummy_hash = hash_password(secrets.token_urlsafe(12))
        return self._dummy_hash


def _account(row) -> Account:
    return Account.model_validate({k: v for k, v in row.items() if k != "password_hash"})
