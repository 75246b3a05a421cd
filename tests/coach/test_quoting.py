"""Which passages the composer quotes and which of their sentences: intents, weighted words, lists."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from coach.quoting import Topic, WordWeights, about_status, choose, excerpt, intents_of, search_words, units


@dataclass
class P:
    """A passage as the composer sees it (id, text, headings)."""

    id: str
    heading: str
    text: str

    @property
    def heading_path(self):
        return ["A guideline", self.heading]


STROKE = P("stroke", "Stroke warning signs", """Stroke is an emergency: treatments only work within hours.
The stroke association teaches a short checklist of warning signs:

- Face drooping: one side of the face droops.
- Arm weakness: one arm is weak or numb.
- Speech difficulty: slurred or strange speech.

Call an ambulance rather than driving to the hospital yourself.""")
TARGET = P("target", "Blood pressure target", "The guideline sets a treatment target of below 130/80 mmHg for "
           "most adults with hypertension. The target refers to the average of properly measured readings.")
KIDNEY = P("kidney", "Chronic kidney disease and blood pressure", "The guideline recommends a blood pressure goal "
           "below 130/80 mmHg for adults with hypertension and chronic kidney disease.")
TARGETS_LIST = P("groups", "Targets with diabetes or kidney disease", """The guideline sets tighter targets for some conditions:

- **Diabetes**: target below 130/80 mmHg for most people with diabetes.
- **Chronic kidney disease**: target below 140/90 mmHg when there is no albuminuria.

Medicine choice in these conditions is made by the clinician.""")
DIET = P("diet", "Diet and medicine", "Many people with gout hope that diet alone will solve the problem of gout. "
         "The guideline recommends a healthy, balanced diet rather than strict food lists.")
BEER = P("alcohol", "Alcohol", "The recommendations advise avoiding alcohol, especially beer and spirits, which "
         "raise urate more than wine does in people with gout.")
CORPUS = WordWeights([STROKE.text, TARGET.text, KIDNEY.text, TARGETS_LIST.text, DIET.text, BEER.text]
                     + ["People with gout and high blood pressure."] * 20)


@pytest.mark.parametrize("question, intents", [
    ("What blood pressure should I be aiming for on my tablets?", ["target"]),
    ("Is my HbA1c on target?", ["target"]),
    ("What should my LDL be?", ["target"]),
    ("what should his blood pressure get down to", ["target"]),
    ("What should I do about my LDL?", ["lifestyle"]),  # asks what to do, not for a number
    ("What are the warning signs of a stroke?", ["signs"]),
    ("How do I measure my blood pressure at home properly?", ["measuring"]),
    ("what can I do about it?", ["lifestyle"]),
    ("How can I get my sugar down?", ["lifestyle"]),
    ("I get out of breath on the stairs. How can I get fitter?", ["activity"]),  # fitter, not "get it lower"
    ("Can I still drink beer with my gout?", []),
    ("I have no symptoms, is 150/95 bad?", []),  # reports none, asks for no list of them
])
def test_intents_are_read_from_how_people_ask(question, intents):
    assert [i.name for i in intents_of(question)] == intents


def test_a_target_question_searches_for_targets_and_not_for_the_persons_status():
    assert search_words("Is my HbA1c on target?") == "target goal"
    assert not about_status("Is my HbA1c on target?")  # its target is the same whatever "Diabetes range" says
    assert about_status("what can I do about it?")  # "it" is the finding: its status belongs in the search
    assert search_words("Is my blood pressure ok?") == ""


def test_lists_are_units_with_their_lead_in():
    found = units(STROKE.text)
    assert [u.is_list for u in found] == [False, True, False]
    assert found[1].text.endswith("warning signs:") and found[1].items[0] == "Face drooping: one side of the face droops"
    assert units("| a | table |\n- a bare item with no lead-in\n# Heading") == []


def test_a_signs_question_gets_the_whole_list():
    quote = excerpt(STROKE.text, Topic.of("What are the warning signs of a stroke?", CORPUS))
    assert "Face drooping" in quote.text and "Arm weakness" in quote.text and "Speech difficulty" in quote.text


def test_without_a_list_intent_prose_is_preferred_to_a_list_sharing_no_word():
    quote = excerpt(STROKE.text, Topic.of("Should I call an ambulance or drive?", CORPUS))
    assert quote.text == "Call an ambulance rather than driving to the hospital yourself."


def test_a_target_question_quotes_the_list_item_it_asks_about_with_its_lead_in():
    quote = excerpt(TARGETS_LIST.text, Topic.of("What blood pressure target should I have with diabetes?", CORPUS))
    assert quote.text.startswith("The guideline sets tighter targets for some conditions: Diabetes: target below "
                                 "130/80 mmHg")
    assert "albuminuria" not in quote.text  # the kidney item shares only "target"


def test_a_passage_whose_heading_names_the_intent_is_quoted_alone():
    topic = Topic.of("What blood pressure should I be aiming for?", CORPUS)
    # The kidney passage comes first from retrieval and shares "goal", but only the target passage is about it.
    assert [p.id for p, _ in choose([KIDNEY, TARGET], topic)] == ["target"]
    assert [p.id for p, _ in choose([KIDNEY, DIET], topic)] == ["kidney"]  # no heading names it: by words


def test_of_the_passages_naming_the_intent_those_about_the_questions_subject_are_quoted():
    a1c_goal = P("a1c", "HbA1c goal", "The guideline suggests an HbA1c goal below 7% for many adults.")
    ldl_goal = P("ldl", "LDL-C treatment goals", "The expected goal is a cut in LDL-C of 50% or more.")
    # LDL is a common word in the lipid guidelines, so sharing it says about as much as naming a goal.
    weights = WordWeights([a1c_goal.text, ldl_goal.text, TARGET.text, DIET.text, "LDL cholesterol"] + ["LDL-C"] * 8)
    topic = Topic.of("What should my LDL be?", weights)
    # Both headings name a goal; retrieval put the HbA1c one first, but the question is about LDL.
    assert [p.id for p, _ in choose([a1c_goal, ldl_goal], topic)] == ["ldl"]
    # When no passage naming the intent is on the subject, those naming it are still preferred.
    assert [p.id for p, _ in choose([DIET, a1c_goal], topic)] == ["a1c"]


def test_a_rare_shared_word_outweighs_a_common_one():
    topic = Topic.of("Can I still drink beer with my gout?", CORPUS)
    assert CORPUS("beer") > 2 * CORPUS("gout")
    # "gout" (twice) is all the diet passage shares: it says less than half of what the beer passage says.
    assert [p.id for p, _ in choose([DIET, BEER], topic)] == ["alcohol"]
    assert [p.id for p, _ in choose([DIET, BEER], Topic.of("Can I still drink beer with my gout?"))] == [
        "diet", "alcohol"]  # every word the same: both kept, in the retriever's order


def test_what_the_person_does_not_have_is_not_the_topic():
    chest = P("chest", "Chest pain", "Chest pain that lasts more than a few minutes needs the emergency number.")
    salt = P("salt", "Salt", "Adults should eat less than 5 g of salt a day to lower blood pressure.")
    weights = WordWeights([chest.text, salt.text] + ["People with high blood pressure."] * 20)
    topic = Topic.of("I have no chest pain or anything, just a question about how much salt I can have", weights)
    assert [p.id for p, _ in choose([chest, salt], topic)] == ["salt"]


def test_the_sentence_that_asks_counts_more_than_the_statements_around_it():
    chest = P("chest", "Chest pain", "Chest pain after a stent needs the emergency number straight away.")
    ldl = P("ldl", "LDL goals", "The guideline aims to cut LDL cholesterol by half or more.")
    weights = WordWeights([chest.text, ldl.text] + ["People with high blood pressure."] * 20)
    asked = Topic.of("Two years ago I had chest pain and got a stent. What should my LDL be now?", weights)
    assert asked.score(frozenset({"chest"})) == pytest.approx(asked.score(frozenset({"ldl"})) / 2)  # as rare
    # Counted in full, the history's three words would leave the LDL passage out as saying too little.
    assert "ldl" in [p.id for p, _ in choose([chest, ldl], asked)]


def test_peoples_words_match_the_guidelines_words():
    urate = P("urate", "Urate targets in gout", "Keep serum urate below 360 µmol/L with gout.")
    assert excerpt(urate.text, Topic.of("What uric acid level should I aim for?")) is not None
    assert excerpt(urate.text, Topic.of("What level should I aim for?")) is None  # nothing shared


def test_a_run_leaning_on_a_sentence_it_leaves_out_is_not_quoted():
    text = ("Blood pressure rises with age in most adults. Salt raises blood pressure in many adults. "
            "This is why less salt and more potassium are advised together.")
    quote = excerpt(text, Topic.of("Why is less salt advised?"), run=1)
    assert quote.text == "Salt raises blood pressure in many adults."


def test_no_shared_word_means_no_quote():
    assert excerpt(TARGET.text, Topic.of("Can I eat cherries?", CORPUS)) is None
    assert choose([TARGET, KIDNEY], Topic.of("Can I eat cherries?", CORPUS)) == []


CATEGORIES = P("categories", "Blood pressure categories", """The guideline sorts adult blood pressure into four categories:

- Normal: below 120/80 mmHg
- Elevated: 120-129 systolic and below 80 diastolic
- Stage 1 hypertension: 130-139 systolic or 80-89 diastolic
- Stage 2 hypertension: 140/90 mmHg or higher

Readings are averaged over several visits.""")


def test_a_lead_in_that_announces_a_count_is_quoted_with_every_item():
    # The question asks for no list and shares a word with one item only; the lead-in promised four.
    quote = excerpt(CATEGORIES.text, Topic.of("Is stage 2 hypertension serious?", CORPUS))
    assert quote.text.count(";") == 3 and "Normal" in quote.text and "Stage 2" in quote.text


def test_a_sentence_announcing_a_count_is_quoted_with_what_it_announces():
    text = ("The standards describe two families of low glucose symptoms. Warning symptoms come first for most "
            "people: shaking, sweating and hunger. If glucose keeps falling, the brain runs short and confusion, "
            "blurred vision or drowsiness appear. Symptoms vary between people and fade over the years.")
    quote = excerpt(text, Topic.of("what are the symptoms of a low?"))
    assert quote.text.startswith("The standards describe two families") and "confusion" in quote.text
    assert "fade over the years" not in quote.text  # two announced, two quoted
    # An announced list comes whole after its announcement too.
    listed = excerpt("The guideline accepts four ways of showing diabetes. Any one is enough once confirmed:\n"
                     "- fasting glucose 7.0 or higher\n- HbA1c 6.5% or higher\n- a two-hour OGTT glucose 11.1 or higher\n"
                     "- a random glucose 11.1 with symptoms\n", Topic.of("does HbA1c show diabetes?"))
    assert listed.text.count(";") == 3


def test_a_sentence_leaning_on_one_left_out_is_never_quoted_alone():
    text = ("Blood pressure rises with age in most adults. Salt raises blood pressure in many adults. "
            "This approach is why less salt and more potassium are advised together.")
    quote = excerpt(text, Topic.of("Why is less salt and more potassium advised?"), run=2)
    assert quote.text.startswith("Salt raises blood pressure")  # with the sentence it leans on
    assert excerpt("Salt raises blood pressure. However, potassium and less salt are advised together for most.",
                   Topic.of("is potassium advised?"), run=1) is None  # its referent cannot come with it
