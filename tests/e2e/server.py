"""The real chat app served on a free loopback port, and Debian's headless Chromium to drive it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = REPO / "out" / "e2e"  # screenshots, kept after the run for people to look at
COACH = [str(Path(sys.executable).parent / "coach")]  # the console script, as a person runs it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data_dir: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(COACH_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               CHAINLIT_AUTH_SECRET="e2e-test-secret-" + "x" * 40, **extra)
    return env


class AppServer:
    """`coach serve` in a child process; `restart()` stops it and starts it again on the same data."""

    def __init__(self, data_dir: Path, log: Path):
        self.data_dir, self.log = data_dir, log
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        log = open(self.log, "ab")
        self.process = subprocess.Popen(COACH + ["serve", "--port", str(self.port)], cwd=REPO,
                                        env=app_env(self.data_dir), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/project/settings?language=en-US", timeout=2):
                    pass
                return
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP error status: the server answers
                    return
                time.sleep(0.5)
        raise RuntimeError(f"the app did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()
