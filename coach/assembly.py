"""The one place that wires the coach's parts together from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from knowledge.corpus import Corpus, load_corpus
from knowledge.index import GuidelineIndex, IndexStats
from knowledge.retrieve import HybridRetriever
from knowledge.store import open_chroma

from coach.settings import CoachSettings

if TYPE_CHECKING:
    from coach.access import AccessPolicy
    from coach.alerts import Alerts
    from coach.caseload import Caseload
    from coach.conversations import Conversations
    from coach.handover import Handover
    from coach.service import Coach
    from coach.accounts import AccountStore
    from coach.profile.store import ProfileStore


@dataclass
class KnowledgeBase:
    """The guideline corpus, its Chroma index and the hybrid retriever over it."""

    settings: CoachSettings
    index: GuidelineIndex
    _retriever: HybridRetriever | None = field(default=None, repr=False)

    def load_corpus(self) -> Corpus:
        return load_corpus(self.settings.knowledge.guidelines_dir)

    def build_index(self, progress: Callable[[int, int], None] | None = None,
                    force: bool = False) -> IndexStats:
        """Validate the whole corpus first, so a bad file never touches the index in use."""
        stats = self.index.build(self.load_corpus(), progress=progress, force=force)
        if self._retriever is not None:
            self._retriever.refresh()
        return stats

    @property
    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            k = self.settings.knowledge
            self._retriever = HybridRetriever(self.index, top_k=k.top_k, candidates=k.candidates,
                                              rrf_k=k.rrf_k, max_query_chars=k.max_query_chars)
        return self._retriever


def build_knowledge_base(settings: CoachSettings, embed_model=None) -> KnowledgeBase:
    """Open Chroma (embedded or server) and the index; the embedding model loads on first use."""
    k = settings.knowledge
    client = open_chroma(path=settings.chroma_dir, url=k.chroma_url)
    if embed_model is None and k.embedding_model_path is not None:
        from knowledge.embedding import load_embedding
        path = k.embedding_model_path
        embed_model = lambda: load_embedding(path)  # noqa: E731 - deferred, loads only if needed
    index = GuidelineIndex(client, name=k.collection, embed_model=embed_model)
    return KnowledgeBase(settings=settings, index=index)


def build_coach(settings: CoachSettings, embed_model=None, generator=None) -> Coach:
    """The coaching service with its knowledge base, profile store and answer backend."""
    from coach.profile.store import ProfileStore
    from coach.service import Coach

    kb = build_knowledge_base(settings, embed_model=embed_model)
    if generator is None:
        generator = build_generator(settings)
    return Coach(retriever=kb.retriever, store=ProfileStore(settings.database), generator=generator,
                 max_attempts=settings.generation.max_attempts)


@dataclass
class AppServices:
    """What a front end needs: the coaching service, the profile store it uses, the login accounts, and for
    the managers' console the access policy (with the audit log), the alerts, the caseload and the take-over
    of a patient's chat."""

    coach: Coach
    accounts: AccountStore
    policy: AccessPolicy
    alerts: Alerts
    caseload: Caseload
    handover: Handover
    conversations: Conversations

    @property
    def profiles(self) -> ProfileStore:
        return self.coach.store


def build_app(settings: CoachSettings, embed_model=None, generator=None) -> AppServices:
    """The server's services (coach/ui/app.py, coach/console/): one coach, one profile store, one account
    store, one audit log, all in `settings.database`; the conversations are read from the chat database."""
    from coach.access import AccessPolicy
    from coach.accounts import AccountStore
    from coach.alerts import Alerts
    from coach.audit import AuditLog
    from coach.caseload import Caseload
    from coach.conversations import Conversations
    from coach.handover import Handover
    from coach.notify import build_notifier

    coach = build_coach(settings, embed_model=embed_model, generator=generator)
    accounts = AccountStore(settings.database)
    policy = AccessPolicy(accounts, AuditLog(settings.database))
    alerts = Alerts(coach.store, policy, notifier=build_notifier(settings))
    coach.on_escalation = alerts.raised  # the tier's promise: a premium patient's manager is told at once
    conversations = Conversations(settings.chainlit_database, coach.store, policy, accounts)
    return AppServices(coach=coach, accounts=accounts, policy=policy, alerts=alerts,
                       caseload=Caseload(coach.store, policy, alerts, coach.findings, conversations.last_messages),
                       handover=Handover(coach.store, policy), conversations=conversations)


def build_generator(settings: CoachSettings):
    """The answer backend named by `settings.generation.backend` (None = the composer alone)."""
    match settings.generation.backend:
        case "composer":
            return None
        case "scripted":
            from coach.generation.scripted import ScriptedGenerator
            return ScriptedGenerator()
        case "local":
            from coach.generation.local import LocalGenerator
            lo = settings.generation.local
            return LocalGenerator(model_path=lo.model_path, n_ctx=lo.n_ctx, threads=lo.threads,
                                  max_tokens=lo.max_tokens)
        case "openai":
            from coach.generation.openai_backend import OpenAICompatibleGenerator
            o = settings.generation.openai
            return OpenAICompatibleGenerator(base_url=o.base_url, model=o.model,
                                             api_key=o.api_key.get_secret_value(), timeout=o.timeout_s)
