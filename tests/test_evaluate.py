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


def two_interviews():
    """One run right on interview a, wrong on b's purchase; both carry the model's probabilities."""
    import copy

    a, b = gold_entry(id="a"), gold_entry(id="b")
    run_a, run_b = copy.deepcopy(a), copy.deepcopy(b)
    run_b["utterances"][2]["stages"] = ["motivated"]
    run_b["furthest_stage"] = "motivated"
    for run in (run_a, run_b):
        run["utterances"][1]["probabilities"] = {"stage": {"informed": 0.9, "none": 0.1}, "role": {"guru": 0.8}}
        run["utterances"][2]["probabilities"] = {"stage": {"bought": 0.6, "motivated": 0.4, "none": 0.0}}
        run["confidence"] = {"furthest_stage": 0.7}
    return {"a": a, "b": b}, {"interviews": [run_a, run_b]}


def test_confusion_counts_each_respondent_utterance_once():
    from cjm.evaluate import stage_confusion

    golds, run = two_interviews()
    table = stage_confusion(run, golds)
    assert table["informed"]["informed"] == 2 and table["bought"]["bought"] == 1 and table["bought"]["motivated"] == 1
    assert sum(sum(row.values()) for row in table.values()) == 4  # interviewer turns are not scored


def test_bootstrap_interval_brackets_the_figure_and_is_reproducible():
    from cjm.evaluate import bootstrap

    golds, run = two_interviews()
    point = evaluate(run, golds).as_dict()["utterance"]["stages"]["micro"]["f1"]
    low, high = bootstrap(run, golds, samples=200, seed=1)["stages micro-F1"]
    assert low <= point <= high and low < high  # one interview right, one not: the interval is wide
    assert bootstrap(run, golds, samples=200, seed=1) == bootstrap(run, golds, samples=200, seed=1)
    furthest = bootstrap(run, golds, samples=200, seed=1)["furthest_stage"]
    assert furthest[0] == 0.0 and furthest[1] == 1.0


def test_calibration_compares_forecasts_with_what_the_gold_says():
    from cjm.evaluate import calibration, forecasts

    golds, run = two_interviews()
    found = forecasts(run, golds)
    assert (0.9, True) in found["stage"] and (0.1, False) in found["stage"]  # "none" on a staged utterance
    assert found["stage"].count((0.6, True)) == 2  # the gold has the purchase in both, whatever the run chose
    assert found["stage"].count((0.4, False)) == 2
    assert sorted(found["journey.furthest_stage"]) == [(0.7, False), (0.7, True)]
    report = calibration(run, golds)
    six = next(row for row in report["stage"]["bins"] if row["from"] == 0.6)
    assert six["n"] == 2 and six["observed"] == 1.0
    four = next(row for row in report["stage"]["bins"] if row["from"] == 0.4)
    assert four["observed"] == 0.0 and report["stage"]["ece"] > 0
    assert 0 <= report["stage"]["ece"] <= 1


def test_thresholds_are_chosen_where_held_out_f1_is_highest():
    from cjm.learn import best_thresholds

    golds, run = two_interviews()
    chosen = best_thresholds(run, golds)
    assert chosen["role"] <= 0.8  # the one role forecast (0.8) is right: a threshold that keeps it
    assert set(chosen) == {"role", "channel", "stage_none"}
    assert set(best_thresholds(run, golds, ("unaware", "informed", "interested", "motivated", "bought"))) == \
        {"role", "channel", "stage_none"}  # one stage an utterance is right here: no second-stage threshold


def test_a_second_stage_threshold_where_the_gold_tells_two_steps():
    from cjm.learn import best_thresholds

    golds, run = two_interviews()
    order = ("unaware", "informed", "interested", "motivated", "bought")
    golds["a"]["utterances"][2]["stages"] = ["motivated", "bought"]  # one answer tells the trial and the payment
    chosen = best_thresholds(run, golds, order)
    assert chosen["stage_second"] <= 0.4  # the second stage's 0.4 is kept
    assert "stage_second" not in best_thresholds(run, golds)  # without the stages' order, none
