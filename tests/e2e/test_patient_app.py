"""The patient chat app in a real browser: Debian's headless Chromium driven by Playwright.

The server is the real `coach serve` (Chainlit) on a free loopback port, with the session's real index,
SQLite stores in a temporary data folder and the demo patient. Screenshots go to out/e2e/.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import subprocess
import time

import pytest

from coach.profile.store import ProfileStore, sqlite_url
from tests.e2e.server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, COACH, AppServer, app_env

pytestmark = pytest.mark.slow
BP_QUESTION = "My blood pressure readings this week were 150/95 and 148/92, what should I do?"
EMERGENCY = "crushing chest pain and my left arm is numb"
ANSWER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(guideline_index, guideline_data_dir):
    assert CHROMIUM.exists(), "the browser tests need Debian's chromium: apt-get install chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = guideline_data_dir  # its chroma/ holds the session's index; the app's databases go beside it
    subprocess.run(COACH + ["demo"], env=app_env(data_dir), check=True, capture_output=True)
    app = AppServer(data_dir, ARTIFACTS / "server.log")
    app.start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def login(browser, server, username="demo", password="demo-patient-2026"):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.set_default_timeout(ANSWER_TIMEOUT_MS)
    page.goto(server.url + "/login")
    page.fill("#email", username)
    page.fill("#password", password)
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_selector("#chat-input")
    return page


def send(page, text: str):
    # The welcome message arrives once the session's websocket is up; text typed before that is lost.
    page.locator("[data-step-type='assistant_message']").first.wait_for()
    before = page.locator("[data-step-type='assistant_message']").count()
    page.locator("#chat-input").fill(text)
    page.locator("#chat-submit").click()
    page.wait_for_function(f"document.querySelectorAll(\"[data-step-type='assistant_message']\").length > {before}")
    page.wait_for_selector("#stop-button", state="detached")
    return page.locator("[data-step-type='assistant_message']").last


def attach(page, path):
    """Attach a file to the next message and wait until its upload is done (sending earlier drops it)."""
    from playwright.sync_api import TimeoutError, expect
    # A file chosen while the previous message's task is still winding down can be dropped by the page
    # (seen once on a loaded CI machine): choose it again until its chip shows.
    for attempt in range(4):
        page.locator("#upload-button-input").set_input_files(str(path))
        try:
            page.get_by_text(path.name, exact=True).filter(visible=True).first.wait_for(timeout=15_000)
            break
        except TimeoutError:
            if attempt == 3:
                raise
    page.locator("#chat-input").fill(" ")
    expect(page.locator("#chat-submit")).to_be_enabled()


def answer_with_sources(page):
    return page.locator("[data-step-type='assistant_message']", has_text="Sources").last


def test_a_patient_sees_the_cited_evidence_and_it_survives_resume_and_restart(browser, server):
    page = login(browser, server)
    send(page, BP_QUESTION)
    answer = answer_with_sources(page)
    answer.wait_for()
    text = answer.inner_text()
    assert re.search(r"\[\d+\]", text), "the answer has citation markers"
    assert "Stage 2 hypertension" in text and "148/92 mmHg" in text

    table = answer.locator("table")
    assert "blood pressure" in table.inner_text() and "Stage 2 hypertension" in table.inner_text()
    chart = answer.locator(".js-plotly-plot")
    chart.first.wait_for()
    assert chart.first.locator("svg").count() > 0, "the trend chart is drawn"

    _open_first_citation(page, answer)
    page.screenshot(path=str(ARTIFACTS / "1-answer.png"), full_page=True)
    thread_url = page.url

    # Thumbs down with a comment: stored with the message in the chat database.
    answer.locator(".negative-feedback-off").click()
    page.locator("[role=dialog] textarea").fill("too long")
    page.locator("#submit-feedback").click()
    answer.locator(".negative-feedback-on").wait_for()
    assert _eventually(lambda: _feedback(server)) == [(0, "too long")]

    # Reload and resume: the thread from the sidebar, with its citations, table and chart.
    page.reload()
    page.wait_for_selector("#chat-input")
    _resume(page, thread_url)
    page.screenshot(path=str(ARTIFACTS / "2-resumed.png"), full_page=True)

    # After a server restart the elements are read back from the data folder.
    page.close()
    server.restart()
    page = login(browser, server)
    _resume(page, thread_url)
    page.screenshot(path=str(ARTIFACTS / "3-after-restart.png"), full_page=True)
    page.close()


def _feedback(server) -> list[tuple]:
    with sqlite3.connect(server.data_dir / "chainlit.db") as db:
        # Chainlit 2 scores the run that produced the answer: the answer is a child of that step.
        return db.execute(
            'SELECT f.value, f.comment FROM feedbacks f WHERE EXISTS (SELECT 1 FROM steps a WHERE a."parentId" = '
            'f."forId" AND a.type = \'assistant_message\' AND a.output LIKE \'%Stage 2 hypertension%\')').fetchall()


def _thread_names(server, thread_id) -> list[str]:
    with sqlite3.connect(server.data_dir / "chainlit.db") as db:
        return [name for (name,) in db.execute("SELECT name FROM threads WHERE id = ?", (thread_id,))]


def _eventually(read, seconds: float = 10):
    """The server writes in the background: read until there is something, or give up."""
    deadline = time.monotonic() + seconds
    while not (result := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def _open_first_citation(page, answer):
    link = answer.locator(".element-link", has_text=re.compile(r"^\[1\]$")).first
    link.click()
    side = page.locator("#side-view-content")
    side.wait_for()
    assert "Passage id" in side.inner_text()
    assert "htn-acc-aha-2017#" in side.inner_text(), "the cited guideline passage opens"


def _resume(page, thread_url):
    thread_id = re.search(r"/thread/([0-9a-f-]+)", thread_url).group(1)
    page.locator(f"#thread-{thread_id}").click()
    page.wait_for_url(re.compile(re.escape(thread_id)))
    answer = answer_with_sources(page)
    answer.wait_for()
    assert re.search(r"\[\d+\]", answer.inner_text())
    answer.locator(".js-plotly-plot").first.wait_for()
    _open_first_citation(page, answer)


def test_an_emergency_gets_the_banner_and_no_generated_text(browser, server):
    page = login(browser, server)
    send(page, EMERGENCY)
    page.get_by_text("EMERGENCY: call your local emergency number now").wait_for()
    answer = page.locator("[data-step-type='assistant_message']", has_text=re.compile("This could be an emergency"))
    assert answer.count() == 1
    steps = page.locator("[data-step-type='tool'], [data-step-type='retrieval']")
    names = " ".join(steps.all_inner_texts())
    assert "Triage" in names and "Retrieval" not in names and "Verification" not in names, (
        "an emergency is answered by the fixed reply alone: nothing is retrieved or generated")
    page.screenshot(path=str(ARTIFACTS / "4-emergency.png"), full_page=True)

    # The thread can be renamed and deleted from the sidebar; both reach the database.
    thread_id = re.search(r"/thread/([0-9a-f-]+)", page.url).group(1)
    item = page.locator(f"#thread-{thread_id}")
    item.hover()
    item.locator("#thread-options").click()
    page.locator("#rename-thread").click()
    page.locator("[role=dialog] input#name").fill("Chest pain, Sunday")
    page.locator("[role=dialog]").get_by_role("button", name="Confirm").click()
    item.get_by_text("Chest pain, Sunday").wait_for()
    assert _eventually(lambda: _thread_names(server, thread_id)) == ["Chest pain, Sunday"]
    item.hover()
    item.locator("#thread-options").click()
    page.locator("#delete-thread").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    item.wait_for(state="detached")
    assert _eventually(lambda: not _thread_names(server, thread_id))
    page.close()
    escalations = ProfileStore(sqlite_url(server.data_dir / "coach.db")).escalations()
    assert any(e.level == "emergency" and e.profile_id == "demo" for e in escalations)


def test_a_new_patient_fills_in_the_profile_and_uploads_readings(browser, server, tmp_path):
    subprocess.run(COACH + ["users", "add", "mei", "--role", "patient", "--password-stdin"],
                   input="mei-password-1\n", text=True, env=app_env(server.data_dir), check=True,
                   capture_output=True)
    page = login(browser, server, "mei", "mei-password-1")
    page.get_by_text("please fill in your profile").wait_for()

    page.locator("#chat-settings-open-modal").click()
    page.fill("#display_name", "Mei")
    page.fill("#birth_year", "1800")  # a mistake first: named back, nothing saved
    page.locator("#confirm").click()
    page.get_by_text("I couldn't save your profile: birth_year").wait_for()
    profiles = ProfileStore(sqlite_url(server.data_dir / "coach.db"))
    assert profiles.get_profile("mei").display_name == "mei"

    page.locator("#chat-settings-open-modal").click()
    page.fill("#display_name", "Mei")
    page.fill("#birth_year", "1972")
    page.locator("#sex").click()
    page.get_by_role("option", name="female").click()
    page.fill("#height_cm", "160")
    page.fill("#weight_kg", "72")
    page.fill("#conditions", "diabetes, obesity")
    page.fill("#medications", "metformin")
    page.locator("#region").click()
    page.get_by_role("option", name="China (Chinese national guidelines)").click()
    page.locator("#confirm").click()
    page.get_by_text("I've recorded your weight, 72 kg").wait_for()
    mei = profiles.get_profile("mei")
    assert (mei.display_name, mei.birth_year, mei.sex, mei.height_cm, mei.region) == ("Mei", 1972, "female", 160, "cn")
    assert mei.conditions == ["diabetes", "obesity"] and [m.name for m in mei.medications] == ["metformin"]

    good = tmp_path / "readings.csv"
    good.write_text("indicator,value,unit,measured_at\nfasting_glucose,7.4,mmol/L,2026-11-20T07:30\n"
                    "bp,150/95,mmHg,2026-11-21T08:00\n", encoding="utf-8")
    attach(page, good)
    page.locator("#chat-input").fill("I uploaded my readings")
    page.locator("#chat-submit").click()
    page.get_by_text("Imported 3 readings from readings.csv").wait_for()
    page.wait_for_selector("#stop-button", state="detached")  # the coach has answered the message too

    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,value,unit,measured_at\nfasting_glucose,7.4,mmol/L,2026-11-20T07:30\n"
                   "weight,seventy,kg,2026-11-21T08:00\n", encoding="utf-8")
    attach(page, bad)
    page.locator("#chat-input").fill("and these")
    page.locator("#chat-submit").click()
    page.get_by_text("I couldn't import bad.csv").wait_for()
    page.get_by_text(re.compile(r"row 3, column 'value'")).wait_for()
    page.screenshot(path=str(ARTIFACTS / "5-onboarding-and-upload.png"), full_page=True)
    indicators = sorted(r.indicator.value for r in profiles.readings("mei"))
    assert indicators == ["diastolic_bp", "fasting_glucose", "systolic_bp", "weight"], "nothing from the bad file"
    page.close()


def test_a_reading_in_chinese_is_recorded_and_a_poem_request_is_declined(browser, server):
    subprocess.run(COACH + ["users", "add", "wen", "--role", "patient", "--password-stdin"],
                   input="wen-password-1\n", text=True, env=app_env(server.data_dir), check=True,
                   capture_output=True)
    page = login(browser, server, "wen", "wen-password-1")
    reply = send(page, "我的血压是150/95")
    reply.get_by_text(re.compile(r"I've recorded your blood pressure 150/95 mmHg")).wait_for()
    readings = ProfileStore(sqlite_url(server.data_dir / "coach.db")).readings("wen")
    assert sorted((r.indicator.value, r.value) for r in readings) == [("diastolic_bp", 95), ("systolic_bp", 150)]
    poem = send(page, "Write me a poem about the sea.")
    poem.get_by_text(re.compile(r"That's outside what I can help with")).wait_for()
    page.screenshot(path=str(ARTIFACTS / "5-chinese-reading-and-poem.png"), full_page=True)
    page.close()


def test_self_harm_said_indirectly_gets_the_crisis_line_and_the_triage_step_explains_it(browser, server):
    page = login(browser, server)
    answer = send(page, "honestly I think everyone would be better off without me")
    answer.get_by_text(re.compile("988")).first.wait_for()
    page.get_by_text("Triage", exact=False).last.click()
    step = page.get_by_text(re.compile("decided by the concepts layer"))
    step.first.wait_for()
    page.get_by_text(re.compile("Ruled out")).first.wait_for()
    text = page.locator("body").inner_text()
    assert "thoughts of suicide or self-harm" in text and "better off without me" in text
    page.screenshot(path=str(ARTIFACTS / "6-self-harm-triage-step.png"), full_page=True)
    page.close()


def test_a_question_the_guidelines_do_not_answer_is_said_so_and_the_retrieval_step_shows_why(browser, server):
    page = login(browser, server)
    answer = send(page, "How much does a month of semaglutide cost without insurance?")
    answer.get_by_text(re.compile("don't answer that question")).first.wait_for()
    page.get_by_text("Retrieval", exact=False).last.click()
    page.get_by_text(re.compile(r"Question: asks:")).first.wait_for()
    text = page.locator("body").inner_text()
    assert "Answered: no" in text and "semaglutide" in text.lower()
    page.screenshot(path=str(ARTIFACTS / "7-unanswered-retrieval-step.png"), full_page=True)

    answered = send(page, "how can I bring my blood sugar down?")
    answered.get_by_text(re.compile(r"\[1\]")).first.wait_for()
    page.get_by_text("Retrieval", exact=False).last.click()
    page.get_by_text(re.compile(r"direction: lower \(high side\)")).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "8-answered-retrieval-step.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_login_page_speaks_of_user_names_and_says_a_wrong_password_in_plain_words(browser, server, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(server.url + "/login")
    page.wait_for_selector("#email")
    assert page.locator("label[for=email]").inner_text() == "User name"
    assert "@" not in (page.locator("#email").get_attribute("placeholder") or "")
    assert page.get_by_role("heading").first.inner_text() == "Log in to your Five Highs health coach"
    logo = page.request.get(server.url + "/logo?theme=dark")
    assert logo.status == 200 and "Five Highs coach" in logo.text()  # the product's, not Chainlit's
    page.fill("#email", "demo")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]:has-text('Log in')")
    page.get_by_text("That user name and password don't match").wait_for()
    page.wait_for_timeout(500)  # the toast Chainlit raises with the raw code would be up by now
    assert "credentialssignin" not in page.inner_text("body").lower()
    page.screenshot(path=str(ARTIFACTS / f"13-login-wrong-password-{width}.png"), full_page=True)
    page.close()
    page = login(browser, server)
    footer = page.get_by_text("Answers quote the guidelines and your own readings")
    footer.wait_for()
    assert "LLMs can make mistakes" not in page.inner_text("body")
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_first_screen_says_what_the_coach_covers_and_its_starters_ask_a_question(browser, server, width):
    page = login(browser, server)
    page.set_viewport_size({"width": width, "height": 900})
    welcome = page.locator("[data-step-type='assistant_message']").first
    welcome.wait_for()
    text = welcome.inner_text()
    assert "blood pressure, blood sugar, cholesterol, uric acid and weight" in text
    assert "call your local emergency number now" in text
    starter = page.get_by_role("button", name="Is my blood pressure on target?")  # the demo patient has htn
    starter.wait_for()
    page.screenshot(path=str(ARTIFACTS / f"14-first-screen-{width}.png"), full_page=True)
    before = page.locator("[data-step-type='assistant_message']").count()
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    starter.click()
    page.locator("[data-step-type='user_message']", has_text="Is my blood pressure on target?").wait_for()
    page.wait_for_function(f"document.querySelectorAll(\"[data-step-type='assistant_message']\").length > {before}")
    page.wait_for_selector("#stop-button", state="detached")
    answer = page.locator("[data-step-type='assistant_message']").last
    assert re.search(r"\[\d+\]", answer.inner_text()) and "blood pressure" in answer.inner_text().lower()
    # stored as a thread, question and answer, like a typed question
    assert _eventually(lambda: _stored_after(server, "Is my blood pressure on target?", started)) >= 2
    page.close()


def _stored_after(server, question: str, since: str) -> int:
    """How many messages the thread that holds `question` (asked after `since`) has stored."""
    with sqlite3.connect(server.data_dir / "chainlit.db") as db:
        row = db.execute('SELECT "threadId" FROM steps WHERE type = \'user_message\' AND output = ? '
                         'AND "createdAt" > ? ORDER BY "createdAt" DESC', (question, since)).fetchone()
        if row is None:
            return 0
        return db.execute('SELECT count(*) FROM steps WHERE "threadId" = ? AND type IN '
                          '(\'user_message\', \'assistant_message\')', row).fetchone()[0]
