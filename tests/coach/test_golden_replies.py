"""Golden snapshots of whole replies: what a person would read, and the evidence beneath it.

Each case runs one conversation through the real service (real index, real SQLite store, fixed clock) and
compares the reply with a JSON file in tests/coach/golden/. A change to the corpus, the rules, the composer
or retrieval that changes an answer shows up here as a readable diff. When the change is intended:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/coach/test_golden_replies.py

and review the diff of the JSON files before committing them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from pathlib import Path

import pytest

from coach.generation.scripted import ScriptedGenerator
from coach.models import CoachReply, Profile, Reading, Turn
from coach.models import Indicator as I
from coach.profile.store import ProfileStore, sqlite_url
from coach.service import Coach
from knowledge.retrieve import HybridRetriever

pytestmark = pytest.mark.slow
GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2026, 11, 22, 14, 0)

PROFILES = {
    "sam": Profile(id="sam", display_name="Sam", region="us", sex="male", height_cm=178, birth_year=1968,
                   conditions=["htn"]),
    "mei": Profile(id="mei", display_name="Mei", region="cn", sex="female", height_cm=160, birth_year=1972,
                   conditions=["diabetes", "obesity"], diabetes_type="type2"),
    "lena": Profile(id="lena", display_name="Lena", region="eu", sex="female", height_cm=165, birth_year=1960,
                    conditions=["lipids"], cv_risk="high"),
}
STORED = {  # readings already in the store before the conversation
    "mei": [Reading(indicator=I.weight, value=72, unit="kg", measured_at=NOW - dt.timedelta(days=3)),
            Reading(indicator=I.waist, value=88, unit="cm", measured_at=NOW - dt.timedelta(days=3))],
}

# name: (backend answers queued for the scripted generator or None for the composer, profile, turns)
CASES = {
    "composer-bp-two-readings-us": (None, "sam", [
        "My blood pressure readings this week were 150/95 and 148/92, what should I do?"]),
    "composer-fasting-glucose-cn": (None, "mei", ["fasting sugar 7.8 mmol/L this morning, is that diabetes?"]),
    "composer-ldl-goal-high-risk-eu": (None, "lena", ["My LDL came back at 2.0 mmol/L. Am I at my goal?"]),
    "composer-dose-change-refused": (None, "sam", ["Can I double my amlodipine to 10 mg since my BP is high?"]),
    "composer-emergency-chest-pain": (None, "sam", ["crushing chest pain and my left arm is numb"]),
    "composer-no-profile-salt-cn": (None, None, ["How much salt can I eat a day?"]),
    "composer-follow-up-uses-history": (None, "sam", [
        "my bp this morning was 142/91", "what can I do about it without medicine?"]),
    "composer-implausible-reading": (None, "sam", ["my blood pressure was 400/20 today"]),
    "scripted-verified-answer": (["Your latest reading of 150/95 is in the stage 2 hypertension range [1]. "
                                  "Cutting salt helps [2]."], "sam", ["my bp this morning was 150/95, is that bad?"]),
    "scripted-falls-back-to-composer": (["Your blood pressure of 150/95 is normal, no need to worry [1].",
                                         "Take 10 mg of amlodipine every morning [1]."], "sam",
                                        ["my bp this morning was 150/95, is that bad?"]),
}


def snapshot(reply: CoachReply) -> dict:
    """The reply without what varies from run to run (timings, float scores) and with quotes shortened."""
    data = reply.model_dump(mode="json", exclude={"timings_ms"})
    for c in data["citations"]:
        c.pop("score")
        c["quote"] = c["quote"][:120]
    for f in data["indicators"]:
        f["values"] = {k: round(v, 2) for k, v in f["values"].items()}
    fit = data.get("answerability")
    if fit:  # embedding similarities move in the last digits between runs: keep the decision and the order
        fit["probability"] = round(fit["probability"], 2)
        fit["reason"] = None
        for f in fit["fits"]:
            f["probability"] = round(f["probability"], 2)
            f["features"] = {k: round(v, 2) for k, v in f["features"].items()}
    return data


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_reply(name, guideline_index, tmp_path):
    answers, profile_id, messages = CASES[name]
    store = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    profile = None
    if profile_id:
        profile = store.create_profile(PROFILES[profile_id])
        store.add_readings(profile_id, STORED.get(profile_id, []))
    generator = ScriptedGenerator(list(answers)) if answers is not None else None
    coach = Coach(HybridRetriever(guideline_index), store, generator, clock=lambda: NOW)
    history: list[Turn] = []
    replies = []
    for message in messages:
        reply = coach.reply(message, profile, history, region="cn" if profile is None else None)
        replies.append({"message": message, "reply": snapshot(reply)})
        history += [Turn(role="user", text=message), Turn(role="coach", text=reply.text)]
    actual = json.dumps(replies, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"golden/{path.name}", "this run"))
        pytest.fail(f"reply changed for {name}:\n{diff}")


def test_every_golden_file_has_a_case():
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(CASES)
