"""Small text helpers shared by the rule-based readers of messages (readings, red flags)."""

from __future__ import annotations

import re

# A full stop ends a sentence only before a space or the end: "7.8" and "e.g." stay inside one.
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？\n]")


def sentence_at(text: str, position: int) -> str:
    """The sentence of `text` that contains `position`, with its closing punctuation."""
    start = max((m.end() for m in SENTENCE_END.finditer(text, 0, position)), default=0)
    end = SENTENCE_END.search(text, position)
    return text[start:end.end() if end else len(text)]


def is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith(("?", "？"))
