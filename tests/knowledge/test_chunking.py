"""Passages become embedding chunks at sentence boundaries, never mid-sentence."""

from __future__ import annotations

from knowledge.chunking import chunk_passage, split_sentences
from knowledge.models import Passage


def make_passage(text: str) -> Passage:
    return Passage(id="demo#p", document_id="demo", document_title="Demo", issuer="I", source_document="S",
                   edition="1", section="1", url="https://example.org", region="us", conditions=("htn",),
                   heading_path=("Demo", "Heading"), text=text, path="demo.md", line=1)


def test_decimals_abbreviations_and_units_do_not_end_a_sentence():
    text = ("HbA1c of 6.5% (48 mmol/mol) or more, e.g. on two tests, means diabetes. Fasting glucose of "
            "7.0 mmol/L (126 mg/dL) also counts. Is it high? Ask your clinician.")
    assert split_sentences(text) == [
        "HbA1c of 6.5% (48 mmol/mol) or more, e.g. on two tests, means diabetes.",
        "Fasting glucose of 7.0 mmol/L (126 mg/dL) also counts.",
        "Is it high?",
        "Ask your clinician.",
    ]


def test_list_items_are_units():
    assert split_sentences("Targets:\n- below 130/80 mmHg;\n- LDL below 1.8 mmol/L.") == [
        "Targets:", "- below 130/80 mmHg;", "- LDL below 1.8 mmol/L."]


def test_short_passage_is_one_chunk_with_heading_context():
    (chunk,) = chunk_passage(make_passage("Sit for five minutes. Measure twice."))
    assert chunk.id == "demo#p::0" and chunk.passage_id == "demo#p"
    assert chunk.embed_text == "Demo > Heading\nSit for five minutes.\nMeasure twice."


def test_long_passage_splits_only_between_sentences():
    sentences = [f"Sentence number {i} talks about blood pressure readings at home today." for i in range(40)]
    chunks = chunk_passage(make_passage(" ".join(sentences)), max_words=50)
    assert len(chunks) > 1
    rebuilt = []
    for chunk in chunks:
        parts = chunk.text.split("\n")
        assert all(part in sentences for part in parts)  # whole sentences only
        assert len(chunk.text.split()) <= 50
        rebuilt.extend(parts)
    assert rebuilt == sentences  # nothing lost, order kept
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_a_sentence_longer_than_the_limit_stays_whole():
    long_sentence = "Long " + " ".join(["word"] * 80) + "."
    chunks = chunk_passage(make_passage(f"Short one. {long_sentence} Another short one."), max_words=30)
    assert [c.text for c in chunks] == ["Short one.", long_sentence, "Another short one."]


def test_asked_as_questions_become_question_chunks_of_the_passage():
    passage = make_passage("Sit for five minutes. Measure twice.").model_copy(
        update={"asked_as": ("how do I check my bp at home?", "should I rest first?")})
    chunks = chunk_passage(passage)
    assert [(c.id, c.kind, c.embed_text) for c in chunks] == [
        ("demo#p::0", "text", "Demo > Heading\nSit for five minutes.\nMeasure twice."),
        ("demo#p::q", "question", "how do I check my bp at home?\nshould I rest first?"),
    ]
    assert {c.passage_id for c in chunks} == {"demo#p"}
