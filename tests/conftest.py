"""Test helpers: a counting embedding wrapper, tiny corpora on disk. The real embedding model and the real
guideline index (`minilm`, `guideline_index`, `guideline_data_dir`) are session fixtures in the repository's
conftest.py, shared with the scenario suite (scenarios/)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


class EmbeddingInterrupted(RuntimeError):
    """Raised by CountingEmbedding to simulate a build killed half-way."""


class CountingEmbedding(BaseEmbedding):
    """The real model behind a counter: records how many texts were embedded; can fail on purpose."""

    _inner: BaseEmbedding = PrivateAttr()
    _texts: list = PrivateAttr(default_factory=list)
    _fail_after: int | None = PrivateAttr(default=None)

    def __init__(self, inner: BaseEmbedding, fail_after: int | None = None):
        super().__init__(model_name="counting", embed_batch_size=inner.embed_batch_size)
        self._inner = inner
        self._texts = []
        self._fail_after = fail_after

    @property
    def embedded_texts(self) -> list[str]:
        return self._texts

    def _record(self, texts: list[str]) -> None:
        if self._fail_after is not None and len(self._texts) + len(texts) > self._fail_after:
            raise EmbeddingInterrupted(f"stopped after {len(self._texts)} texts")
        self._texts.extend(texts)

    def _get_text_embedding(self, text: str):
        self._record([text])
        return self._inner.get_text_embedding(text)

    def _get_text_embeddings(self, texts: list[str]):
        self._record(list(texts))
        return self._inner.get_text_embedding_batch(list(texts))

    def _get_query_embedding(self, query: str):
        return self._inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str):
        return self._get_query_embedding(query)


def write_doc(root: Path, doc_id: str, body: str, region: str = "us", conditions: str = "[htn]",
              title: str | None = None) -> Path:
    """Write one well-formed guideline document with the given markdown body."""
    root.mkdir(parents=True, exist_ok=True)
    front = textwrap.dedent(f"""\
        ---
        id: {doc_id}
        title: {title or doc_id.replace('-', ' ').title()}
        issuer: Demo Guideline Society
        source:
          document: Demo guideline on {doc_id}
          edition: "2024"
          section: Section 1
        url: https://example.org/{doc_id}
        region: {region}
        conditions: {conditions}
        reviewed: 2026-11-22
        ---

        # {title or doc_id}

        """)
    path = root / f"{doc_id}.md"
    path.write_text(front + textwrap.dedent(body).strip() + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mini_corpus(tmp_path) -> Path:
    """Three small documents in three regions: enough to test indexing, filters and fusion."""
    root = tmp_path / "guidelines"
    write_doc(root, "demo-bp-us", """
        ## Blood pressure categories {#bp-categories}
        Source section: 3.3, Table 6
        Answers: classification
        Indicators: blood_pressure

        Under the demo US guideline, a blood pressure of 130-139 mmHg systolic or 80-89 mmHg diastolic
        is stage 1 hypertension. Readings of 140/90 mmHg or higher are stage 2 hypertension.

        ## Home measurement {#home-measurement}
        Answers: measuring

        Sit quietly for five minutes with your back supported before measuring blood pressure at home.
        Take two readings one minute apart in the morning and in the evening for a week.
        """, region="us", conditions="[htn]")
    write_doc(root, "demo-lipids-eu", """
        ## LDL cholesterol goals {#ldl-goals}
        Answers: target

        Under the demo European guideline, people at very high cardiovascular risk aim for an LDL
        cholesterol below 1.4 mmol/L (55 mg/dL). Those at high risk aim below 1.8 mmol/L (70 mg/dL).
        """, region="eu", conditions="[lipids]")
    write_doc(root, "demo-gout-cn", """
        ## Uric acid and purine-rich food {#purines}
        Answers: food, classification

        Under the demo Chinese guideline, hyperuricaemia means a fasting serum urate above 420 µmol/L
        (7 mg/dL). Organ meats, shellfish, beer and sugary drinks raise uric acid and can trigger gout.
        """, region="cn", conditions="[urate]")
    write_doc(root, "demo-red-flags", """
        ## Stroke warning signs {#stroke}
        Answers: emergency, symptoms

        A drooping face, a weak arm or slurred speech can mean a stroke: call the emergency number now.
        """, region="global", conditions="[general, htn, diabetes, lipids, urate, obesity]")
    return root
