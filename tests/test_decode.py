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

    def calibrated_all(self, name, probabilities):
        return dict(probabilities)

    def threshold(self, name, default):
        return default

    def told_channels(self, rows):
        return [{} for _ in rows]


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
    assert not purchase_told(by_rules, stalled.transcript, book)
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


class StandIn:
    """A stand-in model: the same marginals for every utterance, fixed candidate probabilities, thresholds."""

    def __init__(self, marginal, best="motivated", role_p=0.9, channel_p=0.1, thresholds=None, calibration=1.0,
                 told=None):
        self.marginal, self.best = marginal, best
        self.p = {"roles": role_p, "channels": channel_p}
        self.thresholds = thresholds or {}
        self.factor = calibration
        self.told = told or {}  # P(channel) the channel classifier gives every row it is asked about
        self.asked = []

    def told_channels(self, rows):
        self.asked += rows
        return [dict(self.told) for _ in rows]

    def stage_marginals(self, rows):
        return [self.best] * len(rows), [dict(self.marginal) for _ in rows]

    def accept(self, member, rows):
        return [self.p[member] for _ in rows]

    def calibrated(self, name, p):
        return round(p * self.factor, 6)

    def calibrated_all(self, name, probabilities):
        return {label: self.calibrated(name, p) for label, p in probabilities.items()}

    def threshold(self, name, default):
        return self.thresholds.get(name, default)


SURE_NOT = {"none": 0.55, "interested": 0.3, "motivated": 0.15}


@pytest.mark.parametrize("above, stages", [(None, ["motivated"]), (0.5, []), (0.55, ["interested"]), (0.6, ["interested"])])
def test_no_stage_only_where_the_model_is_surer_than_its_threshold(book, above, stages):
    ev = evidence_of("en", "We compared three offers and asked for a demo.")
    thresholds = {} if above is None else {"stage_none": above}
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(SURE_NOT, thresholds=thresholds), book)
    assert tagged[1].stages == stages  # no threshold: the Viterbi path ("motivated") as given


def test_the_purchase_guard_takes_the_next_best_stage(book):
    ev = evidence_of("en", "It went fine, nothing more to say.")
    marginal = {"none": 0.1, "bought": 0.6, "interested": 0.1, "motivated": 0.2}
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(marginal, best="bought", thresholds={"stage_none": 0.5}), book)
    assert tagged[1].stages == ["motivated"]
    told = evidence_of("en", "We signed the contract in May and paid the first invoice.")
    tagged = decode(told, decide_by_rules(told, book), StandIn(marginal, best="bought", thresholds={"stage_none": 0.5}), book)
    assert tagged[1].stages == ["bought"]


@pytest.mark.parametrize("lang, told, not_told", [
    ("en", "Signed March twentieth, about.", "We signed the NDA at the end of March."),
    ("en", "We paid the first invoice in May.", "Contract signed by the end of July. That was the plan."),
    ("ru", "Договор — девятого февраля.", "В марте сделали повторный заказ у старого поставщика."),
    ("ru", "Аванс ушёл третьего июля.", "Мы подписали NDA, это было в конце марта."),
])
def test_purchase_told_reads_the_purchase_of_this_deal(book, lang, told, not_told):
    yes, no = evidence_of(lang, told), evidence_of(lang, not_told)
    assert purchase_told(decide_by_rules(yes, book), yes.transcript, book)
    assert not purchase_told(decide_by_rules(no, book), no.transcript, book)



@pytest.mark.parametrize("p, accepted", [(0.49, False), (0.5, True), (0.51, True)])
def test_candidates_are_accepted_from_p_0_5(book, p, accepted):
    ev = evidence_of("en", "In May our CFO paid the first invoice.")
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(SURE_NOT, role_p=p), book)
    assert (tagged[1].roles == ["treasurer"]) is accepted
    assert tagged[1].probabilities["role"]["treasurer"] == p


def test_a_chosen_threshold_replaces_0_5(book):
    ev = evidence_of("en", "In May our CFO paid the first invoice.")
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(SURE_NOT, role_p=0.4, thresholds={"role": 0.3}), book)
    assert tagged[1].roles == ["treasurer"]
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(SURE_NOT, role_p=0.6, thresholds={"role": 0.7}), book)
    assert tagged[1].roles == []


def test_channels_are_decided_too(book):
    ev = evidence_of("en", "We found them through a Google ad.")
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(SURE_NOT, channel_p=0.8), book)
    assert "search_ads" in tagged[1].channels and tagged[1].probabilities["channel"]["search_ads"] == 0.8
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(SURE_NOT, channel_p=0.2), book)
    assert tagged[1].channels == [] and [m for m in tagged[1].suppressed if m.label == "search_ads"]


INFORMED = {"none": 0.2, "informed": 0.7, "interested": 0.1}


def test_a_discovery_without_a_channel_name_gets_the_classifiers_channels_and_no_label(book):
    ev = evidence_of("en", "Through Gareth, he runs the cider stall two down from us.")
    model = StandIn(INFORMED, best="informed", told={"referral": 0.6, "partner": 0.2, "bogus": 0.1})
    tagged = decode(ev, decide_by_rules(ev, book), model, book)
    assert tagged[1].stages == ["informed"]
    assert tagged[1].probabilities["channel_told"] == {"referral": 0.6, "partner": 0.2}  # known channels only
    assert tagged[1].probabilities["channel"] == {}  # kept apart from the candidates' (their thresholds, calibration)
    assert tagged[1].channels == []  # a probability to weigh, never a label
    assert [k for k in model.asked[0] if not k.startswith(("bias", "lang=", "w=", "q="))] == []
    assert "w=gareth" in model.asked[0] and "q=then" not in model.asked[0]  # its words, not the stage evidence


def test_a_candidates_own_probability_stands_beside_the_classifiers(book):
    from cjm.journey import channel_probabilities

    ev = evidence_of("en", "We found them through a Google ad.")
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(INFORMED, best="informed", channel_p=0.3,
                                                           told={"search_ads": 0.9, "content": 0.4}), book)
    assert tagged[1].probabilities["channel"]["search_ads"] == 0.3
    assert "content" not in tagged[1].probabilities["channel"]
    assert tagged[1].probabilities["channel_told"] == {"search_ads": 0.9, "content": 0.4}
    assert channel_probabilities(tagged[1])["search_ads"] == 0.3 and channel_probabilities(tagged[1])["content"] == 0.4


@pytest.mark.parametrize("marginal, best, asked", [
    (INFORMED, "informed", True),
    ({"none": 0.6, "informed": 0.3, "interested": 0.1}, "none", True),  # likely enough to be the discovery
    ({"none": 0.5, "informed": 0.25, "interested": 0.25}, "informed", True),  # decoded as the discovery
    ({"none": 0.6, "informed": 0.29, "interested": 0.11}, "none", False),
    ({"none": 0.1, "informed": 0.1, "interested": 0.8}, "interested", False),
])
def test_the_classifier_reads_the_utterances_that_tell_the_discovery(book, marginal, best, asked):
    ev = evidence_of("en", "Through Gareth, he runs the cider stall two down from us.")
    model = StandIn(marginal, best=best, told={"referral": 0.6})
    tagged = decode(ev, decide_by_rules(ev, book), model, book)
    assert bool(model.asked) is asked
    assert ("channel_told" in tagged[1].probabilities) is asked


def test_probabilities_are_calibrated_and_name_known_stages_only(book):
    ev = evidence_of("en", "We compared three offers.")
    marginal = {"none": 0.2, "interested": 0.7, "bogus": 0.1}
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(marginal, best="interested", calibration=0.5), book)
    assert tagged[1].probabilities["stage"] == {"none": 0.1, "interested": 0.35}
    assert tagged[1].stages == ["interested"]
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(marginal, best="bogus"), book)
    assert tagged[1].stages == []  # a label the codebook does not know is no stage


def test_labelled_keeps_supporting_mentions_sorted_and_drops_the_rest(book):
    from cjm.decode import labelled
    from cjm.model import Mention, TaggedUtterance

    order = {kind: book.ids(kind) for kind in ("stage", "role", "channel")}
    text = "We paid. Our CFO agreed."
    item = TaggedUtterance(Utterance(2, "R", text),
                           mentions=[Mention("role", "treasurer", 13, 16, "CFO", 1), Mention("stage", "bought", 3, 7, "paid", 0),
                                     Mention("stage", "motivated", 17, 23, "agreed", 1)],
                           suppressed=[Mention("channel", "referral", 0, 2, "We", 0)], sentences=[(0, 8), (9, 24)])
    out = labelled(item, {"stage": ["bought"], "role": ["treasurer", "expert"], "channel": []}, {"stage": {}}, order)
    assert [(m.label, m.origin) for m in out.mentions] == [("expert", "model"), ("bought", "pattern"), ("treasurer", "pattern")]
    assert [m for m in out.mentions if m.origin == "model"][0].text == "We paid."
    assert [m.label for m in out.suppressed] == ["referral", "motivated"]
    assert out.stages == ["bought"] and out.roles == ["expert", "treasurer"] and out.channels == []
    assert item.mentions[0].label == "treasurer" and len(item.suppressed) == 1  # the input is not changed
    out = labelled(item, None, {}, order)
    assert out.mentions == [] and [m.label for m in out.suppressed] == ["referral"] and out.stages == []
    empty = TaggedUtterance(Utterance(2, "R", "Hm hm."), sentences=[])
    out = labelled(empty, {"stage": ["interested"], "role": [], "channel": []}, {}, order)
    assert [(m.start, m.end, m.text) for m in out.mentions] == [(0, 6, "Hm hm.")]


class SureOfAStageWithoutNoStage(EveryUtteranceBought):
    """A stand-in whose stage model has no "no stage" label at all, with a no-stage threshold."""

    def stage_marginals(self, rows):
        return ["motivated"] * len(rows), [{"motivated": 0.7, "interested": 0.3} for _ in rows]

    def threshold(self, name, default):
        return 0.5 if name == "stage_none" else default


def test_a_model_without_a_no_stage_label_gives_every_utterance_its_likeliest_stage(book):
    ev = evidence_of("en", "We tested the samples for two weeks.", "The weather was fine.")
    tagged = decode(ev, decide_by_rules(ev, book), SureOfAStageWithoutNoStage(), book)
    assert [t.stages for t in tagged if not t.utterance.is_interviewer] == [["motivated"], ["motivated"]]


def test_a_label_the_model_gives_without_a_phrase_points_at_the_first_sentence(book):
    ev = evidence_of("en", "The weather was fine. Then it rained.")
    tagged = decode(ev, decide_by_rules(ev, book), SureOfAStageWithoutNoStage(), book)
    made = [m for m in tagged[1].mentions if m.origin == "model"]
    assert [(m.label, m.text, m.sentence, m.start) for m in made] == [("motivated", "The weather was fine.", 0, 0)]


TWO_STEPS = {"none": 0.05, "informed": 0.5, "interested": 0.4, "unaware": 0.05}


@pytest.mark.parametrize("second, stages", [(None, ["informed"]), (0.45, ["informed"]), (0.4, ["informed", "interested"]),
                                            (0.3, ["informed", "interested"])])
def test_a_second_neighbouring_stage_only_over_its_threshold(book, second, stages):
    ev = evidence_of("en", "I found them on Google and filled in the form.")
    thresholds = {"stage_none": 0.5} if second is None else {"stage_none": 0.5, "stage_second": second}
    tagged = decode(ev, decide_by_rules(ev, book), StandIn(TWO_STEPS, best="informed", thresholds=thresholds), book)
    assert tagged[1].stages == stages


def test_a_second_stage_is_a_neighbour_and_never_an_untold_purchase(book):
    from cjm.decode import with_second_stage

    order = book.ids("stage")
    assert with_second_stage({"informed"}, {"motivated": 0.45, "unaware": 0.1}, order, 0.3) == {"informed"}  # not next to it
    assert with_second_stage({"informed"}, {"interested": 0.2, "unaware": 0.35}, order, 0.3) == {"informed", "unaware"}
    assert with_second_stage(set(), {"interested": 0.9}, order, 0.3) == set()
    ev = evidence_of("en", "It went fine, nothing more to say.")
    marginal = {"none": 0.05, "motivated": 0.5, "bought": 0.45}
    tagged = decode(ev, decide_by_rules(ev, book),
                    StandIn(marginal, thresholds={"stage_none": 0.5, "stage_second": 0.3}), book)
    assert tagged[1].stages == ["motivated"]  # no purchase told: bought is not the second stage either
