"""A real fake for tests and evaluations: returns queued answers and keeps the prompts it received."""

from __future__ import annotations

from typing import Iterator


class ScriptedGenerator:
    name = "scripted"

    def __init__(self, answers: list[str] | None = None):
        self.queue: list[str] = list(answers or [])
        self.prompts: list[str] = []

    def enqueue(self, *answers: str) -> None:
        self.queue.extend(answers)

    def generate(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.queue:
            raise RuntimeError("ScriptedGenerator has no queued answer left")
        return self.queue.pop(0)

    def stream(self, prompt: str) -> Iterator[str]:
        for word in self.generate(prompt).split(" "):
            yield word + " "
