"""Which passages answer an analysed question: the other side of a value is never quoted, and the fit
features say why."""

from __future__ import annotations

from coach.answering import FitWeights, assess, conflict
from coach.question import analyse
from knowledge.models import GuidelinePassage


def passage(pid, answers, direction=None, indicators=("glucose",), conditions=("diabetes",), similarity=0.6,
            medicines=(), text="Some guideline text."):
    return GuidelinePassage(id=pid, document_id=pid.split("#")[0], document_title="T", issuer="I",
                            source_document="S", edition="E", section="1", url="https://example.org",
                            region="global", conditions=list(conditions), heading_path=["T", pid], text=text,
                            answers=list(answers), indicators=list(indicators), direction=direction,
                            medicines=list(medicines), score=0.1, similarity=similarity)


WEIGHTS = FitWeights(bias=-3, weights={"intent": 3, "condition": 1, "similarity": 2, "medicine": 1},
                     threshold=0.5, calibrated_on="test")


def test_a_passage_about_the_other_side_of_the_value_conflicts():
    low = passage("d#treat-low", ["lifestyle", "emergency"], direction="low")
    high = passage("d#lower-high", ["lifestyle"], direction="high")
    lowering = analyse("how can I bring my blood sugar down")
    assert conflict(lowering, low) and not conflict(lowering, high)
    assert conflict(analyse("what should I eat when my sugar is low"), high)
    assert not conflict(analyse("what is a normal blood sugar"), high)  # no side asked: a high passage may answer
    assert conflict(analyse("is a fasting sugar of 6.4 prediabetes"), low)  # ...but a low's passage never does


def test_a_conflicting_passage_is_never_the_best_even_when_retrieval_ranked_it_first():
    low = passage("d#treat-low", ["lifestyle"], direction="low", similarity=0.9)
    high = passage("d#lower-high", ["lifestyle"], direction="high", similarity=0.4)
    result = assess(analyse("how can I bring my blood sugar down"), [low, high], weights=WEIGHTS)
    assert result.best == "d#lower-high"
    assert [f.passage_id for f in result.fits if f.conflict] == ["d#treat-low"]


def test_no_fitting_passage_means_unanswered_with_the_reason():
    off_topic = passage("d#dash", ["food"], indicators=("blood_pressure",), conditions=("htn",), similarity=0.2)
    result = assess(analyse("what are the side effects of metformin"), [off_topic], weights=WEIGHTS)
    assert not result.answered and "no passage answers it" in result.reason
    fits = result.fits[0].features
    assert fits["intent"] == 0.0 and fits["condition"] == 0.0 and fits["medicine"] == 0.0


def test_a_passage_about_the_medicine_named_fits_better_than_one_about_another():
    q = analyse("does amlodipine make your ankles swell")
    ccb = passage("m#ccb", ["side_effects"], indicators=(), conditions=("htn",), medicines=("calcium_channel_blocker",))
    ace = passage("m#ace", ["side_effects"], indicators=(), conditions=("htn",), medicines=("ace_inhibitor",))
    result = assess(q, [ace, ccb], weights=WEIGHTS)
    assert result.best == "m#ccb" and result.answered


def test_every_passage_of_the_corpus_says_what_it_answers_with_known_medicines():
    from pathlib import Path

    from coach.cli import passage_metadata_problems
    from knowledge.corpus import load_corpus

    corpus = load_corpus(Path(__file__).resolve().parents[2] / "guidelines")
    assert passage_metadata_problems(corpus) == []
    lows = {p.id for p in corpus.passages if p.direction == "low"}
    assert "dm-ada-glycemic-targets#hypoglycemia-treatment" in lows and "dm-basics#low-glucose-symptoms" in lows


def test_a_passage_about_another_value_comes_after_those_about_the_one_asked():
    q = analyse("What blood pressure target should I have, given my diabetes?")
    glucose = passage("d#glucose-targets", ["target"], indicators=("glucose",), similarity=0.9)
    bp = passage("h#bp-targets-diabetes", ["target"], indicators=("blood_pressure",), conditions=("htn", "diabetes"),
                 similarity=0.5)
    result = assess(q, [glucose, bp], weights=WEIGHTS)
    assert [f.passage_id for f in result.fits] == ["h#bp-targets-diabetes", "d#glucose-targets"]
    # whether it is answered is still the best probability of all
    assert result.probability == max(f.probability for f in result.fits)


def test_what_the_search_says_of_a_candidate_enters_its_fit():
    from coach.answering import Found

    q = analyse("what should my HbA1c target be")
    a = passage("d#a1c-goal", ["target"], indicators=("hba1c",), text="The HbA1c goal is below 7%.")
    result = assess(q, [a], [Found(rank=4, lexical=0.8, own_region=False, rarest=1.0)], weights=WEIGHTS)
    feats = result.fits[0].features
    assert (feats["first"], feats["lexical"], feats["own_region"], feats["rarest"]) == (0.25, 0.8, 0.0, 1.0)
    assert assess(q, [a], weights=WEIGHTS).fits[0].features["own_region"] == 1.0  # by default: their own


def test_a_passage_answering_a_close_intent_is_near_and_the_pairs_are_listed_both_ways():
    import pytest

    from coach.question import QuestionRules, load_rules

    q = analyse("what are the side effects of metformin")
    assert q.intent == "side_effects"
    about_it = passage("m#metformin", ["medicine_use"], medicines=("metformin",))
    a_food = passage("f#bread", ["food"])
    fits = {f.passage_id: f.features for f in assess(q, [about_it, a_food], weights=WEIGHTS).fits}
    assert (fits["m#metformin"]["near_intent"], fits["f#bread"]["near_intent"]) == (1.0, 0.0)
    assert fits["m#metformin"]["intent"] == 0.0  # close, not the same
    data = load_rules().model_dump()
    data["related_intents"] = {"food": ["lifestyle"]}  # one way only
    with pytest.raises(ValueError, match="lifestyle -> food"):
        QuestionRules.model_validate(data)
