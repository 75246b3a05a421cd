"""Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama's /v1, OpenAI) through LlamaIndex."""

from __future__ import annotations

from typing import Iterator


class OpenAICompatibleGenerator:
    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", timeout: float = 60.0,
                 max_tokens: int = 400, temperature: float = 0.2):
        try:
            from llama_index.core.llms import ChatMessage
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as exc:  # pragma: no cover - only on a broken install
            raise ImportError("The OpenAI-compatible backend needs llama-index-llms-openai-like: run "
                              "`make setup`.") from exc
        self._message = ChatMessage
        self.llm = OpenAILike(model=model, api_base=base_url, api_key=api_key, is_chat_model=True,
                              context_window=8192, max_tokens=max_tokens, temperature=temperature,
                              timeout=timeout, max_retries=1)

    def generate(self, prompt: str) -> str:
        return self.llm.chat([self._message(role="user", content=prompt)]).message.content or ""

    def stream(self, prompt: str) -> Iterator[str]:
        for chunk in self.llm.stream_chat([self._message(role="user", content=prompt)]):
            if chunk.delta:
                yield chunk.delta
