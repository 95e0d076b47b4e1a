"""Features: what the model reads of each utterance, and which role candidates the evidence puts forward."""

import pytest

from cjm.codebook import load_codebook
from cjm.evidence import extract_evidence
from cjm.features import candidates, content_lemmas, length_bucket, people, stacked_features, stage_features
from cjm.model import Transcript, Utterance
from cjm.nlp import pipeline
from cjm.rules import get_rules
from cjm.rules_decision import decide_by_rules


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def evidence(book, lang, turns, speaker="R"):
    utterances = [Utterance(n, "I" if n % 2 else speaker, text, is_interviewer=bool(n % 2))
                  for n, text in enumerate(turns, start=1)]
    transcript = Transcript(id="t", source="t.txt", language=lang, utterances=utterances)
    ev = extract_evidence(transcript, get_rules(book, lang), pipeline(lang))
    return ev, decide_by_rules(ev, book)


def test_stage_rows_hold_the_rules_verdict_the_question_and_the_neighbours(book):
    ev, by_rules = evidence(book, "en", [
        "How did you first hear about them?", "A friend recommended them to me at a dinner.",
        "What happened next?", "We requested a quote and compared three offers.",
    ])
    rows = stage_features(ev, by_rules, book.ids("stage"))
    assert len(rows) == 2
    first, second = rows
    assert "rule=informed" in first and "q=hear" in first and "first" in first
    assert "n:rule=interested" in first and "p:rule=informed" in second and "p:m=informed" in second
    assert "far=informed" in second and "far=none" in first
    assert "w=quote" in second and "w=the" not in second  # stop words carry nothing


def test_role_candidates_come_from_names_pronouns_and_the_speakers_own_role(book):
    ev, by_rules = evidence(book, "en", [
        "Who was involved?", "Kevin, our IT lead, checked the API.",
        "And then?", "Kevin said the pilot worked.",
        "Anything else?", "He wrote the report for the board.",
        "And you?", "The weather was awful that week.",
    ], speaker="Dana (CEO)")
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "via=pronoun" not in found[(2, "expert")]
    assert "via=name" in found[(4, "expert")]  # "Kevin" was introduced as the IT lead
    assert "via=pronoun" in found[(6, "expert")]  # "He", right after Kevin
    assert not any(n == 8 for n, _ in found)  # small talk proposes nobody


def test_the_speakers_own_role_is_proposed_where_they_act(book):
    ev, by_rules = evidence(book, "en", [
        "What did you do?", "I requested a quote the same day.",
        "How was the weather?", "Sunny, mostly.",
    ], speaker="Dana (CEO)")
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "via=own" in found[(2, "big_boss")] and "own_role" in found[(2, "big_boss")]
    assert (4, "big_boss") not in found


def test_small_helpers():
    assert length_bucket(1) == "<=3" and length_bucket(21) == "<=50" and length_bucket(500) == ">120"
    assert content_lemmas(None) == []
    assert content_lemmas(pipeline("ru")("Мы оплатили счета в марте")) == ["оплатить", "счёт", "март"] or \
        content_lemmas(pipeline("ru")("Мы оплатили счета в марте")) == ["оплатить", "счет", "март"]


def test_a_question_gives_its_first_25_content_words(book):
    from cjm.features import QUESTION_WORDS

    words = [f"topic{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(30)]
    ev, by_rules = evidence(book, "en", [" ".join(words) + "?", "We compared three offers."])
    row = stage_features(ev, by_rules, book.ids("stage"))[0]
    asked = sorted(k for k in row if k.startswith("q=topic"))
    assert QUESTION_WORDS == 25 and asked == sorted(f"q={w}" for w in words[:25])


@pytest.mark.parametrize("word", ["we", "us", "our", "we've", "we'd", "we're"])
def test_every_we_word_lets_the_speakers_role_act(book, word):
    ev, by_rules = evidence(book, "en", ["What did you do?", f"Then {word} requested a quote the same day."],
                            speaker="Dana (CEO)")
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "via=own" in found[(2, "big_boss")]


def test_a_pronoun_carries_a_role_for_a_few_answers_only(book):
    ev, by_rules = evidence(book, "en", [
        "Who was involved?", "Kevin, our IT lead, checked the API.",
        "And then?", "The pilot ran for a month at the plant.",
        "And after?", "He wrote the report for the board.",
        "Later?", "The weather was awful that week.",
        "Then?", "Nothing much happened in spring.",
        "And?", "Nothing happened in the summer either.",
        "Finally?", "She sent the invoice to us.",
    ], speaker="Dana (CEO)")
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "via=pronoun2" in found[(6, "expert")]  # "He", two answers after Kevin was named
    assert (14, "expert") not in found  # "She", six answers on: the role is no longer carried


def test_a_name_further_off_in_a_roles_sentence_is_a_weaker_candidate(book):
    ev, by_rules = evidence(book, "en", [
        "Who decided?", "In the end our CFO signed it, after Marta and I had talked for a while.",
        "And then?", "Marta asked for a second quote.",
    ], speaker="Dana (CEO)")
    assert people(ev)["marta"] == {"treasurer": 0}
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "via=name_far" in found[(4, "treasurer")] and "via=name" not in found[(4, "treasurer")]


def test_lower_case_names_count_only_in_text_without_capitals(book):
    asr, _ = evidence(book, "ru", ["кто решал", "ну наш главный инженер ирина смотрела образцы"])
    assert people(asr).get("ирина") == {"expert": 1}
    written, _ = evidence(book, "ru", ["Кто решал?", "Ну, наш главный инженер смотрела образцы, а с ней ирина."])
    assert "ирина" not in people(written)  # a lower-case word in written text is no name


def test_stacked_rows_say_where_the_first_model_put_the_story():
    rows = [{"bias": 1.0}, {"bias": 1.0}, {"bias": 1.0}]
    decoded = (["interested", "none", "motivated"],
               [{"interested": 0.9, "none": 0.1}, {"none": 0.7, "motivated": 0.3}, {"motivated": 0.8, "none": 0.2}])
    order = ["unaware", "informed", "interested", "motivated", "bought"]
    first, middle, last = stacked_features(rows, decoded, order)
    assert middle["s1=none"] == 1.0 and middle["s1last=interested"] == 1.0 and middle["s1next=motivated"] == 1.0
    assert middle["s1p=motivated"] == 0.3 and "s1p=interested" not in middle
    assert first["s1last=none"] == 1.0 and first["s1before=edge"] == 1.0 and middle["s1before=interested"] == 1.0
    assert middle["s1after_first=interested"] == 1.0 and middle["s1before_first=motivated"] == 1.0
    assert last["s1far=interested"] == 1.0 and last["s1after=edge"] == 1.0 and rows[0] == {"bias": 1.0}


# --- the rows' shape: properties any feature design keeps (what the model reads, not the names)

def story(book):
    return evidence(book, "en", [
        "How did you first hear about them?", "A friend recommended them to me at a dinner.",
        "What happened next?", "We requested a quote and compared three offers.",
        "And then?", "Our CFO approved the budget and we signed the contract.",
    ])


def test_stage_rows_are_indicators_with_neighbour_words_at_half_weight(book):
    from cjm.features import NEIGHBOUR_WORD_WEIGHT

    ev, by_rules = story(book)
    rows = stage_features(ev, by_rules, book.ids("stage"))
    assert len(rows) == 3 and NEIGHBOUR_WORD_WEIGHT == 0.5
    for row in rows:
        words = {k: v for k, v in row.items() if k.startswith(("p:w=", "n:w="))}
        assert words and set(words.values()) == {0.5}  # a neighbour's words say less than its own
        assert {v for k, v in row.items() if k not in words} == {1.0}  # everything else is there or not


def test_only_the_next_and_previous_utterance_lend_their_evidence_and_words(book):
    ev, by_rules = story(book)
    first, middle, last = stage_features(ev, by_rules, book.ids("stage"))
    lent = {k.split(":", 1)[0] for k in middle
            if ":" in k and not k.startswith("s:") and not k.split(":", 1)[1].startswith("rule=")}  # s: story features
    assert lent == {"p", "n"}  # words and matches of the utterances right beside it
    assert any(k.startswith("pp:rule=") for k in last) and any(k.startswith("nn:rule=") for k in first)
    assert not any(k.startswith(("pp:", "nn:")) and not k.split(":", 1)[1].startswith("rule=") for k in [*first, *last])
    assert not any(k.startswith(("p:", "n:")) and k.split(":", 1)[1].startswith(("len", "bias", "lang=", "asked="))
                   for k in middle)  # a neighbour lends its evidence and words, not its shape


def test_a_stage_feature_names_only_stages(book):
    ev, by_rules = story(book)
    stages = set(book.ids("stage"))
    for row in stage_features(ev, by_rules, book.ids("stage")):
        for key in row:
            head, _, label = key.partition("=")
            if head in ("m", "mw", "mb", "mq", "sup"):
                assert label in stages, key  # channel and role matches count apart, never as a stage


def test_a_negated_stage_reads_apart_from_a_told_one(book):
    said = stage_features(*evidence(book, "en", ["What happened?", "We signed the contract in May."]), book.ids("stage"))[0]
    denied = stage_features(*evidence(book, "en", ["What happened?", "We never signed the contract."]), book.ids("stage"))[0]
    told = {k for k in said if k.endswith("=bought") and not k.startswith(("p:", "n:", "rule="))}
    negated = {k for k in denied if k.endswith("=bought") and not k.startswith(("p:", "n:", "rule="))}
    assert told and negated and not told & negated  # the model sees "not bought", not "bought"
    assert said.keys() - {"rule=none"} != denied.keys()


@pytest.mark.parametrize("pronoun", ["он", "она", "его", "её", "ему", "ей", "него", "ней", "ним"])
def test_every_russian_third_person_pronoun_points_at_the_role_just_named(book, pronoun):
    ev, by_rules = evidence(book, "ru", [
        "Кто участвовал?", "Наш технолог проверила образцы.",
        "А дальше?", f"Потом у {pronoun} спросили про сроки.",
    ])
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    roles = {label for (n, label), f in found.items() if n == 4 and "via=pronoun" in f}
    assert roles, pronoun
    control = evidence(book, "ru", ["Кто участвовал?", "Наш технолог проверила образцы.",
                                    "А дальше?", "Потом спросили про сроки."])
    found = candidates(*control, stage_features(*control, book.ids("stage")), "role")
    assert not any(c.n == 4 and "via=pronoun" in c.features for c in found)


def test_each_answer_is_paired_with_the_interviewers_turn_right_before_it(book):
    from cjm.features import preceding_questions

    utterances = [Utterance(1, "I", "How did you find them?", is_interviewer=True), Utterance(2, "R", "At a show."),
                  Utterance(3, "R", "A colleague was there too."), Utterance(4, "I", "And then?", is_interviewer=True),
                  Utterance(5, "R", "We asked for a quote.")]
    transcript = Transcript(id="t", source="t.txt", language="en", utterances=utterances)
    ev = extract_evidence(transcript, get_rules(book, "en"), pipeline("en"))
    assert {n: q.n for n, q in preceding_questions(ev).items()} == {2: 1, 5: 4}  # 3 follows an answer, not a question


def test_a_speakers_own_name_gives_their_role_but_a_generic_label_does_not():
    from types import SimpleNamespace

    from cjm.features import SPEAKER_NAME_WEIGHT, speaker_names

    found = speaker_names(SimpleNamespace(own_roles={"Kofi Mensah (Senior Scientist)": "expert",
                                                     "Respondent (CFO)": "treasurer", "Клиент": "user"}))
    assert found == {"kofi": {"expert": SPEAKER_NAME_WEIGHT}, "mensah": {"expert": SPEAKER_NAME_WEIGHT}}


def test_the_speakers_own_role_is_proposed_where_they_tell_what_they_did_without_a_stage(book):
    ev, by_rules = evidence(book, "en", [
        "How did it go?", "I was worried about the controls, honestly.",
        "And the weather?", "It is always grey here.",
    ], speaker="Dana (CEO)")
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "via=own_past" in found[(2, "big_boss")]  # "I was": the speaker in the story, no stage phrase
    assert (4, "big_boss") not in found  # no "I", nothing done


def test_the_suppliers_people_are_no_name_candidates(book):
    ev, by_rules = evidence(book, "en", [
        "Who came?", "Their rep, Kyle, came with our IT lead Ben.",
        "And then?", "Kyle sent the quote.",
        "And?", "Ben checked the quote.",
    ])
    found = {(c.n, c.label): c.features for c in candidates(ev, by_rules, stage_features(ev, by_rules, book.ids("stage")), "role")}
    assert "kyle" not in people(ev) and "ben" in people(ev)
    assert not any("via=name" in f for (n, _), f in found.items() if n == 4)
    assert "via=name" in found[(6, "expert")]


ORDER_PROBE = """
import hashlib, sys
from cjm.codebook import load_codebook
from cjm.features import candidates, stage_rows, told_channel_features
from cjm.ingest import read_folder
from cjm.tag import read_and_rule
from cjm.tagger_model import default_model

book, model, digest = load_codebook(), default_model(), hashlib.sha256()
for transcript in read_folder(sys.argv[1])[0]:
    evidence, by_rules = read_and_rule(transcript, book)
    rows, contexts = stage_rows(evidence, by_rules, book.ids("stage"))
    decoded = model.stage_marginals(rows)
    made = rows + [told_channel_features(row) for row in rows]
    for kind in ("role", "channel"):
        made += [c.features for c in candidates(evidence, by_rules, rows, kind, decoded, contexts)]
    digest.update(repr([list(row) for row in made]).encode())
print(digest.hexdigest())
"""


def test_features_are_made_in_one_order_in_any_process():
    """The model reads the rows as made, and crfsuite sums their weights in that order: a set
    iterated unsorted (whose order follows the process's hash seed) would change a probability's
    last digit from one run to the next (`tagger_model.ordered`)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "interviews"
    orders = [subprocess.run([sys.executable, "-c", ORDER_PROBE, str(sample)], check=True, capture_output=True,
                             text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert orders[0] == orders[1] and len(orders[0].strip()) == 64


def test_cue_features_are_added_in_sorted_order_whatever_the_sets_order():
    """(The two-process check above meets few utterances with several cues of each kind.)"""
    from cjm.features import own_features
    from cjm.model import TaggedUtterance

    cues = {f"cue{i}" for i in "hgfedcba"}  # eight: a set's order is sorted by chance once in 40,320
    item = TaggedUtterance(Utterance(1, "R", "We paid."), cues={"cue_own", *cues})
    ruled = TaggedUtterance(item.utterance, cues={"cue_own", *{f"rules{i}" for i in "hgfedcba"}})
    keys = list(own_features(item, ruled, None, "en"))
    told = [k for k in keys if k.startswith("cue=")]
    concluded = [k for k in keys if k.startswith("rcue=")]
    assert told == sorted(told) and len(told) == 9
    assert concluded == sorted(concluded) == [f"rcue=rules{i}" for i in "abcdefgh"]  # the rules' own only
