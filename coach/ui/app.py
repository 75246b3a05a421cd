"""The patient chat app: Chainlit as a thin adapter over the coaching service.

Started by `coach serve` (or `make run`). Every answer comes from `Coach.reply`; this module only logs people
in, keeps the conversation's history, turns the `CoachReply` into Chainlit messages, steps and elements
(coach/ui/render.py, coach/ui/charts.py) and saves profile edits. No coaching decision is made here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import tempfile
from pathlib import Path

import chainlit as cl
import chainlit.config as chainlit_config
import chainlit.server as chainlit_server
from chainlit.input_widget import NumberInput, Select, TextInput
from chainlit.oauth_providers import get_configured_oauth_providers
from chainlit.server import app as server
from pydantic import ValidationError

from coach.accounts import AccountNotFound
from coach.assembly import build_app
from coach.console.routes import ConsoleServices, mount_console
from coach.conversations import EVIDENCE_KEY, AnswerEvidence
from coach.eval_runs import EvalRuns
from coach.handover import NOT_COACH_AUTHORS, NOTICE_AUTHOR, SAFETY_AUTHOR
from coach.models import CoachReply, Indicator, Medication, Profile, Reading, Turn, finding_components
from coach.profile.csv_readings import ReadingsCsvError, parse_readings_csv
from coach.profile.store import ProfileNotFound
from coach.settings import load_settings
from coach.text import mentions
from coach.ui import render
from coach.ui.charts import trend_figure
from coach.ui.live import LiveChats
from coach.ui.persistence import add_element_file_route, make_data_layer
from knowledge.retrieve import IndexNotBuiltError

log = logging.getLogger("coach.ui")
SESSION_FILES_PREFIX = "coach-session-files-"


def _own_session_files() -> Path:
    """A folder of this server's own for Chainlit's per-session files (element contents, uploads).

    Chainlit 2.12 keeps them in `<working folder>/.files/<session id>` (`chainlit.config.FILES_DIRECTORY`, read
    by each session when it writes a file) and deletes the whole `.files` folder when a server stops
    (`chainlit.server`'s lifespan). Every `coach serve` runs in the project folder, so a second server (a test
    run, another port) stopping took the folder from under the first, whose every answer with sources or a chart
    then failed. Pointing both names at a temporary folder per process keeps servers apart; Chainlit still
    deletes it (its own, now) when this server stops.
    """
    current = Path(chainlit_server.FILES_DIRECTORY)
    if current.name.startswith(SESSION_FILES_PREFIX):  # `--watch` re-imports this module
        return current
    folder = Path(tempfile.mkdtemp(prefix=SESSION_FILES_PREFIX))
    chainlit_config.FILES_DIRECTORY = chainlit_server.FILES_DIRECTORY = folder
    return folder


_own_session_files()
settings = load_settings()
services = build_app(settings)
add_element_file_route(server)
# What a health manager writes reaches the patient's open chats live (coach/ui/live.py)
live = LiveChats(services.handover)
services.handover.on_message = live.notify
# The health managers' console, under /manager on this same server and login (coach/console/)
mount_console(server, ConsoleServices(accounts=services.accounts, policy=services.policy, alerts=services.alerts,
                                      caseload=services.caseload, runs=EvalRuns(settings.data_dir / "eval-runs"),
                                      audit=services.policy.audit, handover=services.handover,
                                      conversations=services.conversations,
                                      passage=lambda pid: services.coach.retriever.passages.get(pid)))


def add_static_route(app) -> None:
    """The files of coach/ui/static/ at /coach-static/<name>, and its logo_light/logo_dark.svg at /logo?theme=
    (Chainlit's own logo route reads a top-level public/ folder this project does not have); put ahead of
    Chainlit's routes, only those files, by name."""
    from fastapi import HTTPException
    from fastapi.responses import FileResponse
    from fastapi.routing import APIRoute

    folder = Path(__file__).parent / "static"
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    types = {".svg": "image/svg+xml", ".css": "text/css"}

    async def static_file(name: str):
        if name not in files:
            raise HTTPException(status_code=404, detail="Not found")
        return FileResponse(files[name], media_type=types.get(files[name].suffix, "application/octet-stream"),
                            headers={"Cache-Control": "public, max-age=3600"})

    async def logo(theme: str = "light"):
        return await static_file(f"logo_{'dark' if theme == 'dark' else 'light'}.svg")

    app.router.routes.insert(0, APIRoute("/coach-static/{name}", static_file, methods=["GET"],
                                         include_in_schema=False))
    app.router.routes.insert(0, APIRoute("/logo", logo, methods=["GET"], include_in_schema=False))


add_static_route(server)


def _warm_up() -> None:
    """Load the embedding model now, so the first patient does not wait for it."""
    try:
        services.coach.retriever.search("blood pressure")
    except IndexNotBuiltError:
        log.error("The guideline index is not built: run `coach index` (or `make run`) first.")


_warm_up()

MY_DATA = "my-data"
ASK_PERSON = "ask-person"
_background: set[asyncio.Task] = set()
HISTORY_KEEP = 12  # turns kept in the session; the service reads the last few
CHART_DAYS = 30
STREAM_CHUNK = re.compile(r"(?:\S+\s*){1,8}")  # a few words per event: each is a socket write
SORRY = ("Sorry, something went wrong on my side and I could not answer. Nothing you told me was lost; "
         "please try again in a moment. If this is urgent, call your clinician or your local emergency number.")
REGIONS = {"global": "Global (WHO, ESC/ESH)", "us": "United States (ACC/AHA, ADA)", "eu": "Europe (ESC/ESH, ESC/EAS)",
           "cn": "China (Chinese national guidelines)"}
NOT_GIVEN = "not given"  # Chainlit's Select cannot hold an empty value
CONDITIONS = {"htn": "high blood pressure", "diabetes": "diabetes", "prediabetes": "prediabetes",
              "lipids": "high cholesterol", "urate": "high uric acid", "gout": "gout", "obesity": "overweight",
              "ckd": "kidney disease", "cvd": "heart or artery disease", "pregnancy": "pregnant"}
CV_RISKS = [NOT_GIVEN, "low", "moderate", "high", "very_high", "ultra_high"]


def _thumbs_down(owner: str, answer: str, comment: str) -> None:
    try:
        profile_id = services.accounts.get(owner).profile_id
    except (AccountNotFound, ValueError):
        return
    if profile_id:
        services.coach.record_thumbs_down(profile_id, answer, comment)


@cl.data_layer
def _data_layer():
    return make_data_layer(settings, on_thumbs_down=_thumbs_down)


@cl.password_auth_callback
async def _login(username: str, password: str) -> cl.User | None:
    account = await asyncio.to_thread(services.accounts.authenticate, username.strip().lower(), password)
    if account is None:
        return None
    return cl.User(identifier=account.username, display_name=account.username,
                   metadata={"role": account.role, "profile_id": account.profile_id})


async def _oauth_login(provider_id: str, token: str, raw_user_data: dict, default_user: cl.User,
                       id_token: str | None = None) -> cl.User | None:
    """An OAuth identity logs in only as an existing, enabled account of the same name: configuring a
    provider must not let every one of its users in."""
    try:
        account = await asyncio.to_thread(services.accounts.get, default_user.identifier.strip().lower())
    except (AccountNotFound, ValueError):
        log.warning("OAuth login refused for %r from %s: no such account", default_user.identifier, provider_id)
        return None
    if account.disabled:
        return None
    return cl.User(identifier=account.username, display_name=account.username,
                   metadata={"role": account.role, "profile_id": account.profile_id, "provider": provider_id})


if get_configured_oauth_providers():  # Chainlit refuses an OAuth callback when no provider is configured
    cl.oauth_callback(_oauth_login)


def _profile_id() -> str | None:
    user = cl.user_session.get("user")
    return (user.metadata or {}).get("profile_id") if user else None


def _profile() -> Profile | None:
    """The logged-in patient's profile, read fresh: never from anything the browser sends."""
    profile_id = _profile_id()
    if profile_id is None:
        return None
    try:
        return services.profiles.get_profile(profile_id)
    except ProfileNotFound:
        return None


async def _start(profile: Profile | None, resumed: bool) -> None:
    _answer_lock()
    cl.user_session.set("history", cl.user_session.get("history") or [])
    await cl.context.emitter.set_commands([
        {"id": MY_DATA, "icon": "user", "button": True, "description": "Show my profile and latest readings"},
        {"id": ASK_PERSON, "icon": "user-round", "button": True, "description": "Ask for my health manager"}])
    if _profile_id() is None:
        return
    if profile is None:  # first visit: a profile to fill in, so the coach can use the right guidelines
        profile = await asyncio.to_thread(services.profiles.create_profile,
                                          Profile(id=_profile_id(), display_name=_profile_id()))
    await _settings_form(profile).send()
    if resumed:
        # After Chainlit has shown the resumed thread (it does so once this handler returns): what a health
        # manager wrote meanwhile comes below it, not above
        task = asyncio.create_task(_open_live(profile.id, delay=1.0))
        _background.add(task)  # held until done: the event loop keeps only a weak reference to a task
        task.add_done_callback(_background.discard)
        return
    if _needs_onboarding(profile):
        await cl.Message(content=(
            "Welcome! I'm your health coach for blood pressure, blood sugar, cholesterol, uric acid and weight. "
            "First, please fill in your profile: open **Settings** (the ⚙ button by the message box) and "
            "give your age, sex, height, weight, conditions, medicines and where you live, so I use the right "
            "guidelines. Then ask me anything, or tell me a reading (\"my blood pressure this morning was "
            "135/85\")."), actions=[_my_data_action(), _ask_person_action()]).send()
    else:
        await cl.Message(content=(
            f"Hello {profile.display_name}. I cover blood pressure, blood sugar, cholesterol, uric acid and "
            "weight: your readings, what they mean and what the guidelines advise. Ask me anything about them, "
            "tell me a new reading, or attach a readings CSV file. Every answer shows the guideline passages "
            "and readings it relied on. **If you have chest pain, signs of a stroke, or feel you may harm "
            "yourself, call your local emergency number now.**"),
            actions=[*_starter_actions(profile), _my_data_action(), _ask_person_action()]).send()
    await _open_live(profile.id)


async def _open_live(profile_id: str, delay: float = 0.0) -> None:
    try:
        if delay:
            await asyncio.sleep(delay)
        await live.opened(profile_id, cl.context.session.id)
    except Exception:  # noqa: BLE001 - the chat works without it; waiting messages come with the next chat
        log.exception("registering the chat for live delivery failed")


@cl.on_chat_start
async def _on_chat_start() -> None:
    await _start(await asyncio.to_thread(_profile), resumed=False)


@cl.on_chat_resume
async def _on_chat_resume(thread: dict) -> None:
    history = []
    for step in thread.get("steps", []):
        if step.get("type") == "user_message" and step.get("output"):
            history.append(Turn(role="user", text=step["output"]))
        elif step.get("type") == "assistant_message" and step.get("output") and step.get("name") not in NOT_COACH_AUTHORS:
            history.append(Turn(role="coach", text=step["output"].split("\n\n**")[0]))
    cl.user_session.set("history", history[-HISTORY_KEEP:])
    await _start(await asyncio.to_thread(_profile), resumed=True)


def _needs_onboarding(profile: Profile) -> bool:
    """Nothing about the person yet: no age, height or condition given."""
    return profile.birth_year is None and profile.height_cm is None and not profile.conditions


STARTER = "starter"
# First questions offered by condition, the person's own conditions first (then blood pressure, sugar, lipids)
STARTERS: dict[str, str] = {
    "htn": "Is my blood pressure on target?",
    "diabetes": "What does my HbA1c mean?",
    "prediabetes": "Can prediabetes be reversed?",
    "lipids": "What should my LDL cholesterol be?",
    "gout": "Which foods and drinks raise uric acid?",
    "urate": "Which foods and drinks raise uric acid?",
    "obesity": "How much exercise should I do each week?",
}
DEFAULT_STARTERS = ("htn", "diabetes", "lipids")


def _starter_actions(profile: Profile) -> list[cl.Action]:
    keys = [c for c in profile.conditions if c in STARTERS] + list(DEFAULT_STARTERS)
    questions = list(dict.fromkeys(STARTERS[k] for k in keys))[:3]
    return [cl.Action(name=STARTER, payload={"question": q}, label=q, tooltip="Ask this") for q in questions]


@cl.action_callback(STARTER)
async def _on_starter(action: cl.Action) -> None:
    """A starter question, asked as if typed: shown as the person's message, stored, answered."""
    question = str((action.payload or {}).get("question", ""))
    if question not in STARTERS.values():  # the payload comes back from the browser: only our own questions
        return
    session = cl.context.session
    if not session.has_first_interaction:  # what Chainlit does for a typed first message: the thread is stored
        session.has_first_interaction = True
        await cl.context.emitter.init_thread(question)
    user = cl.user_session.get("user")
    message = cl.Message(content=question, author=user.identifier if user else "You", type="user_message")
    await message.send()
    await _on_message(message)


def _my_data_action() -> cl.Action:
    return cl.Action(name=MY_DATA, payload={}, label="My data", tooltip="Show my profile and latest readings")


@cl.action_callback(MY_DATA)
async def _on_my_data(_action: cl.Action) -> None:
    await _show_my_data()


def _ask_person_action() -> cl.Action:
    return cl.Action(name=ASK_PERSON, payload={}, label="Ask for my health manager",
                     tooltip="A person from your care team answers here")


@cl.action_callback(ASK_PERSON)
async def _on_ask_person(_action: cl.Action) -> None:
    await _ask_person()


async def _ask_person(words: str | None = None) -> None:
    profile = await asyncio.to_thread(_profile)
    reply = await asyncio.to_thread(services.coach.request_person, profile, *([words] if words else []))
    await cl.Message(content=reply.text).send()


async def _show_my_data() -> None:
    profile = await asyncio.to_thread(_profile)
    if profile is None:
        await cl.Message(content="There is no patient profile linked to this account.").send()
        return
    now = dt.datetime.now()
    readings = await asyncio.to_thread(services.profiles.readings, profile.id,
                                       since=now - dt.timedelta(days=90))
    findings = await asyncio.to_thread(services.coach.findings, profile, now)
    await cl.Message(content=render.my_data(profile, readings, findings)).send()


def _answer_lock() -> asyncio.Lock:
    """The session's one answer lock, made on first use: a message can arrive before on_chat_start has run, and
    each message must then wait on the same lock (a new lock per message answered them in parallel)."""
    lock = cl.user_session.get("lock")
    if not isinstance(lock, asyncio.Lock):  # no await between check and set: no other task makes a second one
        lock = asyncio.Lock()
        cl.user_session.set("lock", lock)
    return lock


@cl.on_message
async def _on_message(message: cl.Message) -> None:
    async with _answer_lock():  # rapid repeated sends are answered one after another, in order
        try:
            await _answer(message)
        except Exception:  # never a traceback to a patient; the details go to the server log
            log.exception("answering a message failed")
            await cl.Message(content=SORRY).send()


async def _answer(message: cl.Message) -> None:
    text = message.content
    if message.command == MY_DATA or text.strip().lower() in ("my data", "/my-data"):
        await _show_my_data()
        return
    if message.command == ASK_PERSON:  # the "ask-person" command, with what the patient wrote beside it
        await _ask_person(text.strip() or None)
        return
    profile = await asyncio.to_thread(_profile)
    if profile is not None:
        await live.spoke(profile.id, cl.context.session.id)  # a new chat is stored now: what it showed counts
    files = [e for e in (message.elements or []) if getattr(e, "path", None)]
    if files:  # imported whoever answers: a readings file is never lost to a take-over
        await _import_files(files, profile)
        if not text.strip():
            return
    takeover = await asyncio.to_thread(services.handover.active, profile.id) if profile is not None else None
    if takeover is not None and text.strip():
        await _to_the_manager(text, profile, takeover)
        return
    history: list[Turn] = cl.user_session.get("history") or []
    reply: CoachReply = await asyncio.to_thread(services.coach.reply, text, profile, history)
    if text.strip():  # an empty message is asked to say something; it is no turn of the conversation
        history += [Turn(role="user", text=text[:2000]), Turn(role="coach", text=reply.text)]
        cl.user_session.set("history", history[-HISTORY_KEEP:])

    await _steps(text, reply)
    if (banner := render.banner(reply)) is not None:
        await cl.Message(content=banner, author=SAFETY_AUTHOR).send()
    answer = cl.Message(content="")
    for chunk in STREAM_CHUNK.findall(reply.text):  # the verified text, streamed as the browser shows it
        await answer.stream_token(chunk)
    body = render.message_body(reply)
    answer.content = reply.text + (f"\n\n{body}" if body else "")
    answer.elements = [cl.Text(name=render.citation_name(c.marker), content=render.citation_content(reply, c.marker),
                               display="side") for c in reply.citations]
    answer.elements += await _charts(text, reply, profile)
    # What the answer relied on, kept with it in the thread: the manager's conversation review reads it
    answer.metadata = {EVIDENCE_KEY: AnswerEvidence.of(reply).model_dump(mode="json")}
    await answer.send()  # ends the stream; sends the full content and the elements


async def _to_the_manager(text: str, profile: Profile, takeover) -> None:
    """A health manager answers this chat: triage still reads the message (its escalations reach the manager's
    alerts, an emergency still gets its fixed advice), the message is kept for the manager, and the coach says
    nothing else."""
    history: list[Turn] = cl.user_session.get("history") or []
    reply: CoachReply = await asyncio.to_thread(services.coach.reply, text, profile, history, coach_answers=False)
    user = cl.user_session.get("user")
    await asyncio.to_thread(services.handover.from_patient, profile.id, user.identifier if user else profile.id,
                            text, reply.triage.level if reply.triage else "none")
    await _triage_step(text, reply)
    if (banner := render.banner(reply)) is not None:
        await cl.Message(content=banner, author=SAFETY_AUTHOR).send()
    if reply.text:  # an emergency's or a safety check's fixed advice: never held back for a person
        await cl.Message(content=reply.text).send()
    if cl.user_session.get("told_takeover") != takeover.id:
        cl.user_session.set("told_takeover", takeover.id)
        await cl.Message(content=f"_Your health manager, {takeover.manager}, has your message and answers you "
                                 "here._", author=NOTICE_AUTHOR).send()


async def _triage_step(text: str, reply: CoachReply) -> None:
    async with cl.Step(name="Triage", type="tool", default_open=False) as step:
        step.input = text[:500]
        step.output = render.triage_step(reply)


async def _steps(text: str, reply: CoachReply) -> None:
    await _triage_step(text, reply)
    if (reply.escalation and reply.escalation.level == "emergency") or (reply.asked_for_person and not
                                                                       reply.question):
        return  # an emergency reply, or the answer to a request for a person, is fixed: nothing was retrieved
    async with cl.Step(name="Retrieval", type="retrieval", default_open=False) as step:
        step.output = render.retrieval_step(reply)
    async with cl.Step(name="Verification", type="tool", default_open=False) as step:
        step.output = render.verification_step(reply)


async def _charts(text: str, reply: CoachReply, profile: Profile | None) -> list[cl.Plotly]:
    """A trend chart for each indicator the message is about or recorded (at most two)."""
    if profile is None:
        return []
    recorded = {r.indicator for r in reply.recorded_readings}
    discussed = [f for f in reply.indicators if mentions(f.indicator, text) or recorded & finding_components(f.indicator)]
    if not discussed:
        return []
    readings = await asyncio.to_thread(services.profiles.readings, profile.id,
                                       since=dt.datetime.now() - dt.timedelta(days=CHART_DAYS))
    # Plotly builds and validates figures in pure Python: off the event loop, which serves every session.
    return await asyncio.to_thread(_chart_elements, discussed[:2], readings, profile.height_cm)


def _chart_elements(findings: list, readings: list[Reading], height_cm: float | None) -> list[cl.Plotly]:
    charts = []
    for finding in findings:
        figure = trend_figure(finding, readings, height_cm)
        if figure is not None:
            charts.append(cl.Plotly(name=f"{finding.indicator} trend", figure=figure, display="inline", size="large"))
    return charts


async def _import_files(files: list, profile: Profile | None) -> None:
    if profile is None:
        await cl.Message(content="Readings can only be imported into a patient's profile.").send()
        return
    for file in files:
        try:
            data = await asyncio.to_thread(_read_bytes, file.path)
            readings = parse_readings_csv(data, now=dt.datetime.now())
        except ReadingsCsvError as error:
            await cl.Message(content=f"I couldn't import **{file.name}**; nothing from it was stored.\n\n"
                                     + _problems(error)).send()
            continue
        stored = await asyncio.to_thread(services.profiles.add_readings, profile.id, readings)
        kinds = sorted({r.indicator.value.replace("_", " ") for r in stored})
        await cl.Message(content=f"Imported {len(stored)} readings from **{file.name}** ({', '.join(kinds)}).").send()


def _problems(error: ReadingsCsvError, limit: int = 20) -> str:
    lines = [f"- {p}" for p in error.problems[:limit]]
    if len(error.problems) > limit:
        lines.append(f"- ... and {len(error.problems) - limit} more")
    return "\n".join(lines)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(3 * 1024 * 1024)


def _settings_form(profile: Profile) -> cl.ChatSettings:
    weight = None
    return cl.ChatSettings([
        TextInput(id="display_name", label="Your name", initial=profile.display_name),
        NumberInput(id="birth_year", label="Year of birth", initial=profile.birth_year,
                    placeholder="e.g. 1968"),
        Select(id="sex", label="Sex", values=[NOT_GIVEN, "female", "male"], initial_value=profile.sex or NOT_GIVEN),
        NumberInput(id="height_cm", label="Height (cm)", initial=profile.height_cm, placeholder="e.g. 170"),
        NumberInput(id="weight_kg", label="Weight today (kg), recorded as a reading", initial=weight),
        TextInput(id="conditions", label="Conditions (comma-separated: " + ", ".join(CONDITIONS) + ")",
                  initial=", ".join(profile.conditions)),
        TextInput(id="medications", label="Medicines you take (comma-separated names)",
                  initial=", ".join(m.name for m in profile.medications)),
        Select(id="region", label="Guidelines for where you live", items={v: k for k, v in REGIONS.items()},
               initial_value=profile.region),
        Select(id="cv_risk", label="Cardiovascular risk category, if your clinician gave you one (sets your "
               "LDL cholesterol goal)", values=CV_RISKS, initial_value=profile.cv_risk or NOT_GIVEN),
    ])


@cl.on_settings_update
async def _on_settings(values: dict) -> None:
    profile = await asyncio.to_thread(_profile)
    if profile is None:
        return
    try:
        updated, weight = _profile_from_form(profile, values)
    except (ValidationError, ValueError) as error:
        await cl.Message(content="I couldn't save your profile: " + _form_error(error)
                                 + " Nothing was changed.").send()
        return
    await asyncio.to_thread(services.profiles.save_profile, updated)
    saved = "Your profile is saved."
    if weight is not None:
        await asyncio.to_thread(services.profiles.add_reading, updated.id, weight)
        saved += f" I've recorded your weight, {weight.value:g} kg."
    await cl.Message(content=saved + " Ask me anything, or say \"my data\" to see what I know.",
                     actions=[_my_data_action()]).send()


def _profile_from_form(profile: Profile, values: dict) -> tuple[Profile, Reading | None]:
    def number(key):  # Chainlit shows an empty number field as 0; none of these can be 0
        value = values.get(key)
        return None if value in (None, "", 0, "0") else float(value)

    conditions = [c.strip().lower() for c in str(values.get("conditions") or "").split(",") if c.strip()]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise ValueError(f"conditions: {', '.join(unknown)} not known; use {', '.join(CONDITIONS)}.")
    medicines = [Medication(name=m.strip()) for m in str(values.get("medications") or "").split(",") if m.strip()]
    known = {m.name.lower(): m for m in profile.medications}  # keep the class of medicines already listed
    medicines = [known.get(m.name.lower(), m) for m in medicines]
    birth_year = number("birth_year")
    data = profile.model_dump() | {
        "display_name": str(values.get("display_name") or profile.display_name).strip(),
        "birth_year": int(birth_year) if birth_year is not None else None,
        "sex": None if values.get("sex") in (None, "", NOT_GIVEN) else values["sex"],
        "height_cm": number("height_cm"), "conditions": conditions, "medications": medicines,
        "region": values.get("region") or profile.region,
        "cv_risk": None if values.get("cv_risk") in (None, "", NOT_GIVEN) else values["cv_risk"]}
    updated = Profile.model_validate(data)
    weight = number("weight_kg")
    reading = None if weight is None else Reading(indicator=Indicator.weight, value=weight, unit="kg",
                                                  measured_at=dt.datetime.now().replace(microsecond=0),
                                                  source="manual")
    return updated, reading


def _form_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()) + "."
    return str(error)
