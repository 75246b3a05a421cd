"""Accounts in a real SQLite file: hashing, login, disabled users, duplicates, and `coach users` as typed."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from coach.accounts import (
    AccountExists, AccountNotFound, AccountStore, PasswordRejected, hash_password, verify_password,
)
from coach.cli import app
from coach.profile.store import StoreUnavailable, sqlite_url
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "coach.db")
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture
def store(store_url):
    opened = AccountStore(store_url)
    yield opened
    opened.close()


def test_hash_round_trip_salted_and_constant_format():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$16384$8$1$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("", stored)
    assert hash_password("correct horse") != stored  # a fresh salt every time
    assert not verify_password("correct horse", "md5$abc")  # unknown or broken hashes never match
    assert not verify_password("correct horse", "scrypt$x$y$z$salt$hash")


def test_add_authenticate_and_wrong_password(store):
    mei = store.add("mei", "patient", "s3cret-pass")
    assert (mei.username, mei.role, mei.profile_id, mei.disabled) == ("mei", "patient", "mei", False)
    assert store.authenticate("mei", "s3cret-pass") == mei
    assert store.authenticate("mei", "wrong-password") is None
    assert store.authenticate("nobody", "s3cret-pass") is None
    nurse = store.add("nurse-li", "manager", "manager-pass")
    assert nurse.profile_id is None  # only patients are linked to a profile by default
    linked = store.add("sam2", "patient", "patient-pass", profile_id="sam")
    assert linked.profile_id == "sam"
    assert [a.username for a in store.list()] == ["mei", "nurse-li", "sam2"]


def test_survives_a_restart_and_password_change(store, store_url):
    store.add("mei", "patient", "first-password")
    store.close()
    again = AccountStore(store_url)
    assert again.authenticate("mei", "first-password") is not None
    again.set_password("mei", "second-password")
    again.close()
    third = AccountStore(store_url)
    assert third.authenticate("mei", "first-password") is None
    assert third.authenticate("mei", "second-password").username == "mei"
    third.close()


def test_a_bad_database_url_is_one_line(tmp_path):
    with pytest.raises(StoreUnavailable, match="is not a database URL"):
        AccountStore("not a url")


def test_disabled_user_cannot_log_in(store):
    store.add("mei", "patient", "s3cret-pass")
    store.set_disabled("mei", True)
    assert store.get("mei").disabled
    assert store.authenticate("mei", "s3cret-pass") is None
    store.set_disabled("mei", False)
    assert store.authenticate("mei", "s3cret-pass") is not None


def test_refusals(store):
    store.add("mei", "patient", "s3cret-pass")
    with pytest.raises(AccountExists, match="a user named 'mei' already exists"):
        store.add("mei", "manager", "another-pass")
    with pytest.raises(ValueError, match="unknown role 'doctor'; use one of patient, manager, evaluator, admin"):
        store.add("li", "doctor", "s3cret-pass")
    with pytest.raises(PasswordRejected, match="the password is empty"):
        store.add("li", "patient", "")
    with pytest.raises(PasswordRejected, match="too short: at least 8 characters"):
        store.add("li", "patient", "short")
    with pytest.raises(ValueError, match="invalid username 'Li Wei'"):
        store.add("Li Wei", "patient", "s3cret-pass")
    with pytest.raises(AccountNotFound, match="no user named 'li'"):
        store.set_password("li", "s3cret-pass")
    with pytest.raises(AccountNotFound):
        store.get("li")
    assert [a.username for a in store.list()] == ["mei"]  # nothing refused was written


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_cli_add_list_passwd(env):
    added = runner.invoke(app, ["users", "add", "mei", "--role", "patient", "--password-stdin"],
                          input="s3cret-pass\n")
    assert added.exit_code == 0, added.output
    assert "Created user mei (patient, profile mei)." in added.output
    assert "there is no profile 'mei' yet" in added.output
    prompted = runner.invoke(app, ["users", "add", "nurse-li", "--role", "manager"],
                             input="manager-pass\nmanager-pass\n")
    assert prompted.exit_code == 0 and "Created user nurse-li (manager)." in prompted.output
    assert "manager-pass" not in prompted.output  # the prompt hides what is typed
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0
    assert "mei" in listed.output and "nurse-li" in listed.output and "manager" in listed.output
    changed = runner.invoke(app, ["users", "passwd", "mei"], input="new-password\nnew-password\n")
    assert changed.exit_code == 0 and "Password changed for mei." in changed.output
    store = AccountStore(sqlite_url(env / "data" / "coach.db"))
    assert store.authenticate("mei", "new-password") is not None
    assert store.authenticate("mei", "s3cret-pass") is None
    disabled = runner.invoke(app, ["users", "disable", "mei"])
    assert disabled.exit_code == 0 and "disabled" in runner.invoke(app, ["users", "list"]).output


def test_cli_errors_are_one_line_with_exit_code_2(env):
    runner.invoke(app, ["users", "add", "mei", "--password-stdin"], input="s3cret-pass\n")
    cases = [
        (["users", "add", "mei", "--password-stdin"], "s3cret-pass\n", "a user named 'mei' already exists"),
        (["users", "add", "li", "--role", "doctor", "--password-stdin"], "s3cret-pass\n",
         "unknown role 'doctor'; use one of patient, manager, evaluator, admin"),
        (["users", "add", "li", "--password-stdin"], "\n", "the password is empty"),
        (["users", "add", "li", "--password-stdin"], "short\n", "too short: at least 8 characters"),
        (["users", "add", "li"], "one-password\nother-password\n", "the two passwords do not match"),
        (["users", "add", "li", "--role", "manager", "--profile", "mei", "--password-stdin"], "s3cret-pass\n",
         "only a patient is linked to a profile"),
        (["users", "passwd", "nobody", "--password-stdin"], "s3cret-pass\n", "no user named 'nobody'"),
        (["users", "passwd", "mei", "--password-stdin"], "short\n", "too short"),
    ]
    for args, typed, message in cases:
        result = runner.invoke(app, args, input=typed)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output, (args, result.output)
        assert result.output.count("error:") == 1
    assert "li" not in runner.invoke(app, ["users", "list"]).output.split()
