"""Findings, stalled deals and advice as plain data, from hand-built journeys (no HTML)."""

from __future__ import annotations


import pytest

from cjm import findings
from cjm.aggregate import build_tables
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


def by_key(items):
    return {f.key: f for f in items}


def test_referral_mechanism_first_contact_is_the_boss(tables):
    found = by_key(findings.group_findings("referral", tables.groups["referral"], tables))
    first = found["finding_first_contact"]
    assert first.values == {"role": "big_boss"} and (first.k, first.n) == (2, 3)
    assert len(first.ids) == 2 and not first.test and not first.noise  # a count, no test to be within noise of


def test_every_group_finding_has_evidence_and_its_n(tables):
    for gid, group in tables.groups.items():
        for f in findings.group_findings(gid, group, tables):
            assert f.n == group.n and 0 <= f.k <= f.n, f
            assert f.refs or f.ids, f  # every finding links to its quotes or interviews


def test_cycle_finding_is_the_median(tables):
    found = by_key(findings.group_findings("referral", tables.groups["referral"], tables))
    assert found["finding_cycle"].values["days"] == pytest.approx(58.5)  # median of 42 and 75
    assert found["finding_cycle"].k == 2


def test_stall_finding_names_the_stage(tables):
    found = by_key(findings.group_findings("referral", tables.groups["referral"], tables))
    assert found["finding_stall"].values == {"stage": "motivated"} and found["finding_stall"].k == 1
    assert "finding_all_bought" not in found


def test_comparison_findings_are_tested_and_within_noise(tables):
    compared = by_key(findings.comparison_findings(tables.comparison))
    conversion = compared["finding_cmp_conversion"]
    assert conversion.test == "Fisher" and conversion.p == pytest.approx(1.0) and conversion.noise
    assert (conversion.values["a_k"], conversion.values["a_n"]) == (1, 3)
    assert compared["finding_cmp_cycle"].test == "Mann–Whitney" and compared["finding_cmp_cycle"].noise


def test_a_clear_difference_is_not_noise():
    f = findings.Finding("finding_cmp_conversion", "", {}, 10, 20, "Fisher", 0.001)
    assert not f.noise
    assert findings.Finding("x", "", {}, 1, 2, "Fisher", None).noise  # no test possible: within noise
    assert not findings.Finding("x", "", {}, 1, 2).noise  # a plain count claims no difference


def test_stalls_list_every_deal_not_bought_with_reasons(tables, journeys, codebook):
    outcomes = {j.id: j.outcome for j in journeys}
    stalls = findings.stalls(tables, outcomes, codebook)
    not_bought = set(tables.interviews.loc[~tables.interviews["bought"], "interview"])
    assert {s.interview for s in stalls} == not_bought
    assert any(s.reasons for s in stalls)
    for s in stalls:
        for ref in s.reasons:
            assert ref.interview == s.interview and ref.quote


def test_advice_comes_from_answers_to_the_advice_question(codebook):
    from cjm.journey import derive_journey
    from cjm.model import Transcript, Utterance
    from cjm.tag import tag_transcript

    utterances = [Utterance(1, "Interviewer", "How did you find them?", True),
                  Utterance(2, "Respondent", "A colleague recommended them to our CEO."),
                  Utterance(3, "Interviewer", "What would you advise them to change?", True),
                  Utterance(4, "Respondent", "Put the prices on the website, it would save everyone a call.")]
    transcript = Transcript("adv", "adv.txt", "en", utterances)
    journey = derive_journey(transcript, tag_transcript(transcript, codebook, None), codebook)
    tables = build_tables([journey], codebook, compare_keys=None)
    advice = findings.advice(tables)
    assert [a.interview for a in advice] == ["adv"]
    assert [r.utterance for r in advice[0].refs] == [4]  # the answer, not the story before it
