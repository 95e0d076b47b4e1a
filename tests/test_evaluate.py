"""Evaluation against gold files: counts, kappa, interview-level accuracy."""

import json

import pytest

from cjm.evaluate import cohen_kappa, cycle_match, evaluate, format_report


def gold_entry(**fields):
    entry = {"id": "x", "channel": "referral", "channel_group": "referral", "furthest_stage": "bought",
             "first_contact_role": "big_boss", "roles": ["big_boss"], "cycle_days": 60,
             "utterances": [{"n": 1, "is_interviewer": True, "stages": [], "roles": [], "channels": []},
                            {"n": 2, "is_interviewer": False, "stages": ["informed"], "roles": ["guru"], "channels": ["referral"]},
                            {"n": 3, "is_interviewer": False, "stages": ["bought"], "roles": [], "channels": []}]}
    entry.update(fields)
    return entry


def test_perfect_run_scores_one(tmp_path):
    gold = gold_entry()
    (tmp_path / "x.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    result = evaluate({"interviews": [gold]}, tmp_path).as_dict()
    assert result["utterance"]["stages"]["micro"]["f1"] == 1.0
    assert result["kappa"]["stages"] == 1.0
    assert all(block["accuracy"] == 1.0 for block in result["interview"].values())


def test_errors_are_counted(tmp_path):
    (tmp_path / "x.gold.json").write_text(json.dumps(gold_entry()), encoding="utf-8")
    predicted = gold_entry(cycle_days=90, channel="partner")
    predicted["utterances"][2]["stages"] = ["motivated"]
    result = evaluate({"interviews": [predicted]}, tmp_path).as_dict()
    stages = result["utterance"]["stages"]["micro"]
    assert (stages["precision"], stages["recall"]) == (0.5, 0.5)
    assert result["interview"]["cycle_days"]["accuracy"] == 0.0  # 90 is 50% off 60
    assert result["interview"]["channel"]["accuracy"] == 0.0
    assert "stages" in format_report(evaluate({"interviews": [predicted]}, tmp_path))


def test_missing_interview_is_reported(tmp_path):
    (tmp_path / "x.gold.json").write_text(json.dumps(gold_entry()), encoding="utf-8")
    result = evaluate({"interviews": []}, tmp_path)
    assert result.missing == ["x"]
    assert result.as_dict()["utterance"]["stages"]["micro"]["recall"] == 0.0


@pytest.mark.parametrize("predicted, gold, ok", [(70, 60, True), (76, 60, False), (None, None, True), (30, None, False)])
def test_cycle_within_a_quarter(predicted, gold, ok):
    assert cycle_match(predicted, gold) is ok


def test_kappa_of_chance_agreement_is_zero():
    assert cohen_kappa([(True, True), (True, False), (False, True), (False, False)]) == 0.0
