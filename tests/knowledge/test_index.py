"""Incremental, crash-safe indexing into a real embedded Chroma with the real MiniLM model."""

from __future__ import annotations

import pytest

from knowledge.corpus import CorpusError, load_corpus
from knowledge.index import GuidelineIndex
from knowledge.retrieve import HybridRetriever
from knowledge.store import open_chroma
from tests.conftest import CountingEmbedding, EmbeddingInterrupted, write_doc

pytestmark = pytest.mark.slow


@pytest.fixture
def chroma(tmp_path):
    return open_chroma(path=tmp_path / "chroma")


def test_first_build_embeds_every_chunk_and_queries_find_them(chroma, mini_corpus, minilm):
    model = CountingEmbedding(minilm)
    stats = GuidelineIndex(chroma, embed_model=model).build(load_corpus(mini_corpus))
    assert (stats.passages, stats.chunks, stats.embedded, stats.reused) == (5, 5, 5, 0)
    assert len(model.embedded_texts) == 5
    retriever = HybridRetriever(GuidelineIndex(chroma, embed_model=minilm))
    top = retriever.search("how do I measure my blood pressure at home?").passages[0]
    assert top.id == "demo-bp-us#home-measurement"
    assert top.section == "Section 1" and top.issuer == "Demo Guideline Society"


def test_unchanged_corpus_does_no_embedding_work(chroma, mini_corpus, minilm):
    GuidelineIndex(chroma, embed_model=minilm).build(load_corpus(mini_corpus))
    model = CountingEmbedding(minilm)
    index = GuidelineIndex(chroma, embed_model=model)
    before = index.state()["collection"]
    stats = index.build(load_corpus(mini_corpus))
    assert stats.unchanged and stats.embedded == 0 and model.embedded_texts == []
    assert index.state()["collection"] == before


def test_changed_passage_is_re_embedded_alone(chroma, mini_corpus, minilm):
    GuidelineIndex(chroma, embed_model=minilm).build(load_corpus(mini_corpus))
    path = mini_corpus / "demo-lipids-eu.md"
    path.write_text(path.read_text().replace("below 1.8 mmol/L (70 mg/dL)", "below 1.8 mmol/L (70 mg/dL) too"))
    model = CountingEmbedding(minilm)
    index = GuidelineIndex(chroma, embed_model=model)
    stats = index.build(load_corpus(mini_corpus))
    assert (stats.embedded, stats.reused, stats.removed) == (1, 4, 0)
    assert len(model.embedded_texts) == 1 and "70 mg/dL) too" in model.embedded_texts[0]
    stored = {ic.passage.id: ic.passage.text for ic in index.load()}
    assert stored["demo-lipids-eu#ldl-goals"].endswith("70 mg/dL) too.")


def test_metadata_only_change_rewrites_without_embedding(chroma, mini_corpus, minilm):
    GuidelineIndex(chroma, embed_model=minilm).build(load_corpus(mini_corpus))
    path = mini_corpus / "demo-gout-cn.md"
    path.write_text(path.read_text().replace("section: Section 1", "section: Section 4.2"))
    model = CountingEmbedding(minilm)
    index = GuidelineIndex(chroma, embed_model=model)
    stats = index.build(load_corpus(mini_corpus))
    assert not stats.unchanged and stats.embedded == 0
    assert {ic.passage.id: ic.passage.section for ic in index.load()}["demo-gout-cn#purines"] == "Section 4.2"


def test_deleted_document_disappears(chroma, mini_corpus, minilm):
    index = GuidelineIndex(chroma, embed_model=minilm)
    index.build(load_corpus(mini_corpus))
    (mini_corpus / "demo-bp-us.md").unlink()
    stats = index.build(load_corpus(mini_corpus))
    assert stats.removed == 2 and stats.embedded == 0
    ids = {ic.passage.id for ic in index.load()}
    assert not any(i.startswith("demo-bp-us#") for i in ids) and len(ids) == 3
    results = HybridRetriever(index).search("stage 1 hypertension blood pressure categories", top_k=5)
    assert all(not p.id.startswith("demo-bp-us#") for p in results.passages)


def test_interrupted_build_leaves_the_last_good_index_in_use(chroma, mini_corpus, minilm):
    index = GuidelineIndex(chroma, embed_model=minilm)
    index.build(load_corpus(mini_corpus))
    good = index.state()["collection"]
    write_doc(mini_corpus, "demo-new-a", "## New A {#a}\n\nA brand new passage about waist size.\n")
    write_doc(mini_corpus, "demo-new-b", "## New B {#b}\n\nAnother new passage about sleep.\n")
    broken = GuidelineIndex(chroma, embed_model=CountingEmbedding(minilm, fail_after=1))
    with pytest.raises(EmbeddingInterrupted):
        broken.build(load_corpus(mini_corpus), progress=None)
    assert index.state()["collection"] == good
    assert len(index.load()) == 5  # still the old, complete generation
    assert HybridRetriever(index).search("stroke warning signs").passages[0].id == "demo-red-flags#stroke"
    # A build that dies after creating its collection leaves it unmarked; the next build removes it.
    chroma.create_collection(f"{index.name}-g00000000000000-dead00", embedding_function=None,
                             metadata={"complete": False})
    stats = index.build(load_corpus(mini_corpus))
    assert stats.embedded == 2 and len(index.load()) == 7
    assert f"{index.name}-g00000000000000-dead00" not in [c.name for c in chroma.list_collections()]


def test_bad_corpus_never_reaches_the_index(chroma, mini_corpus, minilm, tmp_path):
    from coach.assembly import build_knowledge_base
    from coach.settings import load_settings
    settings = load_settings(data_dir=tmp_path / "data", knowledge={"guidelines_dir": mini_corpus})
    kb = build_knowledge_base(settings, embed_model=minilm)
    kb.build_index()
    good = kb.index.state()["collection"]
    bad = mini_corpus / "demo-bp-us.md"
    bad.write_text(bad.read_text().replace("region: us", "region: narnia"))
    with pytest.raises(CorpusError) as info:
        kb.build_index()
    assert "demo-bp-us.md:10: unknown region 'narnia'" in str(info.value)
    assert kb.index.state()["collection"] == good
    assert kb.retriever.search("blood pressure categories").passages[0].id == "demo-bp-us#bp-categories"


def test_old_generations_are_pruned(chroma, mini_corpus, minilm):
    index = GuidelineIndex(chroma, embed_model=minilm)
    for _ in range(3):
        index.build(load_corpus(mini_corpus), force=True)
    generations = [c.name for c in chroma.list_collections() if c.name.startswith("guidelines-g")]
    assert len(generations) == 2 and index.state()["collection"] in generations


def test_asked_as_questions_lead_to_their_passage(chroma, tmp_path, minilm):
    root = tmp_path / "g"
    write_doc(root, "demo-bp", """
        ## Grades {#grades}
        Asked as: my reading was 152/96 at the surgery, what does that mean for me?

        Grade 1 hypertension is an office reading of 140-159 mmHg systolic or 90-99 mmHg diastolic.

        ## Crisis {#crisis}

        A reading of 180/120 mmHg or more with chest pain, confusion or weakness needs emergency care.
        """)
    index = GuidelineIndex(chroma, embed_model=minilm)
    stats = index.build(load_corpus(root))
    assert stats.chunks == 3  # two text chunks and one question chunk
    results = HybridRetriever(index).search("the surgery said 152/96, what does it mean?")
    assert [p.id for p in results.passages][0] == "demo-bp#grades"
    assert "Asked as" not in results.passages[0].text


def test_a_running_retriever_moves_to_a_generation_built_elsewhere(chroma, mini_corpus, minilm):
    GuidelineIndex(chroma, embed_model=minilm).build(load_corpus(mini_corpus))
    retriever = HybridRetriever(GuidelineIndex(chroma, embed_model=minilm), recheck_seconds=0)
    assert retriever.search("waist size").passages[0].id != "demo-new#waist"
    # Another process rebuilds twice: the generation the retriever loaded is deleted on the way.
    other = GuidelineIndex(chroma, embed_model=minilm)
    write_doc(mini_corpus, "demo-new", "## Waist {#waist}\n\nMeasure your waist size at the navel.\n")
    other.build(load_corpus(mini_corpus))
    other.build(load_corpus(mini_corpus), force=True)
    assert retriever.search("waist size").passages[0].id == "demo-new#waist"


def test_every_node_carries_its_citation_metadata(chroma, mini_corpus, minilm):
    index = GuidelineIndex(chroma, embed_model=minilm)
    index.build(load_corpus(mini_corpus))
    got = index.active_collection().get(include=["metadatas"])
    assert len(got["ids"]) == 5
    for meta in got["metadatas"]:
        for key in ("passage_id", "document_id", "document_title", "issuer", "edition", "section", "url",
                    "heading_path", "region", "passage_json"):
            assert meta[key], (key, meta)
