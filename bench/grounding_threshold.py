"""Choose the cosine threshold of the groundedness metric from hand-labelled answer sentences.

Each sentence in bench/grounding/calibration.yaml is scored as the evaluation scores an answer sentence
(coach/evaluation/grounding.py: best cosine similarity, all-MiniLM-L6-v2, to a sentence of the passage);
for each threshold this prints accuracy, precision and recall of "supported" against the labels.

    .venv/bin/python bench/grounding_threshold.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.corpus import load_corpus  # noqa: E402
from knowledge.embedding import load_embedding  # noqa: E402

from coach.evaluation.grounding import Grounder  # noqa: E402
from coach.models import Citation, CoachReply, Verification  # noqa: E402


def main() -> None:
    passages = {p.id: p for p in load_corpus(ROOT / "guidelines").passages}
    grounder = Grounder(load_embedding())
    scored: list[tuple[float, bool]] = []
    for item in yaml.safe_load((ROOT / "bench/grounding/calibration.yaml").read_text(encoding="utf-8")):
        p = passages[item["passage"]]
        citation = Citation(marker=1, passage_id=p.id, document_title=p.document_title, issuer=p.issuer,
                            edition=p.edition, section=p.section, url=p.url, quote=p.text)
        for label in ("supported", "unsupported"):
            for sentence in item[label]:
                reply = CoachReply(text=f"{sentence} [1]", citations=[citation], backend="bench",
                                   verification=Verification(passed=True))
                support = grounder.support(reply)[0]
                scored.append((support.score, label == "supported"))
    pos = sorted(s for s, ok in scored if ok)
    neg = sorted(s for s, ok in scored if not ok)
    print(f"{len(pos)} supported sentences: cosine min {pos[0]:.3f}, median {pos[len(pos) // 2]:.3f}")
    print(f"{len(neg)} unsupported sentences: cosine max {neg[-1]:.3f}, median {neg[len(neg) // 2]:.3f}")
    print("threshold  accuracy  precision  recall")
    for t in [x / 100 for x in range(40, 86, 5)]:
        tp = sum(s >= t for s in pos)
        fp = sum(s >= t for s in neg)
        accuracy = (tp + sum(s < t for s in neg)) / len(scored)
        precision = tp / (tp + fp) if tp + fp else float("nan")
        print(f"{t:9.2f}  {accuracy:8.3f}  {precision:9.3f}  {tp / len(pos):6.3f}")


if __name__ == "__main__":
    main()
