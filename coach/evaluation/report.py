"""Report files of a run: one self-contained HTML page, JUnit XML for CI systems, JSON for dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

from coach.evaluation.metrics import headline, shown
from coach.evaluation.results import CheckResult, RunReport, ScenarioResult, TurnResult

HTML_FILE, JUNIT_FILE, JSON_FILE = "report.html", "junit.xml", "results.json"


def write_reports(report: RunReport, folder: Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"html": folder / HTML_FILE, "junit": folder / JUNIT_FILE, "json": folder / JSON_FILE}
    files["html"].write_text(html_report(report), encoding="utf-8")
    files["junit"].write_bytes(junit_xml(report))
    files["json"].write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return files


# -- JUnit ---------------------------------------------------------------------------------------------
def junit_xml(report: RunReport) -> bytes:
    """One testcase per scenario (and run); a failure lists every failed check with its reason."""
    m = report.metrics
    suite = ET.Element("testsuite", name="coach-eval", tests=str(m.scenarios),
                       failures=str(m.scenarios_failed - m.known_gaps), errors="0",
                       skipped=str(m.scenarios_skipped + m.known_gaps), time=f"{report.seconds:.3f}",
                       timestamp=report.started_at.isoformat())
    props = ET.SubElement(suite, "properties")
    for name, value in (("backend", report.backend), ("judge", report.judge or "none"),
                        ("clock", report.clock.isoformat())):
        ET.SubElement(props, "property", name=name, value=value)
    for s in report.scenarios:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{Path(s.path).stem}", name=s.key,
                             time=f"{s.seconds:.3f}")
        if s.blocking:
            failure = ET.SubElement(case, "failure", message=s.reason, type="ScenarioFailed")
            failure.text = "\n".join(s.failure_lines())
        elif s.status == "failed":  # a known gap: reported like pytest's xfail
            gap = ET.SubElement(case, "skipped", message=f"known gap: {s.reason}", type="known-gap")
            gap.text = "\n".join(s.failure_lines())
        elif s.status == "skipped":
            ET.SubElement(case, "skipped", message=s.reason)
        ungraded = [f"turn {t.index + 1}: {c.name}: {c.reason}" for t in s.turns for c in t.checks
                    if c.status == "ungraded"]
        if ungraded:
            ET.SubElement(case, "system-out").text = f"{len(ungraded)} ungraded:\n" + "\n".join(ungraded)
    root = ET.Element("testsuites", name="coach-eval", tests=suite.get("tests"), failures=suite.get("failures"),
                      skipped=suite.get("skipped"), time=suite.get("time"))
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- HTML ----------------------------------------------------------------------------------------------
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f3f3f3}.passed{color:#17692c}.failed{color:#b00020;font-weight:600}
.ungraded,.skipped{color:#8a5a00}section.scenario{border-top:2px solid #ddd;margin-top:2em}
.msg{border-radius:6px;padding:6px 10px;margin:6px 0;white-space:pre-wrap}.user{background:#eef4ff}
.coach{background:#f6f6f6}details{margin:2px 0}blockquote{margin:4px 0 4px 1em;color:#444;white-space:pre-wrap}
.small{font-size:12px;color:#666}.badge{padding:1px 6px;border-radius:4px;border:1px solid currentColor}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _anchor(s: ScenarioResult) -> str:
    return "s-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in s.key)


def html_report(report: RunReport) -> str:
    m = report.metrics
    title = f"Scenario evaluation: {m.scenarios_passed} of {m.scenarios} passed ({report.backend})"
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>",
             f"<p class='small'>Started {_e(report.started_at)}; clock (relative dates) {_e(report.clock)}; backend "
             f"<b>{_e(report.backend)}</b>; judge {_e(report.judge or 'none')}; simulated user "
             f"{_e(report.simulator or 'none')}; repeat {report.repeat}; {report.seconds:.1f} s; paths "
             f"{_e(', '.join(report.paths))}{'; tags ' + _e(', '.join(report.tags)) if report.tags else ''}.</p>",
             _metrics_table(report), _summary_table(report)]
    parts += [_scenario_section(s) for s in report.scenarios]
    parts.append("</body></html>")
    return "\n".join(parts)


def _metrics_table(report: RunReport) -> str:
    m = report.metrics
    rows = [("scenarios passed / failed (known gaps) / skipped", f"{m.scenarios_passed} / {m.scenarios_failed} "
             f"({m.known_gaps}) / {m.scenarios_skipped}"),
            ("checks passed / failed / ungraded", f"{m.checks_passed} / {m.checks_failed} / {m.checks_ungraded}")]
    rows += [(label, shown(value, kind)) for label, value, kind in headline(m)]
    if m.groundedness_threshold is not None:
        rows.append(("groundedness threshold (cosine)", f"{m.groundedness_threshold:g}"))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<h2>Metrics</h2><table>{body}</table>"


def _summary_table(report: RunReport) -> str:
    head = "<tr><th>scenario</th><th>status</th><th>turns</th><th>passed</th><th>failed</th><th>ungraded</th>" \
           "<th>max latency (ms)</th><th>reason</th></tr>"
    rows = []
    for s in report.scenarios:
        latency = max((t.reply.timings_ms.get("total", 0) for t in s.turns if t.reply), default=None)
        rows.append(f"<tr><td><a href='#{_anchor(s)}'>{_e(s.key)}</a></td><td class='{s.status}'>{_status(s)}</td>"
                    f"<td>{len(s.turns)}</td><td>{s.count('passed')}</td><td>{s.count('failed')}</td>"
                    f"<td>{s.count('ungraded')}</td><td>{'' if latency is None else f'{latency:.0f}'}</td>"
                    f"<td>{_e(s.reason)}</td></tr>")
    return f"<h2>Scenarios</h2><table>{head}{''.join(rows)}</table>"


def _status(s: ScenarioResult) -> str:
    if s.known_gap:
        return "failed (known gap)" if s.status == "failed" else f"{s.status} (tagged known-gap)"
    return s.status


def _scenario_section(s: ScenarioResult) -> str:
    tags = ", ".join(s.tags)
    parts = [f"<section class='scenario' id='{_anchor(s)}'><h2>{_e(s.key)} <span class='badge {s.status}'>"
             f"{_status(s)}</span></h2><p>{_e(s.description)}</p><p class='small'>{_e(s.path)}"
             f"{' · tags: ' + _e(tags) if tags else ''} · {s.seconds:.2f} s</p>"]
    if s.reason:
        parts.append(f"<p class='{s.status}'>{_e(s.reason)}</p>")
    parts += [_turn(t) for t in s.turns]
    parts.append("</section>")
    return "\n".join(parts)


def _turn(t: TurnResult) -> str:
    label = f"Turn {t.index + 1}" + (f" ({t.where})" if t.where else "")
    label += " — simulated user" if t.simulated else ""
    parts = [f"<h3>{_e(label)}</h3><div class='msg user'><b>Person:</b> {_e(t.user)}</div>"]
    if t.error:
        parts.append(f"<p class='failed'>The coach raised {_e(t.error)}</p>")
    r = t.reply
    if r is not None:
        parts.append(f"<div class='msg coach'><b>Coach:</b> {_e(r.text)}</div>")
        facts = [f"backend {r.backend}", f"escalation {r.escalation.level if r.escalation else 'none'}",
                 f"scope {r.scope}", "verification " + ("passed" if r.verification.passed else "failed")
                 + (" (fell back to the composer)" if r.verification.fell_back else ""),
                 "timings " + ", ".join(f"{k} {v:g} ms" for k, v in r.timings_ms.items())]
        parts.append(f"<p class='small'>{_e(' · '.join(facts))}</p>")
        if r.escalation:
            parts.append(f"<p><b>Escalation ({_e(r.escalation.level)}):</b> {_e(r.escalation.reason)} — "
                         f"{_e(r.escalation.passage_id)}</p>")
        if r.verification.problems:
            parts.append("<details><summary>verification problems</summary><ul>" + "".join(
                f"<li>{_e(p)}</li>" for p in r.verification.problems) + "</ul></details>")
        if r.citations:
            parts.append("<p><b>Citations</b></p>" + "".join(
                f"<details><summary>[{c.marker}] {_e(c.passage_id)} — {_e(c.document_title)} ({_e(c.issuer)}, "
                f"{_e(c.edition)}, section {_e(c.section)})</summary><blockquote>{_e(c.quote)}</blockquote>"
                f"<a href='{_e(c.url)}'>{_e(c.url)}</a></details>" for c in r.citations))
        if r.indicators:
            rows = "".join(f"<tr><td>{_e(f.indicator)}</td><td>{_e(f.shown_values)} {_e(f.unit)}</td>"
                           f"<td>{_e(f.status)} ({_e(f.label)})</td><td>{_e(f.threshold)}</td><td>{_e(f.rule_id)}</td>"
                           f"<td>{_e(f.passage_id)}</td></tr>" for f in r.indicators)
            parts.append("<table><tr><th>indicator</th><th>value</th><th>status</th><th>threshold</th><th>rule</th>"
                         f"<th>passage</th></tr>{rows}</table>")
        if t.grounding:
            supported = sum(s.supported for s in t.grounding)
            rows = "".join(f"<tr><td class='{'passed' if s.supported else 'failed'}'>{s.score:.2f}</td>"
                           f"<td>{_e(s.sentence)}</td><td>{_e(s.passage_id or '')}</td></tr>" for s in t.grounding)
            parts.append(f"<details><summary>groundedness: {supported} of {len(t.grounding)} sentences supported"
                         f"</summary><table><tr><th>cosine</th><th>sentence</th><th>closest cited passage</th></tr>"
                         f"{rows}</table></details>")
    if t.checks:
        parts.append("<table><tr><th>expectation</th><th>result</th><th>reason</th></tr>"
                     + "".join(_check_row(c) for c in t.checks) + "</table>")
    if t.rubric_score is not None:
        parts.append(f"<p class='small'>rubric score {t.rubric_score:.2f}</p>")
    return "\n".join(parts)


def _check_row(c: CheckResult) -> str:
    return f"<tr><td>{_e(c.name)}</td><td class='{c.status}'>{c.status}</td><td>{_e(c.reason)}</td></tr>"
