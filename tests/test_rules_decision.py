"""The rules' passes over one interview, on hand-made evidence: each pass with a case it must change
and a control it must leave alone."""

import pytest

from cjm import rules_decision as R
from cjm.codebook import load_codebook
from cjm.model import Mention, TaggedUtterance, Transcript, Utterance
from cjm.nlp import pipeline


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def m(kind, label, sentence=0, weak=False, back=False, origin="pattern"):
    return Mention(kind, label, 0, 1, "x", sentence, weak=weak, back=back, origin=origin)


def utt(n, *mentions, text="x", sentences=None):
    return TaggedUtterance(Utterance(n, "R", text), mentions=list(mentions), sentences=sentences or [(0, len(text))])


def labels(item, kind="stage"):
    return [x.label for x in item.mentions if x.kind == kind]


def test_stages_under_way():
    import dataclasses

    book = load_codebook()  # the stages past the one playing discovery (i13p: `plays:`, any stage set)
    assert R.stages_under_way(book) == {"interested", "motivated", "bought"}
    assert R.stages_under_way(dataclasses.replace(book, stages=[s for s in book.stages if s.id != "informed"])) == set()


def test_channels_are_kept_in_discovery_only(book):
    story = [utt(2, m("stage", "informed"), m("channel", "exhibition")), utt(4, m("stage", "interested"), m("channel", "tender")),
             utt(6, m("channel", "content"))]
    R.keep_channels_in_discovery(story, book)
    assert labels(story[0], "channel") == ["exhibition"]
    assert labels(story[1], "channel") == ["tender"]  # the utterance that gets it under way keeps its own
    assert labels(story[2], "channel") == []  # later talk of a channel is about something else
    early = [utt(2, m("channel", "content")), utt(4, m("stage", "informed"), m("channel", "referral"))]
    R.keep_channels_in_discovery(early, book)
    assert labels(early[0], "channel") == ["content"] and labels(early[1], "channel") == ["referral"]


def test_a_guru_in_the_discovery_means_a_referral(book):
    story = [utt(2, m("stage", "informed"), m("role", "guru"))]
    R.keep_channels_in_discovery(story, book)
    assert [(x.label, x.origin) for x in story[0].mentions if x.kind == "channel"] == [("referral", "role")]
    for control in ([utt(2, m("stage", "interested"), m("role", "guru"))],  # not the discovery
                    [utt(2, m("stage", "informed"), m("role", "expert"))],  # not a recommender
                    [utt(2, m("stage", "informed"), m("role", "guru"), m("channel", "exhibition"))]):  # said already
        R.keep_channels_in_discovery(control, book)
        assert labels(control[0], "channel") in ([], ["exhibition"])
        assert not any(x.origin == "role" for x in control[0].mentions)


def test_weak_evidence_needs_the_stage_before_it(book):
    story = [utt(2, m("stage", "bought", weak=True)), utt(4, m("stage", "interested")),
             utt(6, m("stage", "motivated", weak=True)), utt(8, m("stage", "bought", weak=True))]
    R.require_context_for_weak(story, book)
    assert labels(story[0]) == [] and R.UNSUPPORTED in story[0].cues
    assert labels(story[2]) == ["motivated"] and labels(story[3]) == ["bought"]
    assert R.UNSUPPORTED not in story[2].cues
    strong = [utt(2, m("stage", "bought"))]
    R.require_context_for_weak(strong, book)
    assert labels(strong[0]) == ["bought"]  # strong evidence needs no context
    first = [utt(2, m("stage", "unaware", weak=True)), utt(4, m("stage", "informed", weak=True))]
    R.require_context_for_weak(first, book)
    assert labels(first[0]) == ["unaware"] and labels(first[1]) == ["informed"]


def test_far_weak_jumps_are_dropped_where_a_close_stage_is_told(book):
    story = [utt(2, m("stage", "interested")), utt(4, m("stage", "motivated"), m("stage", "bought", weak=True))]
    R.drop_far_jumps(story, book)
    assert labels(story[1]) == ["motivated"]
    far = [utt(2, m("stage", "informed")), utt(4, m("stage", "motivated", weak=True), m("stage", "bought", weak=True))]
    R.drop_far_jumps(far, book)
    assert labels(far[1]) == ["motivated", "bought"]  # nothing close: both stay
    alone = [utt(2, m("stage", "informed")), utt(4, m("stage", "bought", weak=True))]
    R.drop_far_jumps(alone, book)
    assert labels(alone[1]) == ["bought"]  # an utterance of its own


def test_weak_evidence_yields_to_strong_evidence_of_another_stage(book):
    story = [utt(2, m("stage", "interested", weak=True), m("stage", "bought"))]
    R.drop_far_jumps(story, book)
    assert labels(story[0]) == ["bought"]
    same = [utt(2, m("stage", "bought", weak=True), m("stage", "bought"))]
    R.drop_far_jumps(same, book)
    assert labels(same[0]) == ["bought", "bought"]


def test_other_suppliers_stories_are_not_this_journey(book):
    t = Transcript(id="t", source="t.txt", language="ru", utterances=[], metadata={"supplier": "Гофро"})
    text = "Один — «Упакснаб» — дал цену и образцы бесплатно."
    item = utt(2, m("stage", "interested"), m("stage", "unaware"), text=text)
    R.drop_other_suppliers_stories([item], t, book)
    assert labels(item) == ["unaware"] and "not_this_journey" in item.cues  # the time before is kept
    assert [x.label for x in item.suppressed] == ["interested"]
    for control in ("Один — «Упакснаб» — дал цену, а вы образцы.", "«Упакснаб» и Гофро дали цену.",
                    "Гофро дал цену и образцы бесплатно."):
        item = utt(2, m("stage", "interested"), text=control)
        R.drop_other_suppliers_stories([item], t, book)
        assert labels(item) == ["interested"] and not item.suppressed, control
    nameless = Transcript(id="t", source="t.txt", language="ru", utterances=[])
    item = utt(2, m("stage", "interested"), text=text)
    R.drop_other_suppliers_stories([item], nameless, book)
    assert labels(item) == ["interested"]  # no supplier name known: nothing to tell apart


def test_discovery_told_late_is_someone_elses(book):
    story = [utt(2, m("stage", "informed")), utt(4, m("stage", "motivated")), utt(6, m("stage", "informed"))]
    R.drop_late_discovery(story, book)
    assert labels(story[0]) == ["informed"] and labels(story[1]) == ["motivated"] and labels(story[2]) == []
    control = [utt(2, m("stage", "interested")), utt(4, m("stage", "informed"))]
    R.drop_late_discovery(control, book)
    assert labels(control[1]) == ["informed"]


def test_no_step_back_without_back_step_evidence(book):
    story = [utt(2, m("stage", "motivated")), utt(4, m("stage", "interested")), utt(6, m("stage", "interested", back=True))]
    R.no_silent_back_steps(story, book, "en")
    assert labels(story[1]) == [] and labels(story[2]) == ["interested"]
    recollection = [utt(2, m("stage", "motivated")), utt(4, m("stage", "unaware"))]
    R.no_silent_back_steps(recollection, book, "en")
    assert labels(recollection[1]) == ["unaware"]
    recap = [utt(2, m("stage", "motivated")),
             utt(4, m("stage", "interested"), m("stage", "bought"), text="We asked in February and paid in April.")]
    R.no_silent_back_steps(recap, book, "en")
    assert labels(recap[1]) == ["interested", "bought"]  # a recap of the deal tells its time


def test_the_story_carries_its_stage_only_into_a_narrative_told_in_the_past(book):
    from cjm.tag import tag_transcript

    def fourth(answer):
        turns = ["Как прошел пилот?", "Пилот прошел хорошо, технолог протестировал образцы.", "А дальше?", answer]
        utterances = [Utterance(n, "I" if n % 2 else "R", t, is_interviewer=bool(n % 2)) for n, t in enumerate(turns, 1)]
        tagged = tag_transcript(Transcript(id="t", source="t.txt", language="ru", utterances=utterances), book)
        return tagged[3].stages, [m.origin for m in tagged[3].mentions if m.kind == "stage"]

    assert fourth("Водители сначала ворчали, потом привыкли, логисты строили маршруты быстрее.") == \
        (["motivated"], ["carried"])
    assert fourth("Водители сначала ворчат, потом привыкают, логисты строят маршруты быстрее.") == ([], [])


# ---------------------------------------------------------------- channel_implies_informed

def test_a_channel_before_the_journey_tells_how_they_came_across_the_supplier(book):
    story = [utt(2, m("channel", "exhibition"))]
    R.channel_implies_informed(story, book, set())
    assert [(x.label, x.origin) for x in story[0].mentions if x.kind == "stage"] == [("informed", "channel")]
    staged = [utt(2, m("stage", "unaware"), m("channel", "exhibition"))]  # the sentence has its own stage
    R.channel_implies_informed(staged, book, set())
    assert labels(staged[0]) == ["unaware"]


def test_a_channel_after_first_contact_and_a_later_stage_is_not_discovery(book):
    story = [utt(2, m("channel", "exhibition")), utt(4, m("stage", "interested"), m("channel", "content", sentence=1))]
    story[1].cues.add("supplier_side")  # would count as this supplier's channel if the search were still on
    R.channel_implies_informed(story, book, set())
    assert labels(story[0]) == ["informed"]
    assert labels(story[1]) == ["interested"]  # the contact was the exhibition: the journey is under way
    control = [utt(2, m("stage", "interested"), m("channel", "content", sentence=1))]  # no contact yet: found them
    control[0].cues.add("supplier_side")
    R.channel_implies_informed(control, book, set())
    assert sorted(labels(control[0])) == ["informed", "interested"]


def test_a_channel_in_the_search_counts_only_when_it_names_the_supplier(book):
    search = [utt(2, m("stage", "interested")), utt(4, m("channel", "content"), text="Мы нашли «Гофро» в поиске")]
    R.channel_implies_informed(search, book, {"гофро"})
    assert labels(search[1]) == ["informed"]
    other = [utt(2, m("stage", "interested")), utt(4, m("channel", "content"), text="Обзвонила дистрибьюторов")]
    R.channel_implies_informed(other, book, {"гофро"})
    assert labels(other[1]) == []


# ---------------------------------------------------------------- keep_channels_in_discovery

def test_channels_stay_out_once_under_way_even_after_an_utterance_without_stages(book):
    story = [utt(2, m("stage", "informed"), m("channel", "exhibition")), utt(4, m("stage", "interested")),
             utt(6, m("channel", "content")), utt(8, m("channel", "tender"))]
    R.keep_channels_in_discovery(story, book)
    assert labels(story[0], "channel") == ["exhibition"]
    assert labels(story[2], "channel") == [] and labels(story[3], "channel") == []


def test_two_recommenders_in_the_discovery_give_one_referral(book):
    story = [utt(2, m("stage", "informed"), m("role", "guru"), m("role", "guru", sentence=1))]
    R.keep_channels_in_discovery(story, book)
    assert [(x.label, x.origin) for x in story[0].mentions if x.kind == "channel"] == [("referral", "role")]


# ---------------------------------------------------------------- carry_stage_forward

def carried(book, previous, text):
    """The stages carried into `text` after an utterance labelled `previous` (None: no stage yet)."""
    first = utt(2, *([m("stage", previous)] if previous else []), text="Before.")
    second = utt(4, text=text)
    docs = [pipeline("en")(first.utterance.text), pipeline("en")(text)]
    R.carry_stage_forward([first, second], docs, book)
    return [(x.label, x.origin) for x in second.mentions if x.kind == "stage"]


NARRATIVE = "the drivers grumbled at first and then they got used to it"  # eleven words


def test_the_story_goes_on_at_its_stage_and_discovery_goes_on_as_interest(book):
    assert carried(book, "motivated", NARRATIVE) == [("motivated", "carried")]
    assert carried(book, "informed", NARRATIVE) == [("interested", "carried")]  # discovery is a moment
    assert carried(book, "bought", NARRATIVE) == [("bought", "carried")]


def test_nothing_is_carried_from_before_contact_or_into_the_present_tense(book):
    assert carried(book, "unaware", NARRATIVE) == []  # the old situation is no stage of the journey
    assert carried(book, None, NARRATIVE) == []
    assert carried(book, "motivated", "the drivers grumble at first and then they get used to it") == []  # present


def test_a_short_answer_takes_no_carried_stage(book):
    eight = "the drivers grumbled and then got used it"
    assert len(eight.split()) == 8
    assert carried(book, "motivated", eight) == [("motivated", "carried")]
    assert carried(book, "motivated", "the drivers grumbled and then got used") == []  # seven


# ---------------------------------------------------------------- mark_pre_contact

def test_the_situation_before_contact_is_unaware_but_one_word_or_a_habit_is_not(book):
    from cjm.tag import tag_transcript

    def second(answer):
        turns = ["Tell me about your company.", answer, "How did you find them?",
                 "A colleague recommended them at a trade show."]
        utterances = [Utterance(n, "I" if n % 2 else "R", t, is_interviewer=bool(n % 2)) for n, t in enumerate(turns, 1)]
        tagged = tag_transcript(Transcript(id="t", source="t.txt", language="en", utterances=utterances), book)
        assert tagged[3].stages == ["informed"]  # the contact that ends the time before
        return tagged[1].stages

    assert second("We had quality problems and the prices were expensive.") == ["unaware"]  # situation words
    assert second("We had a problem.") == []  # one situation word is small talk
    assert second("We usually call suppliers about prices and quality problems.") == []  # a habit


# ---------------------------------------------------------------- drop_far_jumps, no_silent_back_steps

def test_of_two_weak_stages_the_one_close_to_the_story_is_kept(book):
    story = [utt(2, m("stage", "interested")), utt(4, m("stage", "motivated", weak=True), m("stage", "bought", weak=True))]
    R.drop_far_jumps(story, book)
    assert labels(story[1]) == ["motivated"]
    alone = [utt(2, m("stage", "interested")), utt(4, m("stage", "motivated", weak=True))]
    R.drop_far_jumps(alone, book)
    assert labels(alone[1]) == ["motivated"]


def test_the_stage_the_story_is_at_may_be_told_again(book):
    story = [utt(2, m("stage", "interested")), utt(4, m("stage", "interested"))]
    R.no_silent_back_steps(story, book, "en")
    assert labels(story[1]) == ["interested"]
    back = [utt(2, m("stage", "motivated")), utt(4, m("stage", "interested"))]
    R.no_silent_back_steps(back, book, "en")
    assert labels(back[1]) == []


# ---------------------------------------------------------------- drop_other_suppliers_stories

def test_a_quoted_short_form_of_the_supplier_is_the_supplier(book):
    t = Transcript(id="t", source="t.txt", language="ru", utterances=[], metadata={"supplier": "Гофро-Стандарт"})
    item = utt(2, m("stage", "interested"), text="«Гофро» дал цену и образцы бесплатно.")
    R.drop_other_suppliers_stories([item], t, book)
    assert labels(item) == ["interested"] and "not_this_journey" not in item.cues
    other = utt(2, m("stage", "interested"), text="«Упакснаб» дал цену и образцы бесплатно.")
    R.drop_other_suppliers_stories([other], t, book)
    assert labels(other) == [] and "not_this_journey" in other.cues


def test_another_companys_sentence_with_nothing_to_drop_is_not_marked(book):
    t = Transcript(id="t", source="t.txt", language="ru", utterances=[], metadata={"supplier": "Гофро"})
    item = utt(2, m("stage", "unaware"), text="Раньше брали у «Упакснаб», они срывали сроки.")
    R.drop_other_suppliers_stories([item], t, book)
    assert labels(item) == ["unaware"] and "not_this_journey" not in item.cues


# ---------------------------------------------------------------- decide_by_rules: every pass runs

def test_the_rules_drop_a_discovery_told_after_the_decision_even_in_a_recap(book):
    from cjm.tag import tag_transcript

    turns = ["Как вы о них узнали?", "Нам их порекомендовал коллега на выставке.", "Что было дальше?",
             "Мы провели пилот.", "Как это было по времени?",
             "В феврале коллега порекомендовал их, а в апреле мы оплатили первую партию."]
    utterances = [Utterance(n, "I" if n % 2 else "R", t, is_interviewer=bool(n % 2)) for n, t in enumerate(turns, 1)]
    tagged = tag_transcript(Transcript(id="t", source="t.txt", language="ru", utterances=utterances), book)
    assert tagged[3].stages == ["motivated"]  # the trial: the deal is being decided
    assert "informed" not in tagged[5].stages and "bought" in tagged[5].stages
    early = tag_transcript(Transcript(id="t", source="t.txt", language="ru", utterances=utterances[4:]), book)
    assert "informed" in early[1].stages  # told before any decision: the discovery
