"""Whether a message asks for a person ("I want to talk to a human", "can someone call me back?", "转人工"):
a concept matched in data (rules/requests.yaml) with the triage's context rules, so a negated or reported
mention is no request. The chat app's "Ask for my health manager" action asks the same without words."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from coach.triage.concepts import ConceptFinder, load_concepts

REQUESTS_FILE = Path(__file__).parent / "rules" / "requests.yaml"


@lru_cache(maxsize=1)
def _finder() -> ConceptFinder:
    return ConceptFinder(load_concepts(REQUESTS_FILE))


def asks_for_person(text: str) -> str | None:
    """The words that ask for a person, or None. Negated or figurative mentions do not count; a request
    made for someone else ("my wife wants to speak to a nurse") does."""
    if not text.strip():
        return None
    for found in _finder().find(text):
        if found.concept == "ask_for_person" and found.status == "reported":
            return found.words
    return None
