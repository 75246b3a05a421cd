"""The health managers' alerts: only their patients', most urgent first, acknowledged then resolved with a
reason code and a note, every action audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.access import AccessPolicy
from coach.accounts import AccountStore
from coach.alerts import AlertError, AlertNotFound, Alerts
from coach.audit import AuditLog
from coach.models import Profile
from coach.notify import LogFileNotifier
from coach.profile.store import EscalationRecord, ProfileStore, sqlite_url
from tests.coach.postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server)

NOW = dt.datetime(2026, 12, 4, 12, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    url = (sqlite_url(tmp_path / "coach.db") if request.param == "sqlite"
           else request.getfixturevalue("postgres_server").create_database())
    profiles, accounts, audit = ProfileStore(url), AccountStore(url), AuditLog(url)
    for name in ("mei", "sam"):
        profiles.create_profile(Profile(id=name, display_name=name.title(), region="cn", tier="professional"))
        accounts.add(name, "patient", "long-enough-pw")
    for name in ("li", "wu"):
        accounts.add(name, "manager", "long-enough-pw")
    accounts.assign("li", ["mei"])

    def escalate(profile_id, level, minutes_ago):
        return profiles.add_escalation(EscalationRecord(
            profile_id=profile_id, level=level, reason=f"{level} reason", passage_id="p#1", evidence="185/121",
            message="my bp is 185/121 and I have a headache", created_at=NOW - dt.timedelta(minutes=minutes_ago)))

    ids = {"unanswered": escalate("mei", "unanswered", 90).id, "emergency": escalate("mei", "emergency", 30).id,
           "sam": escalate("sam", "urgent", 10).id}
    alerts = Alerts(profiles, AccessPolicy(accounts, audit), clock=lambda: NOW)
    yield alerts, accounts, audit, ids
    for store in (profiles, accounts, audit):
        store.close()


def test_a_manager_sees_only_their_patients_alerts_most_urgent_first_with_their_age(world):
    alerts, accounts, _, ids = world
    listed = alerts.for_account(accounts.get("li"))
    assert [(a.id, a.level, a.age_minutes, a.status) for a in listed] == [
        (ids["emergency"], "emergency", 30, "open"), (ids["unanswered"], "unanswered", 90, "open")]
    assert listed[0].evidence == "185/121" and listed[0].passage_id == "p#1"  # the evidence, to check
    assert alerts.for_account(accounts.get("wu")) == []
    with pytest.raises(AlertNotFound):  # another manager's patient: not told it exists
        alerts.get(accounts.get("wu"), ids["emergency"])
    with pytest.raises(AlertNotFound):
        alerts.get(accounts.get("li"), ids["sam"])


def test_acknowledge_then_resolve_with_a_reason_code_and_a_note_each_audited(world):
    alerts, accounts, audit, ids = world
    li = accounts.get("li")
    with pytest.raises(AlertError, match="acknowledge alert .* before resolving"):
        alerts.resolve(li, ids["emergency"], "contacted_patient", "rang her")
    acked = alerts.acknowledge(li, ids["emergency"])
    assert (acked.status, acked.acknowledged_by) == ("acknowledged", "li")
    with pytest.raises(AlertError, match="already acknowledged"):
        alerts.acknowledge(li, ids["emergency"])
    with pytest.raises(AlertError, match="unknown reason code 'fixed'"):
        alerts.resolve(li, ids["emergency"], "fixed", "rang her")
    with pytest.raises(AlertError, match="write a note"):
        alerts.resolve(li, ids["emergency"], "contacted_patient", "  ")
    done = alerts.resolve(li, ids["emergency"], "emergency_confirmed", "Ambulance called; BP 170/105 on arrival.")
    assert (done.status, done.resolved_by, done.reason_code) == ("resolved", "li", "emergency_confirmed")
    assert done.note.startswith("Ambulance called")
    assert [a.status for a in alerts.for_account(li)] == ["open", "resolved"]  # resolved ones last
    actions = [(e.action, e.outcome, e.patient) for e in reversed(audit.entries(actor="li"))
               if e.resource == "alerts"]
    assert ("acknowledge", "done", "mei") in actions and ("resolve", "done", "mei") in actions
    with pytest.raises(AlertNotFound):
        alerts.acknowledge(accounts.get("wu"), ids["unanswered"])
    assert audit.entries(actor="wu")[0].outcome == "denied"  # the refusal is on record too


def _escalate(profiles: ProfileStore, profile_id: str, level: str) -> EscalationRecord:
    return profiles.add_escalation(EscalationRecord(
        profile_id=profile_id, level=level, reason=f"{level} reason", passage_id="p#1", evidence="e",
        message="m", created_at=NOW - dt.timedelta(minutes=5)))


def _set_tier(profiles: ProfileStore, profile_id: str, tier: str) -> None:
    profiles.save_profile(profiles.get_profile(profile_id).model_copy(update={"tier": tier}))


def test_a_basic_patients_routine_alerts_are_recorded_but_only_emergencies_reach_the_manager(world):
    alerts, accounts, _, ids = world
    _set_tier(alerts.store, "mei", "basic")
    routine = _escalate(alerts.store, "mei", "routine")
    safety = _escalate(alerts.store, "mei", "safety")  # its reply promised a person's review
    listed = alerts.for_account(accounts.get("li"))
    assert [a.level for a in listed] == ["emergency", "safety"]  # the question and the follow-up: recorded only
    assert safety.id in [a.id for a in listed]
    assert {r.id for r in alerts.store.escalations(profile_ids=["mei"])} >= {routine.id, ids["unanswered"]}
    assert listed[0].due_at is None  # an emergency is not "due within hours": it is now


def test_a_professional_patients_follow_ups_reach_the_manager_with_the_time_they_are_due_by(world):
    alerts, accounts, _, _ = world
    routine = _escalate(alerts.store, "mei", "routine")
    listed = {a.id: a for a in alerts.for_account(accounts.get("li"))}
    assert listed[routine.id].due_at == routine.created_at + dt.timedelta(hours=24)  # rules/tiers.yaml
    assert not listed[routine.id].notify_at_once
    assert alerts.pressing(accounts.get("li")) == []


def test_a_premium_patients_emergency_notifies_the_assigned_manager_at_once_and_stays_pressing(world, tmp_path):
    alerts, accounts, _, _ = world
    notifier = LogFileNotifier(tmp_path / "notifications.jsonl")
    alerts.notifier = notifier
    _set_tier(alerts.store, "mei", "premium")
    emergency = _escalate(alerts.store, "mei", "emergency")
    alerts.raised(emergency)
    alerts.raised(_escalate(alerts.store, "mei", "routine"))  # premium: in the queue, but no one is paged
    sent = notifier.sent()
    assert [(n.alert_id, n.managers, n.level, n.tier, n.link) for n in sent] == [
        (emergency.id, ["li"], "emergency", "premium", f"/manager/alerts/{emergency.id}")]
    assert emergency.id in [a.id for a in alerts.pressing(accounts.get("li"))]
    alerts.acknowledge(accounts.get("li"), emergency.id)
    assert emergency.id not in [a.id for a in alerts.pressing(accounts.get("li"))]
    alerts.raised(_escalate(alerts.store, "sam", "emergency"))  # sam is professional, with no manager: no page
    assert len(notifier.sent()) == 1


def test_a_notifier_that_fails_loses_no_alert(world):
    alerts, accounts, _, _ = world

    class Broken:
        name = "broken"

        def notify(self, notification):
            raise OSError("the webhook is down")

    alerts.notifier = Broken()
    _set_tier(alerts.store, "mei", "premium")
    emergency = _escalate(alerts.store, "mei", "emergency")
    alerts.raised(emergency)  # logged, not raised
    assert emergency.id in [a.id for a in alerts.for_account(accounts.get("li"))]


def test_a_manager_on_call_is_shown_the_emergencies_of_patients_no_manager_follows_and_nothing_else(world):
    alerts, accounts, audit, ids = world
    sam_emergency = _escalate(alerts.store, "sam", "emergency")  # sam has no manager
    wu = accounts.get("wu")
    assert alerts.for_account(wu) == []
    with pytest.raises(AlertNotFound):
        alerts.get(wu, sam_emergency.id)
    accounts.set_on_call("wu", True)
    listed = alerts.for_account(wu)
    assert [a.id for a in listed] == [sam_emergency.id]  # not sam's urgent alert, not mei's (li follows her)
    assert alerts.acknowledge(wu, sam_emergency.id).acknowledged_by == "wu"
    for other in (ids["sam"], ids["emergency"]):  # sam's urgent one; mei's emergency, which li has
        with pytest.raises(AlertNotFound):
            alerts.get(wu, other)
    assert any(e.detail.startswith("on call") for e in audit.entries(actor="wu"))
    accounts.assign("li", ["sam"])  # now someone follows sam: on call no longer reaches him
    with pytest.raises(AlertNotFound):
        alerts.get(wu, sam_emergency.id)
    accounts.set_on_call("wu", False)
    assert accounts.on_call_managers() == []
