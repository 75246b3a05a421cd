"""Session fixtures shared by the unit tests (tests/) and the scenario suite (scenarios/): the real embedding
model and the real guideline index, each built once per test session whichever suites run. Loaded as a
plugin for every run (`-p tests.session_fixtures` in pyproject.toml), so no conftest sits at the top of the
repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ["pytester"]  # tests/coach/test_evaluation_runner.py runs pytest on scenario files


@pytest.fixture(scope="session")
def minilm():
    from knowledge.embedding import load_embedding
    return load_embedding()


@pytest.fixture(scope="session")
def guideline_data_dir(tmp_path_factory) -> Path:
    """A data folder whose chroma/ holds the session's real index (a served app can use it as its data dir)."""
    return tmp_path_factory.mktemp("real-index")


@pytest.fixture(scope="session")
def guideline_index(guideline_data_dir, minilm):
    """The real corpus indexed once per test session (about half a minute)."""
    from knowledge.corpus import load_corpus
    from knowledge.index import GuidelineIndex
    from knowledge.store import open_chroma
    index = GuidelineIndex(open_chroma(path=guideline_data_dir / "chroma"), embed_model=minilm)
    index.build(load_corpus(REPO / "guidelines"))
    return index
