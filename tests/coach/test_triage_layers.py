"""The triage layers one by one (concepts with context, flags as combinations, readings, language, the
semantic net) and together through the service."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coach.models import Profile
from coach.profile.parse import parse_readings
from coach.triage import Triage, default_triage, triage
from coach.triage.concepts import LexiconError, english_patterns
from coach.triage.language import unreadable
from coach.triage.semantic import SemanticNet, Thresholds

NOW = dt.datetime(2026, 12, 1, 9, 0)


def statuses(text: str) -> dict[str, str]:
    return {c.concept: c.status for c in default_triage().finder.find(text)}


# -- layer 1: concepts and their context ------------------------------------------------------------------
@pytest.mark.parametrize("text, concept, status", [
    ("I have no chest pain today", "chest_pain", "negated"),
    ("if I ever get chest pain while exercising, what should I do?", "chest_pain", "hypothetical"),
    ("what are the signs of slurred speech?", "speech_trouble", "asking"),
    ("what does slurred speech mean?", "speech_trouble", "asking"),
    ("my dad had a stroke in 2019", "stroke_words", "historical"),
    ("my dad is slurring his words, he had a stroke in 2019", "speech_trouble", "reported"),
    ("I had chest pain two years ago and it is back again now", "chest_pain", "reported"),
    ("you nearly gave me a heart attack with that news", "heart_attack_words", None),
    ("feels like an elephant sitting on my chest", "chest_pain", "reported"),
    ("I've been vomitting all night", "vomiting", "reported"),  # misspelt, and current
    ("我没有胸痛", "chest_pain", "negated"),
    ("两年前我胸痛过", "chest_pain", "historical"),
    ("他说话不清，嘴歪了", "face_droop", "reported"),
    # a medicine begun is no symptom starting: the past time still holds; a symptom that started is current
    ("after I had a stroke last year I started on statins", "stroke_words", "historical"),
    ("the chest pain started on Monday and is worse now", "chest_pain", "reported"),
])
def test_concepts_carry_their_context(text, concept, status):
    assert statuses(text).get(concept) == status


def test_someone_else_is_reported_and_named_as_someone_else():
    found = {c.concept: c for c in default_triage().finder.find("my neighbour collapsed in the garden")}
    assert found["unresponsive"].status == "reported" and found["unresponsive"].experiencer == "other"


def test_a_real_word_is_not_read_as_a_misspelt_symptom():
    assert "sweating" not in statuses("he keeps swearing at the telly")


def test_a_broken_phrase_is_named():
    with pytest.raises(LexiconError, match="must stand alone"):
        english_patterns("chest ~2 pain|(hurts)")
    with pytest.raises(LexiconError, match="gap"):
        english_patterns("~2 pain")
    assert len(english_patterns("(can not|unable to) breathe")) == 2


# -- layer 2: flags as combinations of concepts and context --------------------------------------------------
def test_dka_needs_diabetes_and_the_combination():
    diabetic = Profile(id="dee", display_name="Dee", conditions=["diabetes"])
    assert triage("I've been vomiting and breathing really fast", profile=diabetic).level == "emergency"
    only_vomiting = triage("I've been vomiting since last night", profile=diabetic)
    assert only_vomiting.level == "urgent" and only_vomiting.hits[0].kind == "safety_check"
    assert only_vomiting.hits[0].question and "ketones" in only_vomiting.hits[0].question
    assert triage("I've been vomiting since last night").level == "none"  # no diabetes: a stomach bug


def test_a_neurological_deficit_that_passed_is_still_an_emergency():
    result = triage("my arm went numb and my face drooped for ten minutes, it went away")
    assert result.level == "emergency" and result.hits[0].id == "stroke"


def test_postpartum_headache_with_high_blood_pressure_is_an_emergency_within_six_weeks():
    recent = "I had my baby 9 days ago, worst headache, flashing lights, 158/104"
    assert triage(recent).level == "emergency"
    assert any(h.id == "pregnancy_bp" for h in triage(recent).hits)
    long_ago = "my son was born 3 years ago, I get headaches and my bp was 150/95"
    assert triage(long_ago, parse_readings(long_ago, NOW).readings).level == "none"


def test_too_much_insulin_is_an_emergency_and_says_nothing_of_doses():
    result = triage("I took 20 instead of 2 units of insulin")
    assert result.level == "emergency" and result.hits[0].id == "diabetes_med_overdose"


@pytest.mark.parametrize("text", ["I don't see the point of living anymore", "everyone would be better off without me",
                                  "I've been saving up my pills", "I can't go on like this anymore", "一了百了"])
def test_self_harm_said_indirectly(text):
    result = triage(text)
    assert result.level == "emergency" and result.hits[0].id == "self_harm"


def test_ruled_out_flags_say_why():
    result = triage("I have no chest pain, just a question about salt")
    reasons = {r.id: r.reason for r in result.ruled_out}
    assert "'chest pain' negated" in reasons["heart_attack"]
    assert reasons["stroke"].startswith("none of face")


def test_general_emergencies_beyond_the_five_highs():
    assert triage("she has a fever and a really stiff neck and the light hurts her eyes").hits[0].id == "meningitis"
    assert triage("my throat is closing up after eating peanuts").hits[0].id == "anaphylaxis"
    assert triage("my toddler swallowed some of grandma's pills").hits[0].id == "poisoning"
    assert triage("I've been vomiting blood").hits[0].id == "severe_bleeding"
    assert triage("a gout flare in my toe again, no fever").level == "none"


# -- layer 4: languages the coach cannot read ----------------------------------------------------------------
def test_languages_it_cannot_read():
    words = default_triage().english
    assert unreadable("J'ai une douleur dans la poitrine et je transpire beaucoup", words) == "fr"
    assert unreadable("mi esposo no puede hablar y tiene la cara caída", words) == "es"
    for text in ("bp 150/95", "no chest pain", "im so dizzy", "我胸口很痛"):
        assert unreadable(text, words) is None


# -- the semantic net: it can only raise --------------------------------------------------------------------
def with_semantic(minilm, thresholds: Thresholds) -> tuple[Triage, SemanticNet]:
    """The rule layers with a semantic net over the real MiniLM, at `thresholds`."""
    net = SemanticNet(lambda texts: minilm.get_text_embedding_batch(list(texts)), thresholds)
    return Triage(finder=default_triage().finder, book=default_triage().book, semantic=net), net


def test_semantic_net_raises_what_the_rules_miss_and_never_lowers(minilm):
    layered, _ = with_semantic(minilm, Thresholds(k=3, votes=2, check=0.6, flag=0.99))
    text = "nobody would even notice if I just disappeared for good"
    assert triage(text).level == "none" or triage(text).hits[0].layer == "concepts"
    result = layered(text, embedding=minilm.get_query_embedding(text))
    assert result.level in ("urgent", "emergency")
    strict, _ = with_semantic(minilm, Thresholds(k=3, votes=1, check=1.01, flag=1.01))
    emergency = "crushing chest pain and my left arm is numb"
    assert strict(emergency, embedding=minilm.get_query_embedding(emergency)).level == "emergency"


def test_the_bank_classifier_asks_the_safety_question_of_english_messages_the_rules_miss(minilm):
    # The nearest-example readings are switched off (1.01): only the classifier can raise here.
    layered, net = with_semantic(minilm, Thresholds(k=3, votes=3, check=1.01, flag=1.01, probability=0.8))
    missed = "my grandad has gone a weird grey colour and keeps nodding off mid-sentence, he's sweaty and cold"
    assert triage(missed).level == "none"
    result = layered(missed, embedding=minilm.get_query_embedding(missed))
    hit = result.hits[0]
    assert (result.level, hit.layer, hit.kind) == ("urgent", "semantic", "safety_check")
    assert "classifier" in hit.evidence and hit.question
    for everyday in ("what are the signs of a stroke?", "how much salt should I eat a day with high blood pressure?"):
        assert layered(everyday, embedding=minilm.get_query_embedding(everyday)).level == "none"
        assert net.nearest(minilm.get_query_embedding(everyday)).probability < 0.5
    # Chinese is left to the nearest examples: the bank's look-alikes are English
    assert net.nearest(minilm.get_query_embedding("我爸突然说不出话了"), chinese=True).probability is None


def test_reading_thresholds_are_in_their_passages():
    from knowledge.corpus import load_corpus
    from coach.triage import readings as r
    from tests.conftest import REPO

    text = {p.id: p.text for p in load_corpus(REPO / "guidelines").passages}
    for *numbers, passage in (r.SEVERE_BP, r.PREGNANCY_SEVERE_BP, r.PREGNANCY_HIGH_BP, r.LOW_GLUCOSE_MMOL,
                              r.HIGH_GLUCOSE_MMOL, r.PEAK_FLOW_SEVERE_PERCENT, r.GLUCOSE_BACK_UP_MMOL):
        for n in numbers:
            assert re.search(rf"\b{n:g}\b", text[passage]), (n, passage)
    assert "6 weeks" in text[r.POSTPARTUM_PASSAGE] or "six weeks" in text[r.POSTPARTUM_PASSAGE]


def test_no_passage_gives_instructions_to_a_coach():
    """Passages are quoted to patients: they speak to the reader, not to "a coach who sees ..."."""
    from knowledge.corpus import load_corpus
    from tests.conftest import REPO

    to_coach = re.compile(r"\b(?:a|the) (?:health )?coach (?:should|must|who sees|needs to)\b", re.I)
    assert [p.id for p in load_corpus(REPO / "guidelines").passages if to_coach.search(p.text)] == []


def test_a_flag_naming_an_unknown_concept_is_refused(tmp_path):
    from coach.triage.concepts import LexiconError
    from coach.triage.flags import FlagBook

    book = FlagBook.model_validate({"flags": [{"id": "x", "level": "urgent", "label": "x", "passage": "p#q",
                                               "signs": "x", "when": [{"any": ["no_such_concept"]}]}]})
    with pytest.raises(LexiconError, match="no_such_concept"):
        Triage(finder=default_triage().finder, book=book)


def test_a_number_in_a_group_stays_a_number():
    patterns = english_patterns("temp ~3 (NUM|high)")
    assert any({"LIKE_NUM": True} in p for p in patterns) and any({"NORM": "high"} in p for p in patterns)


# -- context that reaches further than a few words -------------------------------------------------------
def test_a_negation_governs_a_whole_list():
    found = statuses("Client denies chest pain, dyspnoea, syncope or palpitations; wants to start running")
    assert found["unresponsive"] == "negated" and found["breathless"] == "negated"
    # without an "or" the words after a comma are a new report
    assert statuses("no fever, collapsed on the floor and won't wake").get("unresponsive") == "reported"


def test_a_sentence_opening_with_if_is_a_condition_up_to_its_comma():
    assert statuses("If I'm home alone and think I'm having a stroke, who should I ring?")["stroke_words"] == \
        "hypothetical"
    assert statuses("not sure if he's breathing, he collapsed")["unresponsive"] == "reported"


def test_an_idiom_asks_nothing_and_a_joke_marker_still_gets_the_question():
    assert triage("I could kill myself for eating the whole cake, back on track tomorrow").level == "none"
    joking = triage("so done with this diet, i want to die lol")
    assert joking.level == "urgent" and joking.hits[0].kind == "safety_check"


def test_a_benign_cause_explains_a_lone_symptom_but_never_a_combination():
    sore = triage("right side of my chest is sore when I press on it, ever since bench press yesterday")
    assert sore.level == "none"
    assert any(r.id == "heart_attack" and "explains it" in r.reason for r in sore.ruled_out)
    assert triage("crushing chest pain and sweating since the gym").level == "emergency"
    assert triage("woke up with my arm numb, I'd been lying on it all night").level == "none"
    assert triage("my arm went numb and my face is drooping, I'd been lying on it").level == "emergency"


# -- medicines by name, counts and ages ------------------------------------------------------------------
@pytest.mark.parametrize("text, flag", [
    ("Client took a week's worth of gliclazide (7 x 60 mg) this morning after a dosette mix-up", "diabetes_med_overdose"),
    ("she has swallowed sixteen 500 mg paracetamol tablets through the day", "poisoning"),
    ("my 3 year old got into his grandma's bag, I think he swallowed a couple of her glipizide tablets",
     "diabetes_med_overdose"),
    ("our 2-year-old may have swallowed one of grandad's amlodipine", "poisoning"),
])
def test_an_overdose_is_read_from_the_count_the_medicine_and_who_took_it(text, flag):
    result = triage(text)
    assert result.level == "emergency" and result.hits[0].id == flag, result.hits


@pytest.mark.parametrize("text", [
    "I take 2 metformin tablets with breakfast",
    "for 3 months I've taken my amlodipine every morning",
    "my son takes his tablets after dinner",
])
def test_a_usual_dose_is_not_an_overdose(text):
    assert triage(text).level == "none"


def test_medicine_names_come_from_the_drug_lexicon():
    from coach.medicines import load_drugs
    drugs = load_drugs()
    assert "glipizide" in drugs.english_words(hypo_only=True)
    assert "amlodipine" in drugs.english_words() and "amlodipine" not in drugs.english_words(hypo_only=True)
    assert any("格列美脲" in n for n in drugs.chinese_names(hypo_only=True))


def test_a_drug_lexicon_naming_an_unknown_class_is_refused(tmp_path):
    from coach.medicines import DrugLexiconError, load_drugs
    bad = tmp_path / "drugs.yaml"
    bad.write_text("classes: {statin: {label: statin, group: lipids}}\n"
                   "drugs: [{id: x, class: statine, names: [xstatin]}]\n", encoding="utf-8")
    with pytest.raises(DrugLexiconError, match="x: statine"):
        load_drugs(bad)


# -- readings said as history or taken again; beliefs taken back; what time and tense say ----------------------
def _level(text: str) -> str:
    return triage(text, parse_readings(text, NOW).readings, now=NOW).level


@pytest.mark.parametrize("text, level", [
    ("My husband's BP was 190/110 back in March when he was diagnosed, but since starting tablets it's sat around "
     "130/80. When can he cut down?", "none"),
    ("Cuff said 201/130 but I'd just run up the stairs. Redid it properly after 5 minutes sat down: 128/79.", "none"),
    ("bp 192/124 this morning, took it again after resting and it's 188/121", "urgent"),  # the repeat is still high
    ("if my bp is 190/120 should I go to A&E?", "none"),
    ("my bp is 190/120 and I have a crushing headache", "emergency"),
])
def test_a_reading_counts_when_it_is_now_and_its_repeat_replaces_it(text, level):
    assert _level(text) == level


def test_the_repeat_rule_is_in_the_passage_it_applies():
    from knowledge.corpus import load_corpus
    from coach.triage.readings import SEVERE_BP
    from tests.conftest import REPO

    text = {p.id: p.text for p in load_corpus(REPO / "guidelines").passages}[SEVERE_BP[2]]
    assert "measure again" in text and "repeat reading" in text


@pytest.mark.parametrize("text, level", [
    ("thought i was having a seizure in PE but i wasnt jerking or anything, just shaky and hungry", "none"),
    ("Thought I was bleeding from my bum and panicked, then remembered the beetroot salad last night.", "none"),
    ("以为是低血糖，结果是没吃早饭饿的", "none"),
    # Not taken back: uncertainty, or a belief that stands
    ("I thought I was having a stroke but I wasn't sure, my face is drooping", "emergency"),
    ("I thought I was having a heart attack, chest is crushing and I'm sweating", "emergency"),
])
def test_a_belief_the_message_takes_back_raises_nothing(text, level):
    assert _level(text) == level


@pytest.mark.parametrize("text, level", [
    ("left ankle is massively swollen, hot to touch, can't put weight on it, and I'm running 38.5", "urgent"),
    ("My dad had a knee replacement last year and now that knee is hot and swollen and he's running a "
     "temperature.", "urgent"),
    ("My son (19) texted me at 2am saying sorry for everything and goodbye. He's not answering his phone", "emergency"),
    ("My dad's got terrible pain in the top of his belly boring through to his back, he's curled up and vomiting",
     "emergency"),
    ("Whole family has headaches and feels sick, better when we go out, the boiler's been making a funny noise",
     "emergency"),
    ("we all have headaches today, must be the wine last night haha", "none"),
    ("cut my finger choping onions, bled a bit but stopped after a couple of minutes pressing", "none"),
    ("pain between my sholder blades and up into my jaw, now I feel sick and short of breath", "emergency"),
    ("Just got 2.7 on my meter. Shaky but thinking straight, had some jelly babies.", "urgent"),
    ("she can no longer finish a sentence, breathless at rest", "emergency"),
    ("35岁男，搬重物后右侧胸背部疼痛1天，局部压痛，转身时加重", "none"),
    # Chinese: a homophone slip for 血糖, a space between clauses, a number measured, a figure of speech
    ("血堂只有35mg/dl 吃了糖还是抖个不停 脑子一片空白", "emergency"),
    ("自己测过两次都是2.9，吃点东西就好", "urgent"),
    ("甘油三酯测了2.5，要吃药吗", "none"),
    ("孩子把我的降压药当糖豆吃了，好像三四片", "emergency"),
    ("火锅辣得我喘不上气笑死，吃完尿酸会不会高啊", "none"),
    ("被蚊子咬了个大包，嘴唇舌头都没肿，喘气也正常", "none"),
    # A count of years is not a glucose; a reading given contradicts "through the roof"; 过 is history
    ("Pt had a severe hypo needing an ambulance 2 years ago; none since on CGM", "none"),
    ("my bp went through the roof at work. Not literally, I checked, 124/80. Stress tips?", "none"),
    ("my bp is through the roof and I feel awful", "urgent"),
    ("我哥是1型糖尿病，前几年酮症酸中毒住过院，我要不要也查查血糖", "none"),
    ("I could kill myself for forgetting my tablets again, any tricks to remember?", "none"),
])
def test_time_tense_numbers_and_slips_are_read_for_what_they_say(text, level):
    assert _level(text) == level


def test_the_bank_classifier_needs_something_reported(minilm):
    layered, _ = with_semantic(minilm, Thresholds(k=3, votes=3, check=1.01, flag=1.01, probability=0.0, near=0.0,
                                                  not_findings=["diabetes_mention", "bp_value"]))
    question = "Do I have diabetes? My fasting sugar was 7.4 mmol/L this morning."
    assert layered(question, embedding=minilm.get_query_embedding(question)).level == "none"
    report = "he keeps nodding off and looks grey"
    assert layered(report, embedding=minilm.get_query_embedding(report)).level == "urgent"


def test_the_semantic_net_does_not_raise_a_flag_the_rules_set_aside(minilm):
    # Thresholds so loose that the net would raise anything near an example
    layered, _ = with_semantic(minilm, Thresholds(k=1, votes=1, check=0.0, flag=1.01))
    for text, flag in (("right side of my chest is sore when I press on it, ever since bench press yesterday",
                        "heart_attack"),  # a cause explains it
                       ("I have no chest pain and no sweating", "heart_attack"),  # negated
                       ("my dad had a stroke in 2019", "stroke")):  # history
        result = layered(text, embedding=minilm.get_query_embedding(text))
        assert any(r.id == flag and r.set_aside for r in result.ruled_out), result.ruled_out
        assert all(h.id != flag for h in result.hits), result.hits


@pytest.mark.parametrize("text, level", [
    # A deficit said by what a hand can no longer do, and a loss of ability that is not a negation
    ("since breakfast he can't hold a fork in his left hand, it keeps sliding out of his fingers", "emergency"),
    ("can't stop shaking and my teeth are chattering, had my appendix out on monday and the scar is red and hot",
     "emergency"),
    # A child's age as one word, and medicine the child found
    ("4yo got into nan's handbag, found with her open box of metoprolol, two missing", "emergency"),
    # Doses: given twice by two people, taken more often than prescribed, a dispensing error
    ("nurse gave her the evening insulin and the night carer already gave it too, so she's had double", "emergency"),
    ("he's been taking the methotrexate daily instead of weekly for ten days, now mouth ulcers", "emergency"),
    # A question mark of alarm is not a question; "asking because" reports what follows
    ("bp 196/124?? no symptoms", "urgent"),
    ("is oat milk ok? asking cos my sugar's 29 and i keep throwing up and breathing really fast", "emergency"),
    # A gestation is not an age; a relative's standing allergy is not a reaction now
    ("pregnant, at 30 weeks, BP 150/100 on two readings, no headache or vision change", "urgent"),
    ("my brother is anaphylactic to sesame, should I carry a pen for my kids?", "none"),
    # Settled since, in the clause after it
    ("was sick once this morning, been fine since, keeping water down, sugar 7", "none"),
    # Chinese: a list after 无, 症状 without a question, V+过 as history, Cantonese negation
    ("做完俯卧撑胸口这块疼，无气短、出汗、恶心，一按就疼", "none"),
    ("怀孕30周 测了两次血压都是150/100 无头痛 无视物模糊等症状", "urgent"),
    ("我爸有癫痫，以前发作过几次，会遗传给我吗", "none"),
    ("冇胸口痛 都唔出汗 就系想问降压药几点食", "none"),
    ("我爸刚才抽了好一会 现在叫他也不太应", "emergency"),
])
def test_abilities_ages_doses_and_clauses_are_read_for_what_they_say(text, level):
    assert _level(text) == level


def test_a_peak_flow_at_half_the_best_is_a_severe_attack():
    from coach.triage.readings import peak_flow_percent

    assert peak_flow_percent("peak flow 200 and my best is 500") == 40
    assert peak_flow_percent("PEFR 380, predicted 420") == pytest.approx(90.5, abs=0.1)
    assert peak_flow_percent("peak flow is fine today") is None
    assert _level("asthma playing up, peak flow 180 (best 460), the blue inhaler is helping a bit") == "emergency"
    assert _level("asthma a bit tight, peak flow 400 (best 460), inhaler helping") != "emergency"


@pytest.mark.parametrize("text, values", [
    ("meter said 2.1 with sugar on my fingers, washed my hands and retested: 6.4", [6.4]),
    ("waking at 48 mg/dL most nights", [2.66]),
    ("had a hypo, 2.9, took 4 dextrose", [2.9]),
    ("如果我血糖低到2点几该怎么办？", []),
    ("LDL 130 mg/dL, is that high?", []),
])
def test_glucose_in_a_message_is_read_as_it_is_said(text, values):
    import datetime as dt
    from coach.triage.glucose_text import glucose_in_text

    assert [round(r.value, 2) for r in glucose_in_text(text, dt.datetime(2026, 12, 1))] == values


def test_lows_said_by_their_level_and_a_chinese_bp_said_in_words():
    assert _level("three readings below 3.0 this week, treated them myself") == "urgent"
    assert _level("what should I do if readings go below 3.0?") == "none"
    assert _level("我妈早上量的高压196低压118 没什么感觉") == "urgent"


def test_asks_something_needs_a_question_not_just_a_question_mark():
    from coach.text import asks_something

    assert asks_something("is 201/123 too high?")
    assert asks_something("what does 7.8 mean?")
    assert not asks_something("bp 201/123??")
    assert not asks_something("no symptoms.")


@pytest.mark.parametrize("text, level", [
    # A reading said in words or in Chinese numerals
    ("dad's monitor says one ninety eight over one twenty four, he feels fine", "urgent"),
    ("我爸量的血压一百九十多一百二十几，说没啥不舒服", "urgent"),
    # A death is history whatever "now" says; "once had" is the past; "and now" is for what follows
    ("my grandad died of a stroke and now I'm scared of mine, BP 128/80", "none"),
    ("my aunt once had a fit from a low sugar and now my mum worries about hers", "none"),
    # A clinician's denial covers the whole list, the words the lexicon does not know included
    ("Seen today. Denies CP, SOB, orthopnoea, syncope. Plan: continue ramipril.", "none"),
    # A small bleed with a harmless cause; a low treated and back up; a meter being checked
    ("blood gushed a bit from the finger prick, stopped straight away", "none"),
    ("was 3.6 and sweaty before tea, had juice, 20 min later 6.1 and fine", "none"),
    ("my new meter shows HI with the control solution, is it faulty?", "none"),
    # Someone else's tablets by mistake, a dial misread, a whole week's tablets at once
    ("the care home gave Dad another resident's tablets by mistake, now he's drowsy and his pulse is slow",
     "emergency"),
    ("dialled 60 units instead of 6, misread the dial, done it already", "emergency"),
])
def test_numbers_in_words_deaths_denials_and_small_causes(text, level):
    assert _level(text) == level


def test_spoken_and_chinese_numbers():
    from coach.triage.spoken_numbers import spoken_number, zh_numeral

    assert [spoken_number(t) for t in ("two hundred and one", "one twenty two", "ninety five", "a hundred and ten")] \
        == [201, 122, 95, 110]
    assert spoken_number("blue over") is None
    assert [zh_numeral(t) for t in ("一百八十几", "一百九", "一百零五", "九十五")] == [180, 190, 105, 95]


@pytest.mark.parametrize("text, level", [
    # Written about, not happening: a leaflet, a novel; but a cue of now ends it
    ("drafting a leaflet for our clinic: which signs of a stroke mean call an ambulance at once?", "none"),
    ("the leaflet says the tablets can cause swelling, and now my tongue is swelling up", "emergency"),
    ("电视剧里的人心梗倒地了，我爸吓得不轻，他的心脏没毛病吧", "none"),
    # ...to the end of its clause: the reaction after it is reported
    ("吃了新开的药，看说明书说可能过敏，嘴唇肿了喘不上气", "emergency"),
    # A message that says its words are a figure of speech; a decade of life as the past; "never"
    ("病例：患者说'气得要吐血'（比喻，无呕血），血压145/90", "none"),
    ("in my thirties I had a seizure after a hypo, nothing since, I'm 58 now", "none"),
    ("she tripped on the step, never blacked out, knows where she is, just a bruise", "none"),
])
def test_documents_metaphors_and_decades_are_not_reports(text, level):
    assert _level(text) == level


@pytest.mark.parametrize("text, level", [
    # "never had X like this" is the worst ever, not a denial; "never had X" still denies it
    ("I've never had chest pain like this before, it's crushing", "emergency"),
    ("never had a headache this bad, it came on suddenly", "emergency"),
    ("he's never this drowsy, I can't wake him properly", "emergency"),
    ("never had chest pain, just a cough", "none"),
])
def test_never_like_this_is_the_worst_ever_not_a_denial(text, level):
    assert _level(text) == level


@pytest.mark.parametrize("text, level", [
    # A phrase with a negative word that denies no symptom
    ("nothing helps the chest pain, it's crushing", "emergency"),
    ("no idea why but my face has dropped on one side", "emergency"),
    ("not sure if he's breathing", "emergency"),
])
def test_a_negative_word_that_denies_no_symptom(text, level):
    assert _level(text) == level
