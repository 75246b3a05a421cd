"""The console's pages on Chainlit's FastAPI app: server-rendered (Jinja2), forms posted back.

Who is asking is read from the chat app's login cookie (Chainlit's JWT) and then from the account store,
fresh on every request: a disabled account or a changed role is in force at once. Every page asks the
access policy (coach/access.py); a patient's data the account may not reach answers 404, the same as data
that does not exist, and a page that is not part of the account's work answers 403. Chainlit's login
cookie is SameSite=Lax unless CHAINLIT_COOKIE_SAMESITE says otherwise, so another site cannot post these
forms with it; a deployment that sets it to `none` needs CSRF tokens on the forms, which they do not have yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from coach.access import AccessDenied, AccessPolicy
from coach.accounts import Account, AccountStore
from coach.alerts import REASON_CODES, AlertError, AlertNotFound, Alerts
from coach.audit import AuditLog
from coach.caseload import Caseload, patient_view
from coach.conversations import FLAG_CODES, Conversations, ReviewError, ThreadNotFound
from coach.eval_runs import MAX_UPLOAD, EvalRuns, RunNotFound, RunRejected
from coach.handover import Handover, HandoverError
from coach.profile.store import ProfileNotFound

PREFIX = "/manager"
# A patient the manager does not follow is answered as one that does not exist (404), in these words
NOT_FOLLOWED = "There is no such patient among those you follow."
NO_SUCH_THREAD = "There is no such conversation among those of the patients you follow."


def _pressing(request: Request) -> dict:
    """Every manager page shows the open alerts their patients' tier says they are told of at once."""
    return {"pressing": getattr(request.state, "pressing", [])}


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"), context_processors=[_pressing])


@dataclass
class ConsoleServices:
    accounts: AccountStore
    policy: AccessPolicy
    alerts: Alerts
    caseload: Caseload
    runs: EvalRuns
    audit: AuditLog
    handover: Handover
    conversations: Conversations
    # a guideline passage by id (its text, headings and source, shown beside an alert), None when unknown
    passage: Callable[[str], Any] = field(default=lambda passage_id: None)


def current_account(request: Request, accounts: AccountStore) -> Account | None:
    """The logged-in, enabled account, or None."""
    from chainlit.auth import get_token_from_cookies
    from chainlit.auth.jwt import decode_jwt

    token = get_token_from_cookies(request.cookies)
    if not token:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
    if not token:
        return None
    try:
        account = accounts.get(decode_jwt(token).identifier)
    except Exception:  # noqa: BLE001 - a bad or expired token, or a deleted account, is no login
        return None
    return None if account.disabled else account


class Refused(Exception):
    """A request the console answers with a page saying why (401: log in first, 403: not your work, 404)."""

    def __init__(self, status_code: int, text: str):
        self.status_code, self.text = status_code, text


def refusal(request: Request, refused: Refused):
    """A page for a person (a browser that is not logged in is sent to the login page); nothing of the data
    asked for is in it."""
    if refused.status_code == 401 and request.method == "GET":
        return RedirectResponse("/login", status_code=303)
    return TEMPLATES.TemplateResponse(request, "refused.html", {"text": refused.text},
                                      status_code=refused.status_code)


def router(services: ConsoleServices) -> APIRouter:
    # The handlers are plain functions: FastAPI runs them in its thread pool, so their database reads never
    # hold up the event loop that the patients' chat shares.
    api = APIRouter(prefix=PREFIX, include_in_schema=False)

    def signed_in(request: Request) -> Account:
        account = current_account(request, services.accounts)
        if account is None:
            raise Refused(401, "Log in first: open the chat app, log in, then come back.")
        return account

    def manager(request: Request) -> Account:
        account = signed_in(request)
        if account.role != "manager":
            raise Refused(403, f"The console's alerts are for health managers; you are logged in as a "
                               f"{account.role}.")
        request.state.pressing = services.alerts.pressing(account)
        return account

    @api.get("", response_class=HTMLResponse)
    def caseload(request: Request, q: str = "", attention: bool = False):
        account = manager(request)
        rows = services.caseload.for_account(account, search=q, attention_only=attention)
        return TEMPLATES.TemplateResponse(request, "caseload.html", {
            "account": account, "rows": rows, "q": q, "attention": attention})

    def evaluator(request: Request) -> Account:
        account = signed_in(request)
        if not services.policy.decide(account, "evaluation_runs").allowed:
            raise Refused(403, f"The evaluation runs are for evaluators; you are logged in as a {account.role}.")
        return account

    def admin(request: Request) -> Account:
        account = signed_in(request)
        if not services.policy.decide(account, "audit").allowed:
            raise Refused(403, f"The audit log is for admins; you are logged in as a {account.role}.")
        return account

    @api.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, patient: str = "", actor: str = ""):
        account = admin(request)
        entries = services.audit.entries(patient=patient or None, actor=actor or None, limit=500)
        filters = {k: v for k, v in (("patient", patient), ("actor", actor)) if v}
        query = "&" + urlencode(filters) if filters else ""
        return TEMPLATES.TemplateResponse(request, "audit.html", {
            "account": account, "entries": entries, "patient": patient, "actor": actor, "query": query})

    @api.get("/audit/export")
    def audit_export(request: Request, format: str = "csv", patient: str = "", actor: str = ""):
        admin(request)
        if format not in ("csv", "json"):
            raise Refused(400, f"Unknown format {format!r}: csv or json.")
        text = services.audit.export(format, patient=patient or None, actor=actor or None)
        return Response(text, media_type="text/csv" if format == "csv" else "application/json",
                        headers={"Content-Disposition": f"attachment; filename=audit.{format}"})

    @api.get("/runs", response_class=HTMLResponse)
    def runs(request: Request):
        account = evaluator(request)
        return TEMPLATES.TemplateResponse(request, "runs.html", {"account": account, "runs": services.runs.list(),
                                                                 "comparison": None})

    @api.post("/runs/upload", response_class=HTMLResponse)
    def upload_run(request: Request, name: str = Form(""), results: UploadFile | None = File(None)):
        account = evaluator(request)
        try:
            if results is None:
                raise RunRejected("choose the run's results.json to upload")
            services.runs.add(name, results.file.read(MAX_UPLOAD + 1))  # a larger file is refused unread
        except RunRejected as exc:
            return TEMPLATES.TemplateResponse(request, "runs.html", {
                "account": account, "runs": services.runs.list(), "comparison": None, "error": str(exc)},
                status_code=400)
        services.audit.record(account.username, account.role, "evaluation_runs", "upload", "done", detail=name)
        return RedirectResponse(f"{PREFIX}/runs", status_code=303)

    @api.get("/runs/compare", response_class=HTMLResponse)
    def compare_runs(request: Request, before: str = "", after: str = ""):
        account = evaluator(request)
        try:
            comparison = services.runs.compare(before, after)
        except RunNotFound as exc:
            raise Refused(404, f"{exc}.") from None
        return TEMPLATES.TemplateResponse(request, "runs.html", {
            "account": account, "runs": services.runs.list(), "comparison": comparison, "before": before,
            "after": after})

    @api.get("/runs/{name}", response_class=HTMLResponse)
    def run_report(request: Request, name: str):
        evaluator(request)
        try:
            return HTMLResponse(services.runs.html(name))  # the report `coach eval --report` wrote
        except RunNotFound as exc:
            raise Refused(404, f"{exc}.") from None

    @api.get("/patients/{profile_id}", response_class=HTMLResponse)
    def patient(request: Request, profile_id: str):
        account = manager(request)
        try:
            view = patient_view(services.caseload, account, profile_id)
        except (AccessDenied, ProfileNotFound):
            raise Refused(404, NOT_FOLLOWED) from None
        return TEMPLATES.TemplateResponse(request, "patient.html", {"account": account, "view": view,
                                                                    "charts": _charts(view)})

    @api.get("/static/plotly.min.js")
    def plotly_js():
        """Plotly's browser library, from the installed plotly package (no network, no CDN)."""
        import plotly
        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    @api.get("/patients/{profile_id}/threads", response_class=HTMLResponse)
    def thread_list(request: Request, profile_id: str):
        account = manager(request)
        try:
            found = services.conversations.threads(account, profile_id)
            profile = services.caseload.store.get_profile(profile_id)
        except (AccessDenied, ProfileNotFound):
            raise Refused(404, NOT_FOLLOWED) from None
        return TEMPLATES.TemplateResponse(request, "threads.html", {
            "account": account, "profile": profile, "threads": found})

    @api.get("/patients/{profile_id}/threads/{thread_id}", response_class=HTMLResponse)
    def thread_page(request: Request, profile_id: str, thread_id: str):
        return _thread_page(request, manager(request), profile_id, thread_id)

    def _thread_page(request: Request, account: Account, profile_id: str, thread_id: str, error: str | None = None,
                     status_code: int = 200):
        try:
            view = services.conversations.thread(account, profile_id, thread_id)
            profile = services.caseload.store.get_profile(profile_id)
        except (AccessDenied, ProfileNotFound, ThreadNotFound):
            raise Refused(404, NO_SUCH_THREAD) from None
        passages = {c.passage_id: services.passage(c.passage_id) for t in view.turns if t.evidence
                    for c in t.evidence.citations}
        return TEMPLATES.TemplateResponse(request, "thread.html", {
            "account": account, "profile": profile, "view": view, "passages": passages, "flag_codes": FLAG_CODES,
            "error": error}, status_code=status_code)

    @api.post("/patients/{profile_id}/threads/{thread_id}/review")
    def review(request: Request, profile_id: str, thread_id: str, step_id: str = Form(""), verdict: str = Form(""),
               reason_code: str = Form(""), note: str = Form("")):
        account = manager(request)
        try:
            services.conversations.review(account, profile_id, thread_id, step_id, verdict, reason_code, note)
        except (AccessDenied, ThreadNotFound):
            raise Refused(404, NO_SUCH_THREAD) from None
        except ReviewError as exc:
            return _thread_page(request, account, profile_id, thread_id, error=str(exc), status_code=400)
        return RedirectResponse(f"{PREFIX}/patients/{profile_id}/threads/{thread_id}#answer-{step_id}",
                                status_code=303)

    @api.get("/flags", response_class=HTMLResponse)
    def flags(request: Request):
        account = manager(request)
        return TEMPLATES.TemplateResponse(request, "flags.html", {
            "account": account, "flags": services.conversations.flags(account), "flag_codes": FLAG_CODES})

    @api.get("/flags/export")
    def flags_export(request: Request, format: str = "csv"):
        account = manager(request)
        if format not in ("csv", "json"):
            raise Refused(400, f"Unknown format {format!r}: csv or json.")
        text = services.conversations.export_flags(account, format)
        return Response(text, media_type="text/csv" if format == "csv" else "application/json",
                        headers={"Content-Disposition": f"attachment; filename=flags.{format}"})

    @api.get("/patients/{profile_id}/chat", response_class=HTMLResponse)
    def chat(request: Request, profile_id: str):
        return _chat_page(request, manager(request), profile_id)

    def _chat_page(request: Request, account: Account, profile_id: str, error: str | None = None,
                   status_code: int = 200):
        try:
            said = services.handover.conversation(account, profile_id)
            profile = services.caseload.store.get_profile(profile_id)
        except (AccessDenied, ProfileNotFound):
            raise Refused(404, NOT_FOLLOWED) from None
        return TEMPLATES.TemplateResponse(request, "chat.html", {
            "account": account, "profile": profile, "said": said, "error": error,
            "takeover": services.handover.active(profile_id), "last": said[-1].id if said else 0},
            status_code=status_code)

    @api.get("/patients/{profile_id}/chat/log", response_class=HTMLResponse)
    def chat_log(request: Request, profile_id: str, after: int = 0):
        """The messages after `after`, as table rows: the chat page polls this every few seconds."""
        account = manager(request)
        try:
            said = services.handover.conversation(account, profile_id, after=after, audited=False)
        except AccessDenied:
            raise Refused(404, NOT_FOLLOWED) from None
        return TEMPLATES.TemplateResponse(request, "chat_rows.html", {"said": said})

    @api.post("/patients/{profile_id}/chat/take-over")
    def take_over(request: Request, profile_id: str):
        return _chat_act(request, profile_id, lambda account: services.handover.take_over(account, profile_id))

    @api.post("/patients/{profile_id}/chat/write")
    def write(request: Request, profile_id: str, text: str = Form("")):
        return _chat_act(request, profile_id, lambda account: services.handover.write(account, profile_id, text))

    @api.post("/patients/{profile_id}/chat/hand-back")
    def hand_back(request: Request, profile_id: str):
        return _chat_act(request, profile_id, lambda account: services.handover.hand_back(account, profile_id))

    def _chat_act(request: Request, profile_id: str, action):
        account = manager(request)
        try:
            action(account)
        except AccessDenied:
            raise Refused(404, NOT_FOLLOWED) from None
        except HandoverError as exc:  # said on the chat page, in words
            return _chat_page(request, account, profile_id, error=str(exc), status_code=400)
        return RedirectResponse(f"{PREFIX}/patients/{profile_id}/chat", status_code=303)

    @api.get("/alerts", response_class=HTMLResponse)
    def alert_list(request: Request, status: str | None = None):
        account = manager(request)
        alerts = services.alerts.for_account(account, status if status in ("open", "acknowledged", "resolved")
                                             else None)
        return TEMPLATES.TemplateResponse(request, "alerts.html", {
            "account": account, "alerts": alerts, "status": status, "patients":
            services.policy.patients_visible_to(account)})

    @api.get("/alerts/{alert_id}", response_class=HTMLResponse)
    def alert_page(request: Request, alert_id: int, error: str | None = None):
        account = manager(request)
        try:
            alert = services.alerts.get(account, alert_id)
        except AlertNotFound:
            raise Refused(404, "There is no such alert among those of the patients you follow.") from None
        return _alert_page(request, account, alert, error)

    @api.post("/alerts/{alert_id}/acknowledge")
    def acknowledge(request: Request, alert_id: int):
        return _act(request, alert_id, lambda account: services.alerts.acknowledge(account, alert_id))

    @api.post("/alerts/{alert_id}/resolve")
    def resolve(request: Request, alert_id: int, reason_code: str = Form(""), note: str = Form("")):
        return _act(request, alert_id, lambda account: services.alerts.resolve(account, alert_id, reason_code,
                                                                              note))

    def _act(request: Request, alert_id: int, action):
        account = manager(request)
        try:
            action(account)
        except AlertNotFound:
            raise Refused(404, "There is no such alert among those of the patients you follow.") from None
        except AlertError as exc:  # said on the alert's page, in words
            return alert_page_with_error(request, account, alert_id, str(exc))
        return RedirectResponse(f"{PREFIX}/alerts/{alert_id}", status_code=303)

    def alert_page_with_error(request: Request, account: Account, alert_id: int, error: str):
        return _alert_page(request, account, services.alerts.get(account, alert_id), error, status_code=400)

    def _alert_page(request: Request, account: Account, alert, error: str | None, status_code: int = 200):
        return TEMPLATES.TemplateResponse(request, "alert.html", {
            "account": account, "alert": alert, "reason_codes": REASON_CODES, "error": error,
            "passage": services.passage(alert.passage_id) if alert.passage_id else None}, status_code=status_code)

    return api


def _charts(view) -> list[dict]:
    """One trend chart per indicator the findings grade, with its guideline thresholds: the chat's charts
    (coach/ui/charts.py), as Plotly JSON for the page to draw."""
    import json

    from coach.ui.charts import BP_FINDINGS, trend_figure
    charts, drawn = [], set()
    for finding in view.findings:
        family = "blood_pressure" if finding.indicator in BP_FINDINGS else finding.indicator
        if family in drawn:  # office and home blood pressure: one chart (it draws every pair)
            continue
        figure = trend_figure(finding, view.recent, view.profile.height_cm, whose="the patient's")
        if figure is not None:
            drawn.add(family)
            charts.append({"id": f"chart-{len(charts)}", "figure": json.loads(figure.to_json())})
    return charts


def mount_console(app, services: ConsoleServices) -> None:
    """Put the console's routes on Chainlit's FastAPI app, ahead of its catch-all page route (which would
    otherwise answer every path with the chat app's page)."""
    app.router.routes[0:0] = router(services).routes
    app.add_exception_handler(Refused, refusal)  # only the console raises it
