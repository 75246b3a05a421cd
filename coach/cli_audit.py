"""`coach audit list|export`: the audit log of views of patients' data and managers' actions (for admins,
who run the server's commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coach.cli import _fail, _open, app, out

audit_app = typer.Typer(help="The audit log: who viewed which patient's data, and what managers did.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _log():
    from coach.audit import AuditLog
    return _open(AuditLog)


@audit_app.command("list")
def audit_list(patient: Optional[str] = typer.Option(None, "--patient", help="Only entries about this profile"),
               actor: Optional[str] = typer.Option(None, "--actor", help="Only what this account did"),
               limit: int = typer.Option(50, "--limit", min=1, help="At most this many, newest first")) -> None:
    """The newest entries: when, who (role), patient, resource, action, outcome."""
    entries = _log().entries(patient=patient, actor=actor, limit=limit)
    if not entries:
        out.print("No audit entries" + (" match." if patient or actor else " yet."))
        return
    # one line an entry, as a log reads (and greps): when (UTC), who (role), patient, resource, action, outcome
    for e in entries:
        out.print(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor} ({e.role})  patient {e.patient or '-'}  {e.resource}  "
                  f"{e.action}  {e.outcome}" + (f"  {e.detail}" if e.detail else ""), highlight=False,
                  soft_wrap=True)


@audit_app.command("export")
def audit_export(fmt: str = typer.Option("csv", "--format", help="csv or json"),
                 output: Optional[Path] = typer.Option(None, "--out", help="Write to this file (default: stdout)"),
                 patient: Optional[str] = typer.Option(None, "--patient", help="Only entries about this profile"),
                 actor: Optional[str] = typer.Option(None, "--actor", help="Only what this account did")) -> None:
    """Every entry (or those of one patient or one account), newest first, as CSV or JSON."""
    if fmt not in ("csv", "json"):
        _fail(f"unknown format {fmt!r}; use csv or json")
    text = _log().export(fmt, patient=patient, actor=actor)  # type: ignore[arg-type]
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    out.print(f"Wrote {output}.", highlight=False)
