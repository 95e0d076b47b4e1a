"""Per-interview fields: channel, group, furthest stage, first contact, roles, cycle days, path."""

from pathlib import Path

import pytest

from cjm.codebook import load_codebook
from cjm.ingest import read_transcript
from cjm.journey import stage_path
from cjm.model import TaggedUtterance, Utterance
from cjm.pipeline import analyse_transcript

DATA = Path(__file__).parent / "data" / "transcripts"


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def test_russian_referral_journey(book):
    journey = analyse_transcript(read_transcript(DATA / "ru_timestamps.txt"), book)
    assert journey.channel == "referral"
    assert journey.channel_group == "referral"
    assert journey.channel_source == "detected"
    assert journey.furthest_stage == "bought"
    assert journey.first_contact_role == "big_boss"
    assert {"big_boss", "guru", "expert", "treasurer"} <= set(journey.roles)
    assert journey.cycle_days == 90  # "Месяца через три оплатили", answering "сколько времени прошло"
    assert "exhibition" not in journey.utterances[5].channels  # "на выставку ... не поехали"


def test_english_content_journey(book):
    journey = analyse_transcript(read_transcript(DATA / "en_questions.txt"), book)
    assert journey.channel == "content"
    assert journey.first_contact_role == "gatekeeper"  # Karen, the office manager, emailed them
    assert journey.furthest_stage == "bought"
    assert journey.cycle_days == 60
    assert "tender" not in {c for t in journey.utterances for c in t.channels}  # "if it had gone to tender"


def test_front_matter_channel_wins(book, tmp_path):
    path = tmp_path / "crm.txt"
    path.write_text("---\nchannel: exhibition\n---\nQ: Как узнали?\nA: Нашли вас в Яндексе.\n", encoding="utf-8")
    journey = analyse_transcript(read_transcript(path), book)
    assert (journey.channel, journey.channel_source, journey.channel_group) == ("exhibition", "metadata", "event")


def test_unknown_front_matter_channel_is_noted_and_detected(book, tmp_path):
    path = tmp_path / "crm.txt"
    path.write_text("---\nchannel: billboard\n---\nQ: Как узнали?\nA: Нашли вас в Яндексе по рекламе.\n", encoding="utf-8")
    journey = analyse_transcript(read_transcript(path), book)
    assert journey.channel == "search_ads"
    assert any("billboard" in note for note in journey.transcript.notes)


def test_no_cycle_days_without_a_purchase(book, tmp_path):
    path = tmp_path / "stalled.txt"
    path.write_text("Q: Как узнали?\nA: Увидели рекламу в Яндексе, запросили КП.\nQ: Дальше?\n"
                    "A: Месяца через три тестов бюджет заморозили, так и не купили.\n", encoding="utf-8")
    journey = analyse_transcript(read_transcript(path), book)
    assert journey.furthest_stage != "bought"
    assert journey.cycle_days is None


def item(n, *stages):
    return TaggedUtterance(Utterance(n, "R", "x"), stages=list(stages))


def test_stage_path_keeps_back_steps_and_skips_recaps():
    order = ["unaware", "informed", "interested", "motivated", "bought"]
    items = [item(1, "unaware"), item(2, "informed"), item(3, "interested"), item(4, "motivated"),
             item(5, "interested"), item(6, "motivated"), item(7, "interested", "bought")]
    assert stage_path(items, order) == ["unaware", "informed", "interested", "motivated", "interested",
                                        "motivated", "bought"]
    recollection = [item(1, "informed"), item(2, "interested"), item(3, "unaware"), item(4, "motivated")]
    assert stage_path(recollection, order) == ["informed", "interested", "motivated"]


def test_the_answer_to_how_long_gives_the_cycle(book):
    from cjm.model import Transcript

    turns = ["Как вы о них узнали?", "Нам порекомендовал партнёр, я позвонила им и запросила КП.",
             "Что было потом?", "Тестировали образцы недели три, потом подписали договор и оплатили счёт.",
             "Сколько времени прошло от звонка до оплаты?", "Месяца два, наверное, не больше."]
    utterances = [Utterance(n, "I" if n % 2 else "R", text, is_interviewer=bool(n % 2)) for n, text in enumerate(turns, 1)]
    journey = analyse_transcript(Transcript(id="t", source="t.txt", language="ru", utterances=utterances), book)
    assert [t.asked_duration for t in journey.utterances] == [False, False, False, False, False, True]
    assert journey.cycle_days == 60 and journey.cycle_evidence == [6]


def tagged_story(lang, *answers):
    from cjm.model import Transcript

    utterances = []
    for i, answer in enumerate(answers):
        utterances += [Utterance(2 * i + 1, "I", "And?" if lang == "en" else "И?", is_interviewer=True),
                       Utterance(2 * i + 2, "R", answer)]
    return Transcript(id="t", source="t.txt", language=lang, utterances=utterances)


@pytest.mark.parametrize("lang, lost, not_lost", [
    ("en", "In the end we went with another vendor, they were cheaper.",
     "We didn't go with another vendor, we just ran out of budget."),
    ("ru", "В итоге выбрали другого поставщика, у них дешевле.",
     "Другого поставщика мы не выбрали, просто денег не стало."),
])
def test_outcome_is_lost_only_where_another_supplier_won_or_the_project_was_dropped(book, lang, lost, not_lost):
    opening = "We asked them for a quote and compared it." if lang == "en" else "Мы запросили у них КП и сравнили."
    journey = analyse_transcript(tagged_story(lang, opening, lost), book)
    assert journey.furthest_stage != "bought" and journey.outcome == "lost"
    journey = analyse_transcript(tagged_story(lang, opening, not_lost), book)
    assert journey.outcome == "stalled"


def test_a_purchase_is_the_bought_outcome_and_the_model_gives_each_field_a_probability(book):
    from cjm.tagger_model import default_model

    model = default_model()
    assert model is not None, "the wheel ships a model (cjm/data/tagger.zip)"
    journey = analyse_transcript(read_transcript(DATA / "ru_timestamps.txt"), book, model)
    assert journey.outcome == "bought"
    assert 0.0 < journey.confidence["furthest_stage"] <= 1.0
    assert set(journey.confidence["roles"]) == set(journey.roles)
    rules_only = analyse_transcript(read_transcript(DATA / "ru_timestamps.txt"), book)
    assert rules_only.confidence == {}  # the rules give no probability


def test_without_an_accepted_channel_the_likeliest_candidate_at_discovery_is_the_interviews():
    from cjm.journey import likeliest_channel

    def told(n, channels, informed):
        item = TaggedUtterance(utterance=Utterance(n, "R", "..."))
        item.probabilities = {"stage": {"informed": informed}, "channel": channels}
        return item

    story = [told(2, {"referral": 0.3}, 0.1), told(4, {"exhibition": 0.25}, 0.9), told(6, {"tender": 0.05}, 0.9)]
    assert likeliest_channel(story) == ("exhibition", 4)  # 0.25 at the discovery beats 0.3 elsewhere
    assert likeliest_channel(story[2:]) == (None, None)  # too faint to name a channel
    assert likeliest_channel([]) == (None, None)


def test_a_duration_longer_than_any_deal_is_not_the_cycle(book):
    from cjm.model import Transcript

    def cycle_of(answer):
        t = Transcript(id="t", source="t.txt", language="en", utterances=[
            Utterance(1, "I", "How did you find them?", is_interviewer=True),
            Utterance(2, "R", "A friend recommended them, and I called them the next day."),
            Utterance(3, "I", "How long did it take until you paid?", is_interviewer=True),
            Utterance(4, "R", answer)])
        return analyse_transcript(t, book).cycle_days

    assert cycle_of("About three months from that first call until we paid the first invoice.") == 90
    assert cycle_of("Six years from that first call until we paid the first invoice.") is None


def test_the_interviewers_recap_can_tell_the_deal_was_lost(book):
    from cjm.model import Transcript

    def outcome_of(recap):
        t = Transcript(id="t", source="t.txt", language="en", utterances=[
            Utterance(1, "I", "How did you come across them?", is_interviewer=True),
            Utterance(2, "R", "We asked them for a quote and compared it with two others."),
            Utterance(3, "I", recap, is_interviewer=True),
            Utterance(4, "R", "Yes, that's about right.")])
        return analyse_transcript(t, book).outcome

    assert outcome_of("So in the end you went elsewhere, with your old caterer?") == "lost"
    assert outcome_of("So the decision is still open, is that right?") == "stalled"


def test_a_counterfactual_clause_tells_no_cycle_length():
    from cjm.codebook import load_codebook
    from cjm.journey import durations_in

    book = load_codebook()
    lexicon = book.lexicons["durations"]
    told = "Nine and a half months, near enough. Without the freeze, I reckon it would have been four months."
    assert [d.days for d in durations_in(told, "en", lexicon, book)] == [285]
    asr = "ну от выставки до оплаты ровно год ну а если бы не заморозка то полгода"
    assert [d.days for d in durations_in(asr, "ru", lexicon, book)] == [365]
    assert [d.days for d in durations_in("Без заморозки было бы месяца два, а так вышло полгода.", "ru", lexicon, book)] == [180]
    assert [d.days for d in durations_in("It took four months, and it should take two months.", "en", lexicon, book)] == [120, 60]


def test_the_furthest_stage_has_a_probability_even_where_no_utterance_carries_it():
    from cjm.journey import field_confidence
    from cjm.model import Journey, Transcript

    told = TaggedUtterance(Utterance(2, "R", "Paid in May."), stages=["motivated"],
                           probabilities={"stage": {"motivated": 0.6, "bought": 0.3}})
    other = TaggedUtterance(Utterance(4, "R", "Fine."), probabilities={"stage": {"bought": 0.1}})
    journey = Journey(Transcript(id="t", source="t.txt", language="en", utterances=[]), [told, other])
    journey.furthest_stage = "bought"  # reached by the purchase told, as the outcome guard allows
    assert field_confidence(journey, [told, other])["furthest_stage"] == 0.3
    journey.furthest_stage = "motivated"
    assert field_confidence(journey, [told, other])["furthest_stage"] == 0.6
