"""The real embedded model (SmolLM2-135M via llama.cpp): it loads, generates, streams, and is verified."""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("llama_cpp", reason="the local backend is not installed (make setup-local)")

from coach.generation.local import LocalGenerator, default_model_path  # noqa: E402
from coach.models import Profile  # noqa: E402
from coach.profile.store import ProfileStore, sqlite_url  # noqa: E402
from coach.service import Coach  # noqa: E402
from knowledge.retrieve import HybridRetriever  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local():
    return LocalGenerator(max_tokens=48)


def test_the_model_ships_in_its_package_and_loads(local):
    assert default_model_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert default_model_path().stat().st_size > 50_000_000
    assert local.model_path == default_model_path()


def test_it_generates_and_streams(local):
    text = local.generate("Name one vegetable.")
    assert isinstance(text, str) and text.strip()
    pieces = list(local.stream("Name one fruit."))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_its_answers_go_through_verification(local, guideline_index, tmp_path):
    store = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    person = store.create_profile(Profile(id="sam", display_name="Sam", region="us"))
    coach = Coach(HybridRetriever(guideline_index), store, local, clock=lambda: dt.datetime(2026, 11, 22, 9, 0))
    reply = coach.reply("my bp this morning was 152/96, is that bad?", person)
    assert reply.verification.attempts >= 1
    if reply.verification.passed:  # a verified model answer: every marker is a retrieved passage
        assert reply.backend == "local" and reply.citations
    else:  # the usual case for a 135M model: the composer's answer, with the reasons recorded
        assert reply.backend == "composer" and reply.verification.fell_back and reply.verification.problems
        assert "Stage 2 hypertension" in reply.text
