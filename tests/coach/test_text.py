"""Text helpers: Chinese terms give their English words to search and quote by."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.text import CHINESE_TERMS, english_terms


@pytest.mark.parametrize("text, words", [
    ("中风有哪些症状？", "stroke symptoms signs"),
    ("我的高血压怎么办", "high blood pressure hypertension what to do"),  # 高血压, not the 血压 inside it
    ("血糖和血压", "blood glucose sugar pressure"),  # each word once
    ("盐酸二甲双胍", ""),  # no single characters: 盐 here is part of a medicine's name
    ("my bp is 150/95, is that high?", ""),
])
def test_chinese_terms_give_their_english_words(text, words):
    assert english_terms(text) == words


def test_the_term_map_stays_small_and_has_no_single_characters():
    assert len(CHINESE_TERMS) < 100 and all(len(term) >= 2 for term in CHINESE_TERMS)


@pytest.mark.slow
def test_a_question_in_chinese_finds_and_quotes_its_passage(guideline_index, tmp_path):
    from coach.profile.store import ProfileStore, sqlite_url
    from coach.service import Coach
    from knowledge.retrieve import HybridRetriever
    coach = Coach(HybridRetriever(guideline_index), ProfileStore(sqlite_url(tmp_path / "coach.db")), None,
                  clock=lambda: dt.datetime(2026, 11, 22, 14, 0))
    reply = coach.reply("中风有哪些症状？", region="cn")
    assert reply.escalation is None and "couldn't find" not in reply.text
    assert "emergency-red-flags#stroke-be-fast" in {c.passage_id for c in reply.citations}
