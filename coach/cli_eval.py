"""`coach eval PATH...`, `coach eval schema`, `coach eval compare A.json B.json`: scripted dialogue evaluation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from coach.cli import _fail, _knowledge, _settings, app, err, out

BACKENDS = ("composer", "local", "openai", "scripted")
LLMS = ("openai",)


class _RunByDefault(TyperGroup):
    """`coach eval scenarios/` means `coach eval run scenarios/`; `schema` and `compare` are subcommands."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(cls=_RunByDefault, no_args_is_help=True,
                       help="Run dialogue scenarios against the coach and report what passed, what failed and why.")
app.add_typer(eval_app, name="eval")


def _scenario_error(exc) -> None:
    for message in exc.messages:
        err.print(f"[bold red]error:[/] {_markup(message)}", highlight=False)
    raise typer.Exit(2)


def _markup(text: str) -> str:
    from rich.markup import escape
    return escape(text)


@eval_app.command("run")
def eval_run(
    paths: List[Path] = typer.Argument(..., help="Scenario files (.yaml, HealthBench .jsonl) or folders"),
    backend: Optional[str] = typer.Option(None, "--backend", help="composer, local, openai (default: "
                                          "COACH_GENERATION__BACKEND, else composer)"),
    report: Optional[Path] = typer.Option(None, "--report", help="Folder for report.html, junit.xml, results.json"),
    judge: Optional[str] = typer.Option(None, "--judge", help="Grade rubric items with an LLM: openai "
                                        "(COACH_GENERATION__OPENAI__*); without it they are reported ungraded"),
    simulator: Optional[str] = typer.Option(None, "--simulator", help="LLM playing the person in persona+goal "
                                            "scenarios: openai; without it those are skipped"),
    repeat: int = typer.Option(1, "--repeat", min=1, max=100, help="Run every scenario N times"),
    tags: Optional[str] = typer.Option(None, "--tags", help="Only scenarios with any of these tags (t1,t2)"),
    now: Optional[str] = typer.Option(None, "--now", help="The run's fixed clock, ISO (default: this minute)"),
    grounding: Optional[float] = typer.Option(None, "--grounding", min=0.0, max=1.0, help="Cosine similarity at "
                                              "which an answer sentence counts as supported by a cited passage "
                                              "(default 0.65, calibrated: see the README)"),
    no_grounding: bool = typer.Option(False, "--no-grounding", help="Do not measure groundedness"),
) -> None:
    """Run scenarios and check every reply; exit 1 when a scenario fails (known gaps apart), 2 for bad input."""
    from coach.evaluation.scenario import ScenarioError, load_scenarios
    from coach.evaluation.runner import select

    settings = _settings()
    if backend is not None:
        if backend not in BACKENDS:
            _fail(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
        settings.generation = settings.generation.model_copy(update={"backend": backend})
    for name, value in (("--judge", judge), ("--simulator", simulator)):
        if value is not None and value not in LLMS:
            _fail(f"{name}: unknown LLM {value!r}; use {' or '.join(LLMS)} (an OpenAI-compatible server)")
    clock = None
    if now is not None:
        try:
            clock = dt.datetime.fromisoformat(now).replace(tzinfo=None)
        except ValueError:
            _fail(f"--now: {now!r} is not an ISO date-time such as 2026-11-22T14:00")
    try:
        scenarios = load_scenarios(paths)
    except ScenarioError as exc:
        _scenario_error(exc)
    wanted = [t for t in (tags or "").split(",") if t.strip()]
    scenarios = select(scenarios, wanted)
    if not scenarios:
        _fail(f"no scenario has any of the tags {', '.join(wanted)}")
    if grounding is None and not no_grounding:
        from coach.evaluation.grounding import THRESHOLD
        grounding = THRESHOLD
    report_data = _run(settings, scenarios, paths, wanted, repeat, clock, judge, simulator,
                       None if no_grounding else grounding)
    _summary(report_data)
    if judge is None and report_data.metrics.checks_ungraded:
        out.print(f"Not graded: {report_data.metrics.checks_ungraded} rubric items, because no judge was given "
                  "(--judge openai grades them with the OpenAI-compatible server configured in "
                  "COACH_GENERATION__OPENAI__*).", highlight=False)
    if report is not None:
        from coach.evaluation.report import write_reports
        for kind, path in write_reports(report_data, report).items():
            out.print(f"{kind}: {path}", highlight=False)
    raise typer.Exit(0 if report_data.passed else 1)


def _run(settings, scenarios, paths, tags, repeat, clock, judge, simulator, threshold):
    from knowledge.corpus import CorpusError
    from knowledge.retrieve import IndexNotBuiltError

    from coach.assembly import build_generator
    from coach.evaluation.grounding import Grounder
    from coach.evaluation.judge import LLMJudge, SimulatedUser, build_llm
    from coach.evaluation.runner import EvalRunner, check_ids
    from coach.evaluation.scenario import ScenarioError

    kb = _knowledge()
    try:
        stats = kb.build_index()  # incremental: a no-op when the corpus is unchanged
    except (CorpusError, IndexNotBuiltError) as exc:
        _fail(str(exc))
    if not stats.unchanged:
        err.print(f"index built: {stats.passages} passages ({stats.embedded} embedded)", highlight=False)
    retriever = kb.retriever
    try:
        check_ids(scenarios, set(retriever.passages))
    except ScenarioError as exc:
        _scenario_error(exc)
    try:
        generator = build_generator(settings)
    except (ImportError, FileNotFoundError, ValueError) as exc:
        _fail(f"backend {settings.generation.backend}: {exc}")
    runner = EvalRunner(retriever=retriever, generator=generator, backend=settings.generation.backend, now=clock,
                        max_attempts=settings.generation.max_attempts,
                        judge=LLMJudge(build_llm(settings, judge), name=judge) if judge else None,
                        simulator=SimulatedUser(build_llm(settings, simulator), name=simulator) if simulator else None,
                        grounder=Grounder(kb.index.embed_model, threshold) if threshold is not None else None)

    def progress(result) -> None:
        mark = {"passed": "[green]PASS[/]", "failed": "[red]FAIL[/]", "skipped": "[yellow]SKIP[/]"}[result.status]
        if result.known_gap and result.status == "failed":
            mark = "[yellow]GAP [/]"
        ungraded = result.count("ungraded")
        note = f" ({ungraded} ungraded)" if ungraded else ""
        if result.known_gap and result.status == "passed":
            note += " (tagged known-gap but passes: remove the tag)"
        why = f": {_markup(result.reason)}" if result.reason else ""
        out.print(f"{mark} {_markup(result.key)}{note}{why}", highlight=False)

    return runner.run(scenarios, repeat=repeat, paths=[str(p) for p in paths], tags=tags, progress=progress)


def _summary(report) -> None:
    from coach.evaluation.metrics import headline, shown
    m = report.metrics
    gaps = f" ({m.known_gaps} of them known gaps)" if m.known_gaps else ""
    out.print(f"\n{m.scenarios_passed} passed, {m.scenarios_failed} failed{gaps}, {m.scenarios_skipped} skipped "
              f"({m.scenarios} scenario runs, backend {report.backend}, {report.seconds:.1f} s); checks: "
              f"{m.checks_passed} passed, {m.checks_failed} failed, {m.checks_ungraded} ungraded", highlight=False)
    for label, value, kind in headline(m):
        if value is not None:
            out.print(f"  {label}: {shown(value, kind)}", highlight=False)


@eval_app.command("schema")
def eval_schema(out_file: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead")) -> None:
    """Print the JSON Schema of the scenario format (scenarios/scenario.schema.json)."""
    from coach.evaluation.scenario import json_schema
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out_file is None:
        print(text, end="")
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"wrote {out_file}", highlight=False)


@eval_app.command("compare")
def eval_compare(before: Path = typer.Argument(..., help="results.json of the earlier run"),
                 after: Path = typer.Argument(..., help="results.json of the later run"),
                 as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON")) -> None:
    """Show what changed between two runs: scenarios and checks newly failing or passing, metric deltas."""
    from pydantic import ValidationError

    from coach.evaluation.compare import compare, render
    from coach.evaluation.results import RunReport

    runs = []
    for path in (before, after):
        try:
            runs.append(RunReport.model_validate_json(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            _fail(f"{path}: file not found")
        except ValidationError as exc:
            _fail(f"{path}: not a results.json of `coach eval` ({exc.error_count()} problems, first: "
                  f"{'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']})")
    comparison = compare(*runs)
    if as_json:
        print(comparison.model_dump_json(indent=2))
    else:
        print(render(comparison, str(before), str(after)))
