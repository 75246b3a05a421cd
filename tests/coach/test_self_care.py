"""Self-care now: a finding whose guideline says what to do straight away gets that advice, with its passage."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coach.assessment import assess
from coach.composer import compose_answer
from coach.indicators import load_rules
from coach.models import Indicator as I
from coach.models import Profile, Reading
from coach.scope import check_scope
from coach.self_care import load_self_care, self_care_for
from coach.triage import triage
from coach.units import to_canonical
from knowledge.corpus import load_corpus
from tests.conftest import REPO

NOW = dt.datetime(2026, 11, 22, 9, 0)


@pytest.fixture(scope="module")
def passages():
    return {p.id: p for p in load_corpus(REPO / "guidelines").passages}


def glucose(profile: Profile, value: float, unit: str):
    reading = Reading(indicator=I.fasting_glucose, value=to_canonical(I.fasting_glucose, value, unit),
                      unit="mmol/L", measured_at=NOW - dt.timedelta(hours=1))
    (finding,) = assess(profile, [reading], NOW)
    return finding


MEI = Profile(id="mei", display_name="Mei", region="cn", conditions=["diabetes"])
ROSA = Profile(id="rosa", display_name="Rosa", region="us")


def test_every_rule_names_real_rules_and_statuses_and_its_passage_gives_every_number(passages):
    rules = {r.id: r for r in load_rules().rules}
    for care in load_self_care():
        for rule_id in care.rules:
            assert set(care.statuses) <= {b.status for b in rules[rule_id].bands}, care.id
        text = passages[care.passage].text
        for number in re.findall(r"\d+(?:\.\d+)?", care.advice):
            assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", text), f"{care.id}: {number} not in passage"


@pytest.mark.parametrize("profile, value, unit, rule", [
    (MEI, 3.5, "mmol/L", "low-glucose-cds"), (MEI, 2.8, "mmol/L", "low-glucose-cds"),
    (ROSA, 62, "mg/dL", "low-glucose-ada"), (MEI, 5.2, "mmol/L", None), (ROSA, 130, "mg/dL", None),
])
def test_a_low_glucose_gets_the_treatment_of_the_persons_guideline(profile, value, unit, rule):
    care = self_care_for(glucose(profile, value, unit))
    assert (care.id if care else None) == rule


def test_the_composer_gives_the_treatment_right_after_the_finding_and_cites_it(passages):
    finding = glucose(MEI, 3.5, "mmol/L")
    question = "My fasting sugar was 3.5 mmol/L this morning and I felt a bit shaky."
    text, citations = compose_answer(question, [finding], [], triage(question, [], MEI), check_scope(question), [],
                                     [], passages.__getitem__)
    assert [c.passage_id for c in citations] == ["dm-china-2020#hypoglycemia-levels",
                                                 "dm-china-2020#hypoglycemia-treatment"]
    assert '"Low glucose (level 1)" under CDS 2020' in text
    assert "take 15-20 g of sugar, preferably glucose, and check again after 15 minutes" in text
    assert text.index("Low glucose (level 1)") < text.index("15-20 g") < text.index("[2]")
