"""`coach profile`, `coach reading add` and `coach ask` as a person uses them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_profile_create_show_and_errors(env):
    result = runner.invoke(app, ["profile", "create", "mei", "--name", "Mei", "--region", "cn", "--sex", "female",
                                 "--height", "158", "--condition", "htn", "--medication", "amlodipine:CCB"])
    assert result.exit_code == 0 and "Created profile mei (Mei, region cn, tier basic)." in result.output
    shown = runner.invoke(app, ["profile", "show", "mei"])
    assert '"region": "cn"' in shown.output and '"drug_class": "CCB"' in shown.output
    again = runner.invoke(app, ["profile", "create", "mei", "--name", "Mei"])
    assert again.exit_code == 2 and "a profile with id 'mei' already exists" in again.output
    bad = runner.invoke(app, ["profile", "create", "Bad Id", "--name", "X", "--region", "mars"])
    assert bad.exit_code == 2 and "id: String should match pattern '^[a-z0-9][a-z0-9_-]{1,63}$'" in bad.output
    assert "region: Input should be 'global', 'us', 'eu' or 'cn'" in bad.output
    missing = runner.invoke(app, ["profile", "show", "nobody"])
    assert missing.exit_code == 2 and "no profile with id 'nobody'" in missing.output
    premium = runner.invoke(app, ["profile", "create", "ann", "--name", "Ann", "--tier", "premium"])
    assert premium.exit_code == 0 and "tier premium" in premium.output
    assert runner.invoke(app, ["profile", "set-tier", "mei", "professional"]).output.strip() == (
        "Profile mei: tier basic -> professional.")
    assert '"tier": "professional"' in runner.invoke(app, ["profile", "show", "mei"]).output
    wrong = runner.invoke(app, ["profile", "set-tier", "mei", "gold"])
    assert wrong.exit_code == 2 and "unknown tier 'gold'" in wrong.output
    wrong = runner.invoke(app, ["profile", "create", "bob", "--name", "Bob", "--tier", "gold"])
    assert wrong.exit_code == 2 and "tier: Input should be 'basic', 'professional' or 'premium'" in wrong.output


def test_reading_add_records_and_refuses(env):
    runner.invoke(app, ["profile", "create", "sam", "--name", "Sam", "--region", "us"])
    ok = runner.invoke(app, ["reading", "add", "sam", "bp 150/95 and fasting glucose 110 mg/dL"])
    assert ok.exit_code == 0
    assert "Recorded systolic_bp 150 mmHg" in ok.output
    assert "Recorded fasting_glucose 6.1057 mmol/L (entered 110 mg/dL)" in ok.output
    bad = runner.invoke(app, ["reading", "add", "sam", "bp 80/120"])
    assert bad.exit_code == 2 and "the diastolic (lower) value 120 must be below the systolic" in bad.output
    none = runner.invoke(app, ["reading", "add", "sam", "hello there"])
    assert none.exit_code == 2 and "no reading found in that text" in none.output
    shown = runner.invoke(app, ["profile", "show", "sam"])
    assert shown.output.count("chat") == 3  # the refused ones were not stored


@pytest.mark.slow
def test_ask_prints_answer_evidence_and_json(env, guideline_index, monkeypatch):
    import coach.assembly as assembly
    from knowledge.retrieve import HybridRetriever

    # Reuse the session's real index instead of building another (same code path otherwise).
    monkeypatch.setattr(assembly.KnowledgeBase, "retriever", property(lambda self: HybridRetriever(guideline_index)))
    runner.invoke(app, ["profile", "create", "sam", "--name", "Sam", "--region", "us"])
    result = runner.invoke(app, ["ask", "my blood pressure this morning was 152/96, is that high?", "--profile", "sam"])
    assert result.exit_code == 0, result.output
    assert "Stage 2 hypertension" in result.output and "htn-acc-aha-2017#bp-categories" in result.output
    assert "backend composer; verification passed" in result.output
    emergency = runner.invoke(app, ["ask", "crushing chest pain and my left arm is numb", "--json"])
    reply = json.loads(emergency.output)
    assert reply["escalation"]["level"] == "emergency" and reply["backend"] == "composer"
    unknown = runner.invoke(app, ["ask", "hi", "--region", "mars"])
    assert unknown.exit_code == 2 and "unknown region 'mars'" in unknown.output
    nobody = runner.invoke(app, ["ask", "hi", "--profile", "ghost"])
    assert nobody.exit_code == 2 and "no profile with id 'ghost'" in nobody.output


@pytest.mark.slow
def test_chat_keeps_the_conversation(env, guideline_index, monkeypatch):
    import coach.assembly as assembly
    from coach.profile.store import ProfileStore
    from coach.settings import load_settings
    from knowledge.retrieve import HybridRetriever

    monkeypatch.setattr(assembly.KnowledgeBase, "retriever", property(lambda self: HybridRetriever(guideline_index)))
    runner.invoke(app, ["profile", "create", "sam", "--name", "Sam", "--region", "us"])
    result = runner.invoke(app, ["chat", "--profile", "sam"],
                           input="my bp this morning was 150/95\nand how much salt is ok?\nquit\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("backend composer") == 2
    assert "I've recorded your blood pressure 150/95 mmHg" in result.output
    assert "sodium" in result.output.lower()
    readings = ProfileStore(load_settings().database).readings("sam")
    assert [r.value for r in readings] == [150, 95]


def test_a_clinicians_risk_category_is_checked_and_stored(env):
    bad = runner.invoke(app, ["profile", "create", "lena", "--name", "Lena", "--region", "eu", "--cv-risk", "huge"])
    assert bad.exit_code == 2 and "cv_risk: Input should be 'low', 'moderate', 'high'" in bad.output
    made = runner.invoke(app, ["profile", "create", "lena", "--name", "Lena", "--region", "eu", "--cv-risk", "high"])
    assert made.exit_code == 0
    shown = runner.invoke(app, ["profile", "show", "lena"])
    assert '"cv_risk": "high"' in shown.output
