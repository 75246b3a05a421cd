"""A demo patient with a realistic profile and two weeks of readings, for trying the app and for its tests."""

from __future__ import annotations

import datetime as dt
import random

from coach.accounts import AccountStore
from coach.models import Indicator, Medication, Profile, Reading
from coach.profile.store import ProfileNotFound, ProfileStore

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-patient-2026"  # a local demo account; documented in the README
DEMO_PROFILE = Profile(
    id="demo", display_name="Alex Chen", birth_year=1968, sex="male", height_cm=175,
    conditions=["htn", "prediabetes", "obesity"], medications=[Medication(name="amlodipine",
                                                                          drug_class="calcium channel blocker")],
    region="us", goals=["bring home blood pressure under 130/80", "lose 5 kg"], tier="premium")


def demo_readings(now: dt.datetime, days: int = 14, seed: int = 7) -> list[Reading]:
    """Morning and evening home blood pressure creeping up over two weeks, weight, glucose, labs."""
    rng = random.Random(seed)
    out: list[Reading] = []
    start = (now - dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    for day in range(days):
        for hour in (7, 20):
            when = start.replace(hour=hour) + dt.timedelta(days=day)
            systolic = round(134 + day * 0.8 + rng.uniform(-4, 4))
            diastolic = round(84 + day * 0.4 + rng.uniform(-3, 3))
            out += [Reading(indicator=Indicator.systolic_bp, value=systolic, unit="mmHg", measured_at=when,
                            context="home", source="device"),
                    Reading(indicator=Indicator.diastolic_bp, value=diastolic, unit="mmHg", measured_at=when,
                            context="home", source="device")]
        if day % 3 == 0:
            out.append(Reading(indicator=Indicator.weight, value=round(93.5 - day * 0.1, 1), unit="kg",
                               measured_at=start.replace(hour=7) + dt.timedelta(days=day), source="device"))
        if day % 4 == 1:
            out.append(Reading(indicator=Indicator.fasting_glucose, value=round(6.1 + rng.uniform(-0.2, 0.2), 1),
                               unit="mmol/L", measured_at=start.replace(hour=7) + dt.timedelta(days=day),
                               context="fasting", source="device"))
    lab = start.replace(hour=9) + dt.timedelta(days=2)
    out += [Reading(indicator=i, value=v, unit=u, measured_at=lab, context="lab", source="lab") for i, v, u in (
        (Indicator.hba1c, 6.1, "%"), (Indicator.ldl_c, 3.6, "mmol/L"), (Indicator.hdl_c, 1.0, "mmol/L"),
        (Indicator.total_cholesterol, 5.7, "mmol/L"), (Indicator.triglycerides, 2.1, "mmol/L"),
        (Indicator.uric_acid, 430, "µmol/L"), (Indicator.waist, 104, "cm"))]
    return out


def seed_demo(profiles: ProfileStore, accounts: AccountStore, now: dt.datetime | None = None) -> str:
    """Create (or reset) the demo patient: account, profile and readings. Returns what was done."""
    now = now or dt.datetime.now().replace(microsecond=0)
    try:
        profiles.get_profile(DEMO_PROFILE.id)
        action = "reset"  # a fresh two weeks ending today
    except ProfileNotFound:
        action = "created"
    profiles.import_profile(DEMO_PROFILE, demo_readings(now), replace=True)
    if accounts.exists(DEMO_USERNAME):
        accounts.set_password(DEMO_USERNAME, DEMO_PASSWORD)
    else:
        accounts.add(DEMO_USERNAME, "patient", DEMO_PASSWORD, profile_id=DEMO_PROFILE.id)
    return action
