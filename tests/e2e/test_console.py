"""The health manager console in a real browser, beside the patient's chat: a patient's emergency reaches
the console's alerts; the manager opens it, sees the evidence, acknowledges and resolves it. Two browser
contexts (two people), one server, one login page. Screenshots go to out/e2e/."""

from __future__ import annotations

import subprocess

import pytest

from coach.audit import AuditLog
from coach.profile.store import sqlite_url
from tests.e2e.server import ARTIFACTS, COACH, app_env
from tests.e2e.test_patient_app import browser, login, send, server  # noqa: F401  (fixtures, helpers)

pytestmark = pytest.mark.slow
CRISIS = "My blood pressure is 185/121 right now and I have a terrible headache"


def test_a_patients_emergency_reaches_the_managers_console_and_is_resolved_there(browser, server):  # noqa: F811
    for args in (["users", "add", "nurse-li", "--role", "manager", "--password-stdin"],
                 ["users", "assign", "nurse-li", "demo"]):
        subprocess.run(COACH + args, env=app_env(server.data_dir), input="manager-pass-2026\n", text=True,
                       check=True, capture_output=True)
    patient = login(browser, server)
    send(patient, CRISIS)
    patient.get_by_text("EMERGENCY: call your local emergency number now").wait_for()

    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    manager.goto(server.url + "/login")
    manager.fill("#email", "nurse-li")
    manager.fill("#password", "manager-pass-2026")
    manager.click("button:has-text('Sign In')")
    manager.wait_for_url(lambda url: "/login" not in url)
    manager.goto(server.url + "/manager")  # the caseload: the demo patient, with the open emergency
    manager.locator("tr", has_text="1 · emergency").wait_for()
    manager.screenshot(path=str(ARTIFACTS / "9-console-caseload.png"), full_page=True)
    manager.get_by_role("link", name="Alex Chen").click()  # the patient view: findings with their rules
    manager.get_by_role("heading", name="Findings").wait_for()
    assert "emergency-red-flags" in manager.content() or "htn-" in manager.content()
    manager.screenshot(path=str(ARTIFACTS / "9-console-patient.png"), full_page=True)
    manager.get_by_role("link", name="Alerts").first.click()
    row = manager.locator("tr", has_text="emergency").first
    row.wait_for()
    manager.screenshot(path=str(ARTIFACTS / "9-console-alerts.png"), full_page=True)
    row.get_by_role("link", name="Open").click()
    manager.get_by_text(CRISIS).wait_for()  # the patient's message and the evidence that raised it
    evidence = manager.locator("dl").inner_text()
    assert "185/121" in evidence and "emergency-red-flags#hypertensive-emergency" in evidence
    assert manager.locator("blockquote").inner_text().strip()  # the passage's own text, to check the rule by
    manager.get_by_role("button", name="Acknowledge").click()
    manager.get_by_text("acknowledged by nurse-li").wait_for()
    manager.select_option("#reason_code", "contacted_patient")
    manager.fill("#note", "Phoned her: ambulance on its way.")
    manager.get_by_role("button", name="Resolve").click()
    manager.get_by_text("resolved by nurse-li").wait_for()
    manager.screenshot(path=str(ARTIFACTS / "10-console-alert-resolved.png"), full_page=True)

    entries = AuditLog(sqlite_url(server.data_dir / "coach.db")).entries(actor="nurse-li")
    assert {(e.resource, e.action, e.outcome, e.patient) for e in entries} >= {
        ("profile", "view caseload", "allowed", "demo"), ("alerts", "view", "allowed", "demo"), ("alerts", "acknowledge", "done", "demo"),
        ("alerts", "resolve", "done", "demo")}
    patient.goto(server.url + "/manager/alerts")  # the patient's own login does not open the console
    assert "health managers" in patient.content()
    patient.close()
    manager.close()
