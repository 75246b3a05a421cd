"""What changed between two runs (`coach eval compare A.json B.json`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from coach.evaluation.metrics import headline, shown
from coach.evaluation.results import RunReport


class MetricDelta(BaseModel):
    metric: str
    before: float | None
    after: float | None
    kind: str

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


class Comparison(BaseModel):
    newly_failing: list[str] = Field(default_factory=list, description="Scenarios that passed in A, fail in B")
    newly_passing: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list, description="Scenarios only in B")
    removed: list[str] = Field(default_factory=list, description="Scenarios only in A")
    checks_newly_failing: list[str] = Field(default_factory=list, description="'scenario turn n name: reason (B)'")
    checks_newly_passing: list[str] = Field(default_factory=list)
    metrics: list[MetricDelta] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.newly_failing or self.newly_passing or self.added or self.removed
                    or self.checks_newly_failing or self.checks_newly_passing
                    or any(d.before != d.after for d in self.metrics))


def _checks(report: RunReport) -> dict[tuple[str, int, str], tuple[str, str]]:
    return {(s.key, t.index, c.name): (c.status, c.reason) for s in report.scenarios for t in s.turns
            for c in t.checks}


def compare(a: RunReport, b: RunReport) -> Comparison:
    before, after = {s.key: s for s in a.scenarios}, {s.key: s for s in b.scenarios}
    out = Comparison(added=sorted(set(after) - set(before)), removed=sorted(set(before) - set(after)))
    for key in sorted(set(before) & set(after)):
        old, new = before[key].status, after[key].status
        gap = " (known gap)" if after[key].known_gap else ""
        if old != "failed" and new == "failed":
            out.newly_failing.append(key + gap)
        elif old == "failed" and new == "passed":
            out.newly_passing.append(key + gap)
    old_checks, new_checks = _checks(a), _checks(b)
    for key in sorted(set(old_checks) & set(new_checks)):
        (old, _), (new, reason) = old_checks[key], new_checks[key]
        line = f"{key[0]} turn {key[1] + 1} {key[2]}: {reason}"
        if old != "failed" and new == "failed":
            out.checks_newly_failing.append(line)
        elif old == "failed" and new == "passed":
            out.checks_newly_passing.append(line)
    old_rows = {label: (value, kind) for label, value, kind in headline(a.metrics)}
    new_rows = {label: (value, kind) for label, value, kind in headline(b.metrics)}
    for label in list(old_rows) + [x for x in new_rows if x not in old_rows]:
        (v1, kind), (v2, _) = old_rows.get(label, (None, None)), new_rows.get(label, (None, None))
        out.metrics.append(MetricDelta(metric=label, before=v1, after=v2, kind=kind or new_rows[label][1]))
    return out


def render(c: Comparison, a_name: str = "A", b_name: str = "B") -> str:
    lines = [f"Comparing {a_name} -> {b_name}"]
    for title, items in (("Scenarios newly failing", c.newly_failing), ("Scenarios newly passing", c.newly_passing),
                         ("Scenarios only in B", c.added), ("Scenarios only in A", c.removed),
                         ("Checks newly failing", c.checks_newly_failing),
                         ("Checks newly passing", c.checks_newly_passing)):
        if items:
            lines.append(f"\n{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
    lines.append("\nMetrics:")
    width = max(len(d.metric) for d in c.metrics) if c.metrics else 10
    for d in c.metrics:
        if d.delta is None:
            change = "" if d.before == d.after else "changed"
        elif d.kind == "rate":
            change = f"{d.delta * 100:+.1f} pts" if d.delta else "="
        else:
            change = f"{d.delta:+,.1f}" if d.delta else "="
        lines.append(f"  {d.metric:<{width}}  {shown(d.before, d.kind):>8} -> {shown(d.after, d.kind):>8}  {change}")
    if not c.changed:
        lines.append("\nNo change.")
    return "\n".join(lines)
