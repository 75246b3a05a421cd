"""The evaluation runs the evaluators read in the console: each a folder written by
`coach eval ... --report <runs folder>/<name>` (report.html, results.json, junit.xml), under
`<data dir>/eval-runs/` by default. Nothing of any patient is in them: scenarios use made-up people.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pydantic import BaseModel, ValidationError

from coach.evaluation.compare import compare, render
from coach.evaluation.report import HTML_FILE, JSON_FILE
from coach.evaluation.results import RunReport

RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # a folder name, never a path


MAX_UPLOAD = 20 * 1024 * 1024


class RunRejected(ValueError):
    """An uploaded run that cannot be stored, said in words (its name, its file)."""


class RunNotFound(LookupError):
    def __init__(self, name: str):
        super().__init__(f"no evaluation run named {name!r}")


class RunSummary(BaseModel):
    name: str
    started_at: dt.datetime
    backend: str
    judge: str | None
    scenarios: int
    scenarios_passed: int
    scenarios_failed: int
    passed: bool


class EvalRuns:
    def __init__(self, root: Path):
        self.root = Path(root)

    def list(self) -> list[RunSummary]:
        """The readable runs, newest first (a folder whose results.json is missing or unreadable is left out)."""
        runs = []
        for folder in sorted(self.root.glob(f"*/{JSON_FILE}")) if self.root.is_dir() else []:
            try:
                report = RunReport.model_validate_json(folder.read_text(encoding="utf-8"))
            except (OSError, ValueError, ValidationError):
                continue
            m = report.metrics
            runs.append(RunSummary(name=folder.parent.name, started_at=report.started_at, backend=report.backend,
                                   judge=report.judge, scenarios=m.scenarios, scenarios_passed=m.scenarios_passed,
                                   scenarios_failed=m.scenarios_failed, passed=report.passed))
        return sorted(runs, key=lambda r: r.started_at, reverse=True)

    def _folder(self, name: str) -> Path:
        folder = self.root / name
        if not RUN_NAME.match(name) or not (folder / JSON_FILE).is_file():
            raise RunNotFound(name)
        return folder

    def report(self, name: str) -> RunReport:
        try:
            return RunReport.model_validate_json((self._folder(name) / JSON_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError):
            raise RunNotFound(name) from None

    def html(self, name: str) -> str:
        path = self._folder(name) / HTML_FILE
        if not path.is_file():
            raise RunNotFound(name)
        return path.read_text(encoding="utf-8")

    def add(self, name: str, results_json: bytes) -> RunSummary:
        """Store an uploaded run: its results.json (what `coach eval --report` writes), from which the HTML
        report and the JUnit file are written again. A name that is taken or not a folder name, or a file that
        is no run, is refused; nothing is written then."""
        from coach.evaluation.report import write_reports
        name = (name or "").strip()
        if not RUN_NAME.match(name):
            raise RunRejected(f"name the run with letters, digits, '.', '_' or '-' (at most 100), not {name!r}")
        if (self.root / name).exists():
            raise RunRejected(f"there is already a run named {name!r}; pick another name")
        if len(results_json) > MAX_UPLOAD:
            raise RunRejected(f"the file is {len(results_json):,} bytes; a run's results.json holds at most "
                              f"{MAX_UPLOAD:,}")
        try:
            report = RunReport.model_validate_json(results_json)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the file"
            raise RunRejected(f"this is not a results.json of `coach eval --report`: {where}: {first['msg']} "
                              f"({exc.error_count()} problem(s))") from None
        write_reports(report, self.root / name)
        return next(r for r in self.list() if r.name == name)

    def compare(self, before: str, after: str) -> str:
        """What changed from one run to the other (`coach eval compare`'s text)."""
        return render(compare(self.report(before), self.report(after)), before, after)
