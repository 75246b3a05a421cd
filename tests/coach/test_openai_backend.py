"""The OpenAI-compatible backend against a real HTTP server on loopback, through the whole service."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assembly import build_generator
from coach.models import Profile
from coach.profile.store import ProfileStore, sqlite_url
from coach.service import Coach
from coach.settings import load_settings
from knowledge.retrieve import HybridRetriever
from tests.coach.fake_openai import FakeOpenAIServer


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


def generator_for(server):
    settings = load_settings(generation={"backend": "openai", "openai": {
        "base_url": server.url, "model": "tiny", "api_key": "sk-test"}})
    return build_generator(settings)


def test_generate_and_stream(server):
    generator = generator_for(server)
    server.answers = ["Hello from the server [1].", "streamed words here"]
    assert generator.generate("Say hello") == "Hello from the server [1]."
    assert "".join(generator.stream("Stream please")).strip() == "streamed words here"
    first = server.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["body"]["model"] == "tiny"
    assert first["body"]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert first["auth"] == "Bearer sk-test"


@pytest.mark.slow
def test_the_service_verifies_what_the_server_says(server, guideline_index, tmp_path):
    store = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    person = store.create_profile(Profile(id="sam", display_name="Sam", region="us"))
    coach = Coach(HybridRetriever(guideline_index), store, generator_for(server),
                  clock=lambda: dt.datetime(2026, 11, 22, 9, 0))
    # Like SmolLM2 did here: fluent, wrong, uncited; then a second try that is just as bad.
    server.answers = ["152/96 is not bad, nothing to worry about.", "It is fine, 152/96 is a healthy range."]
    reply = coach.reply("my bp this morning was 152/96, is that bad?", person)
    assert len(server.requests) == 2 and "Guideline passages:" in server.requests[0]["body"]["messages"][0]["content"]
    assert reply.backend == "composer" and reply.verification.fell_back
    assert any("reassures about a blood pressure" in p for p in reply.verification.problems)
    assert "Stage 2 hypertension" in reply.text
