"""What the chat app shows for a reply: table of the findings used, banner, sources, trend chart."""

from __future__ import annotations

import datetime as dt

from coach.assessment import assess
from coach.models import Citation, CoachReply, Escalation, Profile, Verification
from coach.demo import DEMO_PROFILE, demo_readings
from coach.ui import render
from coach.ui.charts import threshold_label, threshold_line, thresholds, trend_figure
from coach.indicators import load_rules

NOW = dt.datetime(2026, 11, 22, 9, 0)


def citation(marker, passage_id):
    return Citation(marker=marker, passage_id=passage_id, document_title="Doc", issuer="Issuer", edition="2017",
                    section="3.1", url="https://example.org", quote=f"text of {passage_id}")


def demo_reply(cited: list[str]) -> CoachReply:
    findings = assess(DEMO_PROFILE, demo_readings(NOW), NOW)
    return CoachReply(text="Your blood pressure is high [1].", indicators=findings,
                      citations=[citation(i + 1, p) for i, p in enumerate(cited)],
                      verification=Verification(passed=True), backend="composer")


def test_the_table_shows_only_the_findings_the_answer_cites():
    reply = demo_reply(["htn-acc-aha-2017#bp-categories"])
    assert len(reply.indicators) > 5  # the demo patient has many graded indicators
    table = render.indicator_table(render.used_findings(reply))
    rows = [line for line in table.splitlines() if line.startswith("| ") and "Indicator" not in line]
    assert len(rows) == 1 and rows[0].startswith("| blood pressure |")
    assert "**Stage 2 hypertension**" in rows[0] and "`htn-acc-aha-2017#bp-categories`" in rows[0]


def test_banner_only_for_an_escalation_and_in_plain_words():
    assert render.banner(demo_reply([])) is None
    reply = demo_reply([]).model_copy(update={"escalation": Escalation(
        level="emergency", reason="possible stroke", passage_id="emergency-red-flags#stroke-be-fast", evidence="face")})
    assert render.banner(reply).startswith("**EMERGENCY: call your local emergency number now.** Possible stroke.")


def test_sources_and_side_panel_name_each_passage_by_its_marker():
    reply = demo_reply(["htn-acc-aha-2017#bp-categories", "htn-lifestyle#dash-diet"])
    assert render.sources_block(reply).splitlines()[1:] == ["- [1] Doc, section 3.1", "- [2] Doc, section 3.1"]
    content = render.citation_content(reply, 2)
    assert content.startswith("**[2] Doc**") and "`htn-lifestyle#dash-diet`" in content
    assert "text of htn-lifestyle#dash-diet" in content


def test_the_trend_chart_draws_the_readings_and_the_rules_thresholds():
    readings = demo_readings(NOW)
    bp = next(f for f in assess(DEMO_PROFILE, readings, NOW) if f.indicator == "blood_pressure")
    figure = trend_figure(bp, readings)
    names = [trace.name for trace in figure.data]
    assert names == ["systolic blood pressure", "diastolic blood pressure"]
    assert len(figure.data[0].x) == 28  # two a day for two weeks
    lines = sorted(shape.y0 for shape in figure.layout.shapes)
    assert lines == sorted(b for bounds in thresholds(load_rules().rule_for("blood_pressure", "us")).values()
                           for b, _ in bounds)
    assert {120, 130, 140, 180, 80, 90} <= set(lines)


def test_threshold_lines_are_drawn_as_plotly_add_hline_draws_them():
    import plotly.graph_objects as go
    drawn = go.Figure()
    drawn.add_hline(y=130, line_dash="dot", line_color="#c0392b", opacity=0.5, annotation_text="Stage 1 (130)",
                    annotation_position="top left", annotation_font_size=10)
    ours = go.Figure(layout={"shapes": [threshold_line(130, "#c0392b")],
                             "annotations": [threshold_label(130, "Stage 1 (130)")]})
    assert ours.to_plotly_json()["layout"] == drawn.to_plotly_json()["layout"]
    readings = demo_readings(NOW)
    bp = next(f for f in assess(DEMO_PROFILE, readings, NOW) if f.indicator == "blood_pressure")
    figure = trend_figure(bp, readings)
    assert [a.y for a in figure.layout.annotations] == [s.y0 for s in figure.layout.shapes]
    assert any(a.text.startswith("Stage 2") for a in figure.layout.annotations)


def test_no_chart_without_readings_and_bmi_needs_a_height():
    readings = demo_readings(NOW)
    bmi = next(f for f in assess(DEMO_PROFILE, readings, NOW) if f.indicator == "bmi")
    assert trend_figure(bmi, [], DEMO_PROFILE.height_cm) is None
    assert trend_figure(bmi, readings, None) is None
    assert trend_figure(bmi, readings, DEMO_PROFILE.height_cm).data[0].name == "BMI"


def test_my_data_lists_the_profile_and_latest_readings():
    text = render.my_data(DEMO_PROFILE, demo_readings(NOW), [])
    assert "**Alex Chen**" in text and "amlodipine (calcium channel blocker)" in text
    assert "- blood pressure:" in text and "- LDL cholesterol: 3.6 mmol/L" in text
    empty = render.my_data(Profile(id="x1", display_name="X"), [], [])
    assert "No readings yet" in empty


def test_a_single_reading_gets_a_week_wide_time_axis_in_days():
    bp_readings = [r for r in demo_readings(NOW) if r.indicator.value in ("systolic_bp", "diastolic_bp")]
    readings = sorted(bp_readings, key=lambda r: r.measured_at)[-2:]  # the latest pair
    bp = next(f for f in assess(DEMO_PROFILE, readings, NOW) if f.indicator == "blood_pressure")
    figure = trend_figure(bp, readings)
    start, end = (dt.datetime.fromisoformat(str(x)) for x in figure.layout.xaxis.range)
    assert end - start == dt.timedelta(days=6) and start < readings[-1].measured_at < end
    assert figure.layout.xaxis.tickformat == "%d %b"
    assert trend_figure(bp, demo_readings(NOW)).layout.xaxis.range is None  # two weeks: plotly's own range


def test_the_retrieval_step_shows_the_question_analysis_whether_it_was_answered_and_what_was_left_out():
    from coach.answering import Answerability, PassageFit
    from coach.question import analyse

    reply = demo_reply(["dm#lower-high"]).model_copy(update={
        "question": analyse("how can I bring my blood sugar down?"),
        "answerability": Answerability(answered=True, probability=0.91, best="dm#lower-high",
                                       reason="dm#lower-high answers it (p = 0.91)", fits=[
                                           PassageFit(passage_id="dm#lower-high", features={}, probability=0.91),
                                           PassageFit(passage_id="dm#treat-low", features={}, probability=0.2,
                                                      conflict="it is about a low value and the question is not")])})
    step = render.retrieval_step(reply)
    assert "Question: asks: lifestyle" in step and "direction: lower (high side)" in step
    assert "Answered: yes (dm#lower-high answers it (p = 0.91))" in step
    assert "- not quoted: `dm#treat-low`, it is about a low value and the question is not" in step
