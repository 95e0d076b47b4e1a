"""Decoding: the model's labels, their probabilities, and the purchase rule it cannot overrule."""

import pytest

from cjm.codebook import load_codebook
from cjm.decode import decode, purchase_told
from cjm.evidence import extract_evidence
from cjm.model import Transcript, Utterance
from cjm.nlp import pipeline
from cjm.rules import get_rules
from cjm.rules_decision import decide_by_rules


@pytest.fixture(scope="module")
def book():
    return load_codebook()


class EveryUtteranceBought:
    """A stand-in model that is sure every utterance is a purchase and accepts every candidate."""

    def stage_marginals(self, rows):
        return ["bought"] * len(rows), [{"bought": 0.8, "motivated": 0.15, "none": 0.05} for _ in rows]

    def accept(self, member, rows):
        return [0.9 if member == "roles" else 0.3 for _ in rows]

    def calibrated(self, name, p):
        return p

    def threshold(self, name, default):
        return default


def evidence_of(lang, *answers):
    utterances = []
    for i, answer in enumerate(answers):
        utterances += [Utterance(2 * i + 1, "I", "И что дальше?" if lang == "ru" else "And then?", is_interviewer=True),
                       Utterance(2 * i + 2, "R", answer)]
    transcript = Transcript(id="t", source="t.txt", language=lang, utterances=utterances)
    return extract_evidence(transcript, get_rules(load_codebook(), lang), pipeline(lang))


@pytest.mark.parametrize("lang, told, not_told", [
    ("en", "We signed the contract in May and paid the first invoice.", "We still haven't signed anything, the budget is frozen."),
    ("ru", "В мае подписали договор и оплатили первый счёт.", "Договор мы так и не подписали, бюджет заморозили."),
])
def test_no_purchase_without_one_told_as_done(book, lang, told, not_told):
    bought = evidence_of(lang, told)
    tagged = decode(bought, decide_by_rules(bought, book), EveryUtteranceBought(), book)
    assert tagged[1].stages == ["bought"]

    stalled = evidence_of(lang, not_told)
    by_rules = decide_by_rules(stalled, book)
    assert not purchase_told(by_rules)
    tagged = decode(stalled, by_rules, EveryUtteranceBought(), book)
    assert tagged[1].stages == ["motivated"]  # the model's next best, not the purchase it cannot show


def test_labels_carry_probabilities_and_supporting_mentions(book):
    ev = evidence_of("en", "In May our CFO paid the first invoice.")
    tagged = decode(ev, decide_by_rules(ev, book), EveryUtteranceBought(), book)
    answer = tagged[1]
    assert answer.stages == ["bought"] and answer.probabilities["stage"]["bought"] == 0.8
    assert answer.roles == ["treasurer"] and answer.probabilities["role"]["treasurer"] == 0.9
    assert answer.channels == [] and all(p < 0.5 for p in answer.probabilities["channel"].values())
    assert {m.label for m in answer.mentions} <= {"bought", "treasurer"}
    assert tagged[0].stages == [] and tagged[0].probabilities == {}  # the interviewer's turn


def test_a_label_without_a_span_points_at_the_first_sentence(book):
    ev = evidence_of("en", "It went fine. Nothing more to say really.")
    tagged = decode(ev, decide_by_rules(ev, book), EveryUtteranceBought(), book)
    # no purchase told: the model's "bought" becomes its next best, which no phrase supports
    model_made = [m for m in tagged[1].mentions if m.origin == "model"]
    assert [(m.label, m.text) for m in model_made] == [("motivated", "It went fine.")]
