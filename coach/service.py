"""The coaching service: one message in, one explained `CoachReply` out. Every front end calls this."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Callable

from knowledge.models import SearchFilters
from knowledge.retrieve import HybridRetriever, QueryError

from coach.answering import Found, assess
from coach.assessment import assess as assess_readings
from coach.composer import (
    Citations, compose_answer, compose_emergency, compose_human_request, compose_safety_check, compose_unanswered,
    escalation_for, follow_up_sentence, goal_sentence, self_care_sentences,
)
from coach.human_request import asks_for_person
from coach.tiers import load_tiers
from coach.question import QuestionReader, default_reader
from coach.generation import Generator
from coach.goals import risk_goals
from coach.follow_up import follow_up_for
from coach.models import (
    CoachReply, Escalation, IndicatorFinding, Profile, Reading, Turn, Verification, finding_components,
)
from coach.profile.parse import clarified_glucose, parse_readings
from coach.profile.store import EscalationRecord, ProfileStore
from coach.prompts import render
from coach.quoting import Topic, WordWeights, about_status, coverage, passage_words, search_words
from coach.scope import check_scope
from coach.text import (
    READING_NUMBERS, TOPICS, distinct_sentences, english_terms, mentions, without_numbers, without_other_numbers,
)
from coach.triage import Triage, default_triage
from coach.triage.semantic import SemanticNet
from coach.verify import MARKER, verify

MAX_MESSAGE_CHARS = 4000
HISTORY_TURNS = 6
CJK = re.compile(r"[\u3400-\u9fff]")
OTHER_REGION = {  # said before an answer quoted from outside the person's guideline set, or partly from it
    "global": "The international guidelines don't cover this, so this answer quotes a national guideline, named "
              "in each quote.",
    "global_part": "Part of this answer quotes a national guideline, named in its quote.",
    "other": "The guidelines for your region don't cover this, so this answer quotes another region's guideline, "
             "named in each quote.",
    "other_part": "Part of this answer quotes another region's guideline, named in its quote."}
ANSWER_CANDIDATES = 10  # passages retrieved for a question; the best fits of them are quoted
READINGS_WINDOW_DAYS = 90
# Words that point back at the previous question: "what about it?", "is that bad?".
FOLLOW_UP = re.compile(r"\b(it|that|this|those|these|them|they)\b", re.I)



# Word weights over the indexed passages (about 35 ms to build), shared by every Coach over the same
# passages: a Coach is made per chat session and per evaluated scenario. Rebuilt when a re-index
# gives the retriever a new passage table.
_weights: tuple[object, WordWeights] | None = None


_triage: tuple[object, Triage] | None = None


def shared_triage(embed_model) -> Triage:
    """The triage layers with the semantic net over `embed_model`, built once per model (the example bank
    is embedded once, a few seconds) and shared by every Coach, like the word weights."""
    global _triage
    if _triage is None or _triage[0] is not embed_model:
        semantic = SemanticNet(lambda texts: embed_model.get_text_embedding_batch(list(texts)))
        base = default_triage()
        _triage = (embed_model, Triage(finder=base.finder, book=base.book, semantic=semantic))
    return _triage[1]


def word_weights(passages: dict) -> WordWeights:
    global _weights
    if _weights is None or _weights[0] is not passages:
        _weights = (passages, WordWeights(p.text for p in passages.values()))
    return _weights[1]


class Coach:
    def __init__(self, retriever: HybridRetriever, store: ProfileStore, generator: Generator | None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now().replace(microsecond=0),
                 max_attempts: int = 2, on_escalation: Callable[[EscalationRecord], None] | None = None):
        self.retriever = retriever
        # Told of every escalation once it is stored (the alerts' tier rules: notify a premium patient's
        # manager at once); set by the app's assembly.
        self.on_escalation = on_escalation
        self.store = store
        self.generator = generator  # None: the deterministic composer writes every answer
        self.clock = clock
        self.max_attempts = max_attempts
        self._triage: Triage | None = None

    @property
    def triage(self) -> Triage:
        if self._triage is None:
            self._triage = shared_triage(self.retriever.index.embed_model)
        return self._triage

    @property
    def reader(self) -> QuestionReader:
        return default_reader()  # built once per process (about 3 s) and shared, like the triage layers

    @property
    def backend(self) -> str:
        return self.generator.name if self.generator else "composer"

    def _escalate(self, record: EscalationRecord) -> EscalationRecord:
        stored = self.store.add_escalation(record)
        if self.on_escalation is not None:
            self.on_escalation(stored)
        return stored

    def request_person(self, profile: Profile | None, message: str = "(asked for a person with the chat's button)"
                       ) -> CoachReply:
        """The patient asked for their health manager (the chat's button, or words the reply found): an alert,
        and a reply that says by their tier when a person answers."""
        if profile is not None:
            self._escalate(EscalationRecord(
                profile_id=profile.id, level="human", reason="the patient asked for a person", passage_id="",
                evidence=message[:500], message=message, created_at=self.clock()))
        tier = load_tiers().of(profile.tier if profile else None)
        return CoachReply(text=compose_human_request(tier, profile is not None), asked_for_person=message,
                          verification=Verification(passed=True), backend="composer")

    def record_thumbs_down(self, profile_id: str, answer: str, comment: str = "") -> EscalationRecord:
        """A patient rated an answer down: an alert, so a person reads the answer (and the comment)."""
        return self._escalate(EscalationRecord(
            profile_id=profile_id, level="feedback", reason="the patient gave an answer a thumbs-down",
            passage_id="", evidence=comment.strip()[:500] or "(no comment)", message=answer, created_at=self.clock()))

    def reply(self, message: str, profile: Profile | None = None, history: list[Turn] | None = None,
              region: str | None = None, coach_answers: bool = True) -> CoachReply:
        """Answer one message. Without a profile, readings are judged (by `region`) but not stored.

        `coach_answers=False` (a health manager has taken the chat over): readings are recorded and triage
        runs as always, its escalations stored and an emergency still answered with its fixed advice, but
        nothing else is composed; the reply's text is empty."""
        started, timings = time.perf_counter(), {}

        def lap(stage: str, since: float) -> float:
            now = time.perf_counter()
            timings[stage] = round((now - since) * 1000, 2)
            return now

        now = self.clock()
        text = " ".join((message or "").split())
        if not text:
            return self._plain("Please type your question or a reading (for example \"my blood pressure this "
                               "morning was 135/85\").", timings)
        notes = []
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[:MAX_MESSAGE_CHARS]
            notes.append(f"Your message was long, so I read the first {MAX_MESSAGE_CHARS:,} characters.")

        parsed = parse_readings(text, now)
        # The answer to "was it fasting or after a meal?" records the glucose the previous message gave.
        previous = _previous_message(history or [])
        parsed.readings += clarified_glucose(previous, text, now) if previous else []
        region = profile.region if profile else (region or "global")
        # One pass of the embedding model gives both the message's vector, which the semantic layer of triage
        # reads, and the search query's, which retrieval then finds kept (the query is cheap to know now).
        search = self._query(text, self._findings(profile, parsed.readings, now, region), history or [],
                             bool(parsed.readings or parsed.problems))
        t = lap("prepare", started)
        embedding = self.retriever.embed_queries([text, search])[0]
        t = lap("embed", t)
        result = self.triage(text, parsed.readings, profile, embedding=embedding, now=now)
        t = lap("triage", t)

        recorded: list[Reading] = parsed.readings  # without a profile: judged for this answer, not stored
        if profile is not None and parsed.readings:
            recorded = self.store.add_readings(profile.id, parsed.readings)
        escalation = escalation_for(result)
        if escalation is not None:  # recorded for the health managers before anything else can fail
            # A safety check promises that a person reviews it: its own level, which every tier's list holds
            self._escalate(EscalationRecord(
                profile_id=profile.id if profile else None,
                level="safety" if result.is_safety_check else escalation.level, reason=escalation.reason,
                passage_id=escalation.passage_id, evidence=escalation.evidence, message=text, created_at=now))
        if result.is_emergency or result.is_safety_check:  # fixed text, no model, nothing else first
            compose = compose_emergency if result.is_emergency else compose_safety_check
            reply_text, citations = compose(result, self._lookup, region)
            return CoachReply(text=reply_text, citations=citations, escalation=escalation,
                              red_flags_checked=result.checked, triage=result, recorded_readings=recorded,
                              reading_problems=parsed.problems, verification=Verification(passed=True),
                              backend="composer", timings_ms={**timings, "total": round(sum(timings.values()), 2)})
        if not coach_answers:  # a person answers this chat: triage has done its part
            return CoachReply(text="", escalation=escalation, red_flags_checked=result.checked, triage=result,
                              recorded_readings=recorded, reading_problems=parsed.problems,
                              verification=Verification(passed=True), backend="person",
                              timings_ms={**timings, "total": round(sum(timings.values()), 2)})
        if person := asks_for_person(text):
            asked = self.request_person(profile, text)
            if not recorded and not parsed.problems and escalation is None:  # the request is all it says
                return asked.model_copy(update={"asked_for_person": person, "triage": result,
                                                "red_flags_checked": result.checked, "timings_ms": timings})
            notes.append(asked.text)  # said first, then what the readings or the urgent finding need

        findings = self._findings(profile, recorded, now, region)
        scope = check_scope(text)
        follow_up = None
        if escalation is None:
            follow_up = self._follow_up(text, findings, recorded, profile, now)
            escalation = follow_up
        t = lap("assess", t)
        # The composer judges relevance on the question plus, for a follow-up, the question it refers to.
        referent = self._referent(text, findings, history or [])
        topic = " ".join(x for x in (referent, text, english_terms(text)) if x)
        question = self.reader.analyse(" ".join(x for x in (referent, distinct_sentences(text)) if x))
        words = Topic.of(topic, self._word_weights(), question.intents)
        gave_readings = bool(parsed.readings or parsed.problems)
        t = lap("analyse", t)

        own = SearchFilters(region=region).regions() or ()
        searched: dict[str | None, list] = {}  # each region's search runs once a turn, whoever asks for it
        told_as_history = {h.passage_id for h in result.history}
        rarest = words.rarest()

        def candidates(*regions: str | None):
            """The passages the searches within these regions find (None: every region), each with its best
            rank, and how they fit the question."""
            found, rank = [], {}
            for within in regions:
                if within not in searched:
                    searched[within] = self._passages(text, findings, within, history or [],
                                                      numbers_are_readings=gave_readings, top_k=ANSWER_CANDIDATES)
                for r, p in enumerate(searched[within], start=1):
                    if p.id not in rank:
                        found.append(p)
                    rank[p.id] = min(r, rank.get(p.id, r))
            # A red flag told as past history ("two years ago I had chest pain") is not happening now: its
            # emergency advice does not answer what was asked.
            found = [p for p in found if p.id not in told_as_history]
            return found, assess(question, found, [
                Found(rank=rank[p.id], lexical=coverage(p.text, words), own_region=p.region in own,
                      rarest=0.5 if rarest is None else float(rarest in passage_words(p.text, tuple(p.heading_path))))
                for p in found], unknown=words.unknown())

        if region == "global" and not gave_readings:
            # With no region of their own, no national guideline is more the person's than another: the
            # international documents and every national one are searched together, and the best fit wins
            # (a neighbouring international passage must not win over a national one that answers).
            passages, answerability = candidates(region, None)
        else:
            passages, answerability = candidates(region)
            if not answerability.answered and not gave_readings:
                # Their own guideline set (their region's and the international documents) does not answer
                # it: another region's may (each quote names its guideline, and the reply says so).
                wider = candidates(region, None)
                if wider[1].answered:
                    passages, answerability = wider
        t = lap("retrieve", t)
        # A passage about the other side of the value asked about is never quoted; the rest are offered to
        # the composer best fit first (retrieval finds the candidates, the fit orders them), or for a message
        # that gave readings in the search's order.
        if recorded or parsed.problems:  # the search carries what the readings mean: its order is the better one
            conflicting = {f.passage_id for f in answerability.fits if f.conflict}
            passages = [p for p in passages[:self.retriever.top_k] if p.id not in conflicting]
        else:
            by_id = {p.id: p for p in passages}
            passages = [by_id[f.passage_id] for f in answerability.fits if f.conflict is None][:self.retriever.top_k]
        goals = risk_goals(profile, text, findings)
        if self._unanswered(answerability, scope.scope, recorded, parsed.problems, goals, result, findings, topic):
            if profile is not None:  # the team sees what the guidelines do not cover, and can extend them
                self._escalate(EscalationRecord(
                    profile_id=profile.id, level="unanswered", reason="a question the guidelines do not answer",
                    passage_id=answerability.best or "", evidence=question.summary(), message=text,
                    created_at=now))
            timings["total"] = round((time.perf_counter() - started) * 1000, 2)
            return CoachReply(text=(" ".join(notes) + " " if notes else "") + compose_unanswered(
                question, profile is not None), indicators=findings, escalation=escalation,
                red_flags_checked=result.checked, triage=result, recorded_readings=recorded,
                reading_problems=parsed.problems, scope=scope.scope, question=question, answerability=answerability,
                asked_for_person=person, verification=Verification(passed=True), backend="composer",
                timings_ms=timings)
        composed, citations = compose_answer(topic, findings, passages, result, scope, recorded, parsed.problems,
                                             self._lookup, follow_up, self._word_weights(), goals=goals,
                                             asks=question.intents)
        reply_text, verification, backend = composed, Verification(passed=True), "composer"
        # Rule-decided advice is never left to a model: urgent replies and the scope guard are the composer's,
        # and a routine follow-up is the composer's sentence appended to a generated answer.
        if self.generator is not None and (escalation is None or follow_up is not None) and scope.scope == "in_scope":
            reply_text, citations, verification, backend = self._generate(text, findings, passages, citations,
                                                                          composed, history or [], recorded,
                                                                          follow_up, goals, question)
        t = lap("generate", t)
        if verification.fell_back and profile is not None:  # a person checks what the model got wrong
            self._escalate(EscalationRecord(
                profile_id=profile.id, level="fallback", reason="the generated answer failed verification; the "
                "composer's answer was sent", passage_id=citations[0].passage_id if citations else "",
                evidence="; ".join(verification.problems)[:500], message=text, created_at=now))
        quoted_regions = {self.retriever.passages[c.passage_id].region for c in citations
                          if c.passage_id in self.retriever.passages}
        if foreign := quoted_regions - set(own):  # generated or composed: the person is told whose guideline it is
            notes.append(OTHER_REGION[("global" if region == "global" else "other") +
                                      ("" if foreign == quoted_regions else "_part")])
        if notes:
            reply_text = " ".join(notes) + " " + reply_text
        timings["total"] = round((time.perf_counter() - started) * 1000, 2)
        return CoachReply(text=reply_text, citations=citations, indicators=findings,
                          escalation=escalation, red_flags_checked=result.checked, triage=result,
                          recorded_readings=recorded, reading_problems=parsed.problems, scope=scope.scope,
                          question=question, answerability=answerability, asked_for_person=person,
                          verification=verification, backend=backend, timings_ms=timings)

    @staticmethod
    def _unanswered(answerability, scope: str, recorded, problems, goals, triage, findings, topic: str) -> bool:
        """Whether to say plainly that the guidelines do not answer this: a question in scope, with nothing
        else to say (no reading given, nothing urgent, no finding it is about), that no retrieved passage
        fits well enough (the calibrated fit, coach/answering.py)."""
        if answerability.answered or scope != "in_scope" or recorded or problems or goals or triage.level != "none":
            return False
        if any(mentions(f.indicator, topic) for f in findings):
            return False
        return True

    def prompt_for(self, message: str, profile: Profile | None = None, history: list[Turn] | None = None,
                   region: str | None = None) -> str:
        """The prompt a generator would get for this message (nothing is stored); for benchmarks."""
        text = " ".join((message or "").split())[:MAX_MESSAGE_CHARS]
        now = self.clock()
        parsed = parse_readings(text, now).readings
        region = profile.region if profile else (region or "global")
        findings = self._findings(profile, parsed, now, region)
        passages = self._passages(text, findings, region, history or [])
        return self._prompt(text, findings, passages, history or [])[0]

    def _follow_up(self, text: str, findings: list[IndicatorFinding], recorded: list[Reading],
                   profile: Profile | None, now: dt.datetime) -> Escalation | None:
        """A routine follow-up for a finding the message is about or a reading it gave. One from a new
        reading is also kept for the health managers (talking about old readings adds no new record)."""
        new = {r.indicator for r in recorded}
        about = [f for f in findings if mentions(f.indicator, text) or new & finding_components(f.indicator)]
        found = follow_up_for(about, profile)
        if found is None:
            return None
        follow_up, finding = found
        if profile is not None and new & finding_components(finding.indicator):
            self._escalate(EscalationRecord(
                profile_id=profile.id, level="routine", reason=follow_up.reason, passage_id=follow_up.passage_id,
                evidence=follow_up.evidence, message=text, created_at=now))
        return follow_up

    def findings(self, profile: Profile, now: dt.datetime | None = None) -> list[IndicatorFinding]:
        """The person's current findings from their stored readings (for "my data" views)."""
        return self._findings(profile, [], now or self.clock(), profile.region)

    def _findings(self, profile: Profile | None, new: list[Reading], now: dt.datetime,
                  region: str) -> list[IndicatorFinding]:
        """Findings from the person's stored readings plus `new` ones not stored yet."""
        if profile is not None:
            stored = self.store.readings(profile.id, since=now - dt.timedelta(days=READINGS_WINDOW_DAYS))
            known = {r.id for r in stored}
            readings = stored + [r for r in new if r.id is None or r.id not in known]
        else:
            readings = new
        return assess_readings(profile or Profile(id="anonymous", display_name="You", region=region), readings, now)

    def _passages(self, text: str, findings: list[IndicatorFinding], region: str | None, history: list[Turn],
                  numbers_are_readings: bool = True, top_k: int | None = None):
        try:
            return self.retriever.search(self._query(text, findings, history, numbers_are_readings),
                                         filters=SearchFilters(region=region), top_k=top_k).passages
        except QueryError:
            return []

    def _prompt(self, question: str, findings: list[IndicatorFinding], passages, history: list[Turn]):
        # A small local model reads a long prompt slowly (about 7 s for five whole passages on 2 cores):
        # its generator may ask for fewer, shorter passages.
        max_passages, max_chars = getattr(self.generator, "prompt_budget", (None, None))
        max_passages = max_passages or self.retriever.top_k  # the best fits: the rest are there to rank
        citations = Citations(self._lookup)
        for p in passages[:max_passages]:
            citations.cite(p, p.score)
        for f in findings:
            citations.cite(f.passage_id)
        prompt = render("answer", question=question, history=_history(history),
                        findings="\n".join(f"- {_finding_line(f)} {citations.cite(f.passage_id)}"
                                           for f in findings) or "- none recorded",
                        passages="\n\n".join(f"[{c.marker}] {c.document_title}: {_shorten(c.quote, max_chars)}"
                                               for c in citations.items))
        return prompt, citations

    def _generate(self, question, findings, passages, composed_citations, composed_text, history, recorded,
                  follow_up=None, goals=(), asked=None):
        """Generate, verify, regenerate once; then fall back to the composer's answer."""
        prompt, citations = self._prompt(question, findings, passages, history)
        problems: list[str] = []
        for attempt in range(1, self.max_attempts + 1):
            text = self.generator.generate(prompt).strip()
            check = verify(text, citations.items, findings, question, recorded, asked,
                           declared={p.id: p.answers for p in passages})
            if check.passed:
                for advice in self_care_sentences(findings, question, citations):
                    text += " " + advice  # rule-decided, like the follow-up: not left to the model
                for goal in goals:  # the goal the rules give the person's risk category, likewise
                    text += " " + goal_sentence(goal, citations)
                if follow_up is not None:
                    text += " " + follow_up_sentence(follow_up, citations)
                text, cited = _renumber(text, citations.items)
                return text, cited, Verification(passed=True, attempts=attempt), self.generator.name
            problems.extend(f"attempt {attempt}: {p}" for p in check.problems)
        return (composed_text, composed_citations,
                Verification(passed=False, fell_back=True, attempts=self.max_attempts, problems=problems),
                "composer")

    def _query(self, text: str, findings: list[IndicatorFinding], history: list[Turn],
               numbers_are_readings: bool = True) -> str:
        """What to search for: the question without its reading numbers (a question about a number, "is
        180/120 dangerous?", keeps it), what the findings it is about mean ("Stage 2 hypertension blood
        pressure"; only which indicator for a target, signs or how to measure, whatever its status), words
        for what it asks ("target goal"), and for a follow-up ("what can I do about it?") the previous
        question it refers to."""
        text = distinct_sentences(text)
        # A number with a unit no reading has ("360 mg", "10 days") would match a threshold by chance.
        asked = without_numbers(text) if numbers_are_readings else without_other_numbers(text)
        asked = " ".join(x for x in (asked, english_terms(text)) if x)  # 中风 -> stroke: the guidelines are English
        # What a question in Chinese asks, in the guidelines' English words ("阿托伐他汀副作用" -> "side effects
        # atorvastatin statin"); an English question keeps its own words (added to them, these words pulled
        # general passages ahead of specific ones), with the right names of the foods and medicines it
        # misspells ("coffe", "metfromin")
        analysed = self.reader.analyse(text)
        asked += " " + (analysed.english_query() if CJK.search(text) else analysed.corrected_words())
        follow_up = self._refers_to(text, findings, history)
        about = [f for f in findings if mentions(f.indicator, text + " " + follow_up)]
        if follow_up and about and _reported_readings(history):
            follow_up = ""  # "it" is the reading: its findings say what it means; "at my checkup" adds noise
        if not about and not follow_up:  # "what should I do?": the finding that needs attention most
            about = sorted((f for f in findings if f.severity >= 2), key=lambda f: -f.severity)[:1]
        status = about_status(text)
        context = [f"{f.label + ' ' if status else ''}{f.indicator.replace('_', ' ')}" for f in about[:2]]
        return " ".join(x for x in (follow_up, asked, search_words(text), *context) if x)

    def _referent(self, text: str, findings: list[IndicatorFinding], history: list[Turn]) -> str:
        """What a follow-up is about: the previous question, or what the findings of a message that only
        reported readings mean ("Prediabetes range fasting glucose" for "my sugar was 112 this morning")."""
        previous = self._refers_to(text, findings, history)
        about = [f for f in findings if previous and mentions(f.indicator, previous)]
        if about and _reported_readings(history):
            return " ".join(f"{f.label} {f.indicator.replace('_', ' ')}" for f in about[:2])
        return previous

    @staticmethod
    def _refers_to(text: str, findings: list[IndicatorFinding], history: list[Turn]) -> str:
        """For a follow-up with no topic of its own ("is that bad?"), the previous question; else ""."""
        previous = without_numbers(_previous_message(history))
        own_topic = any(mentions(f.indicator, text) for f in findings) or any(
            mentions(ind, text) for ind in TOPICS)
        return previous if previous and not own_topic and (len(text.split()) < 8 or FOLLOW_UP.search(text)) else ""

    def _lookup(self, passage_id: str):
        return self.retriever.passages[passage_id]

    def _word_weights(self) -> WordWeights:
        return word_weights(self.retriever.passages)

    def _plain(self, text: str, timings: dict) -> CoachReply:
        return CoachReply(text=text, verification=Verification(passed=True), backend="composer", timings_ms=timings)


def _previous_message(history: list[Turn]) -> str:
    """The person's last message before this one ("" at the start of a conversation)."""
    return next((t.text for t in reversed(history) if t.role == "user"), "")


def _reported_readings(history: list[Turn]) -> bool:
    """Whether the person's last message reported readings and asked nothing ("my sugar was 112 today")."""
    previous = _previous_message(history)
    return bool(READING_NUMBERS.search(previous)) and "?" not in previous and "？" not in previous


def _renumber(text: str, citations: list) -> tuple[str, list]:
    """Keep the citations the text uses, numbered 1, 2, 3... in order of first use."""
    order: dict[int, int] = {}
    for m in MARKER.findall(text):
        order.setdefault(int(m), len(order) + 1)
    by_marker = {c.marker: c for c in citations}
    text = MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]", text)
    return text, [by_marker[old].model_copy(update={"marker": new}) for old, new in order.items()]


def _finding_line(f: IndicatorFinding) -> str:
    return f"{f.indicator.replace('_', ' ')} {f.shown_values} {f.unit}: {f.label} under {f.guideline} ({f.threshold})"


def _shorten(text: str, max_chars: int | None) -> str:
    """Whole sentences up to `max_chars` (numbers the answer may use stay checkable against the quote)."""
    text = " ".join(text.split())
    if max_chars is None or len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("; "))
    return cut[: end + 1] if end > max_chars // 3 else cut + "…"


def _history(history: list[Turn]) -> str:
    turns = history[-HISTORY_TURNS:]
    return "\n".join(f"{t.role}: {t.text[:300]}" for t in turns) or "(none)"
