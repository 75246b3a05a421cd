"""BM25 ranking, typo repair, and reciprocal rank fusion on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from knowledge.bm25 import BM25, words
from knowledge.retrieve import best_per_passage, rrf_fuse

TEXTS = [
    "Blood pressure categories: stage 1 hypertension is 130-139/80-89 mmHg.",
    "LDL cholesterol goals for people at high cardiovascular risk.",
    "Uric acid, purines and gout flares in the big toe.",
]


def test_tokens_drop_stopwords_and_split_readings():
    assert words("Is my BP of 150/95 too high?") == ["bp", "150", "95", "high"]


def test_bm25_ranks_the_matching_text_first_and_scores_zero_elsewhere():
    scores = BM25(TEXTS).scores("gout flare")
    assert scores[2] > 0 and scores[0] == 0 and scores[1] == 0


def test_bm25_matches_word_forms_through_stemming():
    assert BM25(TEXTS).scores("flaring goals")[1] > 0


@pytest.mark.parametrize("typo, fixed", [("cholestrol", "cholesterol"), ("presure", "pressure"),
                                         ("hypertensoin", "hypertension"), ("urric", "uric")])
def test_one_typo_is_repaired(typo, fixed):
    bm25 = BM25(TEXTS)
    assert bm25.correct(typo) == fixed
    assert bm25.scores(typo).argmax() == bm25.scores(fixed).argmax()


def test_unrelated_words_are_not_forced_onto_the_vocabulary():
    assert BM25(TEXTS).correct("zebra") == "zebra"


def test_bm25_score_matches_the_formula():
    bm25 = BM25(["apple banana", "apple", "cherry"], k1=1.2, b=0.75)
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    avg = (2 + 1 + 1) / 3
    expected = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 1 / avg))
    assert bm25.scores("apple")[1] == pytest.approx(expected)


def test_rrf_hand_computed():
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    lexical = [("c", 12.0), ("a", 3.0)]
    fused = dict(rrf_fuse([dense, lexical], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["b"] == pytest.approx(1 / 62)
    assert [pid for pid, _ in rrf_fuse([dense, lexical], k=60)] == ["a", "c", "b"]


def test_rrf_weights_and_ties_are_deterministic():
    assert rrf_fuse([[("x", 1)], [("y", 1)]]) == [("x", 1 / 61), ("y", 1 / 61)]
    assert rrf_fuse([[("x", 1)], [("y", 1)]], weights=[1, 2])[0][0] == "y"


def test_chunks_collapse_to_their_best_passage_score():
    assert best_per_passage([("p1", 0.2), ("p2", 0.5), ("p1", 0.7)]) == [("p1", 0.7), ("p2", 0.5)]


def test_repair_only_accepts_one_edit_and_prefers_the_commoner_word():
    bm25 = BM25(["statin therapy lowers LDL", "start walking daily", "start slowly", "blocks and bricks"])
    assert bm25.correct("statn") == "statin"  # 'start' is two edits away, however common
    assert bm25.correct("bloke") == "bloke"  # 'blocks' is two edits away
    assert bm25.correct("strat") == "start"  # an adjacent swap
