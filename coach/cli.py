"""`coach` on the command line: check, index and search the guideline corpus (people: cli_people)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Conversational health coach with explainable recommendations.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=True)  # long lines wrap in the terminal, not in the text
err = Console(stderr=True, soft_wrap=True)


def _settings():
    from pydantic import ValidationError

    from coach.settings import load_settings
    try:
        return load_settings()
    except ValidationError as exc:
        problems = "; ".join(f"COACH_{'__'.join(str(p).upper() for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        _fail(f"invalid settings: {problems}")


def _knowledge():
    from coach.assembly import build_knowledge_base
    from knowledge.store import ChromaUnavailable
    try:
        return build_knowledge_base(_settings())
    except (ChromaUnavailable, ValueError) as exc:
        _fail(str(exc))


def _open(store_class):
    """One of the coach's stores (profiles, accounts, audit log) on the configured database; one that cannot
    be opened ends the command with one line."""
    from coach.profile.store import StoreUnavailable
    try:
        return store_class(_settings().database)
    except StoreUnavailable as exc:
        _fail(str(exc))


def _fail(message: str, code: int = 2) -> None:
    from rich.markup import escape
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@app.command()
def check() -> None:
    """Validate every guideline document; list each problem with its file and line."""
    from knowledge.corpus import CorpusError
    kb = _knowledge()
    try:
        corpus = kb.load_corpus()
    except CorpusError as exc:
        _fail(str(exc))
    problems = passage_metadata_problems(corpus) + rule_file_problems()
    if problems:
        _fail(f"{len(problems)} problem(s) in what passages say they answer:\n" + "\n".join(f"  {p}" for p in problems))
    out.print(f"{len(corpus.documents)} documents, {len(corpus.passages)} passages: OK")


def passage_metadata_problems(corpus) -> list[str]:
    """Every passage says what it answers (`Answers:`), and its `Medicines:` are ids of rules/drugs.yaml."""
    from coach.medicines import load_drugs
    drugs = load_drugs()
    known = set(drugs.classes) | {d.id for d in drugs.drugs}
    problems = []
    for p in corpus.passages:
        if not p.answers:
            problems.append(f"{p.path}:{p.line}: passage {p.id} has no 'Answers:' line")
        unknown = [m for m in p.medicines if m not in known]
        if unknown:
            problems.append(f"{p.path}:{p.line}: passage {p.id}: 'Medicines:' names {unknown}, not class or drug "
                            "ids of coach/rules/drugs.yaml")
    return problems


def rule_file_problems() -> list[str]:
    """The service tiers (rules/tiers.yaml) load: every tier, emergencies in every queue."""
    from pydantic import ValidationError

    from coach.tiers import TIERS_FILE, load_tiers
    try:
        load_tiers.__wrapped__(TIERS_FILE)
    except (ValidationError, OSError, ValueError) as exc:
        return [f"{TIERS_FILE}: {exc}"]
    return []


@app.command()
def index(force: bool = typer.Option(False, "--force", help="Rebuild even if nothing changed")) -> None:
    """Build or update the guideline index (only new or edited passages are embedded)."""
    from knowledge.corpus import CorpusError
    kb = _knowledge()
    with Progress(TextColumn("[bold]embedding passages"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            stats = kb.build_index(progress=progress, force=force)
        except CorpusError as exc:
            bar.stop()
            _fail(f"{exc}\nThe index was not changed; searches still use the last good build.")
        if stats.unchanged:
            bar.update(task, completed=stats.chunks, total=stats.chunks, visible=False)
    verb = "unchanged" if stats.unchanged else "built"
    out.print(f"Index {verb}: {stats.passages} passages in {stats.chunks} chunks "
              f"({stats.embedded} embedded, {stats.reused} reused, {stats.removed} removed) "
              f"in {stats.seconds:.1f} s -> {stats.collection}")


@app.command()
def search(query: str = typer.Argument(..., help="A question, in your own words"),
           condition: Optional[str] = typer.Option(None, help="htn, diabetes, lipids, urate, obesity, general"),
           region: Optional[str] = typer.Option(None, help="us, eu, cn or global (global passages always apply)"),
           top_k: int = typer.Option(5, "--top-k", "-k", min=1, max=50, help="How many passages"),
           as_json: bool = typer.Option(False, "--json", help="Print the passages as JSON")) -> None:
    """Search the guidelines: ranked passages with ids, scores and source."""
    from pydantic import ValidationError

    from knowledge.models import SearchFilters, normalise_condition
    from knowledge.retrieve import IndexNotBuiltError, QueryError
    try:
        filters = SearchFilters(condition=normalise_condition(condition) if condition else None,
                                region=region.lower() if region else None)
    except (ValueError, ValidationError) as exc:
        message = str(exc) if not isinstance(exc, ValidationError) else \
            f"unknown region {region!r}; use one of us, eu, cn, global"
        _fail(message)
    try:
        results = _knowledge().retriever.search(query, filters=filters, top_k=top_k)
    except (QueryError, IndexNotBuiltError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(results.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    for note in results.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    for rank, p in enumerate(results.passages, start=1):
        out.print(f"[bold]{rank}. {p.id}[/]  score {p.score:.4f} "
                  f"(dense #{p.dense_rank or '-'}, bm25 #{p.lexical_rank or '-'})", highlight=False)
        out.print(f"   {p.document_title} — {' > '.join(p.heading_path[1:])}", highlight=False)
        edition = p.edition if len(p.edition) <= 60 else p.edition[:57] + "..."
        out.print(f"   Source: {p.issuer.split(';')[0]} ({edition}), section {p.section} — {p.url}",
                  highlight=False, style="dim")
        snippet = " ".join(p.text.split())
        out.print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}\n", highlight=False)


def main() -> None:
    app()


# The people-facing commands (ask, profile, reading) live in their own module and register on `app`.
from coach import cli_people  # noqa: E402,F401
from coach import cli_users  # noqa: E402,F401  (coach users ...: accounts for the chat app)
from coach import cli_audit  # noqa: E402,F401  (coach audit ...: the audit log, for admins)
from coach import cli_app  # noqa: E402,F401  (coach serve, coach demo)
from coach import cli_eval  # noqa: E402,F401  (coach eval: scripted dialogue evaluation)


if __name__ == "__main__":
    main()
