"""The scenario loader (valid and invalid files), HealthBench JSONL input, the JSON Schema, bad-input exit codes."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.evaluation.healthbench import load_healthbench
from coach.evaluation.runner import check_ids, select
from coach.evaluation.scenario import (
    ScenarioError, fixture_readings, json_schema, load_scenario, load_scenarios,
)
from coach.models import Indicator
from tests.conftest import REPO

SAMPLE = Path(__file__).parent / "fixtures" / "healthbench-sample.jsonl"
NOW = dt.datetime(2026, 11, 22, 14, 0)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.messages


GOOD = """\
    name: bp-follow-up
    tags: [hypertension, us]
    profile: _shared/pat.profile.yaml
    include: [_shared/greeting.include.yaml]
    turns:
      - user: my bp this morning was 150/95
        expect:
          escalation: none
          indicators: {bp: stage_2}
          cites: {any_of: [htn-acc-aha-2017]}
          reading_recorded: [{indicator: systolic_bp, value: 150}]
"""
PROFILE = """\
    profile: {id: pat, display_name: Pat, region: us, sex: female, height_cm: 165}
    readings:
      - {indicator: systolic_bp, value: "138/88", unit: mmHg, at: "-3d07:30", context: home}
      - {indicator: fasting_glucose, value: 110, unit: mg/dL, at: "-2d"}
      - {indicator: weight, value: 176, unit: lb, at: "2026-11-01T08:00"}
"""
GREETING = """\
    turns:
      - user: hello
"""


@pytest.fixture
def suite(tmp_path) -> Path:
    write(tmp_path, "_shared/pat.profile.yaml", PROFILE)
    write(tmp_path, "_shared/greeting.include.yaml", GREETING)
    write(tmp_path, "bp-follow-up.yaml", GOOD)
    return tmp_path


def test_a_valid_scenario_with_profile_file_and_include(suite):
    loaded = load_scenario(suite / "bp-follow-up.yaml")
    assert loaded.fixture.profile.id == "pat"
    assert [t.user for t in loaded.turns] == ["hello", "my bp this morning was 150/95"]
    assert loaded.turn_paths == ["include[0] (greeting.include.yaml) turns[0]", "turns[0]"]
    assert list(loaded.turns[1].expect.indicators) == ["blood_pressure"]  # the alias 'bp' resolved
    readings = fixture_readings(loaded.fixture, NOW)
    shown = [(r.indicator, r.value, r.measured_at) for r in readings]
    assert shown[:2] == [(Indicator.systolic_bp, 138, dt.datetime(2026, 11, 19, 7, 30)),
                         (Indicator.diastolic_bp, 88, dt.datetime(2026, 11, 19, 7, 30))]
    assert readings[2].value == pytest.approx(6.1057, abs=1e-3) and readings[2].entered_unit == "mg/dL"
    assert readings[3].value == pytest.approx(79.83, abs=0.01)
    assert readings[3].measured_at == dt.datetime(2026, 11, 1, 8)
    assert [s.scenario.name for s in load_scenarios([suite])] == ["bp-follow-up"]  # _shared/ is not a scenario


def test_the_shipped_first_scenario_loads():
    loaded = load_scenario(REPO / "scenarios" / "htn-stage2-two-readings-us.yaml")
    assert loaded.fixture.profile.id == "sam" and loaded.turns[0].expect.cites.all_of


@pytest.mark.parametrize("text, expected", [
    ("name: x\nturns:\n  - user: hi\n    expect: {escalation: none\n",
     "line 5, column 1: not valid YAML (expected ',' or '}'"),
    ("- just a list", "(top level): a scenario is a mapping with `name` and `turns`"),
    ("name: Bad Name\nturns: [{user: hi}]", "name: String should match pattern"),
    ("name: x", "(top level): a scenario needs `turns`, an `include`, or a `persona` and `goal`"),
    ("name: x\nturns:\n  - user: hi\n  - user: there\n    expect: {citez: [a]}",
     "turns[1].expect.citez: Extra inputs are not permitted"),
    ("name: x\nturns:\n  - user: hi\n    expect: {escalation: high}",
     "turns[0].expect.escalation: Input should be 'none', 'routine', 'urgent' or 'emergency'"),
    ("name: x\nturns:\n  - user: hi\n    expect: {says: [ok, '(unclosed']}",
     "turns[0].expect.says: item 1: '(unclosed' is not a regular expression"),
    ("name: x\nturns:\n  - user: hi\n    expect: {indicators: {pulse: high}}",
     "turns[0].expect.indicators: unknown indicator 'pulse'"),
    ("name: x\nturns:\n  - user: hi\n    expect: {indicators: {bp: stage2}}",
     "turns[0].expect.indicators.blood_pressure.status: 'stage2' is not a status of blood_pressure; use one of"),
    ("name: x\nturns:\n  - user: hi\n    expect: {indicators: {systolic_bp: high}}",
     "turns[0].expect.indicators.systolic_bp: the coach grades no 'systolic_bp' finding"),
    ("name: x\nprofile:\n  profile: {id: p1, display_name: P}\n  readings:\n"
     "    - {indicator: systolic_bp, value: 400, unit: mmHg}\nturns: [{user: hi}]",
     "profile.readings[0]: systolic blood pressure: 400 mmHg is outside the accepted range 50-300 mmHg"),
    ("name: x\nprofile:\n  profile: {id: p1, display_name: P}\n  readings:\n"
     "    - {indicator: weight, value: 80, unit: kg, at: yesterday}\nturns: [{user: hi}]",
     "profile.readings[0].at: 'yesterday' is not a time: use '-3d'"),
])
def test_invalid_files_name_the_file_the_yaml_path_and_the_problem(tmp_path, text, expected):
    path = write(tmp_path, "bad.yaml", text)
    messages = problems_of(path)
    assert any(m.startswith(f"{path}: ") and expected in m for m in messages), messages


def test_problems_in_profile_files_and_includes_name_them(suite):
    write(suite, "_shared/pat.profile.yaml", PROFILE.replace("unit: lb", "unit: stone"))
    (message,) = problems_of(suite / "bp-follow-up.yaml")
    assert message == (f"{suite / 'bp-follow-up.yaml'}: profile (pat.profile.yaml) readings[2]: weight: unit 'stone' "
                       "is not accepted; use kg or lb")
    write(suite, "_shared/greeting.include.yaml", "turns:\n  - usr: hello\n")
    (message,) = problems_of(suite / "bp-follow-up.yaml")[-1:]
    assert message.endswith("include[0] (greeting.include.yaml) turns[0].usr: Extra inputs are not permitted")


def test_missing_profile_and_include_files_are_named_with_the_scenario(suite):
    (suite / "_shared" / "pat.profile.yaml").unlink()
    (message,) = problems_of(suite / "bp-follow-up.yaml")
    assert message == f"{suite / 'bp-follow-up.yaml'}: profile ({suite / '_shared/pat.profile.yaml'}): file not found"
    write(suite, "_shared/pat.profile.yaml", PROFILE)
    (suite / "_shared" / "greeting.include.yaml").unlink()
    (message,) = problems_of(suite / "bp-follow-up.yaml")
    assert message.endswith(f"include[0] ({suite / '_shared/greeting.include.yaml'}): file not found")


def test_every_bad_file_is_listed_and_names_are_unique(suite):
    write(suite, "copy.yaml", GOOD)
    write(suite, "broken.yaml", "name: broken\nturns: [{user: hi, expect: {escalation: maybe}}]")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([suite])
    messages = caught.value.messages
    assert any(m.startswith(str(suite / "broken.yaml")) and "turns[0].expect.escalation" in m for m in messages)
    assert any("name: 'bp-follow-up' is also used by" in m for m in messages)
    assert len(messages) == 2


def test_cited_ids_must_exist_in_the_corpus(suite):
    typo = "htn-acc-aha-2017#" + "bp-categoriez"  # built here, so the repository's id check does not see it
    check_ids(load_scenarios([suite]), {"htn-acc-aha-2017#bp-categories"})  # a document id is fine
    write(suite, "bp-follow-up.yaml", GOOD.replace("any_of: [htn-acc-aha-2017]",
                                                   f"any_of: [htn-acc-aha-2017, '{typo}']"))
    with pytest.raises(ScenarioError) as caught:
        check_ids(load_scenarios([suite]), {"htn-acc-aha-2017#bp-categories", "gout-acr-2020#ult-strong-indications"})
    assert caught.value.messages == [
        f"{suite / 'bp-follow-up.yaml'}: turns[0].expect.cites.any_of[1]: no passage "
        f"'{typo}' in the guideline corpus"]


def test_tags_select_scenarios(suite):
    loaded = load_scenarios([suite])
    assert select(loaded, ["us"]) == loaded and select(loaded, ["gout", "diabetes"]) == []
    assert select(loaded, []) == loaded


def test_healthbench_records_become_scenarios():
    loaded = load_healthbench(SAMPLE)
    assert [s.scenario.name for s in loaded] == ["hb-sample-bp-home-0001", "hb-sample-gout-beer-0002",
                                                 "healthbench-sample-3"]
    gout = loaded[1]
    assert [t.user for t in gout.turns] == ["I had my first gout attack last month.",
                                            "Can I still drink beer on weekends?"]
    assert gout.turns[0].expect.rubric == [] and [r.points for r in gout.turns[1].expect.rubric] == [5, -6]
    assert gout.turn_paths == ["line 2: prompt[1]", "line 2: prompt[3]"]
    assert gout.scenario.tags == ["healthbench", "theme:gout"] and gout.fixture is None
    assert [s.scenario.name for s in load_scenarios([SAMPLE])] == [s.scenario.name for s in loaded]


def test_bad_healthbench_lines_are_named(tmp_path):
    path = write(tmp_path, "hb.jsonl", "\n".join([
        json.dumps({"prompt": [{"role": "user", "content": "hi"}], "rubrics": [{"criterion": "ok?", "points": 1}]}),
        "{not json",
        json.dumps({"prompt": [{"role": "doctor", "content": "hi"}], "rubrics": []}),
        json.dumps({"prompt": [{"role": "assistant", "content": "hi"}],
                    "rubrics": [{"criterion": "abc", "points": 1}]}),
    ]))
    with pytest.raises(ScenarioError) as caught:
        load_healthbench(path)
    messages = caught.value.messages
    assert messages[0].startswith(f"{path}: line 2: not valid JSON")
    assert f"{path}: line 3: prompt[0].role: Input should be 'system', 'developer', 'user' or 'assistant'" in messages
    assert f"{path}: line 3: rubrics: List should have at least 1 item after validation, not 0" in messages
    assert f"{path}: line 4: prompt: no user message" in messages


def test_the_committed_json_schema_is_up_to_date():
    committed = json.loads((REPO / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "regenerate it: coach eval schema --out scenarios/scenario.schema.json"


def test_schema_command_prints_and_writes(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(app, ["eval", "schema"])
    assert printed.exit_code == 0 and json.loads(printed.output) == json_schema()
    written = runner.invoke(app, ["eval", "schema", "--out", str(tmp_path / "s.json")])
    assert written.exit_code == 0 and json.loads((tmp_path / "s.json").read_text()) == json_schema()


def test_bad_input_exits_2_with_one_line_per_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    write(tmp_path, "a.yaml", "name: a\nturns: [{user: hi, expect: {escalation: maybe}}]")
    write(tmp_path, "b.yaml", "name: b\nturns: [{user: hi, expect: {says: ['(']}}]")
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 2
    assert f"{tmp_path / 'a.yaml'}: turns[0].expect.escalation" in lines[0]
    assert f"{tmp_path / 'b.yaml'}: turns[0].expect.says" in lines[1]
    assert CliRunner().invoke(app, ["eval", str(tmp_path / "missing.yaml")]).exit_code == 2
    assert CliRunner().invoke(app, ["eval", str(tmp_path), "--backend", "gpt"]).exit_code == 2
