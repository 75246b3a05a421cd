"""`coach ask`, `coach profile ...`, `coach reading add`: the coaching service on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from coach.cli import _fail, _open, _settings, app, err, out

profile_app = typer.Typer(help="Create and show profiles.", no_args_is_help=True)
reading_app = typer.Typer(help="Record readings.", no_args_is_help=True)
app.add_typer(profile_app, name="profile")
app.add_typer(reading_app, name="reading")


def _store():
    from coach.profile.store import ProfileStore
    return _open(ProfileStore)


def _profile(store, profile_id: str):
    from coach.profile.store import ProfileNotFound
    try:
        return store.get_profile(profile_id)
    except ProfileNotFound as exc:
        _fail(f"{exc}; create it with `coach profile create {profile_id} --name ...`")


@app.command()
def ask(question: str = typer.Argument(..., help="Your question, or a reading ('my bp was 150/95')"),
        profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile id (readings are stored)"),
        region: Optional[str] = typer.Option(None, help="us, eu, cn or global (without a profile)"),
        as_json: bool = typer.Option(False, "--json", help="Print the whole CoachReply as JSON")) -> None:
    """Ask the coach: a cited answer, the indicators it used, and any escalation."""
    from coach.assembly import build_coach
    from knowledge.retrieve import IndexNotBuiltError
    from knowledge.store import ChromaUnavailable
    if region and region not in ("us", "eu", "cn", "global"):
        _fail(f"unknown region {region!r}; use one of us, eu, cn, global")
    try:
        coach = build_coach(_settings())
    except (ChromaUnavailable, ValueError) as exc:
        _fail(str(exc))
    person = _profile(coach.store, profile) if profile else None
    try:
        reply = coach.reply(question, person, region=region)
    except IndexNotBuiltError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(reply.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    _print_reply(reply)


def _print_reply(reply) -> None:
    if reply.escalation:
        style = "bold white on red" if reply.escalation.level == "emergency" else "bold black on yellow"
        out.print(f" {reply.escalation.level.upper()}: {reply.escalation.reason} ", style=style)
    out.print(reply.text, highlight=False, markup=False)  # generated text is never markup
    if reply.indicators:
        table = Table("indicator", "value", "date", "status", "threshold", "rule", title="Indicators used")
        for f in reply.indicators:
            table.add_row(f.indicator.replace("_", " "), f"{f.shown_values} {f.unit}",
                          f.derived or f"{f.measured_at:%Y-%m-%d}", f.label, f.threshold, f"{f.rule_id} ({f.passage_id})")
        out.print(table)
    if reply.citations:
        out.print("[bold]Sources[/]")
        for c in reply.citations:
            out.print(f"  [{c.marker}] {c.passage_id} — {c.document_title}, {c.issuer.split(';')[0]}, "
                      f"section {c.section}", highlight=False, markup=False)
    check = "passed" if reply.verification.passed else "failed, composer answer shown"
    out.print(f"[dim]backend {reply.backend}; verification {check}; {reply.timings_ms.get('total', 0):.0f} ms[/]")


@app.command()
def chat(profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile id (readings are stored)"),
         region: Optional[str] = typer.Option(None, help="us, eu, cn or global (without a profile)")) -> None:
    """Talk with the coach in the terminal; follow-up questions remember the conversation. 'quit' ends."""
    from coach.assembly import build_coach
    from coach.models import Turn
    from knowledge.store import ChromaUnavailable
    try:
        coach = build_coach(_settings())
    except (ChromaUnavailable, ValueError) as exc:
        _fail(str(exc))
    person = _profile(coach.store, profile) if profile else None
    history: list[Turn] = []
    out.print("Ask about your readings or the guidelines; type 'quit' to end.")
    while True:
        try:
            message = input("you> ")
        except (EOFError, KeyboardInterrupt):
            break
        if message.strip().lower() in ("quit", "exit", "bye"):
            break
        reply = coach.reply(message, person, history, region=region)
        _print_reply(reply)
        history = (history + [Turn(role="user", text=message), Turn(role="coach", text=reply.text)])[-12:]


@profile_app.command("create")
def profile_create(profile_id: str = typer.Argument(..., help="Short id, e.g. 'mei'"),
                   name: str = typer.Option(..., "--name", help="Display name"),
                   region: str = typer.Option("global", help="us, eu, cn or global"),
                   sex: Optional[str] = typer.Option(None, help="male or female"),
                   birth_year: Optional[int] = typer.Option(None, "--birth-year"),
                   height: Optional[float] = typer.Option(None, "--height", help="Height in cm"),
                   condition: list[str] = typer.Option([], "--condition", help="htn, diabetes, prediabetes, "
                                                       "lipids, urate, gout, obesity, ckd, cvd, pregnancy"),
                   medication: list[str] = typer.Option([], "--medication", help="name or name:class"),
                   cv_risk: Optional[str] = typer.Option(None, "--cv-risk", help="Cardiovascular risk category set "
                                                         "by the clinician (low, moderate, high, very_high, "
                                                         "ultra_high): picks the LDL-C goal"),
                   tier: str = typer.Option("basic", "--tier", help="Service tier: basic (the coach alone), "
                                            "professional (a manager follows up) or premium (a manager is told "
                                            "at once); see coach/rules/tiers.yaml")) -> None:
    """Create a profile."""
    from pydantic import ValidationError

    from coach.models import Medication, Profile
    from coach.profile.store import ProfileExists
    try:
        person = Profile(id=profile_id, display_name=name, region=region, sex=sex, birth_year=birth_year,
                         height_cm=height, conditions=condition, cv_risk=cv_risk, tier=tier,
                         medications=[Medication(name=m.split(":")[0], drug_class=(m.split(":", 1) + [None])[1])
                                      for m in medication])
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))
    try:
        _store().create_profile(person)
    except ProfileExists as exc:
        _fail(str(exc))
    out.print(f"Created profile {person.id} ({person.display_name}, region {person.region}, tier {person.tier}).")


@profile_app.command("set-tier")
def profile_set_tier(profile_id: str, tier: str = typer.Argument(..., help="basic, professional or premium")) -> None:
    """Change a profile's service tier (what reaches a health manager, and how soon)."""
    from pydantic import ValidationError

    store = _store()
    person = _profile(store, profile_id)
    try:
        updated = person.model_validate(person.model_dump() | {"tier": tier})
    except ValidationError:
        _fail(f"unknown tier {tier!r}: use basic, professional or premium")
    store.save_profile(updated)
    out.print(f"Profile {profile_id}: tier {person.tier} -> {updated.tier}.")


@profile_app.command("show")
def profile_show(profile_id: str) -> None:
    """Show a profile and its latest readings."""
    store = _store()
    person = _profile(store, profile_id)
    out.print_json(person.model_dump_json())
    readings = store.readings(profile_id)
    if readings:
        table = Table("measured", "indicator", "value", "as entered", "source", title="Latest readings")
        for r in readings[-20:]:
            entered = f"{r.entered_value:g} {r.entered_unit}" if r.entered_value is not None else ""
            table.add_row(f"{r.measured_at:%Y-%m-%d %H:%M}", r.indicator.value, f"{r.value:g} {r.unit}", entered, r.source)
        out.print(table)


@profile_app.command("export")
def profile_export(profile_id: str,
                   out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the JSON to this file "
                                                           "instead of the screen")) -> None:
    """Write a profile and all its readings as one JSON document (for `coach profile import`)."""
    from coach.profile.transfer import export_profile
    store = _store()
    _profile(store, profile_id)
    export = export_profile(store, profile_id)
    text = export.to_json()
    if out_file is None:
        print(text)
        return
    partial = out_file.with_name(out_file.name + ".partial")  # an existing file is replaced only when complete
    try:
        partial.write_text(text + "\n", encoding="utf-8")
        partial.replace(out_file)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        _fail(f"cannot write {out_file}: {exc.strerror or exc}")
    count = len(export.readings)
    out.print(f"Exported profile {profile_id} with {count} reading{'s' if count != 1 else ''} to {out_file}.",
              highlight=False)


@profile_app.command("import")
def profile_import(file: Path = typer.Argument(..., help="A profile export (.json) or a readings CSV (.csv)"),
                   replace: bool = typer.Option(False, "--replace", help="Replace an existing profile and all its "
                                                "readings with the export's"),
                   profile_id: Optional[str] = typer.Option(None, "--profile", "-p", help="For a CSV: the existing "
                                                            "profile the readings are added to")) -> None:
    """Store a profile export, or add a CSV of readings to a profile; all is checked before anything is stored."""
    from coach.profile.csv_readings import MAX_BYTES
    from coach.profile.transfer import MAX_EXPORT_BYTES
    is_csv = file.suffix.lower() == ".csv"
    try:
        with file.open("rb") as f:  # read one byte past the limit: the parsers then say the file is too large
            data = f.read((MAX_BYTES if is_csv else MAX_EXPORT_BYTES) + 1)
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    if is_csv:
        _import_csv(file, data, profile_id, replace)
    else:
        _import_export(file, data, profile_id, replace)


def _import_export(file: Path, data: bytes, profile_id: str | None, replace: bool) -> None:
    from coach.profile.store import ProfileExists, ProfileNotFound
    from coach.profile.transfer import ExportFormatError, load_export
    if profile_id:
        _fail("--profile is for a readings CSV; a profile export names its own profile")
    try:
        export = load_export(data)
    except ExportFormatError as exc:
        _fail(f"{file} was not imported: {exc}")
    store = _store()
    try:
        store.get_profile(export.profile.id)
        existed = True
    except ProfileNotFound:
        existed = False
    try:
        stored = store.import_profile(export.profile, export.readings, replace=replace)
    except ProfileExists as exc:
        _fail(f"{exc}; nothing was imported (add --replace to replace it and all its readings)")
    verb = "Replaced" if existed else "Imported"
    out.print(f"{verb} profile {export.profile.id} ({export.profile.display_name}) with {len(stored)} "
              f"reading{'s' if len(stored) != 1 else ''}.", highlight=False)


def _import_csv(file: Path, data: bytes, profile_id: str | None, replace: bool) -> None:
    from coach.profile.csv_readings import ReadingsCsvError, parse_readings_csv
    if replace:
        _fail("--replace is for a profile export (.json); readings from a CSV are added to the profile")
    if not profile_id:
        _fail(f"a readings CSV needs the profile it belongs to: coach profile import {file} --profile ID")
    store = _store()
    _profile(store, profile_id)
    try:
        readings = parse_readings_csv(data)
    except ReadingsCsvError as exc:
        _fail(exc.summary(head=f"{file} was not imported, nothing was stored"))
    stored = store.add_readings(profile_id, readings)
    out.print(f"Imported {len(stored)} reading{'s' if len(stored) != 1 else ''} from {file} into profile "
              f"{profile_id}.", highlight=False)


@reading_app.command("add")
def reading_add(profile_id: str, text: str = typer.Argument(..., help="e.g. 'bp 150/95 this morning' or "
                                                             "'fasting glucose 6.4 mmol/L'")) -> None:
    """Record readings written the way you would say them."""
    import datetime as dt

    from coach.profile.parse import parse_readings
    store = _store()
    _profile(store, profile_id)
    parsed = parse_readings(text, dt.datetime.now().replace(microsecond=0))
    for problem in parsed.problems:
        err.print(f"[yellow]not recorded:[/] {problem}", highlight=False)
    if not parsed.readings:
        _fail("no reading found in that text; try e.g. 'bp 135/85' or 'LDL 3.4 mmol/L'" if not parsed.problems
              else "nothing was recorded")
    stored = store.add_readings(profile_id, parsed.readings)
    for r in stored:
        entered = f" (entered {r.entered_value:g} {r.entered_unit})" if r.entered_unit != r.unit else ""
        out.print(f"Recorded {r.indicator.value} {r.value:g} {r.unit}{entered} at {r.measured_at:%Y-%m-%d %H:%M}.")
