"""Parse the markdown guideline corpus into citable passages, with errors that name file, line and problem."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.models import CONDITIONS, INDICATOR_KEYS, INTENTS, DocumentMeta, Passage

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
ANCHOR = re.compile(r"\s*\{#([^}]*)\}\s*$")
ANCHOR_VALID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FENCE = re.compile(r"^\s*(```|~~~)")
META_LINE = re.compile(r"^(Source section|Conditions|Asked as|Answers|Indicators|Direction|Medicines|Audience):"
                       r"\s*(.*)$")
# Lists of names a metadata line may hold, with what each may be (None: any id, checked by `coach check`).
META_LISTS = {"Conditions": ("conditions", CONDITIONS), "Answers": ("answers", INTENTS),
              "Indicators": ("indicators", INDICATOR_KEYS), "Medicines": ("medicines", None)}
META_ONE = {"Direction": ("direction", ("high", "low")), "Audience": ("audience", ("patient", "clinician"))}


@dataclass(frozen=True)
class CorpusIssue:
    """One problem in one file, at one line."""

    path: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


class CorpusError(Exception):
    """The corpus has problems; every one names its file, line and what is wrong."""

    def __init__(self, issues: list[CorpusIssue]):
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{len(issues)} problem(s) in the guideline corpus:\n{lines}")


@dataclass
class GuidelineDocument:
    meta: DocumentMeta
    path: str
    passages: list[Passage] = field(default_factory=list)


@dataclass
class Corpus:
    root: Path
    documents: list[GuidelineDocument]

    @property
    def passages(self) -> list[Passage]:
        return [p for doc in self.documents for p in doc.passages]

    def passage(self, passage_id: str) -> Passage:
        for p in self.passages:
            if p.id == passage_id:
                return p
        raise KeyError(passage_id)

    def fingerprint(self) -> str:
        """Hash of everything that is indexed: equal fingerprints mean nothing to re-index."""
        digest = hashlib.sha256()
        for p in sorted(self.passages, key=lambda p: p.id):
            # Everything stored with a passage, line numbers included, so citations never go stale.
            digest.update(p.model_dump_json().encode())
        return digest.hexdigest()


def load_corpus(root: Path) -> Corpus:
    """Parse every `*.md` under `root` (README.md excepted); raise CorpusError listing every problem."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError([CorpusIssue(str(root), 0, "guideline folder not found")])
    files = sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md")
    if not files:
        raise CorpusError([CorpusIssue(str(root), 0, "no guideline documents (*.md) found")])
    documents: list[GuidelineDocument] = []
    issues: list[CorpusIssue] = []
    seen_ids: dict[str, str] = {}
    for file in files:
        rel = file.relative_to(root.parent).as_posix() if root.parent != file else file.name
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            issues.append(CorpusIssue(rel, 0, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"))
            continue
        doc, file_issues = parse_document(text, rel)
        issues.extend(file_issues)
        if doc is None:
            continue
        if doc.meta.id in seen_ids:
            issues.append(CorpusIssue(rel, 2, f"document id {doc.meta.id!r} is already used by "
                                              f"{seen_ids[doc.meta.id]}"))
            continue
        seen_ids[doc.meta.id] = rel
        documents.append(doc)
    if issues:
        raise CorpusError(issues)
    return Corpus(root=root, documents=documents)


def parse_document(text: str, path: str) -> tuple[GuidelineDocument | None, list[CorpusIssue]]:
    """Parse one markdown document; returns the document (None if unusable) and its problems."""
    lines = text.splitlines()
    meta, body_start, issues = _parse_front_matter(lines, path)
    if meta is None:
        return None, issues
    stem = Path(path).stem
    if meta.id != stem:
        issues.append(CorpusIssue(path, _key_line(lines, "id"),
                                  f"document id {meta.id!r} does not match the file name {stem}.md"))
    doc = GuidelineDocument(meta=meta, path=path)
    issues.extend(_parse_body(lines, body_start, doc))
    if not doc.passages and not issues:
        issues.append(CorpusIssue(path, body_start + 1, "document has no passages "
                                                        "(headings like '## Title {#anchor}')"))
    return (doc if not issues else None), issues


def _parse_front_matter(lines: list[str], path: str) -> tuple[DocumentMeta | None, int, list[CorpusIssue]]:
    if not lines or lines[0].strip() != "---":
        return None, 0, [CorpusIssue(path, 1, "missing YAML front matter (the file must start with '---')")]
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return None, 0, [CorpusIssue(path, 1, "front matter is not closed by a '---' line")]
    raw = "\n".join(lines[1:end])
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, end + 1, [CorpusIssue(path, line, f"front matter is not valid YAML: {problem}")]
    if not isinstance(data, dict):
        return None, end + 1, [CorpusIssue(path, 2, "front matter must be a mapping of keys to values")]
    try:
        return DocumentMeta.model_validate(data), end + 1, []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            key = loc[0] if loc else ""
            line = _key_line(lines[: end + 1], key) if key else 1
            issues.append(CorpusIssue(path, line, _front_matter_problem(loc, err, data)))
        return None, end + 1, issues


def _front_matter_problem(loc: list[str], err: dict, data: dict) -> str:
    field_name = ".".join(loc)
    if err["type"] == "missing":
        return f"front matter is missing {field_name!r}"
    if loc and loc[0] == "region":
        return f"unknown region {data.get('region')!r} (use one of global, us, eu, cn)"
    if loc and loc[0] == "conditions" and err["type"] == "literal_error":
        return f"unknown condition {err.get('input')!r} (use one of {', '.join(CONDITIONS)})"
    if err["type"] == "extra_forbidden":
        return f"unknown front matter key {field_name!r}"
    return f"front matter {field_name!r}: {err['msg']} (got {err.get('input')!r})"


def _key_line(lines: list[str], key: str) -> int:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for i, line in enumerate(lines):
        if pattern.match(line):
            return i + 1
    return 1


@dataclass
class _Open:
    """A passage being collected while the body is scanned."""

    anchor: str
    heading_path: tuple[str, ...]
    line: int
    section: str | None = None
    conditions: tuple[str, ...] | None = None
    asked_as: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    medicines: tuple[str, ...] = ()
    direction: str | None = None
    audience: str = "patient"
    body: list[str] = field(default_factory=list)


def _parse_body(lines: list[str], start: int, doc: GuidelineDocument) -> list[CorpusIssue]:
    path, meta = doc.path, doc.meta
    issues: list[CorpusIssue] = []
    anchors: dict[str, int] = {}
    title: str | None = None
    h2: str | None = None
    current: _Open | None = None
    grouping_line: int | None = None  # line of a heading without an anchor that must stay empty
    in_fence = False
    skipping = False

    def close() -> None:
        nonlocal current
        if current is None:
            return
        text = "\n".join(current.body).strip()
        if not text:
            issues.append(CorpusIssue(path, current.line, f"passage {current.anchor!r} has no text"))
        else:
            doc.passages.append(Passage(
                id=f"{meta.id}#{current.anchor}", document_id=meta.id, document_title=meta.title,
                issuer=meta.issuer, source_document=meta.source.document, edition=meta.source.edition,
                section=current.section or meta.source.section, url=meta.url, region=meta.region,
                conditions=current.conditions or tuple(meta.conditions),
                heading_path=current.heading_path, text=text, asked_as=current.asked_as,
                answers=current.answers, indicators=current.indicators, direction=current.direction,
                medicines=current.medicines, audience=current.audience, path=path, line=current.line))
        current = None

    for index in range(start, len(lines)):
        number, line = index + 1, lines[index]
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else HEADING.match(line)
        if heading and len(heading.group(1)) <= 3:
            level, raw = len(heading.group(1)), heading.group(2)
            anchor_match = ANCHOR.search(raw)
            name = ANCHOR.sub("", raw).strip()
            if level == 1:
                if title is not None:
                    issues.append(CorpusIssue(path, number, "a second '#' title; a document has one title"))
                title = name
                continue
            close()
            grouping_line, skipping = None, False
            if level == 2:
                h2 = name
            heading_path = tuple(x for x in (title or meta.title, h2 if level == 3 else None, name) if x)
            if anchor_match is None:
                grouping_line = number
                continue
            anchor = anchor_match.group(1).strip()
            if not ANCHOR_VALID.match(anchor):
                issues.append(CorpusIssue(path, number, f"passage id {anchor!r} is not valid "
                                                        "(lowercase letters, digits and '-')"))
                skipping = True  # its text is part of this problem, not another one
                continue
            if anchor in anchors:
                issues.append(CorpusIssue(path, number, f"duplicate passage id {meta.id}#{anchor} "
                                                        f"(first used on line {anchors[anchor]})"))
                skipping = True
                continue
            anchors[anchor] = number
            current = _Open(anchor=anchor, heading_path=heading_path, line=number)
            continue
        if current is None:
            if line.strip() and not skipping:
                if grouping_line is not None:
                    issues.append(CorpusIssue(path, grouping_line, "heading has text but no passage id; "
                                                                   "end it with {#anchor}"))
                elif title is None or h2 is not None:
                    issues.append(CorpusIssue(path, number, "text outside any passage"))
                else:
                    issues.append(CorpusIssue(path, number, "text between the title and the first passage"))
                skipping = True  # report one problem per block, not one per line
            continue
        meta_line = META_LINE.match(line.strip()) if not "".join(current.body).strip() else None
        if meta_line:
            key, value = meta_line.group(1), meta_line.group(2).strip()
            if key == "Asked as":
                questions = tuple(q.strip() for q in value.split("|") if q.strip())
                if not questions:
                    issues.append(CorpusIssue(path, number, "'Asked as:' has no questions "
                                                            "(separate them with ' | ')"))
                current.asked_as = current.asked_as + questions
            elif key == "Source section":
                if not value:
                    issues.append(CorpusIssue(path, number, "'Source section:' is empty"))
                current.section = value or None
            elif key in META_ONE:
                attribute, allowed = META_ONE[key]
                if value not in allowed:
                    issues.append(CorpusIssue(path, number, f"'{key}:' must be one of {', '.join(allowed)} "
                                                            f"(got {value!r})"))
                else:
                    setattr(current, attribute, value)
            else:
                attribute, allowed = META_LISTS[key]
                values = tuple(v.strip() for v in value.split(",") if v.strip())
                unknown = [v for v in values if allowed is not None and v not in allowed]
                if unknown or not values:
                    issues.append(CorpusIssue(path, number, f"unknown {attribute} {unknown or [value]} in "
                                                            f"'{key}:' (use {', '.join(allowed or ('ids',))})"))
                elif getattr(current, attribute):
                    issues.append(CorpusIssue(path, number, f"a second '{key}:' line; put them on one"))
                setattr(current, attribute, values)
            continue
        current.body.append(line)
    close()
    if in_fence:
        issues.append(CorpusIssue(path, len(lines), "code fence is never closed"))
    return issues
