"""Telling a health manager at once: the premium tier's promise for emergencies and urgent replies.

One small interface, two backends chosen by `settings.notify.backend`: a log file of JSON lines in the data
folder (the default, which an operator can tail or ship anywhere), and a webhook that POSTs the same JSON
(a paging service, a chat channel). A notifier that fails never stops the patient's reply: the alert is
already stored and shown in the console, and the failure is logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.request
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

log = logging.getLogger("coach.notify")


class Notification(BaseModel):
    """What a manager is told: which alert, for whom, and why; the console link opens it."""

    alert_id: int
    managers: list[str]
    profile_id: str
    tier: str
    level: str
    reason: str
    created_at: dt.datetime
    link: str


class Notifier(Protocol):
    name: str

    def notify(self, notification: Notification) -> None: ...


class LogFileNotifier:
    name = "log"

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()  # lines from several threads never interleave

    def notify(self, notification: Notification) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(notification.model_dump_json() + "\n")

    def sent(self) -> list[Notification]:
        """What was written, oldest first (for the tests and `coach` tools)."""
        if not self.path.exists():
            return []
        return [Notification.model_validate_json(line) for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip()]


class WebhookNotifier:
    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 5.0):
        self.url, self.timeout_s = url, timeout_s

    def notify(self, notification: Notification) -> None:
        # Off the caller's thread: a slow webhook must not hold up the patient's reply.
        threading.Thread(target=self._post, args=(notification,), daemon=True).start()

    def _post(self, notification: Notification) -> None:
        request = urllib.request.Request(self.url, data=json.dumps(notification.model_dump(mode="json")).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except OSError as exc:
            log.error("notifying %s of alert %s failed: %s", self.url, notification.alert_id, exc)


def build_notifier(settings) -> Notifier:
    match settings.notify.backend:
        case "webhook":
            if not settings.notify.webhook_url:
                raise ValueError("COACH_NOTIFY__BACKEND=webhook needs COACH_NOTIFY__WEBHOOK_URL")
            return WebhookNotifier(settings.notify.webhook_url, settings.notify.timeout_s)
        case _:
            return LogFileNotifier(settings.data_dir / "notifications.jsonl")
