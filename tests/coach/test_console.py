"""The console's alert pages over HTTP (FastAPI's test client on the console's routes): who gets what,
and the acknowledge-then-resolve flow with its errors said in words."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coach.access import AccessPolicy
from coach.accounts import AccountStore
from coach.alerts import Alerts
from coach.assessment import assess
from coach.audit import AuditLog
from coach.caseload import Caseload
from coach.console.routes import ConsoleServices, mount_console
from coach.conversations import EVIDENCE_KEY, Conversations
from coach.eval_runs import EvalRuns
from coach.handover import Handover
from coach.evaluation.report import write_reports
from coach.evaluation.results import Metrics, RunReport
from coach.models import Indicator, Profile, Reading
from coach.profile.store import EscalationRecord, ProfileStore, sqlite_url

SECRET_MESSAGE = "my bp is 185/121 and I have a headache"
SECRET_NOTE = "Mei, please sit down and check it again in five minutes"
SECRET_ANSWER = "Mei, your reading of 165/102 is in the grade 2 range [1]."
WROTE_AT = dt.datetime.utcnow().replace(microsecond=0)  # the stored threads' messages: after mei's last reading


def _stored_thread(conversations: Conversations, thread_id: str, owner: str) -> str:
    """A thread as the chat app stores it: the patient's question and the coach's answer with its evidence."""
    import json

    from coach.ui.persistence import steps, threads
    evidence = {"citations": [{"marker": 1, "passage_id": "htn#crisis"}], "indicators": [], "triage": "none"}
    with conversations.chat.begin() as conn:
        conn.execute(threads.insert().values(id=thread_id, name=f"{owner}'s chat", userIdentifier=owner,
                                             createdAt=WROTE_AT.isoformat() + "Z"))
        conn.execute(steps.insert(), [
            {"id": f"{thread_id}-q", "name": owner, "type": "user_message", "threadId": thread_id,
             "streaming": False, "output": "is 165/102 bad?", "metadata": None, "createdAt": WROTE_AT.isoformat() + "Z"},
            {"id": f"{thread_id}-a", "name": "Assistant", "type": "assistant_message", "threadId": thread_id,
             "streaming": False, "output": SECRET_ANSWER if owner == "mei" else "sam's answer",
             "metadata": json.dumps({EVIDENCE_KEY: evidence}), "createdAt": WROTE_AT.isoformat() + ".5Z"}])
    return thread_id


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "console-test-secret-" + "x" * 40)
    url = sqlite_url(tmp_path / "coach.db")
    profiles, accounts, audit = ProfileStore(url), AccountStore(url), AuditLog(url)
    for name, role in [("mei", "patient"), ("sam", "patient"), ("li", "manager"), ("wu", "manager"),
                       ("eve", "evaluator"), ("root", "admin")]:
        accounts.add(name, role, "long-enough-pw")
    for name in ("mei", "sam", "ann"):
        profiles.create_profile(Profile(id=name, display_name=name.title(), region="cn", conditions=["htn"],
                                        tier="premium" if name == "mei" else "basic"))
    accounts.add("ann", "patient", "long-enough-pw")
    accounts.assign("li", ["mei", "ann"])
    taken = dt.datetime.utcnow() - dt.timedelta(days=1)
    profiles.add_readings("mei", [Reading(indicator=Indicator("systolic_bp"), value=165, unit="mmHg", measured_at=taken),
                                  Reading(indicator=Indicator("diastolic_bp"), value=102, unit="mmHg", measured_at=taken)])
    mei = profiles.add_escalation(EscalationRecord(
        profile_id="mei", level="emergency", reason="possible hypertensive emergency", passage_id="htn#crisis",
        evidence="185/121 with a headache", message=SECRET_MESSAGE, created_at=dt.datetime.utcnow()))
    sam = profiles.add_escalation(EscalationRecord(
        profile_id="sam", level="urgent", reason="sam's reason", passage_id="p#2", evidence="sam's evidence",
        message="sam's message", created_at=dt.datetime.utcnow()))
    policy = AccessPolicy(accounts, audit)
    app = FastAPI()
    passages = {"htn#crisis": SimpleNamespace(document_title="BP emergencies", issuer="ACC/AHA", edition="2017",
                                              heading_path=("Crisis",), text="Above 180/120 with symptoms: call now.")}
    alerts = Alerts(profiles, policy)
    conversations = Conversations(f"sqlite+aiosqlite:///{tmp_path / 'chainlit.db'}", profiles, policy, accounts)
    caseload = Caseload(profiles, policy, alerts, lambda p: assess(p, profiles.readings(p.id), dt.datetime.utcnow()),
                        conversations.last_messages)
    runs = tmp_path / "eval-runs"
    for name, passed, day in (("before", 9, 1), ("after", 10, 2)):
        write_reports(RunReport(started_at=dt.datetime(2026, 12, day, 9), clock=dt.datetime(2026, 12, day),
                                backend="composer", metrics=Metrics(scenarios=10, scenarios_passed=passed,
                                                                    scenarios_failed=10 - passed)), runs / name)
    handover = Handover(profiles, policy)
    handover.take_over(accounts.get("li"), "mei")
    handover.write(accounts.get("li"), "mei", SECRET_NOTE)
    _stored_thread(conversations, "thread-mei", "mei")
    _stored_thread(conversations, "thread-sam", "sam")
    mount_console(app, ConsoleServices(accounts=accounts, policy=policy, alerts=alerts, caseload=caseload,
                                       runs=EvalRuns(runs), audit=audit, handover=handover,
                                       conversations=conversations, passage=passages.get))
    yield app, accounts, audit, mei.id, sam.id
    conversations.close()
    for store in (profiles, accounts, audit):
        store.close()


def client_as(app, username: str | None) -> TestClient:
    import chainlit as cl
    from chainlit.auth import create_jwt

    client = TestClient(app)
    if username:
        client.cookies.set("access_token", create_jwt(cl.User(identifier=username)))
    return client


def test_who_reaches_the_alert_pages(site):
    app, _, _, mei, sam = site
    pages = ["/manager/alerts", f"/manager/alerts/{mei}"]
    for page in pages:  # not logged in: a browser is sent to the login page, a form post is refused
        assert client_as(app, None).get(page, follow_redirects=False).headers["location"] == "/login"
    assert client_as(app, None).post(f"/manager/alerts/{mei}/acknowledge").status_code == 401
    for other in ("mei", "eve", "root"):  # a patient, an evaluator, an admin: not their work
        for page in pages:
            got = client_as(app, other).get(page)
            assert got.status_code == 403 and SECRET_MESSAGE not in got.text, (other, page)
    li = client_as(app, "li")
    listed = li.get("/manager/alerts")
    assert listed.status_code == 200 and "possible hypertensive emergency" in listed.text
    assert "sam's reason" not in listed.text  # not a patient li follows
    page = li.get(f"/manager/alerts/{mei}")
    assert page.status_code == 200 and SECRET_MESSAGE in page.text and "htn#crisis" in page.text
    assert "Above 180/120 with symptoms: call now." in page.text  # the passage itself, beside the alert
    hidden = li.get(f"/manager/alerts/{sam}")
    assert hidden.status_code == 404 and "sam's" not in hidden.text  # as if it did not exist
    assert client_as(app, "li").get("/manager/alerts/99999").status_code == 404
    wu = client_as(app, "wu")
    assert "No alerts" in wu.get("/manager/alerts").text
    assert wu.get(f"/manager/alerts/{mei}").status_code == 404
    assert wu.post(f"/manager/alerts/{mei}/acknowledge").status_code == 404


def test_acknowledge_then_resolve_in_the_pages_with_errors_in_words(site):
    app, accounts, audit, mei, _ = site
    li = client_as(app, "li")
    early = li.post(f"/manager/alerts/{mei}/resolve", data={"reason_code": "contacted_patient", "note": "rang"})
    assert early.status_code == 400 and "acknowledge alert" in early.text
    acked = li.post(f"/manager/alerts/{mei}/acknowledge", follow_redirects=True)
    assert acked.status_code == 200 and "acknowledged by li" in acked.text and 'name="reason_code"' in acked.text
    no_note = li.post(f"/manager/alerts/{mei}/resolve", data={"reason_code": "contacted_patient", "note": ""})
    assert no_note.status_code == 400 and "write a note" in no_note.text
    done = li.post(f"/manager/alerts/{mei}/resolve", follow_redirects=True,
                   data={"reason_code": "emergency_confirmed", "note": "Ambulance called."})
    assert done.status_code == 200 and "resolved by li" in done.text and "Ambulance called." in done.text
    assert "resolved" in li.get("/manager/alerts?status=resolved").text
    assert {(e.action, e.outcome) for e in audit.entries(actor="li")} >= {
        ("view", "allowed"), ("acknowledge", "done"), ("resolve", "done")}
    accounts.set_disabled("li", True)  # in force at once, whatever the cookie says
    assert li.get("/manager/alerts", follow_redirects=False).status_code == 303  # to the login page


def test_the_caseload_shows_the_patients_followed_most_urgent_first_with_their_status_in_words(site):
    app, _, audit, _, _ = site
    li = client_as(app, "li")
    page = li.get("/manager")
    assert page.status_code == 200
    text = page.text
    assert text.index("Mei") < text.index("Ann")  # an open emergency first
    assert "Blood pressure 165/102 mmHg: Grade 2 hypertension" in text and 'class="status red"' in text
    assert "premium" in text and "1 · emergency" in text and "no readings yet" in text
    assert WROTE_AT.strftime("%Y-%m-%d %H:%M") in text  # mei's last contact: her last message in the chat
    assert "Sam" not in text  # not a patient li follows
    assert "Ann" not in li.get("/manager?attention=true").text  # nothing needs attention for Ann
    assert "Mei" not in li.get("/manager?q=ann").text
    assert {e.patient for e in audit.entries(actor="li") if e.action == "view caseload"} == {"mei", "ann"}
    assert client_as(app, "mei").get("/manager").status_code == 403
    assert "No patients assigned" in client_as(app, "wu").get("/manager").text


def test_the_patient_view_shows_profile_findings_with_rules_readings_and_alerts_to_their_manager_only(site):
    app, _, audit, mei_alert, _ = site
    li = client_as(app, "li")
    page = li.get("/manager/patients/mei")
    assert page.status_code == 200
    assert "Blood pressure 165/102 mmHg: Grade 2 hypertension" in page.text  # the finding, its rule and passage
    assert "tier premium" in page.text and "165 mmHg" in page.text and f"/manager/alerts/{mei_alert}" in page.text
    assert page.text.count("Plotly.newPlot(") == 1  # one chart for blood pressure
    assert "Grade 2" in page.text.split('Plotly.newPlot("chart-0"')[1]  # its thresholds, with their bands
    assert client_as(app, "li").get("/manager/static/plotly.min.js").headers["content-type"].startswith(
        "text/javascript")
    assert ("profile", "view patient", "mei") in {(e.resource, e.action, e.patient) for e in audit.entries()}
    for who, pid in [("li", "sam"), ("wu", "mei"), ("li", "nobody")]:  # not followed, or no such patient
        refused = client_as(app, who).get(f"/manager/patients/{pid}")
        assert refused.status_code == 404 and "165" not in refused.text and "Sam" not in refused.text
    assert client_as(app, "mei").get("/manager/patients/mei").status_code == 403  # the console is not hers


def test_evaluators_read_the_runs_and_compare_them_and_no_one_else_does(site):
    app = site[0]
    eve = client_as(app, "eve")
    listed = eve.get("/manager/runs")
    assert listed.status_code == 200
    assert listed.text.index('href="/manager/runs/after"') < listed.text.index('href="/manager/runs/before"')
    assert "9 of 10" in listed.text and "10 of 10" in listed.text and "Mei" not in listed.text
    report = eve.get("/manager/runs/after")  # the HTML report `coach eval --report` wrote
    assert report.status_code == 200 and "composer" in report.text
    compared = eve.get("/manager/runs/compare", params={"before": "before", "after": "after"})
    assert compared.status_code == 200 and "Comparing before -&gt; after" in compared.text
    for bad in ("../before", "nothing", "before%2F..%2F.."):
        assert eve.get(f"/manager/runs/{bad}").status_code == 404, bad
    assert eve.get("/manager/runs/compare", params={"before": "x", "after": "after"}).status_code == 404
    for other in ("li", "mei", "root"):
        assert client_as(app, other).get("/manager/runs").status_code == 403, other
    assert eve.get("/manager").status_code == 403  # an evaluator reaches no patient


def test_admins_read_and_export_the_audit_log_and_no_one_else_does(site):
    import csv
    import io
    import json

    app, _, _, mei_alert, _ = site
    client_as(app, "li").get(f"/manager/alerts/{mei_alert}")  # an audited view
    client_as(app, "li").get("/manager/patients/sam")  # an audited refusal
    root = client_as(app, "root")
    page = root.get("/manager/audit")
    assert page.status_code == 200 and "li (manager)" in page.text and "denied" in page.text
    only_sam = root.get("/manager/audit", params={"patient": "sam"}).text
    assert "denied" in only_sam and f"alert {mei_alert}" not in only_sam
    rows = list(csv.DictReader(io.StringIO(root.get("/manager/audit/export", params={"format": "csv"}).text)))
    assert {(r["actor"], r["outcome"]) for r in rows} >= {("li", "allowed"), ("li", "denied")}
    exported = root.get("/manager/audit/export", params={"format": "json", "actor": "li"})
    assert exported.headers["content-disposition"] == "attachment; filename=audit.json"
    assert {e["actor"] for e in json.loads(exported.text)} == {"li"}
    assert root.get("/manager/audit/export", params={"format": "xml"}).status_code == 400
    for other in ("li", "mei", "eve"):
        assert client_as(app, other).get("/manager/audit").status_code == 403, other
        assert client_as(app, other).get("/manager/audit/export").status_code == 403, other


def test_every_console_route_against_every_role(site):
    """The route-level access matrix: each route of the console, for no login and every role; a refusal
    holds nothing of the patient asked about."""
    from fastapi.routing import APIRoute

    app, _, _, mei_alert, sam_alert = site
    paths = {r.path for r in app.router.routes if isinstance(r, APIRoute)}
    # route -> (method, concrete path, who may (status 200 or a redirect after a form), what must not leak)
    cases = [
        ("GET", "/manager", "/manager", {"li", "wu"}, "Grade 2"),
        ("GET", "/manager/alerts", "/manager/alerts", {"li", "wu"}, SECRET_MESSAGE),
        ("GET", "/manager/alerts/{alert_id}", f"/manager/alerts/{mei_alert}", {"li"}, SECRET_MESSAGE),
        ("POST", "/manager/alerts/{alert_id}/acknowledge", f"/manager/alerts/{sam_alert}/acknowledge", set(),
         "sam's"),
        ("POST", "/manager/alerts/{alert_id}/resolve", f"/manager/alerts/{sam_alert}/resolve", set(), "sam's"),
        ("GET", "/manager/patients/{profile_id}", "/manager/patients/mei", {"li"}, "165"),
        ("GET", "/manager/patients/{profile_id}/chat", "/manager/patients/mei/chat", {"li"}, SECRET_NOTE),
        ("GET", "/manager/static/plotly.min.js", "/manager/static/plotly.min.js",
         {None, "mei", "sam", "li", "wu", "eve", "root"}, "-"),  # a public library: no patient's data
        ("GET", "/manager/patients/{profile_id}/chat/log", "/manager/patients/mei/chat/log", {"li"}, SECRET_NOTE),
        ("POST", "/manager/patients/{profile_id}/chat/take-over", "/manager/patients/sam/chat/take-over", set(),
         "Sam"),
        ("POST", "/manager/patients/{profile_id}/chat/write", "/manager/patients/sam/chat/write", set(), "Sam"),
        ("GET", "/manager/patients/{profile_id}/threads", "/manager/patients/mei/threads", {"li"}, "mei's chat"),
        ("GET", "/manager/patients/{profile_id}/threads/{thread_id}", "/manager/patients/mei/threads/thread-mei",
         {"li"}, SECRET_ANSWER),
        ("POST", "/manager/patients/{profile_id}/threads/{thread_id}/review",
         "/manager/patients/sam/threads/thread-sam/review", set(), "sam's answer"),
        ("GET", "/manager/flags", "/manager/flags", {"li", "wu"}, SECRET_ANSWER),
        ("GET", "/manager/flags/export", "/manager/flags/export", {"li", "wu"}, SECRET_ANSWER),
        ("POST", "/manager/patients/{profile_id}/chat/hand-back", "/manager/patients/sam/chat/hand-back", set(),
         "Sam"),
        ("GET", "/manager/runs", "/manager/runs", {"eve"}, "9 of 10"),
        ("GET", "/manager/runs/compare", "/manager/runs/compare?before=before&after=after", {"eve"}, "Comparing"),
        ("POST", "/manager/runs/upload", "/manager/runs/upload", {"eve"}, "9 of 10"),  # eve: let in, no file: 400
        ("GET", "/manager/runs/{name}", "/manager/runs/after", {"eve"}, "composer"),
        ("GET", "/manager/audit", "/manager/audit", {"root"}, "manager)"),
        ("GET", "/manager/audit/export", "/manager/audit/export", {"root"}, "actor"),
    ]
    assert {route for _, route, *_ in cases} == {p for p in paths if p.startswith("/manager")}, \
        "a console route has no row in the access matrix"
    client_as(app, "li").get(f"/manager/alerts/{mei_alert}")  # something in the audit log for the export
    for method, _, path, allowed, secret in cases:
        for who in (None, "mei", "sam", "li", "wu", "eve", "root"):
            got = client_as(app, who).request(method, path, follow_redirects=False)
            if who in allowed:  # a form posted empty is let in and then refused in words (400)
                assert got.status_code in ({200} if method == "GET" else {400}), (who, path, got.status_code)
                continue
            expected = {None: 303 if method == "GET" else 401}.get(who)
            assert got.status_code in ({expected} if expected else {403, 404}), (who, method, path, got.status_code)
            assert secret not in got.text, (who, path)


def test_the_manager_takes_over_writes_and_hands_back_in_the_console_with_errors_in_words(site):
    app, accounts, audit, _, _ = site
    li, wu = client_as(app, "li"), client_as(app, "wu")
    accounts.assign("wu", ["mei"])
    page = li.get("/manager/patients/mei/chat")
    assert "You are answering this chat" in page.text and SECRET_NOTE in page.text and "waiting" in page.text
    busy = wu.get("/manager/patients/mei/chat")
    assert "li is answering this chat" in busy.text and "Hand back" not in busy.text
    refused = wu.post("/manager/patients/mei/chat/take-over")
    assert refused.status_code == 400 and "li is answering" in refused.text
    empty = li.post("/manager/patients/mei/chat/write", data={"text": "  "})
    assert empty.status_code == 400 and "write a message first" in empty.text
    import re
    seen = max(int(i) for i in re.findall(r'data-id="(\d+)"', page.text))
    sent = li.post("/manager/patients/mei/chat/write", data={"text": "I'm ringing you now."}, follow_redirects=True)
    assert sent.status_code == 200 and "I&#39;m ringing you now." in sent.text
    polled = li.get("/manager/patients/mei/chat/log", params={"after": seen})
    assert "I&#39;m ringing you now." in polled.text and SECRET_NOTE not in polled.text  # only what is new
    back = li.post("/manager/patients/mei/chat/hand-back", follow_redirects=True)
    assert "The coach is answering this chat" in back.text and "handed this chat back" in back.text
    assert wu.post("/manager/patients/mei/chat/take-over", follow_redirects=True).status_code == 200
    assert {(e.actor, e.action) for e in audit.entries() if e.outcome == "done"} >= {
        ("li", "take over"), ("li", "write"), ("li", "hand back"), ("wu", "take over")}


def test_a_premium_patients_open_emergency_is_on_every_manager_page_until_acknowledged(site):
    app, _, _, mei_alert, _ = site
    li = client_as(app, "li")
    for page in ("/manager", "/manager/alerts", "/manager/patients/ann"):
        text = li.get(page).text
        assert f'<a href="/manager/alerts/{mei_alert}">open the alert</a>' in text and "premium patient" in text
    li.post(f"/manager/alerts/{mei_alert}/acknowledge")
    assert "open the alert" not in li.get("/manager").text


def test_conversation_review_in_the_pages_approve_flag_and_export(site):
    app, _, _, _, _ = site
    li = client_as(app, "li")
    listed = li.get("/manager/patients/mei/threads")
    assert listed.status_code == 200 and "mei&#39;s chat" in listed.text
    page = li.get("/manager/patients/mei/threads/thread-mei")
    assert SECRET_ANSWER in page.text and "Above 180/120 with symptoms: call now." in page.text  # beside its passage
    assert li.get("/manager/patients/mei/threads/thread-sam").status_code == 404  # sam's thread under mei's name
    bad = li.post("/manager/patients/mei/threads/thread-mei/review",
                  data={"step_id": "thread-mei-a", "verdict": "flagged", "reason_code": "unsafe", "note": ""})
    assert bad.status_code == 400 and "correction note" in bad.text
    flagged = li.post("/manager/patients/mei/threads/thread-mei/review", follow_redirects=True, data={
        "step_id": "thread-mei-a", "verdict": "flagged", "reason_code": "unsafe",
        "note": "Grade 2 needs a visit this month; say so."})
    assert flagged.status_code == 200 and "flagged by li: unsafe" in flagged.text
    assert "Grade 2 needs a visit this month" in li.get("/manager/flags").text
    exported = li.get("/manager/flags/export", params={"format": "json"})
    assert exported.json()[0]["answer"] == SECRET_ANSWER
    assert client_as(app, "wu").get("/manager/flags/export", params={"format": "json"}).json() == []
    assert li.get("/manager/flags/export", params={"format": "xml"}).status_code == 400


def test_an_evaluator_uploads_a_run_and_a_bad_file_is_refused_in_words(site, tmp_path):
    app = site[0]
    eve = client_as(app, "eve")
    good = (tmp_path / "eval-runs" / "after" / "results.json").read_bytes()
    stored = eve.post("/manager/runs/upload", data={"name": "uploaded-1"}, follow_redirects=True,
                      files={"results": ("results.json", good, "application/json")})
    assert stored.status_code == 200 and 'href="/manager/runs/uploaded-1"' in stored.text
    assert "composer" in eve.get("/manager/runs/uploaded-1").text  # its HTML report, written from the results
    for name, body, message in [("uploaded-1", good, "already a run named"), ("../x", good, "name the run"),
                                ("bad", b'{"started_at": "yesterday"}', "not a results.json")]:
        refused = eve.post("/manager/runs/upload", data={"name": name},
                           files={"results": ("results.json", body, "application/json")})
        assert refused.status_code == 400 and message in refused.text, name
    assert not (tmp_path / "eval-runs" / "bad").exists()
    assert client_as(app, "li").post("/manager/runs/upload", data={"name": "x"},
                                     files={"results": ("r.json", good, "application/json")}).status_code == 403
