"""Prompt templates are files in prompts/; rendering fails loudly on a missing or unknown variable."""

from __future__ import annotations

import string
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


class PromptError(KeyError):
    pass


def prompt_names() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))


def placeholders(name: str) -> set[str]:
    template = string.Template(_read(name))
    return {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)
            if m.group("named") or m.group("braced")}


def render(name: str, **values: str) -> str:
    needed = placeholders(name)
    missing, extra = needed - set(values), set(values) - needed
    if missing or extra:
        raise PromptError(f"prompt {name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return string.Template(_read(name)).substitute(values)


def _read(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.exists():
        raise PromptError(f"no prompt file {path}")
    return path.read_text(encoding="utf-8")
