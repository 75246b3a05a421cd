"""The shipped guideline corpus: complete, well-formed, and every passage id cited in the repo exists."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from knowledge.chunking import MAX_CHUNK_WORDS, chunk_passage
from knowledge.corpus import load_corpus
from tests.conftest import REPO


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(REPO / "guidelines")


def test_corpus_size(corpus):
    assert len(corpus.documents) >= 12
    assert len(corpus.passages) >= 200


def test_every_condition_and_region_is_covered(corpus):
    conditions = Counter(c for p in corpus.passages for c in p.conditions)
    for condition in ("htn", "diabetes", "lipids", "urate", "obesity", "general"):
        assert conditions[condition] >= 10, condition
    regions = Counter(d.meta.region for d in corpus.documents)
    assert set(regions) == {"global", "us", "eu", "cn"}
    # Region-specific guideline sets exist for the conditions whose thresholds differ by region.
    by_region_condition = {(d.meta.region, c) for d in corpus.documents for c in d.meta.conditions}
    for region in ("us", "eu", "cn"):
        for condition in ("htn", "lipids", "urate"):
            assert (region, condition) in by_region_condition, (region, condition)


def test_passages_are_sized_for_the_embedding_model(corpus):
    for p in corpus.passages:
        words = len(p.text.split())
        assert 40 <= words <= 260, f"{p.id} has {words} words"
        for chunk in chunk_passage(p):
            assert len(chunk.text.split()) <= MAX_CHUNK_WORDS or "\n" not in chunk.text, chunk.id


def test_topics_the_coach_relies_on_are_present(corpus):
    text = "\n".join(p.text for p in corpus.passages)
    for needle in ["130/80", "140/90", "180/120", "126 mg/dL", "7.0 mmol/L", "6.5%", "54 mg/dL",
                   "15 g", "1.4 mmol/L", "420 µmol/L", "360 µmol/L", "24", "28", "BE-FAST",
                   "150", "300"]:
        assert needle in text, needle


CITED = re.compile(r"(?<![\w/.#-])((?:htn|dm|lipid|gout|urate|obesity|metabolic|healthy|medication|"
                   r"emergency)-[a-z0-9-]+)#([a-z0-9][a-z0-9-]*)")
SCANNED = ("bench", "tests", "coach", "knowledge", "prompts", "scenarios", "README.md", "chainlit.md")


def test_every_passage_id_cited_in_the_repository_exists(corpus):
    known = {p.id for p in corpus.passages}
    cited: dict[str, list[str]] = {}
    for top in SCANNED:
        base = REPO / top
        files = [base] if base.is_file() else [f for f in base.rglob("*") if f.is_file()] if base.exists() else []
        for f in files:
            if f.suffix not in {".py", ".yaml", ".yml", ".md", ".json", ".txt", ".toml"} or "__pycache__" in f.parts:
                continue
            for m in CITED.finditer(f.read_text(encoding="utf-8", errors="replace")):
                cited.setdefault(f"{m.group(1)}#{m.group(2)}", []).append(str(f.relative_to(REPO)))
    missing = {pid: files for pid, files in cited.items() if pid not in known}
    assert not missing, f"cited passage ids that do not exist: {missing}"
    assert len(cited) >= 100  # the labelled questions alone cite well over a hundred


def test_labelled_questions_cover_the_corpus(corpus):
    from bench.labelled import load_questions
    questions = load_questions()
    assert len(questions) >= 100
    known = {p.id: p for p in corpus.passages}
    for q in questions:
        for pid in q.relevant + q.pooled_relevant:
            assert pid in known, f"{q.id}: {pid} does not exist"
            if q.region is not None:
                assert known[pid].region in (q.region, "global"), f"{q.id}: {pid} is outside region {q.region}"
    prefixes = Counter(q.id.split("-")[0] for q in questions)
    for prefix in ("bp", "dm", "lp", "ua", "ob", "rf"):
        assert prefixes[prefix] >= 10, prefix
    assert sum(q.style == "typo" for q in questions) >= 10


MG_DL_VALUE = re.compile(r"\d+(?:\.\d+)?\s*mg/dL")


def test_glucose_and_lipid_values_come_in_both_units(corpus):
    """Where mg/dL and mmol/L are both in use, a passage giving values in one gives the other too."""
    for p in corpus.passages:
        if not {"diabetes", "lipids"} & set(p.conditions) or "general" in p.conditions:
            continue
        if MG_DL_VALUE.search(p.text):  # Lp(a) pairs mg/dL with nmol/L, not mmol/L
            assert "mmol/L" in p.text or "nmol/L" in p.text, f"{p.id} gives mg/dL values without mmol/L"


def test_urate_values_come_in_both_units(corpus):
    for p in corpus.passages:
        if p.conditions == ("urate",) and re.search(r"\d\s*µmol/L", p.text):
            assert "mg/dL" in p.text, f"{p.id} gives µmol/L values without mg/dL"
