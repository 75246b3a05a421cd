"""Every threshold of every rule, just below, at and just above, for every region (hand-written table)."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.indicators import evaluate, load_rules
from coach.models import Indicator
from coach.units import PLAUSIBLE, to_canonical

NOW = dt.datetime(2026, 11, 22, 8, 0)
I = Indicator

# (regions, indicator, sex, entered values, unit, expected status)
BP = [
    # ACC/AHA 2017 (us): 120/80, 130/80, 140/90, crisis above 180/120.
    (["us"], (119, 79), "normal"), (["us"], (120, 79), "elevated"), (["us"], (129, 79), "elevated"),
    (["us"], (130, 79), "stage_1"), (["us"], (119, 80), "stage_1"), (["us"], (125, 85), "stage_1"),
    (["us"], (139, 89), "stage_1"), (["us"], (140, 70), "stage_2"), (["us"], (120, 90), "stage_2"),
    (["us"], (180, 120), "stage_2"), (["us"], (181, 100), "crisis"), (["us"], (150, 121), "crisis"),
    # ESC/ESH (eu, and the global default): 120/80, 130/85, 140/90, 160/100, 180/110.
    (["eu", "global"], (119, 79), "optimal"), (["eu", "global"], (120, 79), "normal"),
    (["eu", "global"], (119, 80), "normal"), (["eu", "global"], (129, 84), "normal"),
    (["eu", "global"], (130, 84), "high_normal"), (["eu", "global"], (129, 85), "high_normal"),
    (["eu", "global"], (139, 89), "high_normal"), (["eu", "global"], (140, 89), "grade_1"),
    (["eu", "global"], (139, 90), "grade_1"), (["eu", "global"], (159, 99), "grade_1"),
    (["eu", "global"], (160, 99), "grade_2"), (["eu", "global"], (159, 100), "grade_2"),
    (["eu", "global"], (179, 109), "grade_2"), (["eu", "global"], (180, 80), "grade_3"),
    (["eu", "global"], (150, 110), "grade_3"),
    # China 2018 (cn): 120/80, 140/90, 160/100, 180/110.
    (["cn"], (119, 79), "normal"), (["cn"], (120, 79), "high_normal"), (["cn"], (119, 80), "high_normal"),
    (["cn"], (139, 89), "high_normal"), (["cn"], (140, 85), "grade_1"), (["cn"], (135, 90), "grade_1"),
    (["cn"], (159, 99), "grade_1"), (["cn"], (160, 99), "grade_2"), (["cn"], (150, 104), "grade_2"), (["cn"], (130, 100), "grade_2"),
    (["cn"], (179, 109), "grade_2"), (["cn"], (180, 70), "grade_3"), (["cn"], (130, 110), "grade_3"),
]

# Home averages: ACC/AHA equivalents 120/80, 130/80, 135/85 (us); 135/85 (eu, global, cn).
HOME_BP = [
    (["us"], (119, 79), "normal"), (["us"], (120, 79), "elevated"), (["us"], (129, 79), "elevated"),
    (["us"], (130, 79), "stage_1"), (["us"], (119, 80), "stage_1"), (["us"], (134, 84), "stage_1"),
    (["us"], (135, 70), "stage_2"), (["us"], (120, 85), "stage_2"),
    (["eu", "global", "cn"], (134, 84), "below_threshold"), (["eu", "global", "cn"], (135, 84), "hypertension"),
    (["eu", "global", "cn"], (134, 85), "hypertension"),
]

# Pregnancy (ACOG 2020, every region, office and home alike): 140/90 high, 160/110 severe-range.
PREGNANCY_BP = [((139, 89), "below_pregnancy_threshold"), ((140, 80), "high_in_pregnancy"),
                ((120, 90), "high_in_pregnancy"), ((159, 109), "high_in_pregnancy"), ((160, 80), "severe_range"),
                ((130, 110), "severe_range")]

SINGLE = [
    # Fasting glucose: ADA (mg/dL) for us/eu/global, CDS/WHO (mmol/L) for cn; lows from both.
    (["us", "eu", "global"], I.fasting_glucose, None, 53, "mg/dL", "low_level_2"),
    (["us", "eu", "global"], I.fasting_glucose, None, 54, "mg/dL", "low_level_1"),
    (["us", "eu", "global"], I.fasting_glucose, None, 69, "mg/dL", "low_level_1"),
    (["us", "eu", "global"], I.fasting_glucose, None, 70, "mg/dL", "normal"),
    (["us", "eu", "global"], I.fasting_glucose, None, 99, "mg/dL", "normal"),
    (["us", "eu", "global"], I.fasting_glucose, None, 100, "mg/dL", "prediabetes_range"),
    (["us", "eu", "global"], I.fasting_glucose, None, 5.6, "mmol/L", "prediabetes_range"),
    (["us", "eu", "global"], I.fasting_glucose, None, 125, "mg/dL", "prediabetes_range"),
    (["us", "eu", "global"], I.fasting_glucose, None, 126, "mg/dL", "diabetes_range"),
    (["us", "eu", "global"], I.fasting_glucose, None, 7.0, "mmol/L", "diabetes_range"),
    (["cn"], I.fasting_glucose, None, 2.9, "mmol/L", "low_level_2"),
    (["cn"], I.fasting_glucose, None, 3.0, "mmol/L", "low_level_1"),
    (["cn"], I.fasting_glucose, None, 3.8, "mmol/L", "low_level_1"),
    (["cn"], I.fasting_glucose, None, 3.9, "mmol/L", "normal"),
    (["cn"], I.fasting_glucose, None, 5.8, "mmol/L", "normal"),  # IFG under ADA, normal under CDS
    (["cn"], I.fasting_glucose, None, 6.0, "mmol/L", "normal"),
    (["cn"], I.fasting_glucose, None, 6.1, "mmol/L", "prediabetes_range"),
    (["cn"], I.fasting_glucose, None, 6.9, "mmol/L", "prediabetes_range"),
    (["cn"], I.fasting_glucose, None, 7.0, "mmol/L", "diabetes_range"),
    (["cn"], I.fasting_glucose, None, 126, "mg/dL", "diabetes_range"),
    # HbA1c.
    (["us", "eu", "global"], I.hba1c, None, 5.6, "%", "normal"),
    (["us", "eu", "global"], I.hba1c, None, 5.7, "%", "prediabetes_range"),
    (["us", "eu", "global"], I.hba1c, None, 39, "mmol/mol", "prediabetes_range"),
    (["us", "eu", "global"], I.hba1c, None, 6.4, "%", "prediabetes_range"),
    (["us", "eu", "global"], I.hba1c, None, 6.5, "%", "diabetes_range"),
    (["us", "eu", "global"], I.hba1c, None, 48, "mmol/mol", "diabetes_range"),
    (["cn"], I.hba1c, None, 6.4, "%", "below_diabetes_threshold"),
    (["cn"], I.hba1c, None, 6.5, "%", "diabetes_range"),
    # LDL-C: ATP III (mg/dL) vs China 2023 (mmol/L).
    (["us", "eu", "global"], I.ldl_c, None, 99, "mg/dL", "optimal"),
    (["us", "eu", "global"], I.ldl_c, None, 100, "mg/dL", "near_optimal"),
    (["us", "eu", "global"], I.ldl_c, None, 129, "mg/dL", "near_optimal"),
    (["us", "eu", "global"], I.ldl_c, None, 130, "mg/dL", "borderline_high"),
    (["us", "eu", "global"], I.ldl_c, None, 159, "mg/dL", "borderline_high"),
    (["us", "eu", "global"], I.ldl_c, None, 160, "mg/dL", "high"),
    (["us", "eu", "global"], I.ldl_c, None, 189, "mg/dL", "high"),
    (["us", "eu", "global"], I.ldl_c, None, 190, "mg/dL", "very_high"),
    (["cn"], I.ldl_c, None, 2.5, "mmol/L", "ideal"), (["cn"], I.ldl_c, None, 2.6, "mmol/L", "desirable"),
    (["cn"], I.ldl_c, None, 3.3, "mmol/L", "desirable"), (["cn"], I.ldl_c, None, 3.4, "mmol/L", "borderline_high"),
    (["cn"], I.ldl_c, None, 4.0, "mmol/L", "borderline_high"), (["cn"], I.ldl_c, None, 4.1, "mmol/L", "high"),
    # Total cholesterol.
    (["us", "eu", "global"], I.total_cholesterol, None, 199, "mg/dL", "desirable"),
    (["us", "eu", "global"], I.total_cholesterol, None, 200, "mg/dL", "borderline_high"),
    (["us", "eu", "global"], I.total_cholesterol, None, 239, "mg/dL", "borderline_high"),
    (["us", "eu", "global"], I.total_cholesterol, None, 240, "mg/dL", "high"),
    (["cn"], I.total_cholesterol, None, 5.1, "mmol/L", "desirable"),
    (["cn"], I.total_cholesterol, None, 5.2, "mmol/L", "borderline_high"),
    (["cn"], I.total_cholesterol, None, 6.1, "mmol/L", "borderline_high"),
    (["cn"], I.total_cholesterol, None, 6.2, "mmol/L", "high"),
    # HDL-C.
    (["us", "eu", "global"], I.hdl_c, None, 39, "mg/dL", "low"),
    (["us", "eu", "global"], I.hdl_c, None, 40, "mg/dL", "normal"),
    (["us", "eu", "global"], I.hdl_c, None, 59, "mg/dL", "normal"),
    (["us", "eu", "global"], I.hdl_c, None, 60, "mg/dL", "high"),
    (["cn"], I.hdl_c, None, 0.9, "mmol/L", "low"), (["cn"], I.hdl_c, None, 1.0, "mmol/L", "normal"),
    # Triglycerides.
    (["us", "eu", "global"], I.triglycerides, None, 149, "mg/dL", "normal"),
    (["us", "eu", "global"], I.triglycerides, None, 150, "mg/dL", "borderline_high"),
    (["us", "eu", "global"], I.triglycerides, None, 199, "mg/dL", "borderline_high"),
    (["us", "eu", "global"], I.triglycerides, None, 200, "mg/dL", "high"),
    (["us", "eu", "global"], I.triglycerides, None, 499, "mg/dL", "high"),
    (["us", "eu", "global"], I.triglycerides, None, 500, "mg/dL", "very_high"),
    (["cn"], I.triglycerides, None, 1.6, "mmol/L", "desirable"),
    (["cn"], I.triglycerides, None, 1.7, "mmol/L", "borderline_high"),
    (["cn"], I.triglycerides, None, 2.2, "mmol/L", "borderline_high"),
    (["cn"], I.triglycerides, None, 2.3, "mmol/L", "high"),
    (["cn"], I.triglycerides, None, 5.5, "mmol/L", "high"),
    (["cn"], I.triglycerides, None, 5.6, "mmol/L", "very_high"),
    # Uric acid: China 420 µmol/L (both sexes); ACR and EULAR 6.8 mg/dL.
    (["cn"], I.uric_acid, None, 420, "µmol/L", "normal"), (["cn"], I.uric_acid, None, 421, "µmol/L", "hyperuricaemia"),
    (["cn"], I.uric_acid, None, 7.1, "mg/dL", "hyperuricaemia"),
    (["us", "eu", "global"], I.uric_acid, None, 6.8, "mg/dL", "normal"),
    (["us", "eu", "global"], I.uric_acid, None, 6.9, "mg/dL", "hyperuricaemia"),
    (["us", "eu", "global"], I.uric_acid, None, 404, "µmol/L", "normal"),
    (["us", "eu", "global"], I.uric_acid, None, 410, "µmol/L", "hyperuricaemia"),
    # BMI: WHO 18.5/25/30/35/40 vs China 18.5/24/28.
    (["us", "eu", "global"], I.bmi, None, 18.4, "kg/m²", "underweight"),
    (["us", "eu", "global"], I.bmi, None, 18.5, "kg/m²", "normal"),
    (["us", "eu", "global"], I.bmi, None, 24.9, "kg/m²", "normal"),
    (["us", "eu", "global"], I.bmi, None, 25.0, "kg/m²", "overweight"),
    (["us", "eu", "global"], I.bmi, None, 29.9, "kg/m²", "overweight"),
    (["us", "eu", "global"], I.bmi, None, 30.0, "kg/m²", "obesity_1"),
    (["us", "eu", "global"], I.bmi, None, 34.9, "kg/m²", "obesity_1"),
    (["us", "eu", "global"], I.bmi, None, 35.0, "kg/m²", "obesity_2"),
    (["us", "eu", "global"], I.bmi, None, 39.9, "kg/m²", "obesity_2"),
    (["us", "eu", "global"], I.bmi, None, 40.0, "kg/m²", "obesity_3"),
    (["cn"], I.bmi, None, 18.4, "kg/m²", "underweight"), (["cn"], I.bmi, None, 18.5, "kg/m²", "normal"),
    (["cn"], I.bmi, None, 23.9, "kg/m²", "normal"), (["cn"], I.bmi, None, 24.0, "kg/m²", "overweight"),
    (["cn"], I.bmi, None, 27.9, "kg/m²", "overweight"), (["cn"], I.bmi, None, 28.0, "kg/m²", "obesity"),
    # Waist, by sex: WHO 94/102 and 80/88 (above); China 85/90 and 80/85 (at or above).
    (["us", "eu", "global"], I.waist, "male", 94, "cm", "normal"),
    (["us", "eu", "global"], I.waist, "male", 94.5, "cm", "increased_risk"),
    (["us", "eu", "global"], I.waist, "male", 102, "cm", "increased_risk"),
    (["us", "eu", "global"], I.waist, "male", 103, "cm", "substantially_increased_risk"),
    (["us", "eu", "global"], I.waist, "female", 80, "cm", "normal"),
    (["us", "eu", "global"], I.waist, "female", 81, "cm", "increased_risk"),
    (["us", "eu", "global"], I.waist, "female", 88, "cm", "increased_risk"),
    (["us", "eu", "global"], I.waist, "female", 89, "cm", "substantially_increased_risk"),
    (["us", "eu", "global"], I.waist, "female", 35, "in", "substantially_increased_risk"),
    (["cn"], I.waist, "male", 84.9, "cm", "normal"), (["cn"], I.waist, "male", 85, "cm", "pre_central_obesity"),
    (["cn"], I.waist, "male", 89.9, "cm", "pre_central_obesity"), (["cn"], I.waist, "male", 90, "cm", "central_obesity"),
    (["cn"], I.waist, "female", 79.9, "cm", "normal"), (["cn"], I.waist, "female", 80, "cm", "pre_central_obesity"),
    (["cn"], I.waist, "female", 84.9, "cm", "pre_central_obesity"), (["cn"], I.waist, "female", 85, "cm", "central_obesity"),
]

# LDL-C goals by the clinician's risk category: (regions, risks, value, unit, expected status).
LDL_GOALS = [
    # ESC/EAS 2019 (eu, global): very high 1.4, high 1.8, moderate 2.6, low 3.0 mmol/L.
    (["eu", "global"], ["very_high", "ultra_high"], 1.3, "mmol/L", "at_goal"),
    (["eu", "global"], ["very_high", "ultra_high"], 1.4, "mmol/L", "above_goal"),
    (["eu", "global"], ["very_high"], 55, "mg/dL", "above_goal"),  # 1.42 mmol/L: not below 55 mg/dL
    (["eu", "global"], ["high"], 1.7, "mmol/L", "at_goal"), (["eu", "global"], ["high"], 1.8, "mmol/L", "above_goal"),
    (["eu", "global"], ["moderate"], 2.5, "mmol/L", "at_goal"),
    (["eu", "global"], ["moderate"], 2.6, "mmol/L", "above_goal"),
    (["eu", "global"], ["low"], 2.9, "mmol/L", "at_goal"), (["eu", "global"], ["low"], 3.0, "mmol/L", "above_goal"),
    # Chinese 2023 (cn): ultra-high 1.4, very high 1.8, medium and high 2.6, low 3.4 mmol/L.
    (["cn"], ["ultra_high"], 1.3, "mmol/L", "at_goal"), (["cn"], ["ultra_high"], 1.4, "mmol/L", "above_goal"),
    (["cn"], ["very_high"], 1.7, "mmol/L", "at_goal"), (["cn"], ["very_high"], 1.8, "mmol/L", "above_goal"),
    (["cn"], ["high", "moderate"], 2.5, "mmol/L", "at_goal"),
    (["cn"], ["high", "moderate"], 2.6, "mmol/L", "above_goal"),
    (["cn"], ["low"], 3.3, "mmol/L", "at_goal"), (["cn"], ["low"], 3.4, "mmol/L", "above_goal"),
    # ACC/AHA 2018 (us): 70 mg/dL for very high-risk ASCVD; other risks keep the lab categories.
    (["us"], ["very_high", "ultra_high"], 69, "mg/dL", "below_threshold"),
    (["us"], ["very_high", "ultra_high"], 70, "mg/dL", "at_or_above_threshold"),
    (["us"], ["high", "moderate", "low"], 99, "mg/dL", "optimal"),
]


def _ldl_goal_cases():
    for regions, risks, value, unit, status in LDL_GOALS:
        for region in regions:
            for risk in risks:
                yield pytest.param(region, risk, value, unit, status, id=f"ldl-{region}-{risk}-{value}{unit}")


@pytest.mark.parametrize("region, risk, value, unit, status", list(_ldl_goal_cases()))
def test_ldl_goal_boundaries_by_risk(region, risk, value, unit, status):
    rule = load_rules().rule_for("ldl_c", region, None, risk)
    finding = evaluate(rule, {I.ldl_c: to_canonical(I.ldl_c, value, unit)}, NOW, region)
    assert finding.status == status
    assert finding.passage_id in {"lipid-esc-eas-2019#ldl-goals", "lipid-china-2023#ldl-c-targets",
                                  "lipid-acc-aha-2018#very-high-risk-nonstatin", "lipid-acc-aha-2018#ldl-categories"}


def test_without_a_risk_category_ldl_gets_the_lab_categories():
    assert {r: load_rules().rule_for("ldl_c", r).id for r in ("us", "eu", "cn", "global")} == {
        "us": "ldl-atp3", "eu": "ldl-atp3", "cn": "ldl-china-2023", "global": "ldl-atp3"}


def test_the_same_ldl_meets_one_risk_goal_and_misses_another():
    ldl = {I.ldl_c: to_canonical(I.ldl_c, 2.0, "mmol/L")}
    verdicts = {risk: evaluate(load_rules().rule_for("ldl_c", "eu", None, risk), ldl, NOW, "eu").status
                for risk in ("low", "moderate", "high", "very_high")}
    assert verdicts == {"low": "at_goal", "moderate": "at_goal", "high": "above_goal", "very_high": "above_goal"}


def _bp_cases():
    for regions, (sys_, dia), status in BP:
        for region in regions:
            yield pytest.param(region, sys_, dia, status, id=f"{region}-{sys_}/{dia}")


def _single_cases():
    for regions, indicator, sex, value, unit, status in SINGLE:
        for region in regions:
            yield pytest.param(region, indicator, sex, value, unit, status,
                               id=f"{region}-{indicator}-{sex or 'any'}-{value}{unit}")


@pytest.mark.parametrize("region, systolic, diastolic, status", list(_bp_cases()))
def test_blood_pressure_boundaries(region, systolic, diastolic, status):
    rule = load_rules().rule_for("blood_pressure", region)
    finding = evaluate(rule, {I.systolic_bp: systolic, I.diastolic_bp: diastolic}, NOW, region)
    assert finding.status == status
    assert finding.passage_id.startswith(("htn-acc-aha-2017#", "htn-esh-2023#", "htn-china-2018#"))


@pytest.mark.parametrize("indicator", ["blood_pressure", "home_blood_pressure"])
@pytest.mark.parametrize("region", ["us", "eu", "cn", "global"])
@pytest.mark.parametrize("reading, status", PREGNANCY_BP)
def test_in_pregnancy_blood_pressure_is_graded_by_the_pregnancy_thresholds(indicator, region, reading, status):
    rule = load_rules().rule_for(indicator, region, "female", "low", ["diabetes", "pregnancy"])
    finding = evaluate(rule, {I.systolic_bp: reading[0], I.diastolic_bp: reading[1]}, NOW, region)
    assert finding.status == status and finding.passage_id == "emergency-red-flags#pregnancy-high-bp"
    # Without pregnancy the usual rule of the region grades the same reading.
    assert load_rules().rule_for(indicator, region, "female", "low", ["diabetes"]).for_conditions == []


def _home_cases():
    for regions, (sys_, dia), status in HOME_BP:
        for region in regions:
            yield pytest.param(region, sys_, dia, status, id=f"home-{region}-{sys_}/{dia}")


@pytest.mark.parametrize("region, systolic, diastolic, status", list(_home_cases()))
def test_home_blood_pressure_boundaries(region, systolic, diastolic, status):
    rule = load_rules().rule_for("home_blood_pressure", region)
    assert evaluate(rule, {I.systolic_bp: systolic, I.diastolic_bp: diastolic}, NOW, region).status == status


@pytest.mark.parametrize("region, indicator, sex, value, unit, status", list(_single_cases()))
def test_single_indicator_boundaries(region, indicator, sex, value, unit, status):
    rule = load_rules().rule_for(indicator.value, region, sex)
    finding = evaluate(rule, {indicator: to_canonical(indicator, value, unit)}, NOW, region)
    assert finding.status == status


def test_the_table_tests_every_threshold_of_every_rule():
    """Each bound written in the rules file appears as a tested value (in the rule's unit)."""
    tested: dict[tuple[str, str], set[float]] = {}
    for indicator, table in (("blood_pressure", BP), ("home_blood_pressure", HOME_BP)):
        for regions, (sys_, dia), _ in table:
            for region in regions:
                rule = load_rules().rule_for(indicator, region)
                tested.setdefault((rule.id, "systolic_bp"), set()).add(sys_)
                tested.setdefault((rule.id, "diastolic_bp"), set()).add(dia)
    for indicator in ("blood_pressure", "home_blood_pressure"):
        for (sys_, dia), _ in PREGNANCY_BP:
            for region in ("us", "eu", "cn", "global"):
                rule = load_rules().rule_for(indicator, region, "female", None, ["pregnancy"])
                tested.setdefault((rule.id, "systolic_bp"), set()).add(sys_)
                tested.setdefault((rule.id, "diastolic_bp"), set()).add(dia)
    for regions, indicator, sex, value, unit, _ in SINGLE:
        for region in regions:
            rule = load_rules().rule_for(indicator.value, region, sex)
            if unit == rule.unit:
                tested.setdefault((rule.id, indicator.value), set()).add(float(value))
    for regions, risks, value, unit, _ in LDL_GOALS:
        for region in regions:
            for risk in risks:
                rule = load_rules().rule_for("ldl_c", region, None, risk)
                if unit == rule.unit:
                    tested.setdefault((rule.id, "ldl_c"), set()).add(float(value))
    for rule in load_rules().rules:
        for band in rule.bands:
            for indicator, conditions in band.conditions.items():
                for condition in conditions:
                    assert condition.bound in tested.get((rule.id, indicator.value), set()), (
                        f"{rule.id}: {indicator.value} bound {condition.bound:g} is not in the table")


def test_bands_cover_the_plausible_range_without_gaps_or_overlaps():
    for rule in load_rules().rules:
        for indicator in rule.components:
            low, high = PLAUSIBLE[indicator]
            steps = 2000
            for i in range(steps + 1):
                canonical = low + (high - low) * i / steps
                evaluate(rule, {c: canonical if c is indicator else _neutral(rule, c) for c in rule.components},
                         NOW, rule.regions[0])


def _neutral(rule, indicator):
    return {I.systolic_bp: 110.0, I.diastolic_bp: 70.0}.get(indicator, 1.0)


def test_region_changes_the_verdict_for_the_same_reading():
    reading = {I.systolic_bp: 135, I.diastolic_bp: 85}
    verdicts = {r: evaluate(load_rules().rule_for("blood_pressure", r), reading, NOW, r).label
                for r in ("us", "eu", "cn")}
    assert verdicts == {"us": "Stage 1 hypertension", "eu": "High-normal", "cn": "High-normal"}
    bmi_24 = {r: evaluate(load_rules().rule_for("bmi", r), {I.bmi: 24.5}, NOW, r).status for r in ("us", "cn")}
    assert bmi_24 == {"us": "normal", "cn": "overweight"}


def test_a_finding_explains_itself():
    finding = evaluate(load_rules().rule_for("blood_pressure", "us"), {I.systolic_bp: 152, I.diastolic_bp: 96},
                       NOW, "us")
    assert (finding.status, finding.label, finding.rule_id, finding.guideline) == (
        "stage_2", "Stage 2 hypertension", "bp-acc-aha-2017", "ACC/AHA 2017")
    assert finding.threshold == ("systolic blood pressure at least 140 and at most 180 mmHg or diastolic "
                                 "blood pressure at least 90 and at most 120 mmHg")
    assert finding.passage_id == "htn-acc-aha-2017#bp-categories"
    crisis = evaluate(load_rules().rule_for("blood_pressure", "us"), {I.systolic_bp: 190, I.diastolic_bp: 100},
                      NOW, "us")
    assert crisis.passage_id == "htn-acc-aha-2017#hypertensive-crisis"


def test_waist_needs_sex_and_every_rule_passage_exists():
    from knowledge.corpus import load_corpus
    from tests.conftest import REPO
    assert load_rules().rule_for("waist", "cn", None) is None
    known = {p.id for p in load_corpus(REPO / "guidelines").passages}
    assert load_rules().passages() <= known
