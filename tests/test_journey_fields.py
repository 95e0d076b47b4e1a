"""Journey fields from hand-made tagged utterances (no parsing): each rule of cjm.journey with a case
that must give the field and one that must not."""

import pytest

from cjm import journey as J
from cjm.codebook import load_codebook
from cjm.evidence import LOST_DEAL
from cjm.model import Mention, TaggedUtterance, Transcript, Utterance

STAGES = ["unaware", "informed", "interested", "motivated", "bought"]


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def told(n, text="x", stages=(), roles=(), channels=(), mentions=None, sentence=0, origin="pattern", **kw):
    """A respondent utterance whose labels are each backed by a mention in `sentence`."""
    if mentions is None:
        mentions = [Mention(kind, label, 0, len(text), text, sentence, origin=origin)
                    for kind, labels in (("stage", stages), ("role", roles), ("channel", channels)) for label in labels]
    sentences = kw.pop("sentences", [(0, len(text))])
    return TaggedUtterance(Utterance(n, "R", text), stages=list(stages), roles=list(roles), channels=list(channels),
                           mentions=mentions, sentences=sentences, **kw)


def transcript(language="en", channel=None):
    metadata = {"channel": channel} if channel else {}
    return Transcript(id="t", source="t.txt", language=language, utterances=[], metadata=metadata, channel=channel)


# --------------------------------------------------------------------------- channel

def test_the_channel_where_discovery_is_told_wins_over_one_named_first():
    story = [told(2, channels=["exhibition"]), told(4, stages=["informed"], channels=["referral"])]
    assert J.detect_channel(story, load_codebook()) == ("referral", 4)
    assert J.detect_channel(story[:1], load_codebook()) == ("exhibition", 2)
    assert J.detect_channel([told(2, stages=["informed"])], load_codebook()) == (None, None)


def test_the_channel_in_the_discovery_sentence_comes_first():
    item = told(2, stages=["informed"], channels=["exhibition", "referral"], mentions=[
        Mention("channel", "exhibition", 0, 1, "x", 0), Mention("stage", "informed", 2, 3, "x", 1),
        Mention("channel", "referral", 4, 5, "x", 1)])
    assert J.detect_channel([item], load_codebook()) == ("referral", 2)
    item.mentions[1] = Mention("stage", "informed", 2, 3, "x", 2)  # discovery told in a sentence with no channel
    assert J.detect_channel([item], load_codebook()) == ("exhibition", 2)


def test_detect_channel_by_rules():
    assert J.detect_channel_by_rules([told(2, channels=["tender"]), told(4, stages=["informed"], channels=["referral"])]) \
        == "referral"
    assert J.detect_channel_by_rules([told(2, channels=["tender"]), told(4, stages=["informed"])]) == "tender"
    assert J.detect_channel_by_rules([told(2, stages=["informed"])]) is None


def test_the_likeliest_channel_needs_p_0_1():
    def faint(p):
        item = told(2)
        item.probabilities = {"stage": {}, "channel": {"tender": p}}
        return [item]

    assert J.MIN_CHANNEL_P == 0.1
    assert J.likeliest_channel(faint(0.1)) == ("tender", 2)
    assert J.likeliest_channel(faint(0.09)) == (None, None)
    a, b = told(2), told(4)
    a.probabilities = {"channel": {"referral": 0.3}}
    b.probabilities = {"channel": {"tender": 0.3}}
    assert J.likeliest_channel([a, b]) == ("referral", 2)  # a tie keeps the first


def test_a_discovery_told_without_a_channels_name_still_gives_the_channel_its_words_tell(book):
    aside, discovery = told(2), told(4, stages=["informed"])
    aside.probabilities = {"stage": {"informed": 0.1}, "channel": {"tender": 0.05}}
    discovery.probabilities = {"stage": {"informed": 0.8}, "channel_told": {"referral": 0.45, "partner": 0.3}}
    assert J.likeliest_channel([aside, discovery]) == ("referral", 4)
    journey = J.derive_journey(transcript(), [aside, discovery], book)
    assert (journey.channel, journey.channel_evidence) == ("referral", 4)
    assert journey.confidence["channel"] == 0.45  # the classifier's probability, where no candidate gave one
    discovery.probabilities["channel_told"] = {"referral": 0.05}
    assert J.likeliest_channel([aside, discovery]) == (None, None)  # too faint either way


def test_a_candidates_probability_stands_over_what_the_words_tell_for_the_confidence():
    item = told(2, stages=["informed"])
    item.probabilities = {"stage": {"informed": 0.8}, "channel": {"referral": 0.2},
                          "channel_told": {"referral": 0.9, "partner": 0.3}}
    assert J.channel_probabilities(item) == {"referral": 0.2, "partner": 0.3}
    assert J.probability(item, "channel", "referral") == 0.2 and J.probability(item, "channel", "partner") == 0.3
    assert J.probability(item, "role", "partner") is None


def scored(n, informed=0.0, channel=None, words=None):
    item = told(n)
    item.probabilities = {"stage": {"informed": informed}, "channel": channel or {}, "channel_told": words or {}}
    return item


def test_the_likeliest_channel_is_the_mean_of_its_best_candidate_and_its_best_words():
    # a candidate the words agree with beats a likelier one they do not (0.5 * 1.3 + 0.6 * 1.3 > 0.7 * 1.3 + 0)
    story = [scored(2, 0.8, channel={"search_ads": 0.7, "organic_search": 0.5}, words={"organic_search": 0.6})]
    assert J.likeliest_channel(story) == ("organic_search", 2)
    story = [scored(2, 0.8, channel={"search_ads": 0.7, "organic_search": 0.5}, words={"organic_search": 0.1})]
    assert J.likeliest_channel(story) == ("search_ads", 2)
    # each part is the best over the interview, the candidate's utterance the evidence
    story = [scored(2, 0.0, channel={"referral": 0.9}), scored(4, 0.9, words={"referral": 0.5, "exhibition": 0.6}),
             scored(6, 0.9, channel={"exhibition": 0.2})]
    assert J.likeliest_channel(story) == ("referral", 2)  # 0.45 + 0.7 against 0.28 + 0.84
    story[0].probabilities["channel"]["referral"] = 0.8
    assert J.likeliest_channel(story) == ("exhibition", 6)  # 0.4 + 0.7 against 0.28 + 0.84
    # words alone point at their own utterance; each probability under 0.1 is left out
    story = [scored(2, 0.9, words={"partner": 0.4}), scored(4, 0.9, channel={"partner": 0.09}, words={"partner": 0.09})]
    assert J.likeliest_channel(story) == ("partner", 2)
    assert J.likeliest_channel([scored(2, 0.9, channel={"partner": 0.09}, words={"cold_call": 0.05})]) == (None, None)


def test_with_the_words_read_the_model_weighs_the_channel_rather_than_taking_the_accepted_one(book):
    accepted = told(2, stages=["informed"], channels=["exhibition"])
    accepted.probabilities = {"stage": {"informed": 0.9}, "channel": {"exhibition": 0.55}}
    words = told(4, stages=["informed"])
    words.probabilities = {"stage": {"informed": 0.9}, "channel": {"referral": 0.45},
                           "channel_told": {"referral": 0.7, "exhibition": 0.1}}
    journey = J.derive_journey(transcript(), [accepted, words], book)
    assert (journey.channel, journey.channel_evidence, journey.channel_source) == ("referral", 4, "detected")
    del words.probabilities["channel_told"]  # an older model: the accepted channel at the discovery, as before
    journey = J.derive_journey(transcript(), [accepted, words], book)
    assert (journey.channel, journey.channel_evidence) == ("exhibition", 2)


def test_front_matter_channel_wins_and_an_unknown_one_is_noted(book):
    story = [told(2, stages=["informed"], channels=["referral"])]
    j = J.derive_journey(transcript(channel="exhibition"), story, book)
    assert (j.channel, j.channel_source, j.channel_group) == ("exhibition", "metadata", "event")
    t = transcript(channel="billboard")
    j = J.derive_journey(t, story, book)
    assert (j.channel, j.channel_source, j.channel_evidence) == ("referral", "detected", 2)
    assert len(t.notes) == 1 and "billboard" in t.notes[0]
    j = J.derive_journey(transcript(), [told(2, stages=["informed"])], book)
    assert (j.channel, j.channel_source, j.channel_group) == (None, None, None)


def test_without_a_labelled_channel_the_model_candidate_is_taken(book):
    item = told(2, stages=["informed"])
    item.probabilities = {"stage": {"informed": 0.9}, "channel": {"partner": 0.4}}
    j = J.derive_journey(transcript(), [item], book)
    assert (j.channel, j.channel_source, j.channel_evidence) == ("partner", "detected", 2)


# --------------------------------------------------------------------------- stages, roles, outcome

def test_furthest_stage_roles_and_outcome(book):
    story = [told(2, stages=["informed"], roles=["treasurer"]), told(4, stages=["motivated"], roles=["big_boss"]),
             told(6, stages=["interested"])]
    j = J.derive_journey(transcript(), story, book)
    assert j.furthest_stage == "motivated" and j.roles == ["big_boss", "treasurer"]  # codebook order
    assert j.outcome == "stalled" and j.stage_path == ["informed", "motivated", "interested"]
    story[2].cues.add(LOST_DEAL)
    assert J.derive_journey(transcript(), story, book).outcome == "lost"
    bought = story + [told(8, "We paid the first invoice.", stages=["bought"])]
    assert J.derive_journey(transcript(), bought, book).outcome == "bought"  # a purchase beats a lost-deal cue
    labelled_only = story + [told(8, "It went well.", stages=["bought"])]
    j = J.derive_journey(transcript(), labelled_only, book)  # a `bought` label with no purchase told as done
    assert (j.outcome, j.furthest_stage) == ("lost", "motivated")
    j = J.derive_journey(transcript(), [told(2)], book)
    assert j.furthest_stage is None and j.outcome is None and j.confidence == {}


def test_the_interviewers_lost_deal_recap_counts(book):
    question = TaggedUtterance(Utterance(3, "I", "So you went elsewhere?", is_interviewer=True), cues={LOST_DEAL})
    story = [told(2, stages=["interested"]), question]
    assert J.derive_journey(transcript(), story, book).outcome == "lost"
    question.cues = set()
    assert J.derive_journey(transcript(), story, book).outcome == "stalled"


def test_stage_path_collapses_repeats_and_keeps_the_front_of_a_recap():
    assert J.stage_path([told(2, stages=["informed"]), told(4, stages=["informed"]), told(6, stages=["interested"])],
                        STAGES) == ["informed", "interested"]
    # "from the request to the payment": a recap from an earlier stage to a later one moves forward only
    recap = [told(2, stages=["interested"]), told(4, stages=["motivated"]), told(6, stages=["interested", "bought"])]
    assert J.stage_path(recap, STAGES) == ["interested", "motivated", "bought"]
    back = [told(2, stages=["motivated"]), told(4, stages=["informed", "interested"])]
    assert J.stage_path(back, STAGES) == ["motivated", "informed", "interested"]
    assert J.stage_path([told(2, stages=["unaware"]), told(4, stages=["unaware", "informed"])], STAGES) == \
        ["unaware", "informed"]
    assert J.stage_path([told(2, stages=["informed"]), told(4, stages=["unaware"])], STAGES) == ["informed"]
    assert J.stage_path([], STAGES) == []


# --------------------------------------------------------------------------- first contact

PRIORITY = ["gatekeeper", "expert", "big_boss", "user", "treasurer"]


def test_first_contact_starts_at_the_first_contact_stage():
    story = [told(2, stages=["unaware"], roles=["big_boss"]), told(4, stages=["informed"], roles=["expert"])]
    assert J.detect_first_contact(story, PRIORITY) == ("expert", 4)
    assert J.detect_first_contact(story[:1], PRIORITY) == (None, None)
    # once started, a later utterance with people counts
    story = [told(2, stages=["informed"]), told(4, roles=["gatekeeper"])]
    assert J.detect_first_contact(story, PRIORITY) == ("gatekeeper", 4)


def test_a_carried_stage_does_not_start_the_first_contact():
    story = [told(2, stages=["informed"], roles=["expert"], origin="carried")]
    assert J.detect_first_contact(story, PRIORITY) == (None, None)


def test_the_recommender_is_not_the_first_contact():
    assert J.detect_first_contact([told(2, stages=["informed"], roles=["guru"])], PRIORITY) == (None, None)
    assert J.detect_first_contact([told(2, stages=["informed"], roles=["guru", "big_boss"])], PRIORITY) == ("big_boss", 2)


def test_the_priority_decides_between_people_of_one_utterance():
    assert J.detect_first_contact([told(2, stages=["interested"], roles=["big_boss", "gatekeeper"])], PRIORITY) == \
        ("gatekeeper", 2)
    assert J.detect_first_contact([told(2, stages=["interested"], roles=["big_boss", "expert"])], PRIORITY) == ("expert", 2)


def test_users_and_treasurers_are_the_last_resort():
    story = [told(2, stages=["interested"], roles=["treasurer"]), told(4, roles=["big_boss"])]
    assert J.detect_first_contact(story, PRIORITY) == ("big_boss", 4)
    assert J.detect_first_contact(story[:1], PRIORITY) == ("treasurer", 2)
    assert J.detect_first_contact([told(2, stages=["interested"], roles=["mystery", "expert"])], PRIORITY) == ("expert", 2)
    assert J.detect_first_contact([told(2, stages=["interested"], roles=["mystery", "user"])], PRIORITY) == ("user", 2)
    assert J.detect_first_contact([told(2, stages=["interested"], roles=["mystery"])], PRIORITY) == ("mystery", 2)


def test_after_a_recommendation_the_first_contact_is_the_first_request(book):
    story = [told(2, stages=["informed"], roles=["big_boss"]), told(4, stages=["interested"], roles=["gatekeeper"])]
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["referral"])] + story, book)
    assert (j.first_contact_role, j.first_contact_evidence) == ("gatekeeper", 4)
    # at a stand or on a cold call, the discovery is the contact
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["exhibition"])] + story, book)
    assert (j.first_contact_role, j.first_contact_evidence) == ("big_boss", 2)
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["cold_call"])] + story, book)
    assert j.first_contact_role == "big_boss"
    # no request told at all: the discovery's people after all
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["referral"])] + story[:1], book)
    assert j.first_contact_role == "big_boss"


# --------------------------------------------------------------------------- cycle days

def cycle_story(answer, language="en", asked=False, cues=None, stages=("bought",), sentence_stage=True):
    item = told(4, answer, stages=stages, mentions=[Mention("stage", s, 0, 1, "x", 0) for s in stages] if sentence_stage
                else [], cycle_cues=[set(cues or ())], asked_duration=asked)
    return [told(2, "We found them.", stages=["informed"]), item]


def test_no_cycle_without_a_purchase(book):
    story = cycle_story("About three months from the first call until we paid.", asked=True)
    assert J.derive_journey(transcript(), story, book).cycle_days == 90
    # a purchase label alone is not a purchase: none is told as done, so the deal did not close
    story = cycle_story("About three months from the first call until the trial ended.", asked=True)
    j = J.derive_journey(transcript(), story, book)
    assert j.cycle_days is None and j.cycle_evidence == [] and j.outcome == "stalled"


def test_a_duration_needs_a_score_of_two(book):
    days = lambda story: J.detect_cycle_days(story, "en", book)  # noqa: E731
    assert J.MIN_CYCLE_SCORE == 2.0
    # a bought sentence (1) and a bought utterance (0.5): 1.5, not enough
    assert days(cycle_story("It took three months.")) == (None, [])
    # plus one cue around it: 2.5
    assert days(cycle_story("It took three months.", cues={"a"})) == (90, [4])
    # exactly two: two cues, no stage in the sentence or the utterance
    assert days(cycle_story("It took three months.", cues={"a", "b"}, stages=())) == (90, [4])
    assert days(cycle_story("It took three months.", cues={"a"}, stages=())) == (None, [])
    # the answer to "how long?" is enough alone (3)
    assert days(cycle_story("Three months.", asked=True, stages=())) == (90, [4])


def test_cues_elsewhere_in_the_utterance_count_half(book):
    item = told(4, "It took three months. From the call to the payment.", stages=(), mentions=[],
                sentences=[(0, 21), (22, 51)], cycle_cues=[set(), {"a", "b", "c", "d"}])
    assert J.detect_cycle_days([item], "en", book) == (90, [4])  # 0.5 * 4 = 2
    item.cycle_cues = [set(), {"a", "b", "c"}]
    assert J.detect_cycle_days([item], "en", book) == (None, [])  # 1.5


def test_the_best_scored_duration_wins_and_ties_keep_the_first(book):
    a = told(2, "It took two months.", stages=["bought"], cycle_cues=[{"a", "b"}])
    b = told(4, "It took five months.", stages=["bought"], cycle_cues=[{"a", "b"}])
    assert J.detect_cycle_days([a, b], "en", book) == (60, [2])
    b.asked_duration = True
    assert J.detect_cycle_days([a, b], "en", book) == (150, [4])


def test_advice_and_out_of_range_durations_are_not_the_cycle(book):
    story = cycle_story("It took three months.", asked=True)
    story[1].asked = "advice"
    assert J.detect_cycle_days(story, "en", book) == (None, [])
    assert J.detect_cycle_days(cycle_story("Five days.", asked=True), "en", book) == (None, [])  # < 10 days
    assert J.detect_cycle_days(cycle_story("Ten days.", asked=True), "en", book) == (10, [4])  # the limit is in
    assert J.detect_cycle_days(cycle_story("Two years.", asked=True), "en", book) == (730, [4])
    assert J.detect_cycle_days(cycle_story("Three years.", asked=True), "en", book) == (None, [])


def test_the_longest_duration_of_a_sentence_is_taken(book):
    assert J.detect_cycle_days(cycle_story("Two weeks of tests, three months in all.", asked=True), "en", book) == (90, [4])


def test_a_language_without_a_duration_lexicon_gives_no_cycle(book):
    assert J.detect_cycle_days(cycle_story("Three months.", asked=True), "de", book) == (None, [])


def test_two_months_in_one_bought_sentence_give_the_cycle():
    lex = load_codebook().lexicons["durations"]
    item = told(4, "We met in January and paid in March.", stages=["bought"])
    assert J.cycle_from_months([item], "en", lex) == (60, [4])
    assert J.cycle_from_months([item], "en", lex, shortest=60) == (60, [4])
    assert J.cycle_from_months([item], "en", lex, shortest=61) == (None, [])
    item.mentions = [Mention("stage", "interested", 0, 1, "x", 0)]
    assert J.cycle_from_months([item], "en", lex) == (None, [])


def test_first_contact_month_to_payment_month():
    lex = load_codebook().lexicons["durations"]
    first = told(2, "We called them in January.", stages=["interested"])
    paid = told(4, "We paid in March.", stages=["bought"])
    assert J.cycle_from_months([first, paid], "en", lex) == (60, [2, 4])
    assert J.cycle_from_months([paid, first], "en", lex) == (None, [])  # the payment must come after
    assert J.cycle_from_months([first], "en", lex) == (None, [])
    assert J.cycle_from_months([first, paid], "en", lex, shortest=61) == (None, [])
    later = told(3, "In February we called again.", stages=["informed"])
    assert J.cycle_from_months([first, later, paid], "en", lex) == (60, [2, 4])  # the first contact is the first


def test_dates_are_the_fallback_of_detect_cycle_days(book):
    first = told(2, "We called them in January.", stages=["interested"])
    paid = told(4, "We paid in March.", stages=["bought"])
    assert J.detect_cycle_days([first, paid], "en", book) == (60, [2, 4])


# --------------------------------------------------------------------------- confidence

def test_cycle_confidence_tells_how_the_cycle_was_found():
    j = J.Journey(transcript=transcript(), utterances=[])
    a, b = told(2), told(4)
    by_n = {2: a, 4: b}
    assert J.cycle_confidence(j, by_n) == 0.3
    j.cycle_days, j.cycle_evidence = 60, [2]
    assert J.cycle_confidence(j, by_n) == 0.7
    j.cycle_evidence = [2, 4]
    assert J.cycle_confidence(j, by_n) == 0.5
    b.asked_duration = True
    assert J.cycle_confidence(j, by_n) == 0.9


def test_field_confidence_reads_the_models_probabilities(book):
    a = told(2, stages=["informed"], channels=["referral"], roles=["expert"])
    a.probabilities = {"stage": {"informed": 0.6}, "channel": {"referral": 0.7}, "role": {"expert": 0.4}}
    b = told(4, stages=["interested"], roles=["expert", "big_boss"])
    b.probabilities = {"stage": {"interested": 0.8}, "role": {"expert": 0.9, "big_boss": 0.55}}
    c = told(6, stages=["interested"])
    c.probabilities = {"stage": {"interested": 0.65}}
    j = J.derive_journey(transcript(), [a, b, c], book)
    assert j.confidence["channel"] == 0.7
    assert j.confidence["furthest_stage"] == 0.8  # the best of the two
    assert j.outcome == "stalled" and j.confidence["outcome"] == 1.0  # nothing had any P(bought)
    c.probabilities["stage"]["bought"] = 0.3
    assert J.derive_journey(transcript(), [a, b, c], book).confidence["outcome"] == 0.7
    paid = told(8, "We paid the first invoice.", stages=["bought"])
    paid.probabilities = {"stage": {"bought": 0.6}}
    j = J.derive_journey(transcript(), [a, b, c, paid], book)
    assert j.outcome == "bought" and j.confidence["outcome"] == 0.8  # 0.5 + 0.5 * P(bought) where it is told
    j = J.derive_journey(transcript(), [a, b, c], book)
    assert j.confidence["roles"] == {"big_boss": 0.55, "expert": 0.9}
    assert j.confidence["first_contact_role"] == 0.9  # "expert" at utterance 4, the first request
    assert j.confidence["cycle_days"] == 0.3
    j = J.derive_journey(transcript(channel="exhibition"), [a, b, c], book)
    assert j.confidence["channel"] == 1.0


def test_probability_of_a_missing_item_or_label():
    item = told(2)
    item.probabilities = {"role": {"expert": 0.4}}
    assert J.probability(item, "role", "expert") == 0.4
    assert J.probability(item, "role", "user") is None and J.probability(item, "stage", "x") is None
    assert J.probability(None, "role", "expert") is None and J.probability(item, "role", None) is None


# --------------------------------------------------------------------------- cycle days from dates, whole-deal answers

def dated_story():
    """A referral: recommended in November, first call in mid-December, paid in early February."""
    return [told(2, "Lesha recommended them in November.", stages=["informed"], channels=["referral"]),
            told(4, "I called them in mid-December.", stages=["interested"]),
            told(6, "We signed the contract at the end of January and paid the deposit in early February.",
                 stages=["bought"])]


def test_the_cycle_runs_from_the_first_contact_date_to_the_first_payment_date(book):
    j = J.derive_journey(transcript(), dated_story(), book)
    assert (j.cycle_days, j.cycle_evidence) == (50, [4, 6])  # mid-December -> early February, not from November
    # at a stand the discovery is the contact
    story = dated_story()
    story[0].channels = ["exhibition"]
    story[0].mentions = [Mention("stage", "informed", 0, 1, "x", 0), Mention("channel", "exhibition", 0, 1, "x", 0)]
    assert J.derive_journey(transcript(), story, book).cycle_days == 80
    # no purchase told with a month: no pair
    story = dated_story()
    story[2] = told(6, "We signed the contract and paid the deposit.", stages=["bought"])
    assert J.derive_journey(transcript(), story, book).cycle_evidence != [4, 6]


def test_a_how_long_answer_about_a_step_gives_way_to_the_dates(book):
    question = TaggedUtterance(Utterance(5, "I", "How long did the trial take?", is_interviewer=True))
    step = told(6, "Thirty days.", stages=["motivated"], asked_duration=True, cycle_cues=[set()])
    story = dated_story()
    tagged = story[:2] + [question, step, told(8, story[2].utterance.text, stages=["bought"])]
    j = J.derive_journey(transcript(), tagged, book)
    assert j.cycle_days == 50 and j.cycle_evidence == [4, 8]
    question.utterance.text = "How long did it take from the first call to the payment?"
    j = J.derive_journey(transcript(), tagged, book)
    assert (j.cycle_days, j.cycle_evidence) == (30, [6])  # an answer on the whole deal wins


def test_the_payment_date_beats_the_signing_date(book):
    lex = book
    clues = [J.PurchaseClue(6, 0, "told", "We signed the contract on the fourth of March."),
             J.PurchaseClue(8, 0, "answered", "May sixth.", "And when was the first invoice paid?")]
    story = [told(2, "We found them in early February.", stages=["interested"]), told(6, "x"), told(8, "y")]
    assert J.cycle_from_dates(story, "en", lex, clues) == (91, [2, 8])
    assert J.cycle_from_dates(story, "en", lex, clues[:1]) == (29, [2, 6])


def test_with_no_person_named_the_storyteller_made_the_contact(book):
    # "They cold-called me": nobody is named, the respondent's own role (from their label) is the contact
    story = [told(1, "They cold-called me.", stages=["informed"], channels=["cold_call"]),
             told(3, "I run the office.", stages=["unaware"], roles=["gatekeeper"], origin="respondent")]
    j = J.derive_journey(transcript(), story, book)
    assert (j.first_contact_role, j.first_contact_evidence) == ("gatekeeper", 3)
    # a person named at the contact wins over the storyteller
    story[0] = told(1, "They cold-called our CEO.", stages=["informed"], roles=["big_boss"], channels=["cold_call"])
    assert J.derive_journey(transcript(), story, book).first_contact_role == "big_boss"
    # a role from the text (not the respondent's own) is no storyteller's role
    assert J.own_role([told(3, roles=["gatekeeper"])]) == (None, None)
    assert J.own_role([told(3, roles=["guru"], origin="respondent")]) == (None, None)


# --------------------------------------------------------------------------- mutation-found gaps

def test_another_stages_sentence_is_not_the_discovery_sentence():
    """Only the sentence where the discovery stage is told picks the channel: an `unaware` mention
    beside another channel in the first sentence does not."""
    item = told(2, stages=["unaware", "informed"], channels=["exhibition", "referral"], mentions=[
        Mention("stage", "unaware", 0, 1, "x", 0), Mention("channel", "exhibition", 0, 1, "x", 0),
        Mention("stage", "informed", 2, 3, "x", 1), Mention("channel", "referral", 4, 5, "x", 1)])
    assert J.detect_channel([item], load_codebook()) == ("referral", 2)


def test_users_and_treasurers_make_the_first_contact_only_as_a_last_resort(book):
    priority = book.lexicons["first_contact_priority"]
    story = [told(2, stages=["informed"], roles=["user"]), told(4, stages=["interested"], roles=["gatekeeper"])]
    assert J.detect_first_contact(story, priority) == ("gatekeeper", 4)
    assert J.detect_first_contact(story[:1], priority) == ("user", 2)  # nobody else: the user it is
    story = [told(2, stages=["informed"], roles=["treasurer"]), told(4, stages=["interested"], roles=["expert"])]
    assert J.detect_first_contact(story, priority) == ("expert", 4)


def test_a_stated_cycle_is_read_from_utterances_tagged_elsewhere(book):
    """Labels from a review or an import carry no recorded cycle cues: the duration still counts."""
    item = told(6, "It took two months from the first call to the payment.", stages=["bought"], asked_duration=True)
    assert item.cycle_cues == []
    assert J.detect_cycle_days([item], "en", book) == (60, [6])


def test_the_first_month_told_may_come_in_a_later_sentence_of_the_contact_utterance():
    from cjm.durations import find_dates

    lex = load_codebook().lexicons["durations"]
    text = "We called them back. That was in January."
    first = told(2, text, stages=["interested"], sentences=[(0, 20), (21, len(text))])
    end = ([m for m in find_dates("We paid in March.", "en", lex) if m.month][0], 4)
    found = J.first_date_from([first, told(4, "We paid in March.", stages=["bought"])], {"interested"}, end, "en", lex)
    assert found is not None and found[1] == 2 and found[0].month == 1  # the second sentence's month
    assert J.first_date_from([told(2, "We called them back.", stages=["interested"])], {"interested"}, end, "en",
                             lex) is None


def test_a_user_or_treasurer_telling_the_discovery_is_the_first_contact_at_once(book):
    story = [told(2, "I found them on a webinar.", stages=["informed"], roles=["user"]),
             told(4, stages=["interested"], roles=["big_boss"])]
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["referral"])] + story, book)
    assert (j.first_contact_role, j.first_contact_evidence) == ("user", 2)
    # the users are whom the story is about, not who tells it: the usual order decides
    story[0] = told(2, "It was about reps losing quotes.", stages=["informed"], roles=["user"])
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["referral"])] + story, book)
    assert j.first_contact_role == "big_boss"
    # the discovery names a likelier contact too: the usual order decides
    story = [told(2, stages=["informed"], roles=["user", "gatekeeper"]), told(4, stages=["interested"], roles=["big_boss"])]
    j = J.derive_journey(transcript(), [told(1, stages=["informed"], channels=["referral"])] + story, book)
    assert j.first_contact_role == "big_boss"
    # a user named only after the discovery stays the last resort
    story = [told(2, stages=["informed"], roles=["big_boss"]), told(4, stages=["interested"], roles=["treasurer"])]
    assert J.discovery_by_fallback_role(story, book) == (None, None)


# --------------------------------------------------------------------------- the deal's length told whole

def asked(n, text):
    return TaggedUtterance(Utterance(n, "I", text, is_interviewer=True))


def answer(n, *sentences, **kw):
    text, spans, at = " ".join(sentences), [], 0
    for s in sentences:
        spans.append((at, at + len(s)))
        at += len(s) + 1
    return told(n, text, sentences=spans, **kw)


def with_dates(*extra):
    """The dated story (50 days by its dates) with a question and answer after it."""
    return dated_story() + list(extra)


def test_an_answer_to_a_question_that_spans_the_deal_wins_over_the_dates(book):
    q = asked(7, "So from the Google search to the deposit?")
    j = J.derive_journey(transcript(), with_dates(q, answer(8, "Early October to June.", "Eight months, give or take.",
                                                             "Without the freeze, three.")), book)
    assert (j.cycle_days, j.cycle_evidence) == (240, [8])  # the answer's first duration
    q.utterance.text = "What happened in that first conversation?"  # spans nothing
    j = J.derive_journey(transcript(), with_dates(q, answer(8, "She asked for twelve months of bills.")), book)
    assert j.cycle_days == 50
    q.utterance.text = "So from the trial to the report?"  # names no end of the deal
    j = J.derive_journey(transcript(), with_dates(q, answer(8, "About three weeks.")), book)
    assert j.cycle_days == 50


def test_the_interviewers_recap_of_the_length_counts_unless_the_answer_denies_it(book):
    q = asked(7, "Получается, от звонка Ксении четырнадцатого января до оплаты прошло примерно шесть недель. "
                 "Что из этого заняло больше всего времени?")
    days = lambda a: J.whole_cycle_told([q, a], "ru", book)  # noqa: E731
    assert days(answer(8, "Документы, согласование.", "Недели три.")) == (42, [8])  # not the step the answer names
    assert days(answer(8, "Нет, больше.", "Месяца два.")) == (60, [8])  # denied: the answer's own length
    q.utterance.text = "То есть от заявки до оплаты три с половиной недели, а до первой партии чуть больше месяца?"
    assert days(answer(8, "Да.")) == (24, [8])  # the duration nearest the span


def test_an_answer_sentence_that_spans_the_deal_in_answer_to_when_it_was_paid(book):
    q = asked(7, "И когда была оплата?")
    a = answer(8, "Бухгалтерия оплатила сразу после приёмки.",
               "Получается, недели через три после итогов оплатили, а всего от объявления — месяца полтора.")
    assert J.whole_cycle_told([q, a], "ru", book) == (45, [8])
    q.utterance.text = "Это для вас быстро или долго?"  # not about the deal's time: another purchase's length
    a = answer(8, "Для сравнения, тестомес в прошлом году: от первого запроса до оплаты почти восемь месяцев.")
    assert J.whole_cycle_told([q, a], "ru", book) == (None, [])


def test_of_several_whole_lengths_the_last_is_taken(book):
    tagged = [asked(1, "Сколько времени заняло всё от заявки до заказа?"), answer(2, "Недели две."),
              asked(3, "То есть от первого клика до оплаты примерно три недели?"), answer(4, "Ну да, недели три.")]
    assert J.whole_cycle_told(tagged, "ru", book) == (21, [4])
    assert J.whole_cycle_told(tagged[:2], "ru", book) == (14, [2])


def test_each_respondent_of_a_group_answers_the_question_in_turn(book):
    q = asked(1, "When was it signed?")
    first = answer(2, "The nineteenth of June.", "So from the notice going live in January to signature, five months and a week.")
    second = answer(3, "First invoice was for September.",
                    "So counting from January to the first payment, nine months, give or take.")
    second.utterance.speaker = "Fiona"
    assert J.whole_cycle_told([q, first, second], "en", book) == (270, [3])  # the second respondent's, to the payment
    again = answer(3, "And from January to the first payment, nine months.")  # the same speaker: answered once
    assert J.whole_cycle_told([q, first, again], "en", book) == (None, [])
    q = asked(1, "So from the first call to the payment, how long was it?")
    habit = answer(3, "For us that is fast.", "Sometimes it takes six months.")  # spans nothing: adds nothing
    habit.utterance.speaker = "Fiona"
    assert J.whole_cycle_told([q, answer(2, "About four months."), habit], "en", book) == (120, [2])


def test_a_counterfactual_answer_tells_no_length(book):
    q = asked(1, "So from your first message to the first invoice being paid?")
    assert J.whole_cycle_told([q, answer(2, "About five weeks.")], "en", book) == (35, [2])
    assert J.whole_cycle_told([q, answer(2, "Would've been four weeks if Dan hadn't been away.")], "en", book) == (None, [])


def test_a_span_from_a_late_step_measures_the_step_not_the_deal(book):
    q = asked(1, "То есть от счета до оплаты прошло…")
    a = answer(2, "Больше двух недель, шестнадцать дней.", "А от вебинара, если считать, с конца мая по третье июля, месяц с небольшим.")
    assert J.whole_cycle_told([q, a], "ru", book) == (30, [2])  # the span from the first contact, not the invoice's 16 days
    q.utterance.text = "То есть от первого звонка до оплаты прошло…"
    assert J.whole_cycle_told([q, a], "ru", book) == (14, [2])  # a span of the deal: the answer's first length ("двух недель")
    q = asked(1, "So from the invoice to the payment?")
    assert J.whole_cycle_told([q, answer(2, "About two weeks.")], "en", book) == (None, [])
    q.utterance.text = "So from the first email to the payment?"
    assert J.whole_cycle_told([q, answer(2, "About two weeks.")], "en", book) == (14, [2])


def test_how_long_asked_with_the_verb_first(book):
    a = answer(2, "Недели три.", "Так что от публикации тендера до первой оплаты почти три месяца получилось.")
    assert J.whole_cycle_told([asked(1, "То есть второй круг сравнения занял сколько?"), a], "ru", book) == (90, [2])
    assert J.whole_cycle_told([asked(1, "То есть второй круг сравнения был трудный?"), a], "ru", book) == (None, [])


def test_a_span_to_the_last_payment_runs_past_the_cycle(book):
    a = answer(2, "Yes, roughly.")
    assert J.whole_cycle_told([asked(1, "So from the first call to the first payment, that's about five months?"), a],
                              "en", book) == (150, [2])
    assert J.whole_cycle_told([asked(1, "So from the first call to the final payment, that's about seven months?"), a],
                              "en", book) == (None, [])
    q = asked(1, "то есть от первого звонка в конце мая до последней оплаты в октябре это примерно")
    assert J.whole_cycle_told([q, answer(2, "ну пять месяцев где-то")], "ru", book) == (None, [])
    q.utterance.text = "то есть от первого звонка в конце мая до оплаты это примерно"
    assert J.whole_cycle_told([q, answer(2, "ну пять месяцев где-то")], "ru", book) == (150, [2])


def test_an_answer_sentence_that_spans_a_step_is_not_the_cycle(book):
    q = asked(1, "Сколько времени ушло на оплату?")
    assert J.whole_cycle_told([q, answer(2, "От договора до оплаты две недели.")], "ru", book) == (None, [])
    assert J.whole_cycle_told([q, answer(2, "От первого звонка до оплаты два месяца.")], "ru", book) == (60, [2])


def test_of_an_answers_lengths_the_one_to_the_payment_is_taken(book):
    """The cycle runs to the first payment (contract section 5): where the answer gives the length to
    the contract and then to the money, the second."""
    q = asked(1, "То есть от клика на рекламу до договора — примерно...")
    a = answer(2, "Кликнул я в середине января.", "Значит, два с половиной месяца до договора.",
               "А до первой оплаты почти четыре месяца.")
    assert J.whole_cycle_told([q, a], "ru", book) == (120, [2])
    a = answer(2, "Значит, два с половиной месяца до договора.", "А до запуска почти четыре месяца.")
    assert J.whole_cycle_told([q, a], "ru", book) == (75, [2])  # no payment named: the first length
    q = asked(1, "So from the ad to the signed contract?")
    assert J.whole_cycle_told([q, answer(2, "About ten weeks to signature.", "Twelve weeks to the first invoice paid.")],
                              "en", book) == (84, [2])
    assert J.whole_cycle_told([q, answer(2, "About ten weeks to signature.", "Twelve weeks to go-live.")],
                              "en", book) == (70, [2])


def test_a_bare_number_after_a_length_takes_its_unit(book):
    """"…два с половиной месяца до договора. И до первых денег — почти четыре": the second length
    leaves its unit unsaid; a date or a number that is not the sentence's last word is no length."""
    q = asked(1, "То есть от клика на рекламу до договора — примерно...")
    a = answer(2, "Значит, два с половиной месяца до договора.", "И до первых денег — почти четыре.")
    assert J.whole_cycle_told([q, a], "ru", book) == (120, [2])
    a = answer(2, "Значит, два с половиной месяца до договора.", "И деньги перевели двадцать шестого.")
    assert J.whole_cycle_told([q, a], "ru", book) == (75, [2])  # a date, not "twenty-six months"
    a = answer(2, "Значит, два с половиной месяца до договора.", "Счёт на четыре позиции оплатили сразу.")
    assert J.whole_cycle_told([q, a], "ru", book) == (75, [2])  # the number is not the last word
    q = asked(1, "So from the ad to the signed contract?")
    a = answer(2, "Two months to the contract.", "And to the first payment, almost three.")
    assert J.whole_cycle_told([q, a], "en", book) == (90, [2])
    lex = book.lexicons["durations"]
    assert [d.days for d in J.elliptic_lengths("А до оплаты — ещё три.", "месяц", "ru", lex, book)] == [90]
    assert J.elliptic_lengths("Оплатили сразу.", "месяц", "ru", lex, book) == []  # not "сразу месяц": one month
    a = answer(2, "Two months to the contract.", "And the money went out on May 3.")
    assert J.whole_cycle_told([q, a], "en", book) == (60, [2])  # a date ends the sentence
    a = answer(2, "We spoke to three.", "Two months to the contract.")
    assert J.whole_cycle_told([q, a], "en", book) == (60, [2])  # no length before the bare number


def test_of_an_answers_lengths_one_that_sums_the_deal_up_beats_a_step(book):
    """A dated story that ends "Итого месяц с небольшим" is a month, not the three weeks of one of
    its steps; "весь месяц" is a step ("пилот в октябре весь месяц"), and a length beside the
    payment still comes first."""
    q = asked(1, "А по срокам, можете восстановить? От первого звонка до оплаты.")
    steps = ("Смета у нас была в начале марта.", "Потом эти три недели с дилером.",
             "Договор и предоплата — третье апреля.")
    assert J.whole_cycle_told([q, answer(2, *steps, "Итого месяц с небольшим.")], "ru", book) == (30, [2])
    assert J.whole_cycle_told([q, answer(2, *steps, "Нормально, месяц с небольшим.")], "ru", book) == (21, [2])
    a = answer(2, "Пилот в октябре весь месяц.", "Оплатили в начале декабря, примерно два с половиной месяца.")
    assert J.whole_cycle_told([q, a], "ru", book) == (75, [2])
    a = answer(2, "Итого два месяца до договора.", "А до оплаты — почти три месяца.")
    assert J.whole_cycle_told([q, a], "ru", book) == (90, [2])  # the payment's length before the sum
    a = answer(2, "Договор подписали через полтора месяца.", "Потом пилот весь месяц.")
    assert J.whole_cycle_told([q, a], "ru", book) == (45, [2])  # "весь месяц" sums nothing up
    q = asked(1, "So from the first call to the payment?")
    a = answer(2, "The trial took two weeks.", "All in all, about six weeks.")
    assert J.whole_cycle_told([q, a], "en", book) == (42, [2])


def test_each_sentence_of_the_answer_is_read_for_its_lengths_alone(book):
    q = asked(1, "То есть от заявки до оплаты аванса примерно...")
    a = answer(2, "Чуть больше месяца.", "Семь недель, если до монтажа считать.")
    assert J.whole_cycle_told([q, a], "ru", book) == (30, [2])  # not a "месяца. Семь" read across the full stop


def test_of_an_answers_spans_the_one_to_the_payment_is_taken(book):
    q = asked(1, "Сколько времени всё это заняло?")
    a = answer(2, "От звонка до договора два с половиной месяца.", "А от звонка до оплаты четыре месяца.")
    assert J.whole_cycle_told([q, a], "ru", book) == (120, [2])
    a = answer(2, "От звонка до договора два с половиной месяца.", "А от звонка до подписания акта четыре месяца.")
    assert J.whole_cycle_told([q, a], "ru", book) == (75, [2])  # no payment named: the first span
