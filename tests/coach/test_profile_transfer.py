"""`coach profile export` / `coach profile import`: JSON round trips between databases, CSV readings, errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.profile.store import ProfileStore, sqlite_url
from coach.profile.transfer import EXPORT_FORMAT, ExportFormatError, ProfileExport, load_export
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)

runner = CliRunner()
CSV = ("Date,Indicator,Value,Unit,Context\n"
       "2026-11-01 07:30,bp,150/95,mmHg,home\n"
       "2026-11-01 07:35,glucose,110,mg/dL,fasting\n"
       "2026-11-02,weight,176,lb,\n")


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COACH_DATABASE_URL", raising=False)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def make_mei():
    created = invoke("profile", "create", "mei", "--name", "Mei 梅", "--region", "cn", "--sex", "female",
                     "--birth-year", "1968", "--height", "158", "--condition", "htn", "--medication", "amlodipine:CCB")
    assert created.exit_code == 0, created.output
    added = invoke("reading", "add", "mei", "bp 148/92 this morning and fasting glucose 110 mg/dL")
    assert added.exit_code == 0, added.output


def stored(url: str):
    store = ProfileStore(url)
    try:
        return store.get_profile("mei"), [r.model_dump(exclude={"id"}) for r in store.readings("mei")]
    finally:
        store.close()


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_export_then_import_into_a_fresh_database_gives_the_same_profile_and_readings(env, monkeypatch, request,
                                                                                        target):
    make_mei()
    assert invoke("profile", "import", env / "r.csv", "--profile", "mei").exit_code == 2  # no such file yet
    (env / "r.csv").write_text(CSV, encoding="utf-8")
    assert invoke("profile", "import", env / "r.csv", "--profile", "mei").exit_code == 0
    source = stored(sqlite_url(env / "data" / "coach.db"))
    exported = invoke("profile", "export", "mei", "--out", env / "mei.json")
    assert exported.exit_code == 0 and f"Exported profile mei with 7 readings to {env / 'mei.json'}." in exported.output

    fresh = sqlite_url(env / "fresh.db") if target == "sqlite" else \
        request.getfixturevalue("postgres_server").create_database()
    monkeypatch.setenv("COACH_DATABASE_URL", fresh)
    imported = invoke("profile", "import", env / "mei.json")
    assert imported.exit_code == 0 and "Imported profile mei (Mei 梅) with 7 readings." in imported.output
    assert stored(fresh) == source
    assert [r["source"] for r in source[1]] == ["import", "import", "import", "import", "chat", "chat", "chat"]


def test_export_to_stdout_is_one_json_document(env):
    make_mei()
    result = invoke("profile", "export", "mei")
    document = json.loads(result.output)
    assert document["format"] == EXPORT_FORMAT and document["profile"]["display_name"] == "Mei 梅"
    assert [r["indicator"] for r in document["readings"]] == ["systolic_bp", "diastolic_bp", "fasting_glucose"]
    assert "id" not in document["readings"][0] and document["readings"][2]["entered_unit"] == "mg/dL"
    assert ProfileExport.model_validate(document).profile.medications[0].drug_class == "CCB"
    missing = invoke("profile", "export", "ghost")
    assert missing.exit_code == 2 and "no profile with id 'ghost'" in missing.output
    unwritable = invoke("profile", "export", "mei", "--out", env / "no" / "such" / "dir.json")
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output and "No such file" in unwritable.output


def test_an_existing_profile_is_replaced_only_when_asked(env):
    make_mei()
    invoke("profile", "export", "mei", "--out", env / "mei.json")
    document = json.loads((env / "mei.json").read_text(encoding="utf-8"))
    document["profile"]["region"] = "us"
    document["readings"] = document["readings"][:2]
    (env / "edited.json").write_text(json.dumps(document), encoding="utf-8")
    refused = invoke("profile", "import", env / "edited.json")
    assert refused.exit_code == 2
    assert "a profile with id 'mei' already exists; nothing was imported (add --replace" in refused.output
    before = stored(sqlite_url(env / "data" / "coach.db"))
    assert before[0].region == "cn" and len(before[1]) == 3
    replaced = invoke("profile", "import", env / "edited.json", "--replace")
    assert replaced.exit_code == 0 and "Replaced profile mei (Mei 梅) with 2 readings." in replaced.output
    after = stored(sqlite_url(env / "data" / "coach.db"))
    assert after[0].region == "us" and [r["indicator"].value for r in after[1]] == ["systolic_bp", "diastolic_bp"]


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["readings"][1].update(value=400),
     "1 invalid value: readings.1: diastolic blood pressure 400 mmHg is outside the accepted range 20-200 mmHg"),
    (lambda d: d["readings"][2].update(unit="mg/dL"),
     "1 invalid value: readings.2: fasting glucose must be stored in mmol/L, not mg/dL"),
    (lambda d: d["profile"].update(id="Bad Id", region="mars"), "2 invalid values: profile.id: String should match "
     "pattern '^[a-z0-9][a-z0-9_-]{1,63}$'; profile.region: Input should be 'global', 'us', 'eu' or 'cn'"),
    (lambda d: d.update(format="coach-profile-export/9"), "not a coach profile export (format "
     "'coach-profile-export/9'; expected 'coach-profile-export/1'); a readings CSV must end in .csv"),
    (lambda d: d.pop("profile"), "1 invalid value: profile: Field required"),
])
def test_an_invalid_export_stores_nothing(env, edit, message):
    make_mei()
    invoke("profile", "export", "mei", "--out", env / "mei.json")
    document = json.loads((env / "mei.json").read_text(encoding="utf-8"))
    edit(document)
    document.get("profile", {})["id"] = document.get("profile", {}).get("id", "x").replace("mei", "li")
    (env / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    result = invoke("profile", "import", env / "bad.json", "--replace")
    assert result.exit_code == 2 and f"{env / 'bad.json'} was not imported: {message}" in result.output
    assert "Traceback" not in result.output
    store = ProfileStore(sqlite_url(env / "data" / "coach.db"))
    assert [p.id for p in store.list_profiles()] == ["mei"] and store.readings("li") == []


@pytest.mark.parametrize("data, message", [
    (b"{", "not JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
    (b"{\"format\": \"caf\xe9\"}", "not UTF-8 text"),
    (b"[1, 2]", "not a coach profile export (format None; expected 'coach-profile-export/1')"),
])
def test_documents_that_are_not_exports(data, message):
    with pytest.raises(ExportFormatError) as info:
        load_export(data)
    assert str(info.value).startswith(message)


def test_csv_import_adds_readings_or_lists_every_problem(env):
    make_mei()
    bad = env / "bad.csv"
    bad.write_text("indicator,value,unit,measured_at\nsystolic_bp,150,mmHg,2026-11-01\n"
                   "systolic_bp,150,mmHgg,2026-11-01\nfasting_glucose,abc,mmol/L,01/02/2026\n", encoding="utf-8")
    result = invoke("profile", "import", bad, "--profile", "mei")
    assert result.exit_code == 2
    assert f"{bad} was not imported, nothing was stored (3 problems):" in result.output
    assert "  row 3, column 'unit': 'mmHgg' is not a unit for systolic_bp; use mmHg" in result.output
    assert "  row 4, column 'value': 'abc' is not a number" in result.output
    assert "  row 4, column 'measured_at': '01/02/2026' is ambiguous" in result.output
    assert len(stored(sqlite_url(env / "data" / "coach.db"))[1]) == 3  # only the chat readings

    good = env / "READINGS.CSV"
    good.write_text(CSV, encoding="utf-8")
    ok = invoke("profile", "import", good, "--profile", "mei")
    assert ok.exit_code == 0 and f"Imported 4 readings from {good} into profile mei." in ok.output
    for args, message in [
        ((good,), f"a readings CSV needs the profile it belongs to: coach profile import {good} --profile ID"),
        ((good, "--profile", "ghost"), "no profile with id 'ghost'"),
        ((good, "--profile", "mei", "--replace"), "--replace is for a profile export (.json); readings from a "
                                                  "CSV are added to the profile"),
        ((env / "x.json", "--profile", "mei"), "--profile is for a readings CSV; a profile export names its own "
                                               "profile"),
    ]:
        (env / "x.json").write_text("{}", encoding="utf-8")
        refused = invoke("profile", "import", *args)
        assert refused.exit_code == 2 and message in refused.output, refused.output
    assert len(stored(sqlite_url(env / "data" / "coach.db"))[1]) == 7


def test_an_unreachable_database_is_one_line(env, monkeypatch):
    monkeypatch.setenv("COACH_DATABASE_URL", "postgresql://coach:secret@127.0.0.1:1/coach")
    result = invoke("profile", "show", "mei")
    assert result.exit_code == 2 and "Traceback" not in result.output and "secret" not in result.output
    assert "error: cannot open the profile database postgresql+psycopg://coach:***@127.0.0.1:1/coach:" in result.output
