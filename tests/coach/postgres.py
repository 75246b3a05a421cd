"""A real, throwaway PostgreSQL server for the test session: `initdb` + `pg_ctl` in a temp dir.

Import the fixture into a test module (`from tests.coach.postgres import postgres_server`). The cluster
listens on a free loopback port with its unix socket in the temp dir, trusts local connections, skips
fsync (a test database never needs to survive a crash), and is stopped and deleted at the end of the
session. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) were not found; install Debian's `postgresql` "
                "package: apt-get install postgresql")
SERVER_USER = "postgres"
SUPERUSER = "coach"


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted((Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    return next((d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A running cluster; `create_database()` gives each test its own empty database."""

    def __init__(self, bin_dir: Path, root: Path):
        self.bin_dir, self.root = bin_dir, root
        self.data, self.sockets, self.log = root / "data", root / "sockets", root / "server.log"
        self.port = 0
        self._names = itertools.count(1)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            _ensure_user(SERVER_USER)
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
            account = pwd.getpwnam(SERVER_USER)
            os.chown(root, account.pw_uid, account.pw_gid)

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip()}\n{log}")

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions")
        self._run("mkdir", str(self.sockets))
        for attempt in range(3):  # another process may take the free port before the server binds it
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                          "-w", "-t", "30", "start")
                return
            except RuntimeError:
                if attempt == 2:
                    raise

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)


# pytest makes one session fixture per module that imports it; they share this server.
_shared: dict[str, object] = {"server": None, "users": 0}


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this test session (a second to start), stopped and deleted after it."""
    if _shared["server"] is None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            pytest.fail(INSTALL_HINT, pytrace=False)
        server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="coach-pg-")))
        try:
            server.start()
        except BaseException:
            _remove(server)
            raise
        _shared["server"] = server
    _shared["users"] += 1
    try:
        yield _shared["server"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            server, _shared["server"] = _shared["server"], None
            _remove(server)


def _remove(server: PostgresServer) -> None:
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)
