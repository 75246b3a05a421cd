"""Split a passage into embedding chunks at sentence boundaries, sized for MiniLM's 256-token window."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from knowledge.models import Passage

# A sentence ends at . ! ? followed by space and a capital, digit, bracket or list marker.
# Decimals (7.0) and "e.g. the" never match because no space-and-capital follows the dot.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'*\-])")
MAX_CHUNK_WORDS = 150


class Chunk(BaseModel):
    """The unit that is embedded and indexed; many chunks can belong to one citable passage."""

    model_config = ConfigDict(frozen=True)

    id: str  # '<passage id>::<n>'
    passage_id: str
    ordinal: int
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
    """Group whole sentences into chunks of at most `max_words` (a longer sentence stands alone)."""
    groups: list[list[str]] = []
    words = 0
    for sentence in split_sentences(passage.text):
        n = len(sentence.split())
        if groups and words + n <= max_words:
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
    return chunks
