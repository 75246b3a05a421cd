"""Conversation review: a patient's threads as the chat app stored them (written here through the chat app's
own data layer, as Chainlit writes them), each coach answer with its evidence; approve or flag with a reason
and a note; flags exported. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import uuid

import chainlit as cl
import pytest

from coach.access import AccessDenied, AccessPolicy
from coach.accounts import AccountStore
from coach.audit import AuditLog
from coach.conversations import EVIDENCE_KEY, Conversations, ReviewError, ThreadNotFound
from coach.models import Profile
from coach.profile.store import ProfileStore
from coach.ui.persistence import make_data_layer
from tests.coach.test_ui_persistence import any_backend, in_chainlit_context, run, sent  # noqa: F401
from tests.coach.postgres import postgres_server  # noqa: F401

EVIDENCE = {"citations": [{"marker": 1, "passage_id": "htn-acc-aha-2017#bp-categories"}],
            "indicators": [{"indicator": "blood_pressure", "values": "152/96", "unit": "mmHg", "label": "Stage 2",
                            "threshold": "140/90 or higher", "guideline": "ACC/AHA 2017",
                            "passage_id": "htn-acc-aha-2017#bp-categories"}],
            "triage": "none", "escalation": "routine", "backend": "composer", "verified": True}


async def _chat(settings, thread_id: str, identifier: str) -> dict:
    layer = make_data_layer(settings)
    try:
        in_chainlit_context(thread_id)
        user = await layer.create_user(cl.User(identifier=identifier, metadata={"role": "patient"}))
        in_chainlit_context(thread_id, user)
        await layer.update_thread(thread_id, name="my blood pressure", user_id=user.id)
        question = cl.Message(content="my bp was 152/96 this morning", author=identifier, type="user_message")
        await layer.create_step(sent(question, 1))
        banner = cl.Message(content="See your clinician within a month.", author="Safety")
        await layer.create_step(sent(banner, 2))
        answer = cl.Message(content="That reading is stage 2 hypertension [1].", author="Assistant",
                            metadata={EVIDENCE_KEY: EVIDENCE})
        await layer.create_step(sent(answer, 3))
        person = cl.Message(content="**Your health manager, li, writes:** call me", author="Health manager")
        await layer.create_step(sent(person, 4))
        saved = cl.Message(content="Your profile is saved.", author="Assistant")  # no answer: nothing to review
        await layer.create_step(sent(saved, 5))
        return {"answer": answer.id, "person": person.id}
    finally:
        await layer.close()


@pytest.fixture
def world(any_backend):  # noqa: F811
    settings = any_backend
    url = settings.database
    profiles, accounts, audit = ProfileStore(url), AccountStore(url), AuditLog(url)
    for name in ("mei", "sam"):
        profiles.create_profile(Profile(id=name, display_name=name.title()))
        accounts.add(name, "patient", "long-enough-pw")
    accounts.add("li", "manager", "long-enough-pw")
    accounts.assign("li", ["mei"])
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    ids = run(_chat(settings, mine, "mei"))
    run(_chat(settings, theirs, "sam"))
    conversations = Conversations(settings.chainlit_database, profiles, AccessPolicy(accounts, audit), accounts)
    yield conversations, accounts, audit, mine, theirs, ids
    conversations.close()
    for store in (profiles, accounts, audit):
        store.close()


def test_a_thread_shows_each_coach_answer_with_its_evidence_to_the_patients_manager_only(world):
    conversations, accounts, audit, mine, theirs, ids = world
    li = accounts.get("li")
    [listed] = conversations.threads(li, "mei")
    assert (listed.id, listed.name, listed.answers, listed.flagged) == (mine, "my blood pressure", 1, 0)
    view = conversations.thread(li, "mei", mine)
    assert [t.kind for t in view.turns] == ["patient", "safety", "coach", "person", "info"]
    answer = view.turns[2]
    assert answer.step_id == ids["answer"] and answer.text == "That reading is stage 2 hypertension [1]."
    assert answer.evidence.citations[0].passage_id == "htn-acc-aha-2017#bp-categories"
    assert answer.evidence.indicators[0].values == "152/96" and answer.evidence.escalation == "routine"
    assert view.turns[3].evidence is None  # what a person wrote is no coach answer
    with pytest.raises(ThreadNotFound):
        conversations.thread(li, "mei", theirs)  # sam's thread, asked for under mei's name
    with pytest.raises(AccessDenied):
        conversations.thread(li, "sam", theirs)  # not li's patient
    with pytest.raises(AccessDenied):
        conversations.threads(accounts.get("mei"), "mei")  # review is a manager's work
    assert {("threads", "list threads"), ("threads", "review thread")} <= {
        (e.resource, e.action) for e in audit.entries(actor="li") if e.outcome == "allowed"}


def test_approve_or_flag_with_a_reason_and_a_note_and_export_the_flags(world):
    conversations, accounts, audit, mine, _, ids = world
    li = accounts.get("li")
    with pytest.raises(ReviewError, match="pick why"):
        conversations.review(li, "mei", mine, ids["answer"], "flagged", "", "wrong")
    with pytest.raises(ReviewError, match="correction note"):
        conversations.review(li, "mei", mine, ids["answer"], "flagged", "unsafe", "  ")
    with pytest.raises(ReviewError, match="no such coach answer"):
        conversations.review(li, "mei", mine, ids["person"], "approved")  # a person's message is not reviewed
    conversations.review(li, "mei", mine, ids["answer"], "flagged", "missing_evidence",
                         "Say that one reading is not a diagnosis; cite the home-monitoring passage.")
    assert conversations.threads(li, "mei")[0].flagged == 1
    assert conversations.thread(li, "mei", mine).turns[2].review.reason_code == "missing_evidence"
    rows = list(csv.DictReader(io.StringIO(conversations.export_flags(li, "csv"))))
    assert [(r["reason_code"], r["answer"], r["reviewer"]) for r in rows] == [
        ("missing_evidence", "That reading is stage 2 hypertension [1].", "li")]
    assert json.loads(conversations.export_flags(li, "json"))[0]["thread_id"] == mine
    conversations.review(li, "mei", mine, ids["answer"], "approved")  # the latest review counts
    assert conversations.flags(li) == [] and conversations.threads(li, "mei")[0].flagged == 0
    assert {"review: flagged", "review: approved", "export flags (csv)"} <= {
        e.action for e in audit.entries(actor="li") if e.outcome == "done"}
