"""Profiles and readings in a real SQLite file (WAL), surviving a restart, never half-written."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from coach.models import Indicator as I
from coach.models import Medication, Profile, Reading
from coach.profile.store import ProfileExists, ProfileNotFound, ProfileStore, sqlite_url
from coach.units import to_canonical

DAY = dt.datetime(2026, 11, 1, 7, 30)


def reading(indicator, value, days=0, **kw):
    return Reading(indicator=indicator, value=value, unit={"systolic_bp": "mmHg", "diastolic_bp": "mmHg",
                   "fasting_glucose": "mmol/L"}[indicator.value], measured_at=DAY + dt.timedelta(days=days), **kw)


@pytest.fixture
def store(tmp_path):
    return ProfileStore(sqlite_url(tmp_path / "coach.db"))


@pytest.fixture
def mei(store):
    return store.create_profile(Profile(
        id="mei", display_name="Mei", birth_year=1968, sex="female", height_cm=158, region="cn",
        conditions=["htn", "prediabetes"], medications=[Medication(name="amlodipine", drug_class="calcium channel blocker")]))


def test_profile_round_trip_and_duplicate(store, mei):
    assert store.get_profile("mei") == mei
    with pytest.raises(ProfileExists, match="a profile with id 'mei' already exists"):
        store.create_profile(mei)
    store.save_profile(mei.model_copy(update={"region": "us"}))
    assert store.get_profile("mei").region == "us"
    with pytest.raises(ProfileNotFound, match="no profile with id 'nobody'"):
        store.get_profile("nobody")


def test_readings_survive_a_restart_in_order(tmp_path, store, mei):
    store.add_readings("mei", [reading(I.systolic_bp, 150, days=2), reading(I.systolic_bp, 142, days=1),
                               reading(I.fasting_glucose, to_canonical(I.fasting_glucose, 110, "mg/dL"), days=1,
                                       entered_value=110, entered_unit="mg/dL", source="chat")])
    reopened = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    sbp = reopened.readings("mei", I.systolic_bp)
    assert [r.value for r in sbp] == [142, 150] and all(r.id for r in sbp)
    (glucose,) = reopened.readings("mei", I.fasting_glucose)
    assert (glucose.entered_value, glucose.entered_unit, glucose.source) == (110, "mg/dL", "chat")
    assert [r.value for r in reopened.readings("mei", since=DAY + dt.timedelta(days=2))] == [150]


def test_sqlite_runs_in_wal_mode(tmp_path, store, mei):
    with sqlite3.connect(tmp_path / "coach.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_readings_for_an_unknown_profile_write_nothing(store, mei):
    with pytest.raises(ProfileNotFound):
        store.add_readings("ghost", [reading(I.systolic_bp, 130)])
    assert store.readings("ghost") == []


def test_a_batch_is_all_or_nothing(store, mei, monkeypatch):
    store.add_reading("mei", reading(I.systolic_bp, 128))
    batch = [reading(I.systolic_bp, 131, days=1), reading(I.systolic_bp, 133, days=2)]
    # Make the second insert fail inside the transaction, as a dropped connection would.
    batch[1] = batch[1].model_copy(update={"source": None})
    with pytest.raises(IntegrityError):
        store.add_readings("mei", batch)
    assert [r.value for r in store.readings("mei")] == [128]  # the first of the batch was rolled back


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
