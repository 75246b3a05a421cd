"""A `CoachReply` as the chat app shows it: pure functions from the reply to markdown, no Chainlit here.

Kept apart from the Chainlit adapter so what a patient reads can be tested without a browser or a server.
"""

from __future__ import annotations

from coach.models import LABELS, CoachReply, Indicator, IndicatorFinding, Profile, Reading, pair_blood_pressure

# Plain words, no emoji: a banner must read the same on every device and font.
ESCALATION_BANNERS = {
    # Say what is true: the escalation is stored for the care team (the manager console is a later issue).
    "emergency": "**EMERGENCY: call your local emergency number now.** {reason}. This has been recorded for "
                 "your care team, but they cannot replace emergency services.",
    "urgent": "**URGENT: contact your clinician or care team today.** {reason}. This has been recorded for "
              "your care team to review.",
    "routine": "**See your clinician {within}:** {reason}.",
}


def citation_name(marker: int) -> str:
    """The element name: Chainlit turns each occurrence of it in the text into a link that opens it."""
    return f"[{marker}]"


def citation_content(reply: CoachReply, marker: int) -> str:
    """The full passage with where it comes from, for the side panel."""
    c = next(c for c in reply.citations if c.marker == marker)
    return (f"**{citation_name(marker)} {c.document_title}**  \n{c.issuer}, {c.edition}  \nSection: {c.section}  \n"
            f"Passage id: `{c.passage_id}`\n\n{c.quote}\n\n[Source]({c.url})")


def sources_block(reply: CoachReply) -> str:
    if not reply.citations:
        return ""
    lines = [f"- {citation_name(c.marker)} {c.document_title}, section {c.section}" for c in reply.citations]
    return "**Sources** (open a number to read the passage)\n" + "\n".join(lines)


def used_findings(reply: CoachReply) -> list[IndicatorFinding]:
    """The findings the answer relies on: those whose defining passage it cites."""
    cited = {c.passage_id for c in reply.citations}
    return [f for f in reply.indicators if f.passage_id in cited]


def indicator_table(findings: list[IndicatorFinding]) -> str:
    """Compact markdown table: indicator, value, date, status, threshold, rule (with its passage)."""
    if not findings:
        return ""
    rows = ["| Indicator | Value | Date | Status | Threshold | Rule |", "|---|---|---|---|---|---|"]
    for f in findings:
        name = ("blood pressure" if f.indicator == "blood_pressure" else "home blood pressure (mean)"
                if f.indicator == "home_blood_pressure" else LABELS[Indicator(f.indicator)])
        status = f"**{f.label}**" if f.severity >= 2 else f.label
        rows.append(f"| {name} | {f.shown_values} {f.unit} | {f.measured_at:%d %b %Y} | {status} | "
                    f"{_cell(f.threshold)} | {f.guideline} (`{f.passage_id}`) |")
    return "**Indicators used**\n\n" + "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "/")


def banner(reply: CoachReply) -> str | None:
    if reply.escalation is None:
        return None
    e = reply.escalation
    return ESCALATION_BANNERS[e.level].format(reason=e.reason[:1].upper() + e.reason[1:], within=e.within or "soon")


def message_body(reply: CoachReply) -> str:
    """Everything beneath the streamed answer."""
    parts = [indicator_table(used_findings(reply)), sources_block(reply)]
    return "\n\n".join(p for p in parts if p)


def triage_step(reply: CoachReply) -> str:
    """Which flags were found (the concepts and words that matched, the layer that decided, the passage)
    and which were ruled out, and why: the differentials the coach excluded."""
    lines = []
    t = reply.triage
    if reply.escalation:
        e = reply.escalation
        lines.append(f"Raised **{e.level}**: {e.reason} (evidence: “{e.evidence}”; rule passage `{e.passage_id}`).")
    if t is not None:
        for h in t.hits:
            words = "; ".join(f"{c.label}: “{c.words}”" + (" (someone else)" if c.experiencer == "other" else "")
                              for c in h.concepts) or h.evidence
            kind = "safety check" if h.kind == "safety_check" else h.level
            lines.append(f"- **{h.label}** ({kind}; decided by the {h.layer} layer): {words}; passage `{h.passage_id}`")
        for h in t.history:
            lines.append(f"- {h.label}: told as past history, not raised (“{h.evidence}”)")
        set_aside = [c for c in t.concepts if c.status not in ("reported", "resolved")]
        if set_aside:
            lines.append("- Not counted: " + "; ".join(f"“{c.words}” ({c.status})" for c in set_aside))
        if t.ruled_out:
            lines.append("\nRuled out:\n")
            lines.extend(f"- {r.label}: {r.reason}" for r in t.ruled_out)
    if not lines:
        checked = ", ".join(flag.replace("_", " ") for flag in reply.red_flags_checked) or "none"
        return f"No red flag found. Looked for: {checked}."
    if not reply.escalation:
        lines.insert(0, "No red flag found.")
    return "\n".join(lines)


def retrieval_step(reply: CoachReply) -> str:
    lines = []
    if reply.question is not None:
        lines.append(f"Question: {reply.question.summary()}.")
    if reply.answerability is not None:
        lines.append(f"Answered: {'yes' if reply.answerability.answered else 'no'} "
                     f"({reply.answerability.reason}).")
        lines += [f"- not quoted: `{f.passage_id}`, {f.conflict}" for f in reply.answerability.fits if f.conflict]
    if not reply.citations:
        return "\n".join(lines + ["No guideline passage was used."])
    return "\n".join(lines + [f"- {citation_name(c.marker)} `{c.passage_id}`"
                               + (f" (score {c.score:.3f})" if c.score is not None else " (cited by a rule)")
                               for c in reply.citations])


def verification_step(reply: CoachReply) -> str:
    v = reply.verification
    if reply.backend == "composer" and not v.fell_back:
        text = "Written by the deterministic composer from the findings and passages (no model)."
    elif v.passed:
        text = f"Generated by `{reply.backend}` and passed every check (attempt {v.attempts})."
    else:
        text = "The generated answers failed verification, so the composer wrote this one instead."
    if v.problems:
        text += "\n" + "\n".join(f"- {p}" for p in v.problems)
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in reply.timings_ms.items())
    return text + (f"\n\nTimings: {timings}." if timings else "")


def my_data(profile: Profile, readings: list[Reading], findings: list[IndicatorFinding]) -> str:
    """The "my data" view: profile and latest readings, with their status where a rule grades them."""
    p = profile
    facts = [f"**{p.display_name}**", f"guidelines: {p.region}"]
    if p.birth_year:
        facts.append(f"born {p.birth_year}")
    if p.sex:
        facts.append(p.sex)
    if p.height_cm:
        facts.append(f"{p.height_cm:g} cm")
    lines = [" · ".join(facts)]
    if p.conditions:
        lines.append("Conditions: " + ", ".join(p.conditions))
    if p.medications:
        lines.append("Medicines: " + ", ".join(m.name + (f" ({m.drug_class})" if m.drug_class else "")
                                                 for m in p.medications))
    if p.cv_risk:
        lines.append("Cardiovascular risk (from your clinician): " + p.cv_risk.replace("_", " "))
    latest: dict[str, str] = {}
    for s, d in pair_blood_pressure(readings):
        latest["blood pressure"] = f"{s.value:g}/{d.value:g} mmHg ({s.measured_at:%d %b %H:%M})"
    for r in readings:
        if r.indicator not in (Indicator.systolic_bp, Indicator.diastolic_bp):
            latest[LABELS[r.indicator]] = f"{r.value:g} {r.unit} ({r.measured_at:%d %b %Y})"
    if latest:
        lines.append("\n**Latest readings**\n" + "\n".join(f"- {k}: {v}" for k, v in latest.items()))
    else:
        lines.append("\nNo readings yet. Tell me one in the chat (\"my blood pressure this morning was 135/85\") "
                     "or upload a CSV file.")
    table = indicator_table(findings)
    return "\n".join(lines) + ("\n\n" + table if table else "")
