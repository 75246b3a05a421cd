"""From a person's stored readings to explained findings: latest values, derived values, trends."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from coach.indicators import RuleBook, bmi, evaluate, load_rules
from coach.models import Indicator, IndicatorFinding, Profile, Reading, Trend, pair_blood_pressure

TREND_WINDOWS = (7, 30)
STABLE_BAND = 0.03  # a change under 3% of the mean over the window counts as stable
HOME_MEAN_DAYS = 7
HOME_MEAN_MIN_READINGS = 3
GRADED = (Indicator.fasting_glucose, Indicator.hba1c, Indicator.ldl_c, Indicator.total_cholesterol,
          Indicator.hdl_c, Indicator.triglycerides, Indicator.uric_acid, Indicator.waist)

Point = tuple[dt.datetime, dict[Indicator, float]]


def assess(profile: Profile, readings: list[Reading], now: dt.datetime,
           rules: RuleBook | None = None) -> list[IndicatorFinding]:
    """Every indicator with data and a rule for the person's region (sex for waist, risk for LDL-C)."""
    rules = rules or load_rules()
    series = _series(readings)
    findings: list[IndicatorFinding] = []

    def grade(indicator: str, points: list[Point], derived: str | None = None,
              value: dict[Indicator, float] | None = None) -> None:
        rule = rules.rule_for(indicator, profile.region, profile.sex, profile.cv_risk, profile.conditions)
        if rule is None or not points:
            return
        when, latest = points[-1]
        finding = evaluate(rule, value or latest, when, profile.region)
        findings.append(finding.model_copy(update={"derived": derived, "trends": trends(points, now)}))

    bp = series.get("blood_pressure", [])
    grade("blood_pressure", bp)
    home = [(t, v) for t, v in series.get("home_blood_pressure", [])
            if t >= now - dt.timedelta(days=HOME_MEAN_DAYS)]
    if len(home) >= HOME_MEAN_MIN_READINGS:
        mean = {c: round(sum(v[c] for _, v in home) / len(home), 1) for c in home[0][1]}
        grade("home_blood_pressure", home, value=mean,
              derived=f"mean of {len(home)} home readings over the last {HOME_MEAN_DAYS} days")
    for indicator in GRADED:
        grade(indicator.value, series.get(indicator.value, []))
    height = profile.height_cm or _latest(series.get(Indicator.height.value))
    weights = series.get(Indicator.weight.value, [])
    if height and weights:
        bmi_points = [(t, {Indicator.bmi: bmi(v[Indicator.weight], height)}) for t, v in weights]
        grade("bmi", bmi_points, derived=f"weight / height² with height {height:g} cm")
    return findings


def trends(points: list[Point], now: dt.datetime) -> list[Trend]:
    out = []
    for days in TREND_WINDOWS:
        window = [(t, v) for t, v in points if now - dt.timedelta(days=days) <= t <= now]
        if len(window) < 2:
            continue
        components = list(window[0][1])
        mean = {c: round(sum(v[c] for _, v in window) / len(window), 2) for c in components}
        direction, per_week = None, {}
        if len(window) >= 3:
            for c in components:
                per_week[c] = round(_slope_per_day(window, c) * 7, 3)
            # Direction follows the first component (systolic for blood pressure).
            change = per_week[components[0]] / 7 * days
            scale = abs(mean[components[0]]) or 1.0
            direction = "stable" if abs(change) < STABLE_BAND * scale else ("rising" if change > 0 else "falling")
        out.append(Trend(window_days=days, readings=len(window), mean=mean, direction=direction,
                         change_per_week=per_week))
    return out


def _slope_per_day(window: list[Point], component: Indicator) -> float:
    t0 = window[0][0]
    xs = [(t - t0).total_seconds() / 86400 for t, _ in window]
    ys = [v[component] for _, v in window]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var


def _series(readings: list[Reading]) -> dict[str, list[Point]]:
    """Readings as time series; systolic and diastolic taken at the same moment pair into one BP point."""
    series: dict[str, list[Point]] = defaultdict(list)
    ordered = sorted(readings, key=lambda r: (r.measured_at, r.id or 0))
    for r in ordered:
        if r.indicator not in (Indicator.systolic_bp, Indicator.diastolic_bp):
            series[r.indicator.value].append((r.measured_at, {r.indicator: r.value}))
    for systolic, diastolic in pair_blood_pressure(ordered):
        point = (systolic.measured_at, {Indicator.systolic_bp: systolic.value, Indicator.diastolic_bp: diastolic.value})
        series["blood_pressure"].append(point)
        if systolic.context not in ("office", "lab"):
            series["home_blood_pressure"].append(point)
    return series


def _latest(points: list[Point] | None) -> float | None:
    return next(iter(points[-1][1].values())) if points else None
