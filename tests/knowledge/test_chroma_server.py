"""The same index and retrieval against a real Chroma server (HttpClient), started on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coach.assembly import build_knowledge_base
from coach.settings import load_settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "chroma")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen([str(exe), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    log_text = (tmp_path / "chroma.log").read_text()
                    raise RuntimeError(f"Chroma server did not start: {log_text}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_index_and_search_through_a_chroma_server(chroma_server, mini_corpus, minilm, tmp_path):
    settings = load_settings(data_dir=tmp_path / "unused",
                             knowledge={"guidelines_dir": mini_corpus, "chroma_url": chroma_server})
    kb = build_knowledge_base(settings, embed_model=minilm)
    stats = kb.build_index()
    assert stats.embedded == stats.chunks == 5
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing written to the embedded store
    top = kb.retriever.search("LDL goal at very high risk").passages[0]
    assert top.id == "demo-lipids-eu#ldl-goals"
    # A second process (here: a second client) sees the same active generation and does no work.
    again = build_knowledge_base(settings, embed_model=minilm).build_index()
    assert again.unchanged and again.embedded == 0


def test_a_malformed_server_url_is_a_clear_error(tmp_path):
    settings = load_settings(data_dir=tmp_path, knowledge={"chroma_url": "localhost:8000"})
    with pytest.raises(ValueError, match="must look like http://host:8000"):
        build_knowledge_base(settings)
