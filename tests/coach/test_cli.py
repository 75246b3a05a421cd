"""`coach check / index / search` as a user runs them: clear output, clear errors, no tracebacks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path, mini_corpus, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COACH_KNOWLEDGE__GUIDELINES_DIR", str(mini_corpus))
    return mini_corpus


def test_check_reports_ok(env):
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0 and "4 documents, 5 passages: OK" in result.output


def test_check_names_file_line_and_problem(env):
    path = env / "demo-bp-us.md"
    path.write_text(path.read_text().replace("region: us", "region: atlantis"))
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "demo-bp-us.md:10: unknown region 'atlantis'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_index_then_search_prints_ranked_cited_passages(env):
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    assert "Index built: 5 passages in 5 chunks (5 embedded, 0 reused, 0 removed)" in result.output
    again = runner.invoke(app, ["index"])
    assert "Index unchanged" in again.output and "(0 embedded, 5 reused" in again.output

    result = runner.invoke(app, ["search", "is 150/95 stage 2?", "--region", "us", "--condition", "hypertension"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("1. demo-bp-us#bp-categories  score ")
    assert ("Source: Demo Guideline Society (2024), section 3.3, Table 6 — https://example.org/demo-bp-us"
            in result.output)

    result = runner.invoke(app, ["search", "uric acid", "--region", "cn", "--json"])
    payload = json.loads(result.output)
    assert [p["id"] for p in payload["passages"]][0] == "demo-gout-cn#purines"
    assert {p["region"] for p in payload["passages"]} <= {"cn", "global"}


@pytest.mark.slow
def test_bad_corpus_leaves_the_index_usable(env):
    assert runner.invoke(app, ["index"]).exit_code == 0
    path = env / "demo-lipids-eu.md"
    path.write_text(path.read_text().replace("## LDL cholesterol goals {#ldl-goals}", "## LDL {#Bad Id}"))
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 2
    assert "demo-lipids-eu.md:17: passage id 'Bad Id' is not valid" in result.output
    assert "searches still use the last good build" in result.output
    result = runner.invoke(app, ["search", "LDL goal very high risk"])
    assert result.exit_code == 0 and "demo-lipids-eu#ldl-goals" in result.output


@pytest.mark.parametrize("args, message", [
    (["search", "   "], "The question is empty"),
    (["search", "bp", "--region", "mars"], "unknown region 'mars'; use one of us, eu, cn, global"),
    (["search", "bp", "--condition", "asthma"], "unknown condition 'asthma'"),
])
def test_bad_search_input_gets_a_clear_message(env, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_search_before_index_says_what_to_do(env):
    result = runner.invoke(app, ["search", "blood pressure"])
    assert result.exit_code == 2 and "run `coach index`" in result.output


@pytest.mark.slow
def test_very_long_query_is_searched_with_a_note(env):
    runner.invoke(app, ["index"])
    result = runner.invoke(app, ["search", "gout " * 1000])
    assert result.exit_code == 0
    assert "only the first 2,000 were searched" in result.output


def test_check_names_a_passage_that_does_not_say_what_it_answers(env):
    path = env / "demo-lipids-eu.md"
    path.write_text(path.read_text().replace("Answers: target\n", "Medicines: statin, notadrug\n"))
    result = runner.invoke(app, ["check"])
    assert result.exit_code != 0
    assert "passage demo-lipids-eu#ldl-goals has no 'Answers:' line" in result.output
    assert "'Medicines:' names ['notadrug']" in result.output
