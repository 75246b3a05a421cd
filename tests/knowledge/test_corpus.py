"""Parsing guideline markdown into passages, and the errors a broken file gets."""

from __future__ import annotations

import pytest

from knowledge.corpus import CorpusError, load_corpus, parse_document
from tests.conftest import write_doc


def test_passages_carry_ids_headings_sources_and_metadata(mini_corpus):
    corpus = load_corpus(mini_corpus)
    assert [d.meta.id for d in corpus.documents] == ["demo-bp-us", "demo-gout-cn", "demo-lipids-eu",
                                                      "demo-red-flags"]
    p = corpus.passage("demo-bp-us#bp-categories")
    assert p.heading_path == ("demo-bp-us", "Blood pressure categories")
    assert p.section == "3.3, Table 6"  # the passage's own Source section line
    assert corpus.passage("demo-bp-us#home-measurement").section == "Section 1"  # document default
    assert p.region == "us" and p.conditions == ("htn",)
    assert p.issuer == "Demo Guideline Society" and p.edition == "2024"
    assert p.text.startswith("Under the demo US guideline") and "Source section" not in p.text
    assert p.line == 17 and p.path.endswith("demo-bp-us.md")


def test_ids_survive_edits_elsewhere_in_the_file(tmp_path):
    body = """
        ## First {#first}

        One sentence here.

        ## Second {#second}

        Another sentence.
        """
    write_doc(tmp_path, "demo-doc", body)
    before = {p.id: p.text for p in load_corpus(tmp_path).passages}
    write_doc(tmp_path, "demo-doc", """
        ## A new section at the top {#new-top}

        Inserted text.

        ## First, renamed heading {#first}

        One sentence here, edited.

        ## Second {#second}

        Another sentence.
        """)
    after = {p.id: p.text for p in load_corpus(tmp_path).passages}
    assert set(before) < set(after)
    assert after["demo-doc#second"] == before["demo-doc#second"]


def test_grouping_heading_and_nested_passages(tmp_path):
    write_doc(tmp_path, "demo-doc", """
        ## Targets

        ### Office target {#office}

        Aim below 130/80 mmHg.

        ### Home target {#home}
        Conditions: htn, diabetes

        Aim below 130/80 mmHg at home too.
        """)
    corpus = load_corpus(tmp_path)
    home = corpus.passage("demo-doc#home")
    assert home.heading_path == ("demo-doc", "Targets", "Home target")
    assert home.conditions == ("htn", "diabetes")
    assert corpus.passage("demo-doc#office").conditions == ("htn",)


def test_headings_inside_code_fences_are_text(tmp_path):
    write_doc(tmp_path, "demo-doc", """
        ## Example {#example}

        ```
        ## not a heading {#nope}
        ```
        """)
    corpus = load_corpus(tmp_path)
    assert [p.id for p in corpus.passages] == ["demo-doc#example"]


def _problems(tmp_path) -> list[str]:
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    return [str(issue) for issue in info.value.issues]


def test_duplicate_passage_id_names_file_and_both_lines(tmp_path):
    write_doc(tmp_path, "demo-doc", """
        ## One {#same}

        Text.

        ## Two {#same}

        Text.
        """)
    (problem,) = _problems(tmp_path)
    assert problem == ("demo-doc.md:21: duplicate passage id demo-doc#same (first used on line 17)"
                       .replace("demo-doc.md", f"{tmp_path.name}/demo-doc.md"))


def test_heading_with_text_but_no_id(tmp_path):
    write_doc(tmp_path, "demo-doc", """
        ## Has an id {#ok}

        Text.

        ## Forgot the id

        This text would be uncitable.
        """)
    (problem,) = _problems(tmp_path)
    assert problem.endswith("demo-doc.md:21: heading has text but no passage id; end it with {#anchor}")


@pytest.mark.parametrize("anchor", ["Bad_Anchor", "has space", "-leading"])
def test_invalid_anchor(tmp_path, anchor):
    write_doc(tmp_path, "demo-doc", f"""
        ## Heading {{#{anchor}}}

        Text.
        """)
    (problem,) = _problems(tmp_path)
    assert f"passage id {anchor!r} is not valid" in problem and ":17:" in problem


def test_unknown_region_names_the_line(tmp_path):
    write_doc(tmp_path, "demo-doc", "## A {#a}\n\nText.\n", region="mars")
    (problem,) = _problems(tmp_path)
    assert problem.endswith("demo-doc.md:10: unknown region 'mars' (use one of global, us, eu, cn)")


def test_broken_yaml_front_matter_names_the_line(tmp_path):
    path = write_doc(tmp_path, "demo-doc", "## A {#a}\n\nText.\n")
    text = path.read_text().replace("issuer: Demo Guideline Society", "issuer: [unclosed")
    path.write_text(text)
    (problem,) = _problems(tmp_path)
    assert "demo-doc.md:" in problem and "front matter is not valid YAML" in problem
    line = int(problem.split(":")[1])
    assert 4 <= line <= 6  # at or just after the broken line 4


def test_missing_front_matter_and_missing_key(tmp_path):
    (tmp_path / "no-front.md").write_text("# Title\n\n## A {#a}\n\nText.\n")
    path = write_doc(tmp_path, "demo-doc", "## A {#a}\n\nText.\n")
    path.write_text(path.read_text().replace("url: https://example.org/demo-doc\n", ""))
    problems = _problems(tmp_path)
    assert any(p.endswith("no-front.md:1: missing YAML front matter (the file must start with '---')")
               for p in problems)
    assert any("demo-doc.md:1: front matter is missing 'url'" in p for p in problems)


def test_unknown_condition_and_unknown_key(tmp_path):
    path = write_doc(tmp_path, "demo-doc", "## A {#a}\n\nText.\n", conditions="[htn, gouty]")
    path.write_text(path.read_text().replace("reviewed:", "colour: blue\nreviewed:"))
    problems = _problems(tmp_path)
    assert any("unknown condition 'gouty'" in p and ":11:" in p for p in problems)
    assert any("unknown front matter key 'colour'" in p and ":12:" in p for p in problems)


def test_file_name_must_match_id_and_ids_are_unique(tmp_path):
    write_doc(tmp_path, "demo-doc", "## A {#a}\n\nText.\n")
    other = write_doc(tmp_path, "demo-other", "## A {#a}\n\nText.\n")
    other.rename(tmp_path / "demo-misnamed.md")
    problems = _problems(tmp_path)
    assert any("demo-misnamed.md:2: document id 'demo-other' does not match the file name "
               "demo-misnamed.md" in p for p in problems)


def test_text_before_first_passage_and_empty_passage(tmp_path):
    write_doc(tmp_path, "demo-doc", """
        An introduction that would never be cited.

        ## Empty {#empty}

        ## Fine {#fine}

        Text.
        """)
    problems = _problems(tmp_path)
    assert any(p.endswith(":17: text between the title and the first passage") for p in problems)
    assert any(p.endswith(":19: passage 'empty' has no text") for p in problems)


def test_every_problem_in_every_file_is_reported_at_once(tmp_path):
    write_doc(tmp_path, "demo-a", "## A {#a}\n\nText.\n", region="moon")
    write_doc(tmp_path, "demo-b", "## B {#b}\n\nText.\n\n## B again {#b}\n\nMore.\n")
    problems = _problems(tmp_path)
    assert len(problems) == 2
    assert any("demo-a.md" in p for p in problems) and any("demo-b.md" in p for p in problems)


def test_parse_document_reports_no_passages():
    text = ("---\nid: demo\ntitle: Demo doc\nissuer: Demo\nsource:\n  document: Demo source\n"
            "  edition: '1'\n  section: '1'\nurl: https://example.org\nregion: us\nconditions: [htn]\n"
            "reviewed: 2026-01-01\n---\n\n# Demo\n")
    doc, issues = parse_document(text, "demo.md")
    assert doc is None and [str(i) for i in issues] == [
        "demo.md:14: document has no passages (headings like '## Title {#anchor}')"]


def test_missing_folder_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="guideline folder not found"):
        load_corpus(tmp_path / "nope")


def test_asked_as_questions_are_search_keys_not_text(tmp_path):
    write_doc(tmp_path, "demo-doc", """
        ## Categories {#categories}
        Source section: Table 6
        Asked as: is 136/84 high? | what stage is my blood pressure?

        Stage 1 is 130-139/80-89 mmHg.
        """)
    p = load_corpus(tmp_path).passage("demo-doc#categories")
    assert p.asked_as == ("is 136/84 high?", "what stage is my blood pressure?")
    assert p.text == "Stage 1 is 130-139/80-89 mmHg." and p.section == "Table 6"


def test_empty_asked_as_is_an_error(tmp_path):
    write_doc(tmp_path, "demo-doc", "## A {#a}\nAsked as:  |  \n\nText.\n")
    (problem,) = _problems(tmp_path)
    assert problem.endswith(":18: 'Asked as:' has no questions (separate them with ' | ')")
