"""Text generators behind one small interface; the composer (no model) is the service's own fallback."""

from __future__ import annotations

from typing import Iterator, Protocol


class Generator(Protocol):
    """Turns a rendered prompt into answer text."""

    name: str

    def generate(self, prompt: str) -> str: ...

    def stream(self, prompt: str) -> Iterator[str]: ...
