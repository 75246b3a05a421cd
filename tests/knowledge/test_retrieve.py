"""Hybrid retrieval over a real index: filters, typos, bad queries."""

from __future__ import annotations

import pytest

from knowledge.corpus import load_corpus
from knowledge.index import GuidelineIndex
from knowledge.models import SearchFilters
from knowledge.retrieve import HybridRetriever, IndexNotBuiltError, QueryError
from knowledge.store import open_chroma

pytestmark = pytest.mark.slow


@pytest.fixture
def retriever(tmp_path, mini_corpus, minilm):
    index = GuidelineIndex(open_chroma(path=tmp_path / "chroma"), embed_model=minilm)
    index.build(load_corpus(mini_corpus))
    return HybridRetriever(index, top_k=5)


def test_region_filter_keeps_the_region_and_global(retriever):
    results = retriever.search("what should I eat", filters=SearchFilters(region="cn"))
    assert {p.region for p in results.passages} <= {"cn", "global"}
    assert {p.id for p in results.passages} == {"demo-gout-cn#purines", "demo-red-flags#stroke"}


def test_condition_filter(retriever):
    results = retriever.search("what is my goal", filters=SearchFilters(condition="lipids"))
    assert [p.id for p in results.passages] == ["demo-lipids-eu#ldl-goals", "demo-red-flags#stroke"]


def test_filters_that_match_nothing_say_so(retriever):
    results = retriever.search("blood pressure", filters=SearchFilters(condition="obesity", region="us"))
    assert [p.id for p in results.passages] == ["demo-red-flags#stroke"]
    results = retriever.search("blood pressure", filters=SearchFilters(condition="htn", region="eu"))
    assert [p.id for p in results.passages] == ["demo-red-flags#stroke"]


def test_typos_still_find_the_passage(retriever):
    assert retriever.search("uric asid and shelfish").passages[0].id == "demo-gout-cn#purines"
    assert retriever.search("cholestrol goal very hihg risk").passages[0].id == "demo-lipids-eu#ldl-goals"


def test_results_are_citable_models_with_both_ranks(retriever):
    top = retriever.search("stage 2 hypertension 140/90").passages[0]
    assert top.id == "demo-bp-us#bp-categories"
    assert top.dense_rank is not None and top.lexical_rank is not None and top.score > 0
    assert top.url == "https://example.org/demo-bp-us" and "stage 1 hypertension" in top.text


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_a_clear_error(retriever, query):
    with pytest.raises(QueryError, match="The question is empty"):
        retriever.search(query)


def test_very_long_query_is_cut_and_says_so(retriever):
    results = retriever.search("gout and shellfish " * 2000)
    assert results.truncated and len(results.query) == 2000
    assert results.notes == ["The question was 37,999 characters long; only the first 2,000 were searched."]
    assert results.passages[0].id == "demo-gout-cn#purines"


def test_emoji_and_non_latin_text_do_not_break_search(retriever):
    assert retriever.search("血压 高 😟 blood pressure at home").passages


def test_search_before_any_build_says_to_index(tmp_path, minilm):
    retriever = HybridRetriever(GuidelineIndex(open_chroma(path=tmp_path / "empty"), embed_model=minilm))
    with pytest.raises(IndexNotBuiltError, match="run `coach index`"):
        retriever.search("blood pressure")


def test_example_numbers_in_asked_as_keys_are_not_lexical_matches(tmp_path, minilm):
    from tests.conftest import write_doc
    root = tmp_path / "g"
    write_doc(root, "demo-bp", """
        ## Pregnancy {#pregnancy}
        Asked as: my reading was 145/95 at 30 weeks pregnant, is that dangerous?

        In pregnancy, blood pressure of 140/90 mmHg or more is high and needs the maternity team.

        ## Categories {#categories}

        Stage 2 hypertension is a blood pressure of 140/90 mmHg or higher; 95 diastolic is stage 2.
        """)
    index = GuidelineIndex(open_chroma(path=tmp_path / "c"), embed_model=minilm)
    index.build(load_corpus(root))
    retriever = HybridRetriever(index)
    ranked = [pid for pid, _ in retriever.lexical("is 150/95 stage 2")]
    assert ranked[0] == "demo-bp#categories"
    # The key's words still count: only its made-up numbers are ignored.
    assert [pid for pid, _ in retriever.lexical("weeks pregnant dangerous")][0] == "demo-bp#pregnancy"
