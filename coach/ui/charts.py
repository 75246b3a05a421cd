"""Trend charts of a person's readings with the guideline thresholds drawn as lines (Plotly figures)."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from coach.indicators import Rule, bmi, load_rules
from coach.models import LABELS, Indicator, IndicatorFinding, Reading, pair_blood_pressure
from coach.units import from_canonical

BP_FINDINGS = ("blood_pressure", "home_blood_pressure")
COLOURS = {Indicator.systolic_bp: "#c0392b", Indicator.diastolic_bp: "#2471a3"}
DEFAULT_COLOUR = "#1f618d"


def series_for(finding: IndicatorFinding, readings: list[Reading],
               height_cm: float | None = None) -> dict[Indicator, list[tuple]]:
    """(time, value in the rule's unit) per plotted component, oldest first."""
    if finding.indicator in BP_FINDINGS:
        pairs = pair_blood_pressure(readings)
        if finding.indicator == "home_blood_pressure":
            pairs = [(s, d) for s, d in pairs if s.context == "home"]
        return {Indicator.systolic_bp: [(s.measured_at, s.value) for s, _ in pairs],
                Indicator.diastolic_bp: [(d.measured_at, d.value) for _, d in pairs]}
    if finding.indicator == "bmi":
        if not height_cm:
            return {}
        weights = sorted((r for r in readings if r.indicator == Indicator.weight), key=lambda r: r.measured_at)
        return {Indicator.bmi: [(r.measured_at, bmi(r.value, height_cm)) for r in weights]}
    indicator = Indicator(finding.indicator)
    points = sorted((r for r in readings if r.indicator == indicator), key=lambda r: r.measured_at)
    return {indicator: [(r.measured_at, round(from_canonical(indicator, r.value, finding.unit), 2))
                        for r in points]}


def thresholds(rule: Rule) -> dict[Indicator, list[tuple[float, str]]]:
    """Each component's band boundaries with the label of the band that starts there."""
    out: dict[Indicator, list[tuple[float, str]]] = {}
    for band in rule.bands:
        for indicator, conditions in band.conditions.items():
            for c in conditions:
                if c.op in (">=", ">"):
                    out.setdefault(indicator, []).append((c.bound, band.label))
    return {k: sorted(set(v)) for k, v in out.items()}


def trend_figure(finding: IndicatorFinding, readings: list[Reading], height_cm: float | None = None,
                 rule: Rule | None = None, whose: str = "your") -> go.Figure | None:
    """The indicator's readings over time with the thresholds of the rule that graded it; None without data.
    `whose` readings the title says they are ("your" in the patient's chat, "the patient's" for a manager)."""
    rule = rule or next((r for r in load_rules().rules if r.id == finding.rule_id), None)
    series = series_for(finding, readings, height_cm)
    if rule is None or not any(series.values()):
        return None
    lines = thresholds(rule)
    traces, shapes, labels = [], [], []
    for indicator, points in series.items():
        colour = COLOURS.get(indicator, DEFAULT_COLOUR)
        traces.append(go.Scatter(x=[t for t, _ in points], y=[v for _, v in points], mode="lines+markers",
                                 name=LABELS[indicator], line={"color": colour}))
        for bound, label in lines.get(indicator, []):
            shapes.append(threshold_line(bound, colour))
            labels.append(threshold_label(bound, f"{label} ({LABELS[indicator]} {bound:g})"))
    fig = go.Figure(data=traces)
    title = "Blood pressure" if finding.indicator in BP_FINDINGS else LABELS[Indicator(finding.indicator)]
    # The lines and labels go in at once: Figure.add_hline re-validates every shape already there (a blood
    # pressure chart took 40 ms that way, 6 ms this way, in a server that answers everyone on one GIL).
    times = [t for points in series.values() for t, _ in points]
    if max(times) - min(times) < dt.timedelta(days=1):
        # One day's readings (often one): plotly would zoom the time axis to milliseconds around them.
        middle = min(times) + (max(times) - min(times)) / 2
        fig.update_xaxes(range=[middle - dt.timedelta(days=3), middle + dt.timedelta(days=3)],
                         tickformat="%d %b")
    fig.update_layout(shapes=shapes, annotations=labels,
                      title=f"{title.capitalize()}: {whose} readings and the {rule.guideline} thresholds",
                      yaxis_title=finding.unit, margin={"l": 40, "r": 20, "t": 50, "b": 40}, height=360,
                      legend={"orientation": "h", "y": -0.2})
    return fig


def threshold_line(y: float, colour: str) -> dict:
    """A dotted line across the plot at `y`: what `Figure.add_hline(line_dash="dot", opacity=0.5)` draws."""
    return {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
            "line": {"color": colour, "dash": "dot"}, "opacity": 0.5}


def threshold_label(y: float, text: str) -> dict:
    """The line's label above its left end (add_hline's `annotation_position="top left"`)."""
    return {"text": text, "showarrow": False, "font": {"size": 10}, "xref": "x domain", "x": 0,
            "xanchor": "left", "yref": "y", "y": y, "yanchor": "bottom"}
