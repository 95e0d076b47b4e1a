"""Aggregate: hand-built journeys (tests/data/render) -> tidy tables, tests, word lists."""

from __future__ import annotations


import pandas as pd
import pytest

from cjm import aggregate
from cjm.aggregate import build_tables, events_table, flow_links
from cjm.codebook import load_codebook

import render_fixture as fixture  # tests/render_fixture.py: the hand-built journeys of tests/data/render


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


@pytest.fixture(scope="module")
def journeys():
    return fixture.load_journeys()


@pytest.fixture(scope="module")
def tables(journeys, codebook):
    return build_tables(journeys, codebook)


def test_events_table_columns_and_order(journeys, codebook):
    events = events_table(journeys, codebook)
    for column in ["interview", "channel", "channel_group", "utterance", "sentence", "kind", "label", "stage",
                   "role", "channel_label", "quote", "speaker", "start"]:
        assert column in events.columns
    assert set(events["kind"]) == {"stage", "role", "channel"}
    assert list(events["interview"].unique()) == sorted(events["interview"].unique())
    again = events_table(list(reversed(journeys)), codebook)
    pd.testing.assert_frame_equal(events, again)  # deterministic whatever the input order


def test_events_skip_interviewer_and_use_sentence_text(journeys, codebook):
    events = events_table(journeys, codebook)
    assert not ((events["interview"] == "ru-a") & (events["utterance"] == 1)).any()  # interviewer's turn
    row = events[(events["interview"] == "ru-a") & (events["label"] == "treasurer") & (events["utterance"] == 6)].iloc[0]
    assert row["quote"] == "Главный бухгалтер проверила их через Контур."
    assert row["stage"] == "motivated"  # the stage of the same sentence
    assert row["start"] == 353


def test_role_rows_explode_over_sentence_stages(journeys, codebook):
    events = events_table(journeys, codebook)
    # ru-f: "я сам" shares its sentence with informed and interested -> one row per stage
    rows = events[(events["interview"] == "ru-f") & (events["label"] == "big_boss")]
    assert sorted(rows["stage"]) == ["informed", "interested"]
    by_stage = events[events["kind"] == "role"].groupby(["stage", "role"])["interview"].nunique()
    assert by_stage[("motivated", "treasurer")] == 4  # ru-a, ru-c, en-e, ru-g


def test_interviews_table_derives_steps_and_back_steps(tables):
    frame = tables.interviews.set_index("interview")
    assert frame.loc["ru-c", "steps"] == 7 and frame.loc["ru-c", "back_steps"] == 1
    assert bool(frame.loc["ru-b", "bought"]) is False
    assert frame.loc["ru-a", "cycle_days"] == 75


def test_flow_links_progress_back_steps_and_stall(codebook):
    links = flow_links(["unaware", "informed", "interested"], False, "interested", codebook)
    assert links == [("unaware", "informed", "forward"), ("informed", "interested", "forward"),
                     ("interested", "stalled:interested", "stall")]
    links = flow_links(["interested", "motivated", "interested", "motivated", "bought", "interested"], True,
                       "bought", codebook)
    assert links == [("interested", "motivated", "forward"), ("motivated", "back:interested", "back"),
                     ("motivated", "bought", "forward")]  # after the first purchase: after-sales, not steps
    assert flow_links(["informed", "interested", "bought"], True, "bought", codebook)[-1] == (
        "interested", "bought", "skip")
    assert flow_links(["informed", "motivated"], False, "motivated", codebook)[0][2] == "skip"


def test_transitions_keep_back_steps_and_stalls(tables):
    cold = tables.groups["cold_inbound"].transitions
    kinds = {(a, b): k for a, b, k in zip(cold["source"], cold["target"], cold["kind"])}
    steps = {(a, b): k for a, b, k in zip(cold["source"], cold["target"], cold["steps"])}
    assert kinds[("motivated", "interested")] == "back"
    assert kinds[("interested", "stalled:interested")] == "stall"
    assert steps[("interested", "motivated")] == 3  # ru-c twice, en-e once
    flows = tables.groups["cold_inbound"].flows
    assert ("motivated", "back:interested") in set(zip(flows["source"], flows["target"]))
    event = tables.groups["event"].transitions
    assert list(event[event["target"] == "bought"]["kind"]) == ["skip"]


def test_funnel_counts_furthest_stage(tables):
    funnel = tables.groups["referral"].funnel.set_index("stage")
    assert funnel.loc["motivated", "reached"] == 3
    assert funnel.loc["bought", "reached"] == 2
    assert funnel.loc["motivated", "stalled_here"] == 1
    assert (funnel["n"] == 3).all()


def test_first_contact_and_dmu_order(tables):
    referral = tables.groups["referral"]
    fc = referral.first_contact.set_index("role")["interviews"]
    assert fc["big_boss"] == 2 and fc["gatekeeper"] == 1
    dmu = referral.dmu.set_index("role")
    assert dmu.loc["guru", "first"] == 2  # the recommender enters first in two referral interviews
    assert dmu.index[0] == "guru"
    assert dmu.loc["treasurer", "approves"] == 2
    assert all(ref.quote for ref in dmu.loc["guru", "refs"])


def test_cells_have_lanes_with_evidence(tables):
    cells = {c.stage: c for c in tables.groups["referral"].cells}
    informed = cells["informed"]
    assert informed.interviews == 3
    assert {i.key for i in informed.touchpoints} >= {"channel:referral", "channel:partner"}
    assert {i.key: i.interviews for i in informed.roles}["guru"] == 3
    assert 2 <= len(informed.quotes) <= 3
    assert len({q.interview for q in informed.quotes}) == len(informed.quotes)  # different interviews first
    motivated = cells["motivated"]
    assert motivated.days_n == 3 and motivated.days_median == 14  # two weeks, "недели две", "Неделю" x2
    assert motivated.pains  # "дорого и бюджета нет"
    for item in informed.actions + informed.touchpoints + informed.roles:
        assert item.refs and item.interviews == len({r.interview for r in item.refs})


def test_mood_per_stage_both_languages(tables):
    cells = {c.stage: c for c in tables.groups["referral"].cells}
    assert cells["unaware"].mood is not None and cells["unaware"].mood < 0  # сорвали, тяжело, missing
    bought = cells["bought"]  # under three toned sentences: not enough evidence, no number
    assert bought.mood_n < 3 and bought.mood is None
    # mean tone of the toned sentences, each -1 .. 1 (сорвали, тяжело, missing: all negative); under 3: none
    assert {s: (c.mood, c.mood_n) for s, c in cells.items()} == {
        "unaware": (-1.0, 3), "informed": (0.33, 3), "interested": (None, 0), "motivated": (-0.33, 3), "bought": (None, 1)}


@pytest.mark.parametrize("text, lang, expected", [
    ("Покраска мне сначала не понравилась.", "ru", (0, 1)),
    ("Всё понравилось, удобно, быстро ответили.", "ru", (3, 0)),
    ("Было дорого, процентов на пятнадцать выше.", "ru", (0, 1)),
    ("Всё было отлично, без проблем.", "ru", (2, 0)),  # "без проблем" is praise
    ("It was not good, and the pricing was a concern.", "en", (0, 2)),
    ("They were flexible and great to work with.", "en", (2, 0)),
    ("Something like that, I guess.", "en", (0, 0)),  # "like" the preposition is no tone
])
def test_tone_is_recorded_by_the_tag_stage(text, lang, expected):
    item = tagged_one(text, lang)
    assert [(n.positive, n.negative) for n in item.notes] == [expected]


def test_comparison_reports_n_and_noise(tables):
    c = tables.comparison
    assert (c.a, c.b) == ("cold_inbound", "referral")
    assert (c.conversion.a_k, c.conversion.a_n, c.conversion.b_k, c.conversion.b_n) == (1, 3, 2, 3)
    assert c.conversion.p == pytest.approx(1.0) and c.conversion.noise
    assert c.cycle_days.p is None and c.cycle_days.noise  # one value on a side: nothing to test
    assert c.cycle_days.b == [42.0, 75.0]
    assert (c.steps.a, c.steps.b) == ([4.0, 3.0, 7.0], [5.0, 5.0, 4.0])
    assert c.steps.p == pytest.approx(0.8221867672) and c.steps.noise  # two-sided Mann-Whitney
    heat = c.roles_by_stage["b"]
    assert heat.loc["informed", "guru"] == pytest.approx(1.0)


def test_comparison_of_channels_and_unknown_keys(journeys, codebook):
    tables = build_tables(journeys, codebook, compare_keys=("search_ads", "referral"))
    assert tables.comparison.a_kind == "channel" and tables.comparison.a_ids == ["en-e", "ru-b"]
    from cjm.errors import UsageError

    with pytest.raises(UsageError) as error:  # an unknown id is an error naming the valid ones
        build_tables(journeys, codebook, compare_keys=("nope", "referral"))
    assert "nope" in str(error.value) and "cold_inbound" in str(error.value) and "search_ads" in str(error.value)


def test_empty_input(codebook):
    tables = build_tables([], codebook)
    assert tables.events.empty and tables.groups == {}


def test_fisher_and_mann_whitney():
    assert aggregate.fisher(9, 10, 1, 10) < 0.05
    assert aggregate.mann_whitney([1, 2, 3, 4, 5], [20, 21, 22, 23, 24]) < 0.05
    assert aggregate.mann_whitney([1], [2, 3]) is None


def test_dates_in_any_local_format():
    import datetime as dt

    assert aggregate.iso_date(dt.date(2024, 10, 17)) == "2024-10-17"
    assert aggregate.iso_date("12.09.2024") == "2024-09-12"
    assert aggregate.iso_date("September 12, 2024") == "2024-09-12"
    assert aggregate.iso_date("soon") is None
    assert aggregate.iso_date("") is None and aggregate.iso_date(None) is None and aggregate.iso_date("  ") is None


def test_every_shipped_word_list_entry_compiles():
    from cjm.rules import compile_patterns

    data = aggregate.lexicon()
    lists = [data["tone"][k] for k in ("negators", "positive", "negative")] + [data["pains"], data["questions"],
                                                                             data["objection_topics"]]
    lists += list(data["stage_time"].values())
    for by_lang in lists:
        for lang in ("ru", "en"):
            for entry in by_lang.get(lang) or []:
                assert isinstance(entry, str), entry  # YAML reads a bare no/on as a boolean
                assert compile_patterns(entry, lang)


def test_aggregation_never_parses(monkeypatch, journeys, codebook):
    """The tables are counted from what the tag stage recorded: no NLP pipeline is called."""
    import cjm.nlp

    def refuse(*args, **kwargs):
        raise AssertionError("aggregate called an NLP pipeline")

    monkeypatch.setattr(cjm.nlp, "pipeline", refuse)
    monkeypatch.setattr(cjm.nlp, "russian_lemma", refuse)
    build_tables(journeys, codebook)


# --------------------------------------------------------------------------- lanes on crafted interviews

def tagged_one(text: str, lang: str):
    """One respondent utterance through the real tag stage (rules only)."""
    from cjm.model import Transcript, Utterance
    from cjm.tag import tag_transcript

    utterances = [Utterance(1, "Interviewer", "Tell me more." if lang == "en" else "Расскажите.", True),
                  Utterance(2, "Respondent", text)]
    return tag_transcript(Transcript("t", "t.txt", lang, utterances), load_codebook(), None)[1]


def crafted(lang: str, texts: list[str], *, cycle_days=None, ident="c-1"):
    """An interview of respondent turns through the real tag stage and journey derivation."""
    from cjm.journey import derive_journey
    from cjm.model import Transcript, Utterance
    from cjm.tag import tag_transcript

    utterances = []
    for i, text in enumerate(texts):
        utterances.append(Utterance(2 * i + 1, "Interviewer", "And then?" if lang == "en" else "А дальше?", True))
        utterances.append(Utterance(2 * i + 2, "Respondent", text))
    transcript = Transcript(ident, f"{ident}.txt", lang, utterances, channel="referral")
    journey = derive_journey(transcript, tag_transcript(transcript, load_codebook(), None), load_codebook())
    if cycle_days is not None:
        journey.cycle_days = cycle_days
    return journey


def lane(tables, stage: str, name: str):
    group = next(iter(tables.groups.values()))
    return getattr(next(c for c in group.cells if c.stage == stage), name)


def test_a_negated_visit_is_no_touchpoint(codebook):
    journey = crafted("en", ["A friend recommended them to our CEO.",
                             "We never did a site visit, to be honest.",
                             "We asked for a quote and signed the contract in May."])
    item = journey.utterances[3]
    assert [m.label for m in item.suppressed_events] == ["site_visit"] and not item.events
    tables = build_tables([journey], codebook, compare_keys=None)
    keys = {i.key for c in next(iter(tables.groups.values())).cells for i in c.touchpoints}
    assert "event:site_visit" not in keys
    visited = crafted("en", ["A friend recommended them to our CEO.", "We visited their factory in March."])
    tables = build_tables([visited], codebook, compare_keys=None)
    keys = {i.key for c in next(iter(tables.groups.values())).cells for i in c.touchpoints}
    assert "event:site_visit" in keys


def test_a_role_word_is_no_site_visit():
    assert not tagged_one("Начальник производства.", "ru").events
    assert [m.label for m in tagged_one("Потом мы съездили к ним на завод.", "ru").events] == ["site_visit"]


def test_actions_sit_at_their_own_stage(codebook):
    journey = crafted("en", ["A friend recommended them, and we signed the contract a month later."])
    tables = build_tables([journey], codebook, compare_keys=None)
    assert "signed" in {i.key for i in lane(tables, "bought", "actions")}
    assert "signed" not in {i.key for i in lane(tables, "informed", "actions")}


def test_a_price_per_month_is_no_time_spent(codebook):
    item = tagged_one("It costs forty-five pounds a user a month, and it took us a while to agree.", "en")
    assert item.durations == []
    assert tagged_one("We signed a three-year commitment after we waited.", "en").durations == []
    assert tagged_one("The year before we waited for them.", "en").durations == []
    assert [d.days for d in tagged_one("The approval took two weeks.", "en").durations] == [14]
    assert tagged_one("Стоит двадцать тысяч рублей в месяц, ждать не пришлось.", "ru").durations == []
    assert [d.days for d in tagged_one("Согласование заняло недели две.", "ru").durations] == [14]


def test_time_in_a_stage_is_never_more_than_the_cycle(codebook):
    texts = ["A friend recommended them to our CEO.", "We asked for a quote and the approval took two months.",
             "We paid the invoice in May."]
    long = crafted("en", texts, cycle_days=20)
    tables = build_tables([long], codebook, compare_keys=None)
    assert all(c.days_median is None for c in next(iter(tables.groups.values())).cells)  # 60 days > a 20-day cycle
    fits = crafted("en", texts, cycle_days=90)
    tables = build_tables([fits], codebook, compare_keys=None)
    assert any(c.days_median == 60 for c in next(iter(tables.groups.values())).cells)


def test_a_positive_quote_is_no_pain(codebook):
    praise = tagged_one("There was no problem at all, the delivery came on time and it was great.", "en")
    assert not any(n.pain for n in praise.notes) and praise.notes[0].tone > 0
    resolved = tagged_one("The cartons go through the erector without jamming, which was the one thing Gareth "
                          "had been worried about.", "en")
    assert not any(n.pain for n in resolved.notes)  # a worry resolved is praise
    pain = tagged_one("The delay was a real problem for us.", "en")
    assert any(n.pain for n in pain.notes)
    assert not any(n.pain for n in tagged_one("The price was fine, we were happy.", "en").notes)  # topic, not pain
    assert any(n.pain for n in tagged_one("The price was too expensive, a real problem.", "en").notes)
    # a payment term told plainly is the story, not a pain; told with a complaint it is one
    assert not any(n.pain for n in tagged_one("Договор подписал в мае, через несколько дней аванс отправили.", "ru").notes)
    assert any(n.pain for n in tagged_one("Аванс в пятьдесят процентов нас сильно напряг, было неприятно.", "ru").notes)
    assert not any(n.pain for n in tagged_one("We paid the upfront part in June.", "en").notes)
    assert any(n.pain for n in tagged_one("Paying everything upfront was awful for our cash flow.", "en").notes)


def test_mood_needs_three_toned_sentences(codebook):
    few = crafted("en", ["A friend recommended them to our CEO. It was great."])
    tables = build_tables([few], codebook, compare_keys=None)
    assert lane(tables, "informed", "mood") is None and lane(tables, "informed", "mood_n") == 2  # recommended, great
    enough = crafted("en", ["A friend recommended them to our CEO. It was great. Sadly, some of it was awful."])
    tables = build_tables([enough], codebook, compare_keys=None)
    cells = next(iter(tables.groups.values())).cells
    assert [round(c.mood, 2) for c in cells if c.mood is not None] == [0.33]  # (1 + 1 - 1) / 3


def test_a_journey_with_no_stage_told_has_no_path_without_loading_the_tag_stage(tmp_path):
    """A cached journey that told no stage (stage_path []) must not import cjm.journey, which
    loads spaCy: a re-run from the cache would pay a second for an empty list."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys\n"
            "from cjm.aggregate import stage_path\nfrom cjm.codebook import load_codebook\n"
            "from cjm.model import Journey, TaggedUtterance, Transcript, Utterance\n"
            "u = [Utterance(1, 'Q', 'Hello?', is_interviewer=True), Utterance(2, 'A', 'Weather talk.')]\n"
            "told = sys.argv[1] == 'told'\n"
            "tagged = [TaggedUtterance(u[0]), TaggedUtterance(u[1], stages=['informed'] if told else [])]\n"
            "j = Journey(Transcript(id='x', source='x.txt', language='en', utterances=u), tagged)\n"
            "print(stage_path(j, load_codebook()), 'cjm.journey' in sys.modules)\n")
    root = Path(__file__).resolve().parents[1]

    def run(arg: str) -> str:
        return subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, cwd=root,
                              check=True).stdout.strip()

    assert run("silent") == "[] False"
    assert run("told") == "['informed'] True"  # a journey made elsewhere, its path not derived yet
