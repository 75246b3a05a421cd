"""`coach users add|list|passwd|disable|enable|assign|unassign|on-call`: the accounts that may log in, which
patients each health manager follows, and who is on call."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.table import Table

from coach.cli import _fail, _open, _settings, app, err, out

users_app = typer.Typer(help="User accounts for the chat app.", no_args_is_help=True)
app.add_typer(users_app, name="users")

PASSWORD_STDIN_HELP = "Read the password from the first line of standard input instead of prompting"


def _store():
    from coach.accounts import AccountStore
    return _open(AccountStore)


def _read_password(from_stdin: bool) -> str:
    """One line from stdin, or typed twice at a hidden prompt; a mismatch ends the command."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = typer.prompt("Password", hide_input=True, default="", show_default=False)
        second = typer.prompt("Repeat the password", hide_input=True, default="", show_default=False)
    except typer.Abort:
        _fail("no password given")
    if first != second:
        _fail("the two passwords do not match")
    return first


@users_app.command("add")
def users_add(username: str = typer.Argument(..., help="Login name, e.g. 'mei'"),
              role: str = typer.Option("patient", "--role", help="patient, manager, evaluator or admin"),
              profile: Optional[str] = typer.Option(None, "--profile", help="The coach profile a patient talks "
                                                    "about (default: the username)"),
              password_stdin: bool = typer.Option(False, "--password-stdin", help=PASSWORD_STDIN_HELP)) -> None:
    """Create an account (the password is prompted twice, or read from stdin)."""
    from coach.accounts import AccountExists, PasswordRejected, check_role, check_username
    try:
        check_username(username)
        check_role(role)
    except ValueError as exc:
        _fail(str(exc))
    if profile is not None and role != "patient":
        _fail(f"only a patient is linked to a profile; drop --profile for a {role}")
    store = _store()
    if store.exists(username):  # before asking for a password that would be thrown away
        _fail(str(AccountExists(username)))
    password = _read_password(password_stdin)
    try:
        account = store.add(username, role, password, profile_id=profile)
    except (AccountExists, PasswordRejected) as exc:
        _fail(str(exc))
    linked = f", profile {account.profile_id}" if account.profile_id else ""
    out.print(f"Created user {account.username} ({account.role}{linked}).", highlight=False)
    if account.profile_id and not _profile_exists(account.profile_id):
        err.print(f"[yellow]note:[/] there is no profile {account.profile_id!r} yet; create it with "
                  f"`coach profile create {account.profile_id} --name ...`", highlight=False)


def _profile_exists(profile_id: str) -> bool:
    from coach.profile.store import ProfileNotFound, ProfileStore
    store = ProfileStore(_settings().database)
    try:
        store.get_profile(profile_id)
    except ProfileNotFound:
        return False
    finally:
        store.close()
    return True


@users_app.command("list")
def users_list() -> None:
    """List the accounts: role, linked profile, creation date, status."""
    accounts = _store().list()
    if not accounts:
        out.print("No users yet; add one with `coach users add NAME --role patient`.")
        return
    store = _store()
    table = Table("username", "role", "profile", "assigned", "created", "status")
    for a in accounts:
        assigned = (store.patients_of(a.username) if a.role == "manager" else
                    store.managers_of(a.username) if a.role == "patient" else [])
        table.add_row(a.username, a.role, a.profile_id or "-", ", ".join(assigned) or "-",
                      f"{a.created_at:%Y-%m-%d %H:%M}", "disabled" if a.disabled else "active")
    out.print(table)


@users_app.command("assign")
def users_assign(manager: str = typer.Argument(..., help="The health manager's user name"),
                 patients: list[str] = typer.Argument(..., help="One or more patients' user names")) -> None:
    """Assign patients to a health manager, who then reaches their data and no one else's."""
    _change_assignments(manager, patients, assign=True)


@users_app.command("unassign")
def users_unassign(manager: str = typer.Argument(..., help="The health manager's user name"),
                   patients: list[str] = typer.Argument(..., help="One or more patients' user names")) -> None:
    """Take patients off a health manager's caseload (their data stays)."""
    _change_assignments(manager, patients, assign=False)


def _change_assignments(manager: str, patients: list[str], assign: bool) -> None:
    from coach.accounts import AccountNotFound, AssignmentRejected
    store = _store()
    try:
        changed = store.assign(manager, patients) if assign else store.unassign(manager, patients)
    except (AccountNotFound, AssignmentRejected) as exc:
        _fail(str(exc))
    unchanged = [p for p in dict.fromkeys(patients) if p not in changed]
    verb, prep = ("Assigned", "to") if assign else ("Unassigned", "from")
    if changed:
        out.print(f"{verb} {', '.join(changed)} {prep} {manager}.", highlight=False)
    if unchanged:
        out.print(f"{'Already' if assign else 'Not'} assigned {prep} {manager}: {', '.join(unchanged)}.",
                  highlight=False)
    out.print(f"{manager} now follows: {', '.join(store.patients_of(manager)) or 'no one'}.", highlight=False)


@users_app.command("passwd")
def users_passwd(username: str = typer.Argument(..., help="Login name"),
                 password_stdin: bool = typer.Option(False, "--password-stdin", help=PASSWORD_STDIN_HELP)) -> None:
    """Set a new password for an account."""
    from coach.accounts import AccountNotFound, PasswordRejected
    store = _store()
    try:
        store.get(username)
    except AccountNotFound as exc:
        _fail(str(exc))
    try:
        store.set_password(username, _read_password(password_stdin))
    except PasswordRejected as exc:
        _fail(str(exc))
    out.print(f"Password changed for {username}.", highlight=False)


@users_app.command("on-call")
def users_on_call(manager: str = typer.Argument(..., help="The health manager's user name"),
                  off: bool = typer.Option(False, "--off", help="Take the manager off call")) -> None:
    """Put a health manager on call: they are shown the emergencies of patients no manager follows."""
    from coach.accounts import AccountNotFound, AssignmentRejected
    store = _store()
    try:
        store.set_on_call(manager, not off)
    except (AccountNotFound, AssignmentRejected) as exc:
        _fail(str(exc))
    out.print(f"{manager} is {'off' if off else 'on'} call. On call now: "
              f"{', '.join(store.on_call_managers()) or 'no one'}.", highlight=False)


@users_app.command("disable")
def users_disable(username: str = typer.Argument(..., help="Login name")) -> None:
    """Stop an account from logging in (its data stays)."""
    _set_disabled(username, True)


@users_app.command("enable")
def users_enable(username: str = typer.Argument(..., help="Login name")) -> None:
    """Let a disabled account log in again."""
    _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> None:
    from coach.accounts import AccountNotFound
    try:
        _store().set_disabled(username, disabled)
    except AccountNotFound as exc:
        _fail(str(exc))
    out.print(f"User {username} {'disabled' if disabled else 'enabled'}.", highlight=False)
