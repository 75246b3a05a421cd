"""Hand-made CoachReply objects and results for the evaluation tests (no index, no model)."""

from __future__ import annotations

import datetime as dt

from coach.models import Citation, CoachReply, Escalation, IndicatorFinding, Indicator, Verification

NOW = dt.datetime(2026, 11, 22, 14, 0)


def citation(marker: int, passage_id: str, quote: str = "A guideline passage.") -> Citation:
    return Citation(marker=marker, passage_id=passage_id, document_title="Doc", issuer="Issuer", edition="2024",
                    section="1", url="https://example.org/doc", quote=quote)


def finding(indicator: str = "blood_pressure", status: str = "stage_2", values=None) -> IndicatorFinding:
    values = values or {Indicator.systolic_bp: 150.0, Indicator.diastolic_bp: 95.0}
    return IndicatorFinding(indicator=indicator, values=values, unit="mmHg", measured_at=NOW, status=status,
                            label=status.replace("_", " ").title(), rule_id="bp-acc-aha-2017", guideline="ACC/AHA 2017",
                            region="us", threshold=">= 140/90", passage_id="htn-acc-aha-2017#bp-categories",
                            severity=3)


def reply(text: str = "Your blood pressure 150/95 is in the Stage 2 hypertension range [1].",
          cited: tuple[str, ...] = ("htn-acc-aha-2017#bp-categories",), findings=None, escalation: str | None = None,
          total_ms: float = 20.0, fell_back: bool = False, attempts: int = 0) -> CoachReply:
    esc = None if escalation is None else Escalation(level=escalation, reason="severe reading",
                                                     passage_id="emergency-red-flags#call-now-vs-urgent",
                                                     evidence="186/112")
    return CoachReply(text=text, citations=[citation(i + 1, p) for i, p in enumerate(cited)],
                      indicators=[finding()] if findings is None else findings, escalation=esc,
                      verification=Verification(passed=not fell_back, fell_back=fell_back, attempts=attempts),
                      backend="composer", timings_ms={"total": total_ms})
