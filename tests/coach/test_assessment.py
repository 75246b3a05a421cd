"""Findings from a person's readings: latest status, home mean, derived BMI, 7/30-day trends."""

from __future__ import annotations

import datetime as dt

from coach.assessment import assess, trends
from coach.models import Indicator as I
from coach.models import Profile, Reading

NOW = dt.datetime(2026, 11, 22, 9, 0)


def bp(days_ago, sys_, dia, context="home"):
    when = NOW - dt.timedelta(days=days_ago)
    return [Reading(indicator=I.systolic_bp, value=sys_, unit="mmHg", measured_at=when, context=context),
            Reading(indicator=I.diastolic_bp, value=dia, unit="mmHg", measured_at=when, context=context)]


def one(indicator, value, unit, days_ago=1):
    return Reading(indicator=indicator, value=value, unit=unit, measured_at=NOW - dt.timedelta(days=days_ago))


def profile(region, **kw):
    return Profile(id="p1", display_name="P", region=region, sex="female", height_cm=168, **kw)


def two_weeks():
    readings = []
    for day in range(14, 0, -1):  # systolic climbing 1 mmHg a day: 128 -> 141
        readings += bp(day, 141 - day + 1, 84)
    readings += [one(I.weight, 68, "kg", 3), one(I.waist, 86, "cm", 3), one(I.fasting_glucose, 6.3, "mmol/L", 2)]
    return readings


def by_indicator(findings):
    return {f.indicator: f for f in findings}


def test_findings_for_a_chinese_profile():
    findings = by_indicator(assess(profile("cn"), two_weeks(), NOW))
    assert set(findings) == {"blood_pressure", "home_blood_pressure", "bmi", "waist", "fasting_glucose"}
    latest = findings["blood_pressure"]
    assert (latest.values, latest.status, latest.passage_id) == (
        {I.systolic_bp: 141, I.diastolic_bp: 84}, "grade_1", "htn-china-2018#bp-classification")
    home = findings["home_blood_pressure"]
    assert home.derived == "mean of 7 home readings over the last 7 days"
    assert home.values == {I.systolic_bp: 138.0, I.diastolic_bp: 84.0} and home.status == "hypertension"
    assert findings["bmi"].values == {I.bmi: 24.1} and findings["bmi"].status == "overweight"
    assert findings["bmi"].derived == "weight / height² with height 168 cm"
    assert findings["waist"].status == "central_obesity"
    assert findings["fasting_glucose"].status == "prediabetes_range"


def test_the_same_readings_judged_by_us_guidelines():
    findings = by_indicator(assess(profile("us"), two_weeks(), NOW))
    assert findings["blood_pressure"].status == "stage_2"  # 141/84 under ACC/AHA
    assert findings["home_blood_pressure"].status == "stage_2"  # home mean 138 >= 135
    assert findings["bmi"].status == "normal" and findings["waist"].status == "increased_risk"
    assert findings["fasting_glucose"].status == "prediabetes_range"  # 6.3 mmol/L = 113.5 mg/dL


def test_trends_over_7_and_30_days():
    finding = by_indicator(assess(profile("cn"), two_weeks(), NOW))["blood_pressure"]
    week, month = finding.trends
    assert (week.window_days, week.readings, week.direction) == (7, 7, "rising")
    assert week.change_per_week[I.systolic_bp] == 7.0 and week.change_per_week[I.diastolic_bp] == 0.0
    assert (month.window_days, month.readings) == (30, 14) and month.mean[I.systolic_bp] == 134.5


def test_stable_and_too_few_readings():
    flat = [(NOW - dt.timedelta(days=d), {I.ldl_c: 3.0 + 0.01 * (d % 2)}) for d in (6, 4, 2)]
    assert trends(flat, NOW)[0].direction == "stable"
    two = [(NOW - dt.timedelta(days=d), {I.ldl_c: v}) for d, v in ((5, 3.0), (1, 4.0))]
    assert trends(two, NOW)[0].direction is None and trends(two, NOW)[0].mean == {I.ldl_c: 3.5}


def test_office_readings_do_not_count_towards_the_home_mean():
    readings = bp(3, 150, 95, "office") + bp(2, 151, 96, "office") + bp(1, 152, 96, "office")
    findings = by_indicator(assess(profile("eu"), readings, NOW))
    assert "home_blood_pressure" not in findings and findings["blood_pressure"].status == "grade_1"


def test_unpaired_or_sexless_data_is_not_graded():
    lonely = [one(I.systolic_bp, 150, "mmHg"), one(I.waist, 95, "cm")]
    findings = assess(Profile(id="p2", display_name="P", region="us"), lonely, NOW)
    assert findings == []


def test_ldl_is_judged_against_the_goal_for_the_clinicians_risk_category():
    ldl = [one(I.ldl_c, 2.0, "mmol/L")]
    high = by_indicator(assess(profile("eu", cv_risk="high"), ldl, NOW))["ldl_c"]
    assert (high.status, high.rule_id, high.passage_id) == ("above_goal", "ldl-goal-esc-eas-2019-high",
                                                             "lipid-esc-eas-2019#ldl-goals")
    assert high.threshold == "LDL cholesterol at least 1.8 mmol/L"
    moderate = by_indicator(assess(profile("eu", cv_risk="moderate"), ldl, NOW))["ldl_c"]
    assert moderate.status == "at_goal"
    unknown = by_indicator(assess(profile("eu"), ldl, NOW))["ldl_c"]
    assert unknown.rule_id == "ldl-atp3"  # no risk category: the lab report's categories, no goal claimed
    china = by_indicator(assess(profile("cn", cv_risk="very_high"), ldl, NOW))["ldl_c"]
    assert (china.status, china.passage_id) == ("above_goal", "lipid-china-2023#ldl-c-targets")


def test_a_pregnant_persons_blood_pressure_is_not_given_the_usual_categories():
    when = NOW - dt.timedelta(hours=1)
    readings = [Reading(indicator=I.systolic_bp, value=145, unit="mmHg", measured_at=when),
                Reading(indicator=I.diastolic_bp, value=92, unit="mmHg", measured_at=when)]
    ana = Profile(id="ana", display_name="Ana", region="us", sex="female", conditions=["pregnancy"])
    (bp,) = assess(ana, readings, NOW)
    assert (bp.rule_id, bp.status, bp.label) == ("bp-pregnancy-acog-2020", "high_in_pregnancy", "High for pregnancy")
    assert bp.passage_id == "emergency-red-flags#pregnancy-high-bp"
    (usual,) = assess(ana.model_copy(update={"conditions": []}), readings, NOW)
    assert usual.status == "stage_2"
