"""Split a passage into embedding chunks at sentence boundaries, sized for MiniLM's 256-token window.

A passage that fits the window is embedded whole, as one chunk: splitting the corpus's 150-200-word
passages into halves cost recall (each half lost the other's context: bench/retrieval.py measured
recall@5 0.847 with 150-word chunks against 0.863 with whole passages) and embedded every heading twice.
Only a passage longer than the window is split, so no text is cut off unseen.
"""

from __future__ import annotations

import math
import re

from typing import Literal

from pydantic import BaseModel, ConfigDict

from knowledge.models import Passage

# A sentence ends at . ! ? followed by space and a capital, digit, bracket or list marker.
# Decimals (7.0) and "e.g. the" never match because no space-and-capital follows the dot.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'*\-])")
MAX_CHUNK_WORDS = 190  # about 250 wordpieces with the heading path: MiniLM's window is 256


class Chunk(BaseModel):
    """The unit that is embedded and indexed; many chunks can belong to one citable passage."""

    model_config = ConfigDict(frozen=True)

    id: str  # '<passage id>::<n>' for text, '<passage id>::q' for the "Asked as" questions
    passage_id: str
    ordinal: int
    kind: Literal["text", "question"] = "text"
    text: str  # the chunk's own text
    embed_text: str  # heading path + text: what the embedding model and BM25 see


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; list items and table rows (one per line) count as sentences."""
    units: list[str] = []
    for block in text.splitlines():
        block = block.strip()
        if block:
            units.extend(s.strip() for s in SENTENCE_END.split(block) if s.strip())
    return units


def chunk_passage(passage: Passage, max_words: int = MAX_CHUNK_WORDS) -> list[Chunk]:
    """Group whole sentences into chunks of at most `max_words`, balanced in size (a longer sentence
    stands alone): a 190-word passage becomes two chunks of ~95 words, not 150 + 40."""
    sentences = split_sentences(passage.text)
    total = sum(len(s.split()) for s in sentences)
    target = total / max(1, math.ceil(total / max_words))
    groups: list[list[str]] = []
    words = 0
    for sentence in sentences:
        n = len(sentence.split())
        # Close the chunk once it would pass the balanced target by more than half this sentence.
        if groups and words + n <= max_words and words + n / 2 <= target:
            groups[-1].append(sentence)
            words += n
        else:
            groups.append([sentence])
            words = n
    prefix = " > ".join(passage.heading_path)
    chunks = []
    for ordinal, group in enumerate(groups):
        text = "\n".join(group)
        chunks.append(Chunk(id=f"{passage.id}::{ordinal}", passage_id=passage.id, ordinal=ordinal,
                            text=text, embed_text=f"{prefix}\n{text}"))
    # Questions the passage answers, in patients' words, bridge the gap between how people ask
    # ("is 136/84 bad?") and how guidelines are written ("grade 1 hypertension is 140-159"). They are
    # embedded together as one key: as good as one vector per question on the labelled set, at a
    # quarter of the vectors (see bench/retrieval.py).
    if passage.asked_as:
        keys = "\n".join(passage.asked_as)
        chunks.append(Chunk(id=f"{passage.id}::q", passage_id=passage.id, ordinal=len(groups),
                            kind="question", text=keys, embed_text=keys))
    return chunks
