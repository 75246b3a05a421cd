"""The profile store's behaviour on both backends: a SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy.exc import IntegrityError

from coach.models import Indicator as I
from coach.models import Medication, Profile, Reading
from coach.profile.store import (
    EscalationRecord, ProfileExists, ProfileNotFound, ProfileStore, StoreUnavailable, database_url, sqlite_url,
)
from coach.units import to_canonical
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)

DAY = dt.datetime(2026, 11, 1, 7, 30)
UNITS = {I.systolic_bp: "mmHg", I.diastolic_bp: "mmHg", I.fasting_glucose: "mmol/L"}


def reading(indicator, value, days=0, **kw):
    return Reading(indicator=indicator, value=value, unit=UNITS[indicator], measured_at=DAY + dt.timedelta(days=days),
                   **kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "coach.db")
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture
def store(store_url):
    opened = ProfileStore(store_url)
    yield opened
    opened.close()


@pytest.fixture
def mei(store):
    return store.create_profile(Profile(
        id="mei", display_name="Mei 梅", birth_year=1968, sex="female", height_cm=158, region="cn",
        conditions=["htn", "prediabetes"], medications=[Medication(name="amlodipine", drug_class="CCB")]))


def test_profiles_create_save_get_list(store, mei):
    assert store.get_profile("mei") == mei
    with pytest.raises(ProfileExists, match="a profile with id 'mei' already exists"):
        store.create_profile(mei)
    store.save_profile(mei.model_copy(update={"region": "us"}))
    store.save_profile(Profile(id="sam", display_name="Sam"))
    assert store.get_profile("mei").region == "us"
    assert [p.id for p in store.list_profiles()] == ["mei", "sam"]
    with pytest.raises(ProfileNotFound, match="no profile with id 'nobody'"):
        store.get_profile("nobody")


def test_readings_by_indicator_and_since_survive_reopening(store_url, store, mei):
    stored = store.add_readings("mei", [
        reading(I.systolic_bp, 150, days=2), reading(I.systolic_bp, 142, days=1),
        reading(I.fasting_glucose, to_canonical(I.fasting_glucose, 110, "mg/dL"), days=1, entered_value=110,
                entered_unit="mg/dL", source="chat", context="fasting")])
    assert [r.value for r in stored] == [150, 142, 6.1057] and len({r.id for r in stored}) == 3
    reopened = ProfileStore(store_url)
    try:
        assert [r.value for r in reopened.readings("mei", I.systolic_bp)] == [142, 150]
        (glucose,) = reopened.readings("mei", I.fasting_glucose)
        assert (glucose.value, glucose.entered_value, glucose.entered_unit, glucose.source, glucose.context) == \
            (6.1057, 110, "mg/dL", "chat", "fasting")
        assert glucose.measured_at == DAY + dt.timedelta(days=1)
        assert [r.value for r in reopened.readings("mei", since=DAY + dt.timedelta(days=2))] == [150]
        assert reopened.readings("mei", I.hba1c) == []
    finally:
        reopened.close()


def test_a_bad_reading_rejects_the_whole_batch(store, mei):
    store.add_reading("mei", reading(I.systolic_bp, 128))
    batch = [reading(I.systolic_bp, 131, days=1), reading(I.systolic_bp, 133, days=2)]
    batch[1] = batch[1].model_copy(update={"source": None})  # fails inside the transaction, as a lost write would
    with pytest.raises(IntegrityError):
        store.add_readings("mei", batch)
    assert [r.value for r in store.readings("mei")] == [128]
    with pytest.raises(ProfileNotFound):
        store.add_readings("ghost", [reading(I.systolic_bp, 130)])
    assert store.readings("ghost") == []


def test_import_profile_creates_or_replaces_in_one_transaction(store, mei):
    store.add_escalation(EscalationRecord(profile_id="mei", level="urgent", reason="r", passage_id="p",
                                          evidence="e", message="m", created_at=DAY))
    store.add_readings("mei", [reading(I.systolic_bp, 150)])
    new = [reading(I.systolic_bp, 135, days=3), reading(I.diastolic_bp, 85, days=3)]
    with pytest.raises(ProfileExists):
        store.import_profile(mei, new)
    bad = [new[0], new[1].model_copy(update={"source": None})]
    with pytest.raises(IntegrityError):
        store.import_profile(mei.model_copy(update={"region": "us"}), bad, replace=True)
    assert store.get_profile("mei").region == "cn" and [r.value for r in store.readings("mei")] == [150]
    stored = store.import_profile(mei.model_copy(update={"region": "us"}), new, replace=True)
    assert all(r.id for r in stored)
    assert store.get_profile("mei").region == "us" and [r.value for r in store.readings("mei")] == [135, 85]
    assert len(store.escalations()) == 1  # the managers' records stay
    store.import_profile(Profile(id="sam", display_name="Sam"), [])
    assert store.get_profile("sam").display_name == "Sam" and store.readings("sam") == []


def test_escalations_newest_first_by_status_and_cut_to_the_column(store):
    first = store.add_escalation(EscalationRecord(
        profile_id=None, level="urgent", reason="blood pressure 186/112" + " x" * 200, passage_id="htn#severe",
        evidence="186/112 mmHg" * 100, message="my bp is 186/112" * 500, created_at=DAY))
    second = store.add_escalation(EscalationRecord(
        profile_id="mei", level="emergency", reason="stroke signs", passage_id="red#stroke", evidence="face",
        message="my face droops", status="closed", created_at=DAY + dt.timedelta(hours=1)))
    assert first.id and second.id and first.id != second.id
    assert [e.reason for e in store.escalations()][0] == "stroke signs"
    (still_open,) = store.escalations(status="open")
    assert still_open.profile_id is None and still_open.reason.startswith("blood pressure 186/112")
    assert (len(still_open.reason), len(still_open.evidence), len(still_open.message)) == (200, 500, 4000)


def test_urls_name_psycopg_and_bad_ones_say_what_to_use(tmp_path):
    assert database_url("postgresql://u:p@db:5432/coach") == "postgresql+psycopg://u:p@db:5432/coach"
    assert database_url("postgres://u@db/coach") == "postgresql+psycopg://u@db/coach"
    assert database_url(sqlite_url(tmp_path / "c.db")) == sqlite_url(tmp_path / "c.db")
    with pytest.raises(StoreUnavailable, match="is not a database URL; use sqlite:///"):
        ProfileStore("not a url")
    with pytest.raises(StoreUnavailable, match="no installed database driver for mysql://"):
        ProfileStore("mysql://u@localhost/coach")


def test_an_unreachable_server_is_one_line_without_the_password(postgres_server):  # noqa: F811
    dead = f"postgresql://coach:secret@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(StoreUnavailable) as info:
        ProfileStore(dead)
    message = str(info.value)
    assert message.startswith("cannot open the profile database postgresql+psycopg://coach:***@127.0.0.1:")
    assert 'database "no_such_db" does not exist' in message and "secret" not in message
    assert "\n" not in message


def test_missing_postgres_binaries_fail_with_the_install_hint(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    (tmp_path / "test_needs_pg.py").write_text(
        "import tests.coach.postgres as pg\n"
        "from tests.coach.postgres import postgres_server  # noqa: F401\n"
        "pg.find_bin_dir = lambda: None  # as on a machine without the postgresql package\n"
        "def test_it(postgres_server):\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout
    assert "install Debian's `postgresql` package: apt-get install postgresql" in result.stdout
