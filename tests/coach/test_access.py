"""Who reaches what: every role against every kind of resource, decided from the stored accounts and
assignments (SQLite and PostgreSQL), and `coach users assign|unassign`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from coach.access import PATIENT_DATA, ROLE_RESOURCES, AccessDenied, AccessPolicy
from coach.accounts import AccountNotFound, AccountStore, AssignmentRejected
from coach.cli import app
from coach.profile.store import sqlite_url
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)

RESOURCES = sorted(PATIENT_DATA | set().union(*ROLE_RESOURCES.values()))
runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = (sqlite_url(tmp_path / "coach.db") if request.param == "sqlite"
           else request.getfixturevalue("postgres_server").create_database())
    s = AccountStore(url)
    for name, role in [("mei", "patient"), ("sam", "patient"), ("li", "manager"), ("wu", "manager"),
                       ("eve", "evaluator"), ("root", "admin")]:
        s.add(name, role, "long-enough-pw")
    s.assign("li", ["mei"])
    yield s
    s.close()


# (who, resource, whose data) -> allowed; every role against every resource, patient data of both patients
def expected(role: str, username: str, resource: str, profile: str | None) -> bool:
    if resource in PATIENT_DATA:
        return (role == "patient" and username == profile) or (username == "li" and profile == "mei")
    return resource in ROLE_RESOURCES[role]


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_access_matrix(store, resource):
    policy = AccessPolicy(store)
    profiles = ["mei", "sam"] if resource in PATIENT_DATA else [None]
    for account in store.list():
        for profile in profiles:
            want = expected(account.role, account.username, resource, profile)
            decision = policy.decide(account, resource, profile)
            assert decision.allowed == want, (account.username, resource, profile, decision.reason)
            if not want:
                with pytest.raises(AccessDenied) as denied:
                    policy.require(account, resource, profile)
                assert account.username in str(denied.value) and resource in str(denied.value)


def test_an_assignment_is_in_force_at_once_and_its_removal_too(store):
    policy = AccessPolicy(store)
    li = store.get("li")
    assert policy.patients_visible_to(li) == ["mei"]
    assert not policy.decide(li, "readings", "sam").allowed
    assert store.assign("li", ["sam", "mei"]) == ["sam"]  # mei was already assigned
    assert policy.decide(li, "readings", "sam").allowed and policy.patients_visible_to(li) == ["mei", "sam"]
    assert store.unassign("li", ["mei"]) == ["mei"]
    assert not policy.decide(li, "threads", "mei").allowed  # another manager's patient now, or no one's
    assert store.managers_of("sam") == ["li"] and store.patients_of("wu") == []
    store.set_disabled("li", True)
    assert not policy.decide(store.get("li"), "profile", "sam").allowed  # a disabled account reaches nothing


def test_assignments_name_a_manager_and_patients_or_nothing_is_stored(store):
    with pytest.raises(AssignmentRejected, match="'eve' is not a manager"):
        store.assign("eve", ["mei"])
    with pytest.raises(AssignmentRejected, match="'wu' is not a patient"):
        store.assign("li", ["sam", "wu"])
    with pytest.raises(AccountNotFound):
        store.assign("li", ["sam", "nobody"])
    assert store.patients_of("li") == ["mei"]  # sam was not half-assigned
    with pytest.raises(AssignmentRejected, match="at least one patient"):
        store.assign("li", [])


def test_cli_assign_unassign_and_list(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    for name, role in [("mei", "patient"), ("sam", "patient"), ("li", "manager"), ("root", "admin")]:
        added = runner.invoke(app, ["users", "add", name, "--role", role, "--password-stdin"],
                              input="long-enough-pw\n")
        assert added.exit_code == 0, added.output
    assigned = runner.invoke(app, ["users", "assign", "li", "mei", "sam"])
    assert assigned.exit_code == 0, assigned.output
    assert "Assigned mei, sam to li." in assigned.output and "li now follows: mei, sam." in assigned.output
    again = runner.invoke(app, ["users", "assign", "li", "mei"])
    assert "Already assigned to li: mei." in again.output
    listed = runner.invoke(app, ["users", "list"]).output
    assert "mei, sam" in listed and "admin" in listed
    removed = runner.invoke(app, ["users", "unassign", "li", "sam"])
    assert removed.exit_code == 0 and "li now follows: mei." in removed.output
    for args, message in [(["users", "assign", "root", "mei"], "'root' is not a manager"),
                          (["users", "assign", "li", "nobody"], "no user named 'nobody'"),
                          (["users", "on-call", "mei"], "'mei' is not a manager")]:
        failed = runner.invoke(app, args)
        assert failed.exit_code == 2 and message in failed.output and "Traceback" not in failed.output
    assert "li is on call. On call now: li." in runner.invoke(app, ["users", "on-call", "li"]).output
    assert "On call now: no one." in runner.invoke(app, ["users", "on-call", "li", "--off"]).output


def test_views_of_a_patient_by_someone_else_and_every_refusal_are_audited_and_survive_a_restart(
        store, tmp_path):
    import csv
    import io
    import json

    from coach.audit import AuditLog

    url = str(store.engine.url.render_as_string(hide_password=False))
    audit = AuditLog(url)
    policy = AccessPolicy(store, audit)
    policy.require(store.get("mei"), "readings", "mei")  # a patient's own view: not audited
    policy.require(store.get("li"), "threads", "mei")  # a manager's view of an assigned patient
    with pytest.raises(AccessDenied):
        policy.require(store.get("li"), "profile", "sam")  # refused, and recorded
    with pytest.raises(AccessDenied):
        policy.require(store.get("mei"), "readings", "sam")
    audit.close()
    reopened = AuditLog(url)  # after a restart
    entries = reopened.entries()
    assert [(e.actor, e.role, e.patient, e.resource, e.outcome) for e in reversed(entries)] == [
        ("li", "manager", "mei", "threads", "allowed"), ("li", "manager", "sam", "profile", "denied"),
        ("mei", "patient", "sam", "readings", "denied")]
    assert [e.actor for e in reopened.entries(patient="sam")] == ["mei", "li"]
    rows = list(csv.DictReader(io.StringIO(reopened.export("csv", actor="li"))))
    assert [(r["patient"], r["outcome"]) for r in rows] == [("sam", "denied"), ("mei", "allowed")]
    assert json.loads(reopened.export("json"))[0]["actor"] == "mei"
    assert not any(hasattr(reopened, name) for name in ("delete", "update", "clear"))  # append-only
    reopened.close()


def test_cli_audit_list_and_export(tmp_path, monkeypatch):
    import json

    from coach.audit import AuditLog

    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    empty = runner.invoke(app, ["audit", "list"])
    assert empty.exit_code == 0 and "No audit entries yet." in empty.output
    AuditLog(sqlite_url(tmp_path / "data" / "coach.db")).record("li", "manager", "alerts", "acknowledge", "done",
                                                                patient="mei", detail="alert 3")
    listed = runner.invoke(app, ["audit", "list", "--patient", "mei"])
    assert listed.exit_code == 0 and "acknowledge" in listed.output and "li" in listed.output
    exported = runner.invoke(app, ["audit", "export", "--format", "json"])
    assert exported.exit_code == 0 and json.loads(exported.output)[0]["detail"] == "alert 3"
    written = runner.invoke(app, ["audit", "export", "--out", str(tmp_path / "audit.csv")])
    assert written.exit_code == 0 and (tmp_path / "audit.csv").read_text().startswith("id,at,actor,role")
    bad = runner.invoke(app, ["audit", "export", "--format", "xml"])
    assert bad.exit_code == 2 and "unknown format 'xml'; use csv or json" in bad.output
