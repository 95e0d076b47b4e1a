"""The first-contact chooser: each candidate's evidence, the choice, and a trained member that
learns which evidence tells the first contact (a case where it must take a role, one where not)."""

import pytest

from cjm import first_contact as C
from cjm import journey as J
from cjm.codebook import load_codebook
from cjm.learn import contact_sequences, with_tuning
from cjm.model import Mention, TaggedUtterance, Transcript, Utterance
from cjm.tagger_model import FIRST_CONTACT, TaggerModel, train_member


def said(n, stages=(), roles=(), role_p=None):
    mentions = [Mention(kind, label, 0, 1, "x", 0) for kind, labels in (("stage", stages), ("role", roles))
                for label in labels]
    return TaggedUtterance(Utterance(n, "R", "x"), stages=list(stages), roles=list(roles), mentions=mentions,
                           sentences=[(0, 1)], probabilities={"role": role_p or {r: 0.6 for r in roles}})


def story(*items, rules=(None, None), own=(None, None)):
    items = list(items)
    return C.ContactStory(items, C.first_index(items, "informed"), C.first_index(items, "interested"), rules, own)


def test_each_candidate_says_where_and_how_the_role_is_named():
    told = story(said(2, roles=["expert"]), said(4, stages=["informed"]), said(6, stages=["interested"], roles=["gatekeeper"]),
                 said(8, roles=["gatekeeper", "expert"], role_p={"gatekeeper": 0.9, "expert": 0.3}),
                 rules=("gatekeeper", 6), own=("big_boss", 2))
    found = C.candidates(told)
    assert list(found) == ["big_boss", "expert", "gatekeeper"]  # named, the rules' pick, the own role; sorted
    keeper, expert, boss = found["gatekeeper"], found["expert"], found["big_boss"]
    assert keeper["rules"] == keeper["rules|gatekeeper"] == 1.0 and "rules" not in expert
    assert keeper["interest=0"] == keeper["discovery=1-2"] == keeper["rank=1"] == keeper["count=2"] == 1.0
    assert keeper["p_max"] == 0.9 and expert["p_max"] == 0.6
    assert expert["rank=0"] == expert["discovery=1-2"] == expert["interest=1-2"] == 1.0  # named before, then again
    assert boss["own"] == boss["own|big_boss"] == boss["rank=none"] == boss["count=0"] == boss["interest=never"] == 1.0
    assert "own" not in keeper and list(keeper) == sorted(keeper)
    often = C.candidates(story(*[said(n, roles=["user"]) for n in range(2, 16, 2)]))["user"]
    assert often["count=5"] == 1.0 and len(often) == len(keeper) - 2  # seven mentions count as five; no rules, no own
    only_before = C.candidates(story(said(2, roles=["expert"]), said(4, stages=["interested"])))["expert"]
    assert only_before["interest=before"] == 1.0 and only_before["discovery=never"] == 1.0  # no discovery told


def test_distances_fall_in_buckets():
    assert [C.distance_bucket(d) for d in (None, -1, 0, 1, 2, 3, 5, 6)] == \
        ["never", "before", "0", "1-2", "1-2", "3-5", "3-5", "later"]
    assert C.first_named_from([1, 4, 9], 3) == 1 and C.first_named_from([1], 3) == -1
    assert C.first_named_from([], 3) is None and C.first_named_from([2], None) is None


def test_the_likeliest_candidate_is_chosen_with_its_probability():
    assert C.choose({"expert": 0.2, "gatekeeper": 0.61234}) == ("gatekeeper", 0.6123)
    assert C.choose({"gatekeeper": 0.5, "expert": 0.5}) == ("expert", 0.5)  # a tie: the first role id
    assert C.choose({}) == (None, None)


def test_the_evidence_shown_is_where_the_role_made_the_contact():
    told = story(said(2, roles=["expert"]), said(4, stages=["interested"]), said(6, roles=["expert", "user"]),
                 rules=("user", 8), own=("big_boss", 3))
    assert C.evidence_of(told, "user") == 8  # where the rules found it
    assert C.evidence_of(told, "expert") == 6  # its first from the request on, not its first at all
    assert C.evidence_of(told, "big_boss") == 3  # named nowhere: where the own role was found
    assert C.evidence_of(told, "treasurer") is None
    assert C.evidence_of(story(said(2, roles=["expert"]), said(4, stages=["interested"])), "expert") == 2
    at_request = story(said(2, roles=["expert"]), said(4, stages=["interested"], roles=["expert"]))
    assert C.evidence_of(at_request, "expert") == 4  # named in the request itself


def trained_to_prefer(feature, stories=12):
    """A member trained on interviews where the first contact is always the candidate with `feature`."""
    rows = []
    for i in range(stories):
        own, rules = ("expert", "gatekeeper") if i % 2 else ("gatekeeper", "expert")
        found = C.candidates(story(said(2, stages=["interested"], roles=[rules]), rules=(rules, 2), own=(own, 2)))
        gold = next(role for role, features in found.items() if feature in features)
        rows.append((found, gold))
    return rows, TaggerModel({FIRST_CONTACT: train_member(FIRST_CONTACT, contact_sequences(rows))})


@pytest.mark.parametrize("feature", ["own", "rules"])
def test_a_trained_member_learns_which_evidence_tells_the_first_contact(feature):
    _, model = trained_to_prefer(feature)
    found = C.candidates(story(said(2, stages=["interested"], roles=["user"]), rules=("user", 2), own=("treasurer", 2)))
    role, p = C.choose(dict(zip(found, model.accept(FIRST_CONTACT, list(found.values())))))
    assert role == ("treasurer" if feature == "own" else "user") and p > 0.5


def test_derive_journey_takes_the_members_choice_and_the_rules_without_it():
    book = load_codebook()
    tagged = [TaggedUtterance(Utterance(1, "Q", "How did it start?", is_interviewer=True)),
              said(2, stages=["interested"], roles=["gatekeeper"])]
    tagged[1].mentions.append(Mention("role", "treasurer", 0, 1, "x", 0, origin="respondent"))  # the storyteller's own
    transcript = Transcript(id="t", source="t.txt", language="en", utterances=[])
    assert J.derive_journey(transcript, tagged, book).first_contact_role == "gatekeeper"
    _, prefers_own = trained_to_prefer("own")
    journey = J.derive_journey(transcript, tagged, book, prefers_own)
    assert (journey.first_contact_role, journey.first_contact_evidence) == ("treasurer", 2)
    assert journey.confidence["first_contact_role"] > 0.5  # the member's P, not the role model's
    _, prefers_rules = trained_to_prefer("rules")
    assert J.derive_journey(transcript, tagged, book, prefers_rules).first_contact_role == "gatekeeper"
    assert J.derive_journey(transcript, tagged, book, TaggerModel({})).first_contact_role == "gatekeeper"


def test_tuning_adds_the_member_only_where_some_annotated_first_contact_is_a_candidate(monkeypatch):
    import cjm.learn

    maps = {"journey.first_contact_role": [[0.2, 0.4]], "role": [[0.5, 0.5]]}  # as the folds' journeys give
    monkeypatch.setattr(cjm.learn, "fitted", lambda *args: ({}, dict(maps)))
    rows, _ = trained_to_prefer("own", stories=20)
    opened = TaggerModel({})
    assert opened._opened[0] == {}  # opened before it is tuned: opened again with the new member
    model = with_tuning(opened, [([], [], rows[:10]), ([], [], rows[10:])], [], [])
    assert FIRST_CONTACT in model.blobs and model.meta["first_contacts"] == 20
    assert len(model.accept(FIRST_CONTACT, list(rows[0][0].values()))) == 2
    assert model.meta["calibration"] == {"role": [[0.5, 0.5]]}  # the rules' first-contact map is not the member's
    unreachable = [(found, "guru") for found, _ in rows]
    rules_only = with_tuning(TaggerModel({}), [([], [], unreachable)], [], [])
    assert FIRST_CONTACT not in rules_only.blobs and rules_only.meta["calibration"] == maps


def test_the_story_read_is_where_discovery_and_request_are_first_told():
    book = load_codebook()
    respondent = [said(2, roles=["expert"]), said(4, stages=["informed"]), said(6, stages=["interested"], roles=["user"])]
    respondent[0].mentions.append(Mention("role", "big_boss", 0, 1, "x", 0, origin="respondent"))
    journey = J.derive_journey(Transcript(id="t", source="t.txt", language="en", utterances=[]), respondent, book)
    told = J.contact_story(journey, respondent, book)
    assert (told.discovery, told.interest) == (1, 2)
    assert told.by_rules == J.first_contact(journey, respondent, book) == ("user", 6)
    assert told.own == ("big_boss", 2)
