"""Story features: the question an answer replies to, and the deal's steps the answer tells."""

import pytest

from cjm.codebook import load_codebook
from cjm.evidence import extract_evidence
from cjm.features import candidates, stage_features
from cjm.model import Transcript, Utterance
from cjm.nlp import pipeline
from cjm.rules import get_rules
from cjm.rules_decision import decide_by_rules
from cjm.story_features import ALL_GROUPS, story_data, story_rows


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def evidence(book, lang, turns):
    """Turns alternate interviewer, respondent; a turn given as ("R", text) is a respondent's
    further turn without a question before it."""
    utterances, n = [], 0
    for i, turn in enumerate(turns):
        n += 1
        if isinstance(turn, tuple):
            utterances.append(Utterance(n, "R", turn[1], is_interviewer=False))
        else:
            utterances.append(Utterance(n, "I" if i % 2 == 0 else "R", turn, is_interviewer=i % 2 == 0))
    transcript = Transcript(id="t", source="t.txt", language=lang, utterances=utterances)
    return extract_evidence(transcript, get_rules(book, lang), pipeline(lang))


def test_the_question_says_which_stage_it_asks_about(book):
    rows = story_rows(evidence(book, "en", [
        "How did the trial go?", "Really well, honestly, the lads used it every day.",
        "When did you sign the contract?", "In March.",
        "How was the weather at the show?", "Sunny, mostly.",
    ]), ALL_GROUPS)
    assert "s:q=motivated" in rows[0] and "s:q=interested" not in rows[0]
    assert "s:q=bought" in rows[1] and "s:qk=when" in rows[1] and "s:topic=motivated|1" in rows[1]
    assert "s:nq=bought" in rows[0]  # the next question follows the story on
    assert "s:q=none" in rows[2] and not any(k.startswith("s:q=") and k != "s:q=none" for k in rows[2])


def test_russian_questions_name_their_stage_too(book):
    rows = story_rows(evidence(book, "ru", [
        "Как вы о нас узнали?", "Коллега посоветовал, на конференции.",
        "А когда подписали договор?", "В марте, сразу после праздников.",
        "Как у вас с погодой?", "Дожди всю неделю.",
    ]), ALL_GROUPS)
    assert "s:q=informed" in rows[0]
    assert "s:q=bought" in rows[1] and "s:qk=when" in rows[1]
    assert "s:q=none" in rows[2]


def test_a_terse_yes_or_no_carries_the_questions_stage(book):
    rows = story_rows(evidence(book, "en", [
        "Did you pay for the trial?", "No, not their fee.",
        "Did they send a quote?", "Yes.",
        "Tell me about your week.", "Busy, as always.",
    ]), ALL_GROUPS)
    assert "s:reply=no|yesno" in rows[0] and "s:reply=no|motivated" in rows[0]
    assert "s:reply=yes|interested" in rows[1] and "s:terse|interested" in rows[1]
    assert not any(k.startswith("s:reply") for k in rows[2])


def test_events_are_told_as_done_or_planned_and_by_whom(book):
    rows = story_rows(evidence(book, "en", [
        "What happened next?", "We ran a trial on two machines and they installed it in May.",
        "And now?", "The plan is a trial at the second plant next year.",
        "Anything else?", "Another supplier offered a trial too, but that was their pitch.",
        "And the weather?", "Sunny, mostly.",
    ]), ALL_GROUPS)
    done, planned, other, none = rows
    assert "s:ev=trial|done" in done and "s:ev=delivery|done" in done and "s:ev=trial|we" in done
    assert "s:ev=trial|plan" in planned and "s:ev=trial|done" not in planned
    assert "s:ev=trial|other" in other
    assert not any(k.startswith("s:ev=") for k in none)
    assert "s:evfar=bought" in planned and "s:pev=bought" in planned  # the steps told so far
    assert "s:evlast=bought" in other  # a plan moves nothing
    assert "s:evfar=none" in done and "s:nev=motivated" not in done


def test_russian_events_know_the_tense(book):
    rows = story_rows(evidence(book, "ru", [
        "Что было дальше?", "Мы оплатили счёт в тот же день.",
        "А дальше?", "Планируем оплатить вторую партию в следующем квартале.",
    ]), ALL_GROUPS)
    assert "s:ev=payment|done" in rows[0] and "s:ev=payment|plan" not in rows[0]
    assert "s:ev=payment|plan" in rows[1] and "s:ev=payment|done" not in rows[1]


def test_a_further_turn_of_the_same_answer_is_marked(book):
    rows = story_rows(evidence(book, "en", [
        "How did you first hear about them?", "At the expo in June.", ("R", "And a friend mentioned them too."),
    ]), ALL_GROUPS)
    assert "s:turn=0" in rows[0] and "s:q=informed" in rows[0]
    assert "s:turn=1" in rows[1] and "s:qc=informed" in rows[1] and "s:q=informed" not in rows[1]


def test_no_groups_give_empty_rows(book):
    ev = evidence(book, "en", ["How did the trial go?", "Well."])
    assert story_rows(ev, frozenset()) == [{}]


def test_stage_rows_hold_the_story_features_and_candidates_do_not_copy_them(book):
    ev = evidence(book, "en", ["How did the trial go?", "I ran the trial myself, the CFO approved it."])
    by_rules = decide_by_rules(ev, book)
    rows = stage_features(ev, by_rules, book.ids("stage"))
    assert "s:q=motivated" in rows[0]
    for c in candidates(ev, by_rules, rows, "role"):  # the role model reads its own features only
        assert not any(k.startswith("s:") for k in c.features)


def test_every_event_names_a_stage_of_the_codebook(book):
    stages = set(book.ids("stage"))
    data = story_data()
    assert {spec["stage"] for spec in data["events"].values()} <= stages
    assert set(data["questions"]) == stages
