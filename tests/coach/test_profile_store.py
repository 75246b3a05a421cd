"""What the profile store checks before anything is written, and what only SQLite does (WAL).

Storing, reading back, reopening and all-or-nothing batches are tested on both backends in
test_store_backends.py."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from pydantic import ValidationError

from coach.models import Indicator as I
from coach.models import Medication, Profile, Reading
from coach.profile.store import ProfileStore, sqlite_url

DAY = dt.datetime(2026, 11, 1, 7, 30)


@pytest.fixture
def store(tmp_path):
    return ProfileStore(sqlite_url(tmp_path / "coach.db"))


@pytest.fixture
def mei(store):
    return store.create_profile(Profile(
        id="mei", display_name="Mei", birth_year=1968, sex="female", height_cm=158, region="cn",
        conditions=["htn", "prediabetes"], medications=[Medication(name="amlodipine", drug_class="calcium channel blocker")]))


def test_sqlite_runs_in_wal_mode(tmp_path, store, mei):
    with sqlite3.connect(tmp_path / "coach.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("fields, message", [
    ({"indicator": I.systolic_bp, "value": 400, "unit": "mmHg"},
     "systolic blood pressure 400 mmHg is outside the accepted range 50-300 mmHg"),
    ({"indicator": I.fasting_glucose, "value": 126, "unit": "mg/dL"},
     "fasting glucose must be stored in mmol/L, not mg/dL"),
])
def test_readings_are_canonical_and_plausible(fields, message):
    with pytest.raises(ValidationError, match=message):
        Reading(measured_at=DAY, **fields)


def test_aware_times_are_stored_as_utc():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    r = Reading(indicator=I.systolic_bp, value=130, unit="mmHg", measured_at=dt.datetime(2026, 11, 1, 8, tzinfo=shanghai))
    assert r.measured_at == dt.datetime(2026, 11, 1, 0, 0)


@pytest.mark.parametrize("field, value", [("id", "Bad Id"), ("birth_year", 1800), ("height_cm", 20),
                                          ("region", "mars"), ("conditions", ["flu"])])
def test_profile_fields_are_validated(field, value):
    data = {"id": "ok", "display_name": "Ok", field: value}
    with pytest.raises(ValidationError) as info:
        Profile(**data)
    assert info.value.errors()[0]["loc"][0] == field
