"""Open Chroma: an embedded PersistentClient in a folder by default, a Chroma server when given a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse


class ChromaUnavailable(RuntimeError):
    """The configured Chroma server (or folder) cannot be used; the message says what to do."""


def open_chroma(path: Path | None = None, url: str | None = None):
    """Return a Chroma client: HttpClient for `url` (http[s]://host:port), else PersistentClient at `path`."""
    try:
        import chromadb
        from chromadb.config import Settings
    except ImportError as exc:  # pragma: no cover - only on a broken install
        raise ImportError("ChromaDB is not installed: run `make setup` or `pip install chromadb`.") from exc
    settings = Settings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"Chroma URL {url!r} must look like http://host:8000")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(host=parsed.hostname, port=port, ssl=parsed.scheme == "https",
                                       settings=settings)
        except Exception as exc:  # chromadb raises ValueError/ConnectionError variants here
            raise ChromaUnavailable(f"Could not reach the Chroma server at {url} ({exc}). Start it, or "
                                    "unset COACH_KNOWLEDGE__CHROMA_URL to use the embedded store.") from exc
    if path is None:
        raise ValueError("open_chroma needs a folder path or a server URL")
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except OSError as exc:
        raise ChromaUnavailable(f"Cannot use {path} for the embedded Chroma store: {exc.strerror}. "
                                "Set COACH_DATA_DIR to a writable folder.") from exc
