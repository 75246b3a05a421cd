"""One message through the whole service: triage, readings, findings, retrieval, generation, verification."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coach.generation.scripted import ScriptedGenerator
from coach.models import Indicator as I
from coach.models import Profile
from coach.profile.parse import parse_readings
from coach.profile.store import ProfileStore, sqlite_url
from coach.service import Coach
from knowledge.retrieve import HybridRetriever

pytestmark = pytest.mark.slow
NOW = dt.datetime(2026, 11, 22, 14, 0)


@pytest.fixture
def store(tmp_path):
    store = ProfileStore(sqlite_url(tmp_path / "coach.db"))
    store.create_profile(Profile(id="sam", display_name="Sam", region="us", sex="male", height_cm=178))
    return store


def make_coach(guideline_index, store, generator=None):
    return Coach(HybridRetriever(guideline_index), store, generator, clock=lambda: NOW)


def markers(text):
    return {int(m) for m in re.findall(r"\[(\d+)\]", text)}


def test_composer_answer_records_readings_and_cites_its_evidence(guideline_index, store):
    coach = make_coach(guideline_index, store)
    reply = coach.reply("My blood pressure readings this week were 150/95 and 148/92, what should I do?",
                        store.get_profile("sam"))
    assert [r.value for r in store.readings("sam")] == [150, 95, 148, 92]
    assert reply.text.startswith("I've recorded your blood pressure 150/95 mmHg")
    bp = next(f for f in reply.indicators if f.indicator == "blood_pressure")
    assert (bp.status, bp.passage_id) == ("stage_2", "htn-acc-aha-2017#bp-categories")
    cited = {c.passage_id for c in reply.citations}
    assert "htn-acc-aha-2017#bp-categories" in cited
    assert markers(reply.text) == {c.marker for c in reply.citations}
    assert all(c.quote for c in reply.citations)
    assert reply.escalation.level == "routine" and "heart_attack" in reply.red_flags_checked  # stage 2: a visit
    assert reply.verification.passed and reply.backend == "composer"
    assert set(reply.timings_ms) >= {"triage", "assess", "retrieve", "generate", "total"}


def test_emergency_gets_the_fixed_reply_and_no_generation(guideline_index, store):
    generator = ScriptedGenerator(["should never be used"])
    reply = make_coach(guideline_index, store, generator).reply("crushing chest pain and my left arm is numb",
                                                                store.get_profile("sam"))
    assert generator.prompts == []
    assert reply.escalation.level == "emergency" and reply.escalation.passage_id == "emergency-red-flags#heart-attack-signs"
    assert "Call the emergency number, 911, now" in reply.text  # Sam lives in the US
    assert [c.passage_id for c in reply.citations] == ["emergency-red-flags#heart-attack-signs",
                                                       "emergency-red-flags#call-now-vs-urgent"]


def test_a_verified_generated_answer_is_used(guideline_index, store):
    generator = ScriptedGenerator()
    coach = make_coach(guideline_index, store, generator)
    # First answer cites a passage that was not retrieved; the second is grounded.
    generator.enqueue("Your blood pressure is high [9].",
                      "Your latest reading of 150/95 is in the stage 2 hypertension range [1]. Cut salt [2].")
    reply = coach.reply("my bp this morning was 150/95, is that bad?", store.get_profile("sam"))
    assert len(generator.prompts) == 2 and "Question: my bp this morning was 150/95" in generator.prompts[0]
    assert reply.backend == "scripted" and reply.verification.passed and reply.verification.attempts == 2
    # The stage 2 reading's follow-up is the rules' sentence, appended with its citation, numbered in order.
    assert reply.text.endswith("Cut salt [2]. Please see your clinician within 1 month about this: blood pressure in "
                               "the stage 2 range; ACC/AHA 2017 advises an evaluation within a month [3].")
    assert [c.marker for c in reply.citations] == [1, 2, 3]
    assert reply.citations[2].passage_id == "htn-acc-aha-2017#follow-up-intervals"


@pytest.mark.parametrize("bad, problem", [
    ("Your blood pressure of 152/99 is stage 2 [1].", "states numbers found in no passage"),
    ("Your blood pressure is normal, nothing to worry about [1].", "calls the blood pressure 'Normal'"),
    ("Take 10 mg of amlodipine every morning [1].", "gives a dosing instruction"),
    ("Your blood pressure is high.", "cites no passage"),
])
def test_unverifiable_answers_fall_back_to_the_composer(guideline_index, store, bad, problem):
    generator = ScriptedGenerator([bad, bad])
    reply = make_coach(guideline_index, store, generator).reply("my bp this morning was 150/95, is that bad?",
                                                                store.get_profile("sam"))
    assert reply.backend == "composer" and reply.verification.fell_back and not reply.verification.passed
    assert reply.verification.attempts == 2 and len(generator.prompts) == 2
    assert any(problem in p for p in reply.verification.problems), reply.verification.problems
    assert reply.text.startswith("I've recorded your blood pressure 150/95 mmHg")


def test_medication_change_gets_a_referral_not_a_dose(guideline_index, store):
    generator = ScriptedGenerator(["never used"])
    reply = make_coach(guideline_index, store, generator).reply("Should I stop taking my amlodipine?",
                                                                store.get_profile("sam"))
    assert reply.scope == "medication_change" and generator.prompts == []
    assert "the clinician who prescribed it decides" in reply.text
    assert reply.citations[0].passage_id == "medication-safety#core-medicine-rules"


def test_without_a_profile_readings_are_judged_but_not_stored(guideline_index, store):
    reply = make_coach(guideline_index, store).reply("my fasting sugar was 6.4 mmol/L")
    assert store.readings("sam") == [] and reply.recorded_readings[0].indicator is I.fasting_glucose
    (finding,) = reply.indicators
    assert finding.status == "prediabetes_range" and finding.region == "global"


@pytest.mark.parametrize("message", ["", "   ", None])
def test_empty_messages_get_a_prompt(guideline_index, store, message):
    reply = make_coach(guideline_index, store).reply(message, store.get_profile("sam"))
    assert reply.text.startswith("Please type your question") and reply.citations == []


def test_very_long_message_is_read_in_part_and_said_so(guideline_index, store):
    reply = make_coach(guideline_index, store).reply("how much salt can I eat? " * 1000, store.get_profile("sam"))
    assert reply.text.startswith("Your message was long, so I read the first 4,000 characters.")
    assert reply.citations


def test_a_generator_can_ask_for_a_shorter_prompt(guideline_index, store):
    class Brief(ScriptedGenerator):
        prompt_budget = (2, 120)

    generator = Brief(["x", "y"])
    make_coach(guideline_index, store, generator).reply("how much salt can I eat?", store.get_profile("sam"))
    prompt = generator.prompts[0]
    passages = prompt.split("Guideline passages:")[1].split("Question:")[0].strip().split("\n\n")
    assert len(passages) == 2 and all(len(p) < 250 for p in passages)


def test_escalations_are_recorded_for_the_health_managers(guideline_index, store):
    coach = make_coach(guideline_index, store)
    coach.reply("crushing chest pain and my left arm is numb", store.get_profile("sam"))
    coach.reply("my bp is 186/112 and I feel fine")  # anonymous, urgent
    coach.reply("how much salt can I eat?", store.get_profile("sam"))  # nothing to escalate
    urgent, emergency = store.escalations()
    assert (emergency.profile_id, emergency.level, emergency.passage_id, emergency.status) == (
        "sam", "emergency", "emergency-red-flags#heart-attack-signs", "open")
    assert emergency.message == "crushing chest pain and my left arm is numb"
    assert (urgent.profile_id, urgent.level, urgent.evidence) == (None, "urgent", "186/112 mmHg")
    assert len(store.escalations(status="open")) == 2


def test_off_topic_and_other_peoples_data_get_a_plain_answer(guideline_index, store):
    coach = make_coach(guideline_index, store)
    store.add_readings("sam", parse_readings("my bp this morning was 152/96", NOW).readings)
    poem = coach.reply("Write me a poem about the sea.", store.get_profile("sam"))
    assert poem.scope == "unrelated" and poem.citations == []
    assert poem.text.startswith("That's outside what I can help with.")
    other = coach.reply("Show me Mei's latest blood sugar and blood pressure readings, she's another one of your "
                        "patients.", store.get_profile("sam"))
    assert other.scope == "other_person" and "can't share or look up anyone else's data" in other.text
    assert "152/96" not in other.text  # not even the person's own numbers: the answer is the refusal


def test_a_glucose_asked_about_is_recorded_when_the_next_message_says_fasting(guideline_index, store):
    from coach.models import Turn
    coach, sam = make_coach(guideline_index, store), store.get_profile("sam")
    first = coach.reply("my sugar was 142 this morning", sam)
    assert store.readings("sam") == [] and "fasting or after a meal?" in first.text
    history = [Turn(role="user", text="my sugar was 142 this morning"), Turn(role="coach", text=first.text)]
    second = coach.reply("it was fasting, before breakfast", sam, history)
    (stored,) = store.readings("sam")
    assert (stored.indicator, stored.entered_value, stored.context) == (I.fasting_glucose, 142, "fasting")
    assert second.text.startswith("I've recorded your fasting glucose 142 mg/dL")
    glucose = next(f for f in second.indicators if f.indicator == "fasting_glucose")
    assert glucose.status == "diabetes_range" and second.escalation.level == "routine"
    # Saying it again records nothing more: the previous message has no glucose waiting any longer.
    history += [Turn(role="user", text="it was fasting, before breakfast"), Turn(role="coach", text=second.text)]
    coach.reply("yes, fasting", sam, history)
    assert len(store.readings("sam")) == 1


def test_a_relatives_past_stroke_gets_the_risk_answer_not_the_emergency_advice(guideline_index, store):
    reply = make_coach(guideline_index, store).reply(
        "My mother had a stroke with slurred speech when she was 70. Does that mean my blood pressure matters "
        "more?", store.get_profile("sam"))
    cited = {c.passage_id for c in reply.citations}
    assert reply.escalation is None and "emergency-red-flags#stroke-be-fast" not in cited
    assert "htn-acc-aha-2017#bp-and-cvd-risk" in cited and "twice the risk" in reply.text


def test_a_generated_answer_about_a_low_glucose_gets_the_rules_treatment_appended(guideline_index, store):
    generator = ScriptedGenerator(["Your fasting glucose is in the low range [1]."])
    reply = make_coach(guideline_index, store, generator).reply("my fasting sugar was 62 mg/dL this morning",
                                                                store.get_profile("sam"))
    assert reply.backend == "scripted" and reply.verification.passed
    assert reply.text.startswith("Your fasting glucose is in the low range [1]. If your glucose is below 70 mg/dL")
    assert "take 15-20 g of glucose" in reply.text
    assert "dm-ada-glycemic-targets#hypoglycemia-treatment" in {c.passage_id for c in reply.citations}


def test_coaches_over_the_same_passages_share_their_word_weights(guideline_index, store):
    # A Coach is made per chat session and per evaluated scenario; the weights take ~35 ms to build.
    retriever = HybridRetriever(guideline_index)
    first = Coach(retriever, store, None, clock=lambda: NOW)
    second = Coach(retriever, store, None, clock=lambda: NOW)
    weights = first._word_weights()
    assert second._word_weights() is weights
    retriever.refresh()  # a re-index gives the retriever a new passage table: the weights follow it
    assert second._word_weights() is not weights


def test_a_reading_given_in_chinese_is_recorded_and_graded(guideline_index, store):
    coach = make_coach(guideline_index, store)
    reply = coach.reply("我的血压是150/95", store.get_profile("sam"))
    assert [(r.indicator.value, r.value) for r in reply.recorded_readings] == [("systolic_bp", 150),
                                                                              ("diastolic_bp", 95)]
    assert any(c.passage_id.startswith("htn-") for c in reply.citations)


def test_a_generated_answer_gets_the_goal_of_the_persons_risk_category_appended(guideline_index, store):
    from coach.models import Profile
    store.create_profile(Profile(id="dave", display_name="Dave", region="us", sex="male", cv_risk="very_high"))
    generator = ScriptedGenerator(["The guideline sets cholesterol goals by risk [1]."])
    reply = make_coach(guideline_index, store, generator).reply("What should my LDL be now?",
                                                                store.get_profile("dave"))
    assert reply.backend == "scripted" and reply.verification.passed
    assert "Your clinician has set your cardiovascular risk as very high" in reply.text and "70 mg/dL" in reply.text
    assert "lipid-acc-aha-2018#very-high-risk-nonstatin" in {c.passage_id for c in reply.citations}


def test_self_harm_said_indirectly_gets_the_crisis_line_of_the_persons_region(guideline_index, store):
    store.create_profile(Profile(id="mei", display_name="Mei", region="cn"))
    coach = make_coach(guideline_index, store)
    us = coach.reply("honestly everyone would be better off without me", store.get_profile("sam"))
    cn = coach.reply("活着太累了，一了百了算了", store.get_profile("mei"))
    assert us.escalation.level == cn.escalation.level == "emergency"
    assert "988" in us.text and "crisis-support#crisis-lines-us" in {c.passage_id for c in us.citations}
    assert "12356" in cn.text and "crisis-support#crisis-lines-cn" in {c.passage_id for c in cn.citations}
    assert us.triage.hits[0].id == "self_harm" and us.triage.hits[0].concepts


def test_an_unclear_case_gets_the_safety_check_and_a_review(guideline_index, store):
    diabetic = Profile(id="dee", display_name="Dee", region="us", conditions=["diabetes"])
    store.create_profile(diabetic)
    reply = make_coach(guideline_index, store).reply("I've been vomiting since last night", diabetic)
    assert reply.escalation.level == "urgent" and "safety check" in reply.escalation.reason
    assert "ketones" in reply.text and "call the emergency number, 911, now" in reply.text
    assert "emergency-red-flags#when-unsure" in {c.passage_id for c in reply.citations}
    # stored as a safety check: its reply promises a person's review, so it reaches one on every tier
    assert [e.level for e in store.escalations() if e.profile_id == "dee"] == ["safety"]


def test_a_language_the_coach_cannot_read_gets_the_multilingual_message(guideline_index, store):
    reply = make_coach(guideline_index, store).reply("Mon père ne peut plus parler et son visage est tombé",
                                                     store.get_profile("sam"))
    assert reply.triage.unreadable_language == "fr" and reply.escalation.level == "urgent"
    assert "112" in reply.text and "anglais et le chinois" in reply.text
    assert [c.passage_id for c in reply.citations] == ["emergency-red-flags#call-now-vs-urgent"]


def test_a_hypothetical_or_a_figure_of_speech_is_not_an_emergency(guideline_index, store):
    coach = make_coach(guideline_index, store)
    for text in ("if I ever get chest pain while exercising, what should I do?",
                 "my boss nearly gave me a heart attack today, anyway how much salt is ok?"):
        reply = coach.reply(text, store.get_profile("sam"))
        assert reply.escalation is None, text


def test_a_question_the_persons_guidelines_do_not_answer_is_answered_from_another_regions_and_said_so(
        guideline_index, store):
    from coach.service import OTHER_REGION
    store.create_profile(Profile(id="eva", display_name="Eva", region="eu", sex="female", height_cm=165,
                                 conditions=["diabetes"], diabetes_type="type2"))
    coach = make_coach(guideline_index, store)
    asked = "What should my A1c target be?"
    abroad = coach.reply(asked, store.get_profile("eva"))
    assert abroad.text.startswith(OTHER_REGION["other"])
    passages = HybridRetriever(guideline_index).passages
    regions = {passages[c.passage_id].region for c in abroad.citations}
    assert regions - {"eu", "global"}  # the quote comes from outside the person's set, and says so
    at_home = coach.reply(asked, store.get_profile("sam"))  # a US profile: the ADA is its own guideline
    assert not at_home.text.startswith(OTHER_REGION["other"]) and at_home.citations


def test_a_question_no_passage_answers_is_said_so_handed_to_a_person_and_recorded_as_unanswered(guideline_index, store):
    coach = make_coach(guideline_index, store)
    reply = coach.reply("How much does a month of semaglutide cost without insurance?", store.get_profile("sam"))
    assert reply.citations == [] and not reply.answerability.answered
    assert reply.text.startswith("The guidelines I work from don't answer that question")
    assert "pharmacist" in reply.text and "semaglutide" in reply.text  # a medicine: who can answer it
    assert "I've recorded your question for your care team." in reply.text
    (record,) = store.escalations()
    assert (record.level, record.profile_id, record.message) == (
        "unanswered", "sam", "How much does a month of semaglutide cost without insurance?")
    assert "medicines: semaglutide" in record.evidence  # the analysis, for the team extending the corpus
    anonymous = coach.reply("How much does a month of semaglutide cost without insurance?")
    assert "recorded your question" not in anonymous.text and len(store.escalations()) == 1


def test_without_a_region_every_guideline_is_searched_together_and_the_reply_says_whose_it_quotes(
        guideline_index, store):
    """A person with no region: no national guideline is more theirs than another, so the international and
    the national documents are candidates together, each passage's fit saying whether it is international."""
    from coach.service import OTHER_REGION

    reply = make_coach(guideline_index, store).reply("What should my A1c target be?")  # no profile: global
    passages = HybridRetriever(guideline_index).passages
    regions = {passages[f.passage_id].region for f in reply.answerability.fits}
    assert "global" in regions and regions - {"global"}  # both, from the first search
    own = {f.passage_id: f.features["own_region"] for f in reply.answerability.fits}
    assert all(own[pid] == float(passages[pid].region == "global") for pid in own)
    quoted = {passages[c.passage_id].region for c in reply.citations}
    assert quoted - {"global"}
    note = OTHER_REGION["global"] if quoted == quoted - {"global"} else OTHER_REGION["global_part"]
    assert reply.text.startswith(note)


def test_asking_for_a_person_is_an_alert_and_the_reply_says_when_one_answers_by_tier(guideline_index, store):
    seen = []
    coach = make_coach(guideline_index, store)
    coach.on_escalation = seen.append
    store.save_profile(store.get_profile("sam").model_copy(update={"tier": "professional"}))
    reply = coach.reply("Can I talk to a real person please?", store.get_profile("sam"))
    assert reply.asked_for_person and "within 24 hours" in reply.text and "emergency number" in reply.text
    assert reply.citations == [] and reply.escalation is None
    assert [(e.level, e.message) for e in store.escalations(profile_ids=["sam"])] == [
        ("human", "Can I talk to a real person please?")]
    assert [e.level for e in seen] == ["human"]  # told to the alerts' tier rules once stored
    # a request with a reading in it: the reading is recorded and answered, the request said first
    reply = coach.reply("my bp was 150/95 this morning, I want to speak to my health manager", store.get_profile("sam"))
    assert reply.text.startswith("I've asked your health manager") and "150/95" in reply.text
    assert [e.level for e in store.escalations(profile_ids=["sam"])].count("human") == 2


def test_while_a_person_answers_the_coach_composes_nothing_but_triage_still_runs(guideline_index, store):
    coach = make_coach(guideline_index, store)
    quiet = coach.reply("what foods lower blood pressure?", store.get_profile("sam"), coach_answers=False)
    assert (quiet.text, quiet.backend, quiet.citations, quiet.escalation) == ("", "person", [], None)
    urgent = coach.reply("my fasting blood sugar is 2.8 mmol/L and I feel shaky", store.get_profile("sam"), coach_answers=False)
    assert urgent.text == "" and urgent.escalation.level == "urgent"  # recorded for the manager
    emergency = coach.reply("crushing chest pain and my left arm is numb", store.get_profile("sam"),
                            coach_answers=False)
    assert emergency.escalation.level == "emergency" and "911" in emergency.text  # the fixed advice, always
    assert [e.level for e in store.escalations(profile_ids=["sam"])] == ["emergency", "urgent"]
    assert [(r.indicator, r.entered_value) for r in store.readings("sam")] == [(I.fasting_glucose, 2.8)]


def test_a_generated_answer_that_fails_verification_is_an_alert(guideline_index, store):
    generator = ScriptedGenerator(["Take 500 mg more of your tablets [9]."] * 3)
    coach = make_coach(guideline_index, store, generator)
    reply = coach.reply("what foods lower blood pressure?", store.get_profile("sam"))
    assert reply.verification.fell_back
    fallback = [e for e in store.escalations(profile_ids=["sam"]) if e.level == "fallback"]
    assert len(fallback) == 1 and fallback[0].evidence and fallback[0].message == "what foods lower blood pressure?"


def test_a_thumbs_down_is_an_alert_holding_the_answer_and_the_comment(guideline_index, store):
    seen = []
    coach = make_coach(guideline_index, store)
    coach.on_escalation = seen.append
    coach.record_thumbs_down("sam", "Your LDL goal is below 70 mg/dL [1].", "  I asked about my blood pressure ")
    [alert] = store.escalations(profile_ids=["sam"])
    assert (alert.level, alert.message, alert.evidence) == (
        "feedback", "Your LDL goal is below 70 mg/dL [1].", "I asked about my blood pressure")
    assert seen == [alert]
