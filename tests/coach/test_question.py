"""The question analysis: what a question is about, which side of a value, what it asks, whose, which
medicines. Examples are in this project's own words, of each kind (not the labelled benchmark's)."""

from __future__ import annotations

import pytest

from coach.question import analyse


@pytest.mark.parametrize("text, side", [
    ("How can I get my glucose down?", "high"),
    ("what brings a sugar reading back up quickly", "low"),
    ("best way to reduce my a1c", "high"),
    ("my sugar readings keep dropping below 4 at night, why", "low"),
    ("what does a hypo feel like", "low"),
    ("hyperglycemia warning signs", "high"),
    ("我血糖偏低怎么办", "low"),
    ("血糖太高了吃什么好", "high"),
    ("is a low-carb breakfast good when my sugars run high", "high"),  # a diet's name is not a low
    ("how to raise my good cholesterol", "low"),
    ("does stress raise blood sugar", None),  # what raises it is a cause of a high, not a low's treatment
    ("哪些水果升血糖快", None),
    ("dizzy every time I stand up, is my blood pressure too low", "low"),
])
def test_the_side_of_the_value_asked_about(text, side):
    assert analyse(text).side == side


def test_a_question_naming_both_a_low_and_a_lowering_is_unclear_not_guessed():
    q = analyse("how do I get my sugar down without going hypo")
    assert q.side is None and q.side_unclear


@pytest.mark.parametrize("text, intent", [
    ("why do people get gout", "causes"),
    ("what are the first signs of diabetes", "symptoms"),
    ("how often do I need my feet checked with type 2", "screening"),
    ("what should my LDL be after a heart attack", "target"),
    ("how long before rosuvastatin lowers my cholesterol", "onset"),
    ("does amlodipine cause swollen ankles", "side_effects"),
    ("I forgot to take my losartan yesterday", "missed_dose"),
    ("is it ok to take naproxen with my ramipril", "interactions"),
    ("can gout be cured for good", "prognosis"),
    ("is porridge ok for breakfast with diabetes", "food"),
    ("what is HbA1c", "definition"),
    ("how do I take my blood pressure at home properly", "measuring"),
    ("阿托伐他汀有什么副作用", "side_effects"),
    ("痛风能根治吗", "prognosis"),
])
def test_what_the_question_asks(text, intent):
    assert analyse(text).intent == intent


def test_a_medicine_is_recognised_by_brand_generic_misspelling_or_chinese_name_and_mapped_to_its_class():
    assert [(m.generic, m.drug_class) for m in analyse("is Glucophage the same as metformin").medicines] == [
        ("metformin", "biguanide")]
    assert analyse("side effects of atorvastatine?").medicines[0].drug_class == "statin"  # misspelt
    zh = analyse("格华止饭前吃还是饭后吃")
    assert zh.medicines[0].generic == "metformin" and zh.intent == "medicine_use"
    assert analyse("my statins make my legs ache").medicines[0].drug_class == "statin"  # a class only


def test_a_slow_release_form_is_noticed_by_its_letters_or_its_brand():
    assert analyse("can I split my metformin XR").extended_release
    assert analyse("拜新同可以掰开吗").extended_release  # the brand is the controlled-release form
    assert not analyse("can I split my amlodipine").extended_release


@pytest.mark.parametrize("text, whose", [
    ("my husband has gout, what should he avoid", "other"),
    ("I have high blood pressure, can I drink coffee", "self"),
    ("what is a normal cholesterol level", "general"),
    ("我爸血压高能喝酒吗", "other"),
])
def test_whose_question_it_is(text, whose):
    assert analyse(text).whose == whose


def test_the_summary_names_what_was_found():
    summary = analyse("how quickly does my dad's bisoprolol work").summary()
    assert "onset" in summary and "bisoprolol" in summary and "beta-blocker" in summary and "whose: other" in summary


@pytest.mark.parametrize("text, foods", [
    ("高血压可以喝茶吗 浓茶呢", ["tea"]),
    ("is coffe good or bad for gout", ["coffee"]),  # misspelt
    ("腌菜咸菜 还有酱油 血压高的人还能吃吗", ["salt soy sauce pickles"]),  # 菜 and 油 inside them are not more foods
    ("火锅 痛风 能吃吗", ["organ meats broth hotpot"]),
    ("what should my blood pressure be?", []),
])
def test_foods_are_named_by_the_guidelines_words(text, foods):
    assert analyse(text).foods == foods


def test_a_chinese_or_misspelt_question_searches_with_the_guidelines_names():
    assert "tea" in analyse("高血压可以喝茶吗").english_query().split()
    assert analyse("is coffe ok with metfromin?").corrected_words().split() == ["coffee", "metformin"]
    assert analyse("is coffee ok with metformin?").corrected_words() == ""  # nothing to correct


@pytest.mark.parametrize("text, intent", [
    ("my LDL came back 4.2. is that bad?", "classification"),
    ("what waist size counts as obese for a man", "classification"),
    ("fasting 6.4, is that prediabetes or still normal?", "classification"),
    ("my cholesterol is fine now on rosuvastatin, can I stop it?", "stopping"),  # a pronoun for the medicine
    ("how do I stop it going up", "lifestyle"),  # ...and no medicine: nothing is stopped
    ("I've been on bisoprolol a month and my hands are always cold, could it be the tablets?", "side_effects"),
    ("since starting atorvastatin my shoulders ache", "side_effects"),
    ("should I switch from losartan to irbesartan?", "treatment"),
])
def test_what_is_asked_in_the_words_of_people_who_did_not_read_the_guidelines(text, intent):
    assert analyse(text).intent == intent


def test_a_chinese_medicine_name_typed_with_one_homophone_is_still_that_medicine():
    found = analyse("达格列静吃了尿特别多 是这个药引起的吗").medicines
    assert [(m.written, m.generic) for m in found] == [("达格列静", "dapagliflozin")]
    assert analyse("我血糖高怎么办").medicines == []


def test_characters_inside_a_chinese_word_are_part_of_it():
    statin = analyse("阿托伐他汀有什么副作用")
    assert statin.whose == "general"  # 他 in 阿托伐他汀 is not "he"
    liver = analyse("他汀类药物伤肝吗")
    assert liver.whose == "general" and liver.foods == [] and liver.intent == "side_effects"  # 肝 in 伤肝
    assert analyse("秋水仙碱吃了拉肚子").indicators == []  # 肚子 in 拉肚子 is diarrhoea, not the waist
    assert analyse("他血压高吗").whose == "other"
    taking = analyse("二甲双胍吃了以后胃不舒服")
    assert "food" not in taking.intents and "interactions" not in taking.intents  # 吃: taking the medicine


def test_a_chinese_word_typed_with_one_homophone_is_still_that_word():
    typo = analyse("甘油三脂高怎么降")  # 脂 for 酯, as pinyin input gives
    assert typo.indicators == ["triglycerides"] and "甘油三脂" in [c.words for c in typo.cues]
    assert analyse("甘油三酯高怎么降").indicators == ["triglycerides"]
    assert analyse("我最近压力很大").indicators == []  # short words are not guessed at


def test_a_one_character_intent_inside_the_name_of_a_value_is_part_of_it():
    lowering = analyse("甘油三酯高怎么降 不想吃药")
    assert "food" not in lowering.intents  # 油 in 甘油三酯 is not cooking oil
    assert analyse("血脂高能吃油炸的吗").intent == "food"  # 油 on its own still is


def test_a_word_with_a_direction_is_never_guessed_from_one_character_off():
    # 血糖偏低 is one character from 血糖偏高: reading it as a high would be the classic dangerous mix-up
    assert analyse("我血糖偏低怎么办").side == "low"
    assert analyse("我血糖偏高怎么办").side == "high"
