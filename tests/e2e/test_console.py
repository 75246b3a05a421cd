"""The health manager console in a real browser, beside the patient's chat: a patient's emergency reaches
the console's alerts; the manager opens it, sees the evidence, takes the chat over and writes (the patient
sees it live), hands back (the coach answers again) and resolves the alert. Two browser contexts (two
people) at once, one server, one login page. Screenshots go to out/e2e/."""

from __future__ import annotations

import re
import subprocess

import pytest

from coach.audit import AuditLog
from coach.profile.store import sqlite_url
from tests.e2e.server import ARTIFACTS, COACH, app_env
from tests.e2e.test_patient_app import browser, login, send, server  # noqa: F401  (fixtures, helpers)

pytestmark = pytest.mark.slow
CRISIS = "My blood pressure is 185/121 right now and I have a terrible headache"


def test_a_patients_emergency_reaches_the_console_and_the_manager_takes_over_the_chat_and_hands_back(
        browser, server):  # noqa: F811
    """The issue's five steps, two browser contexts at once, audit entries asserted at each step."""
    audit = AuditLog(sqlite_url(server.data_dir / "coach.db"))

    def done_by_li():
        return {(e.resource, e.action, e.outcome, e.patient) for e in audit.entries(actor="nurse-li")}

    # 1. the patient reports 185/121 with a headache
    patient = login(browser, server)
    send(patient, CRISIS)
    patient.get_by_text("EMERGENCY: call your local emergency number now").wait_for()

    # 2. the alert is on the console
    manager = _manager(browser, server, "nurse-li")
    manager.goto(server.url + "/manager")  # the caseload: the demo patient, with the open emergency
    manager.locator("tr", has_text="1 · emergency").wait_for()
    manager.get_by_text("open the alert").first.wait_for()  # premium: on every page until acknowledged
    manager.screenshot(path=str(ARTIFACTS / "9-console-caseload.png"), full_page=True)
    assert ("profile", "view caseload", "allowed", "demo") in done_by_li()
    manager.get_by_role("link", name="Alex Chen").click()  # the patient view: findings with their rules
    manager.get_by_role("heading", name="Findings").wait_for()
    manager.locator("#chart-0 .main-svg").first.wait_for()  # the readings drawn with their thresholds
    manager.screenshot(path=str(ARTIFACTS / "9-console-patient.png"), full_page=True)
    manager.get_by_role("link", name="Alerts").first.click()
    row = manager.locator("tr", has_text="emergency").first
    row.wait_for()
    manager.screenshot(path=str(ARTIFACTS / "9-console-alerts.png"), full_page=True)

    # 3. the manager opens it and sees the reply's evidence
    row.get_by_role("link", name="Open").click()
    manager.get_by_text(CRISIS).wait_for()  # the patient's message and the evidence that raised it
    evidence = manager.locator("dl").inner_text()
    assert "185/121" in evidence and "emergency-red-flags#hypertensive-emergency" in evidence
    assert manager.locator("blockquote").inner_text().strip()  # the passage's own text, to check the rule by
    manager.get_by_role("button", name="Acknowledge").click()
    manager.get_by_text("acknowledged by nurse-li").wait_for()
    assert {("alerts", "view", "allowed", "demo"), ("alerts", "acknowledge", "done", "demo")} <= done_by_li()

    # 4. the manager takes over and writes; the patient sees it live, labelled as from a person
    manager.goto(server.url + "/manager/patients/demo/chat")
    manager.get_by_role("button", name="Take over").click()
    manager.get_by_text("You are answering this chat").wait_for()
    patient.get_by_text("has joined this chat and is answering you now").wait_for()
    manager.fill("#text", "Alex, this is nurse Li. Is someone with you? I am calling you now.")
    manager.get_by_role("button", name="Send").click()
    patient.get_by_text("Your health manager, nurse-li, writes:").wait_for()
    patient.get_by_text("Is someone with you? I am calling you now.").wait_for()
    patient.screenshot(path=str(ARTIFACTS / "11-patient-taken-over.png"), full_page=True)
    # the patient's answer reaches the manager's page (polled in), the coach stays quiet, triage still reads it
    before = patient.locator("[data-step-type='assistant_message']").count()
    patient.locator("#chat-input").fill("Yes, my wife is here. The headache is a bit better.")
    patient.locator("#chat-submit").click()
    patient.get_by_text("has your message and answers you here").wait_for()
    manager.locator("td", has_text="my wife is here").wait_for()
    assert patient.locator("[data-step-type='assistant_message']").count() == before + 1  # only the notice
    manager.screenshot(path=str(ARTIFACTS / "11-console-take-over.png"), full_page=True)
    assert {("threads", "take over", "done", "demo"), ("threads", "write", "done", "demo"),
            ("threads", "view conversation", "allowed", "demo")} <= done_by_li()

    # 5. the manager hands back, and the coach answers the next message again
    manager.get_by_role("button", name="Hand back to the coach").click()
    manager.get_by_text("The coach is answering this chat").wait_for()
    patient.get_by_text("handed this chat back to the coach").wait_for()
    answer = send(patient, "What foods help lower blood pressure?")
    patient.wait_for_function("document.querySelectorAll(\"[data-step-type='assistant_message']\").length > 0")
    assert "[1]" in answer.inner_text() or "guideline" in answer.inner_text().lower()
    assert ("threads", "hand back", "done", "demo") in done_by_li()
    patient.screenshot(path=str(ARTIFACTS / "11-patient-handed-back.png"), full_page=True)

    # the alert is resolved with a reason code and a note
    manager.goto(server.url + "/manager/alerts")
    manager.locator("tr", has_text="emergency").first.get_by_role("link", name="Open").click()
    manager.select_option("#reason_code", "contacted_patient")
    manager.fill("#note", "Phoned him: his wife is with him, ambulance on its way.")
    manager.get_by_role("button", name="Resolve").click()
    manager.get_by_text("resolved by nurse-li").wait_for()
    manager.screenshot(path=str(ARTIFACTS / "10-console-alert-resolved.png"), full_page=True)
    assert ("alerts", "resolve", "done", "demo") in done_by_li()

    # conversation review: the thread as the chat app stored it, each answer beside its passages
    manager.goto(server.url + "/manager/patients/demo/threads")
    manager.get_by_role("link", name=CRISIS[:20], exact=False).first.click()
    card = manager.locator(".turn-coach", has_text="What foods help lower blood pressure").first
    if not card.count():  # the answer's text does not repeat the question: take the last coach answer
        card = manager.locator(".turn-coach").last
    card.locator("blockquote").first.wait_for()  # the cited passage's text, beside the answer
    card.locator("select[name=reason_code]").select_option("unclear")
    card.locator("input[name=note]").fill("Lead with two or three foods, then the DASH pattern.")
    card.get_by_role("button", name="Flag").click()
    manager.get_by_text("flagged by nurse-li: unclear").wait_for()
    manager.screenshot(path=str(ARTIFACTS / "12-console-review.png"), full_page=True)
    assert any(e.action == "review: flagged" for e in audit.entries(actor="nurse-li"))
    # Chainlit's own thread routes stay the patient's: the manager's login cannot read the thread there
    import sqlite3
    with sqlite3.connect(server.data_dir / "coach.db") as db:
        thread_id = db.execute("SELECT thread_id FROM handover_messages WHERE thread_id IS NOT NULL").fetchone()[0]
    assert manager.request.get(f"{server.url}/project/thread/{thread_id}").status in (401, 403, 404)
    assert patient.request.get(f"{server.url}/project/thread/{thread_id}").status == 200
    assert _resume_as(server.url, "nurse-li", "manager-pass-2026", thread_id).startswith("refused")  # the socket

    patient.goto(server.url + "/manager/alerts")  # the patient's own login does not open the console
    assert "health managers" in patient.content()
    patient.close()
    manager.close()


def test_a_message_written_while_the_patient_was_away_is_shown_when_they_open_the_thread(browser, server):  # noqa: F811
    patient = login(browser, server)
    send(patient, "What is a normal blood pressure?")
    patient.wait_for_url(re.compile(r"/thread/[0-9a-f-]+"))
    thread_id = re.search(r"/thread/([0-9a-f-]+)", patient.url).group(1)
    patient.context.close()  # the patient leaves: the tab and its socket are gone

    manager = _manager(browser, server, "nurse-wu")
    manager.goto(server.url + "/manager/patients/demo/chat")
    manager.get_by_role("button", name="Take over").click()
    manager.fill("#text", "While you were away: please bring your meter to Friday's visit.")
    manager.get_by_role("button", name="Send").click()
    manager.locator("tr", has_text="bring your meter").get_by_text("waiting").wait_for()
    manager.wait_for_timeout(4000)  # a sweep or two: nobody is connected, so it still waits
    manager.reload()
    assert "waiting" in manager.locator("tr", has_text="bring your meter").inner_text()

    patient = login(browser, server)  # back later: the thread from the sidebar
    patient.locator(f"#thread-{thread_id}").click()
    patient.wait_for_url(re.compile(re.escape(thread_id)))
    patient.get_by_text("Your health manager, nurse-wu, writes:").wait_for()
    patient.get_by_text("please bring your meter to Friday's visit").wait_for()
    patient.get_by_text("please bring your meter to Friday's visit").scroll_into_view_if_needed()
    patient.screenshot(path=str(ARTIFACTS / "11-patient-offline-delivery.png"), full_page=True)
    manager.reload()
    row = manager.locator("tr", has_text="bring your meter")
    row.get_by_text("yes,").wait_for()  # now shown, in the thread it was opened in
    manager.get_by_role("button", name="Hand back to the coach").click()
    patient.get_by_text("handed this chat back to the coach").wait_for()

    # the patient asks for a person with the chat's command: an alert, and the premium tier's promise
    patient.get_by_role("button", name=re.compile("ask-person")).first.click()
    patient.locator("#chat-input").fill("Could you call me about my readings?")
    patient.locator("#chat-submit").click()
    patient.get_by_text("I've asked your health manager to contact you").wait_for()
    assert "within 2 hours" in patient.locator("[data-step-type='assistant_message']").last.inner_text()
    manager.goto(server.url + "/manager/alerts")
    manager.locator("tr", has_text="the patient asked for a person").first.wait_for()
    patient.close()
    manager.close()


def _manager(browser, server, name: str, password: str = "manager-pass-2026"):  # noqa: F811
    """A health manager account assigned the demo patient, logged in to the console in its own browser
    context (a second person beside the patient)."""
    for args in (["users", "add", name, "--role", "manager", "--password-stdin"], ["users", "assign", name, "demo"]):
        subprocess.run(COACH + args, env=app_env(server.data_dir), input=password + "\n", text=True, check=True,
                       capture_output=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(server.url + "/login")
    page.fill("#email", name)
    page.fill("#password", password)
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _resume_as(url: str, username: str, password: str, thread_id: str) -> str:
    """Open the chat's websocket as `username`, resuming `thread_id`, as the browser would."""
    import asyncio

    from bench.chainlit_client import ChainlitError, ChainlitSession

    async def attempt() -> str:
        session = ChainlitSession(url, username, password, timeout=30)
        try:
            await session.connect(thread_id=thread_id)
            return "connected"
        except ChainlitError as error:
            return f"refused: {error}"
        finally:
            await session.close()

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:  # its own event loop, beside Playwright's
        return pool.submit(asyncio.run, attempt()).result()
