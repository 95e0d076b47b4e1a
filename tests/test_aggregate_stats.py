"""The comparison's statistics: Fisher's exact and Mann-Whitney p values, "within noise", the sides' numbers.

Built from small hand-made tables (not from the pipeline), so each figure can be checked exactly.
"""

import math

import pandas as pd
import pytest

from cjm.errors import UsageError
from scipy.stats import fisher_exact, mannwhitneyu

from cjm import aggregate
from cjm.aggregate import NOISE_P, Share, Spread, compare, fisher, mann_whitney
from cjm.codebook import load_codebook


@pytest.fixture(scope="module")
def book():
    return load_codebook()


def share(p):
    return Share("bought", 1, 2, 1, 2, p)


@pytest.mark.parametrize("p, noise", [(None, True), (0.0, False), (0.049, False), (NOISE_P, True), (0.051, True),
                                      (0.07, True), (1.0, True)])
def test_within_noise_from_p_0_05_on_inclusive(p, noise):
    assert NOISE_P == 0.05
    assert share(p).noise is noise
    assert Spread("steps", [1.0], [2.0], p).noise is noise


def test_fisher_is_the_two_sided_exact_test():
    assert fisher(9, 10, 1, 10) == pytest.approx(0.0010933, abs=1e-6)
    assert fisher(9, 10, 1, 10) == pytest.approx(fisher_exact([[9, 1], [1, 9]]).pvalue)
    assert fisher(3, 4, 1, 4) == pytest.approx(0.4857142857)
    assert fisher(1, 4, 3, 4) == pytest.approx(0.4857142857)  # the same, either side first
    assert fisher(2, 2, 2, 2) == pytest.approx(1.0)


@pytest.mark.parametrize("a_n, b_n", [(0, 5), (5, 0), (0, 0)])
def test_fisher_needs_both_sides(a_n, b_n):
    assert fisher(0, a_n, 0, b_n) is None


def test_fisher_with_one_interview_a_side_is_a_number():
    assert fisher(1, 1, 0, 1) == pytest.approx(1.0)


def test_mann_whitney_is_two_sided():
    low, high = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]
    assert mann_whitney(low, high) == pytest.approx(0.1)
    assert mann_whitney(high, low) == pytest.approx(0.1)  # one-sided would give 0.05 one way, 1.0 the other
    assert mann_whitney(low, high) == pytest.approx(mannwhitneyu(low, high, alternative="two-sided").pvalue)


def test_mann_whitney_needs_two_values_a_side():
    assert mann_whitney([1.0, 2.0], [4.0, 5.0]) == pytest.approx(1 / 3)
    assert mann_whitney([1.0], [4.0, 5.0]) is None
    assert mann_whitney([1.0, 2.0], [4.0]) is None
    assert mann_whitney([], []) is None


def test_describe_gives_median_quartiles_and_range():
    assert Spread.describe([1.0, 2.0, 3.0, 4.0, 100.0]) == {"median": 3.0, "q1": 2.0, "q3": 4.0, "min": 1.0, "max": 100.0}
    assert Spread.describe([]) == {"median": None, "q1": None, "q3": None, "min": None, "max": None}


def interviews_frame(rows):
    columns = ["interview", "channel", "channel_group", "bought", "first_contact_role", "cycle_days", "steps"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["bought"] = frame["bought"].astype(bool)
    return frame


ROWS = [
    ("r1", "referral", "referral", True, "big_boss", 30.0, 3),
    ("r2", "referral", "referral", True, "big_boss", 60.0, 4),
    ("r3", "partner", "referral", False, "expert", None, 2),
    ("s1", "search_ads", "cold_inbound", False, "gatekeeper", None, 2),
    ("s2", "organic_search", "cold_inbound", True, "gatekeeper", 200.0, 5),
    ("s3", "search_ads", "cold_inbound", False, None, None, 1),
    ("s4", "search_ads", "cold_inbound", True, "big_boss", 150.0, 4),
]
EVENTS = pd.DataFrame([
    ("r1", "role", "motivated", "big_boss"), ("r1", "role", "motivated", "big_boss"),
    ("r2", "role", "motivated", "big_boss"), ("r2", "role", "informed", "expert"),
    ("s1", "role", "informed", "gatekeeper"), ("s1", "stage", "informed", None),
    ("s2", "role", None, "treasurer"),
], columns=["interview", "kind", "stage", "role"])


def test_compare_two_groups(book):
    c = compare(interviews_frame(ROWS), EVENTS, book, "referral", "cold_inbound")
    assert (c.a, c.b, c.a_kind, c.b_kind) == ("referral", "cold_inbound", "group", "group")
    assert c.a_ids == ["r1", "r2", "r3"] and c.b_ids == ["s1", "s2", "s3", "s4"]
    conv = c.conversion
    assert (conv.key, conv.a_k, conv.a_n, conv.b_k, conv.b_n) == ("bought", 2, 3, 2, 4)
    assert conv.p == pytest.approx(fisher_exact([[2, 1], [2, 2]]).pvalue) and conv.noise
    assert (conv.a_ids, conv.b_ids) == (["r1", "r2"], ["s2", "s4"])
    # first contact: only roles some side names, in codebook order
    assert [s.key for s in c.first_contact] == ["big_boss", "expert", "gatekeeper"]
    boss = c.first_contact[0]
    assert (boss.a_k, boss.a_n, boss.b_k, boss.b_n, boss.a_ids, boss.b_ids) == (2, 3, 1, 4, ["r1", "r2"], ["s4"])
    # cycle days: the interviews with none are left out of the test, not counted as zero
    assert (c.cycle_days.a, c.cycle_days.b) == ([30.0, 60.0], [200.0, 150.0])
    assert (c.cycle_days.a_ids, c.cycle_days.b_ids) == (["r1", "r2"], ["s2", "s4"])
    assert c.cycle_days.p == pytest.approx(mannwhitneyu([30, 60], [200, 150], alternative="two-sided").pvalue)
    assert c.steps.a == [3.0, 4.0, 2.0] and c.steps.p == pytest.approx(
        mannwhitneyu([3, 4, 2], [2, 5, 1, 4], alternative="two-sided").pvalue)


def test_compare_roles_by_stage_are_shares_of_the_sides_interviews(book):
    c = compare(interviews_frame(ROWS), EVENTS, book, "referral", "cold_inbound")
    a, b = c.roles_by_stage["a"], c.roles_by_stage["b"]
    assert list(a.index) == book.ids("stage") and list(a.columns) == book.ids("role")
    assert a.loc["motivated", "big_boss"] == pytest.approx(2 / 3)  # two interviews of three, counted once each
    assert a.loc["informed", "expert"] == pytest.approx(1 / 3)
    assert b.loc["informed", "gatekeeper"] == pytest.approx(1 / 4)
    assert b.to_numpy().sum() == pytest.approx(1 / 4)  # the stage event and the stageless role are not counted
    assert a.to_numpy().sum() == pytest.approx(1.0)


def test_compare_channels_and_an_unknown_key(book):
    c = compare(interviews_frame(ROWS), EVENTS, book, "search_ads", "referral")
    assert (c.a_kind, c.b_kind) == ("channel", "group")  # "referral" is a group id first, then a channel
    assert c.a_ids == ["s1", "s3", "s4"] and c.b_ids == ["r1", "r2", "r3"]
    with pytest.raises(UsageError, match=r"unknown group or channel 'nope' \(valid: cold_inbound, referral"):
        compare(interviews_frame(ROWS), EVENTS, book, "partner", "nope")  # not "nope, n = 0"


def test_a_clear_difference_is_not_noise(book):
    rows = [(f"a{i}", "referral", "referral", True, "big_boss", 10.0 + i, 2) for i in range(8)] + \
           [(f"b{i}", "search_ads", "cold_inbound", False, "gatekeeper", 300.0 + i, 2) for i in range(8)]
    c = compare(interviews_frame(rows), EVENTS.iloc[0:0], book, "referral", "cold_inbound")
    assert c.conversion.p < NOISE_P and not c.conversion.noise
    assert c.cycle_days.p < NOISE_P and not c.cycle_days.noise
    assert c.steps.p == pytest.approx(1.0) and c.steps.noise
    assert math.isclose(c.conversion.p, fisher_exact([[8, 0], [0, 8]]).pvalue)
    assert [s.key for s in c.first_contact] == ["big_boss", "gatekeeper"]


def test_select_prefers_the_group_of_that_name(book):
    frame = interviews_frame(ROWS)
    side, kind = aggregate._select(frame, "referral", book)
    assert kind == "group" and sorted(side["interview"]) == ["r1", "r2", "r3"]
    side, kind = aggregate._select(frame, "organic_search", book)
    assert kind == "channel" and list(side["interview"]) == ["s2"]
    side, kind = aggregate._select(frame, "x", book)
    assert kind == "unknown" and side.empty and list(side.columns) == list(frame.columns)
