"""The model file's calibration: a monotone map from raw probability to measured frequency."""

import pytest

from cjm.tagger_model import TaggerModel, collapsed, collapsed_label, interpolate, isotonic_points


def test_story_states_collapse_to_no_stage_and_their_probabilities_add_up():
    assert collapsed_label("none@interested") == "none" and collapsed_label("bought") == "bought"
    summed = collapsed({"none@start": 0.25, "none@informed": 0.25, "informed": 0.5})
    assert summed == {"none": 0.5, "informed": 0.5}


def test_isotonic_points_pool_violators_and_ties():
    pairs = [(0.1, False), (0.2, True), (0.3, False), (0.9, True), (0.9, True), (0.9, False)]
    points = isotonic_points(pairs)
    ys = [y for _, y in points]
    assert ys == sorted(ys)  # never decreasing
    assert [x for x, _ in points] == [0.1, 0.25, 0.9]  # 0.2 (hit) and 0.3 (miss) violate order: pooled
    overall = 3 / 6  # shrunk towards the overall frequency by two pseudo-forecasts
    assert points[0][1] == round((0 + 2 * overall) / (1 + 2), 4)  # one miss is not "0%"
    assert points[-1][1] == round((2 + 2 * overall) / (3 + 2), 4)  # the three forecasts of 0.9, two right


def test_with_many_forecasts_the_shrinkage_is_negligible():
    pairs = [(0.8, i % 5 != 0) for i in range(500)] + [(0.3, i % 10 < 3) for i in range(500)]
    (x0, y0), (x1, y1) = isotonic_points(pairs)
    assert (x0, x1) == (0.3, 0.8) and abs(y0 - 0.3) < 0.002 and abs(y1 - 0.8) < 0.002


def test_interpolate_between_points_and_clamp_outside():
    points = [[0.2, 0.1], [0.6, 0.5]]
    assert interpolate(points, 0.0) == 0.1 and interpolate(points, 1.0) == 0.5
    assert abs(interpolate(points, 0.4) - 0.3) < 1e-9


def test_calibrated_uses_the_map_only_where_one_was_fitted():
    model = TaggerModel({}, {"calibration": {"role": [[0.5, 0.2], [0.9, 0.6]]}})
    assert model.calibrated("role", 0.9) == 0.6
    assert model.calibrated("channel", 0.9) == 0.9  # no map: the raw value
    assert model.calibrated("role", None) is None


def test_interpolate_at_and_between_the_points():
    points = [[0.2, 0.1], [0.6, 0.5], [0.6, 0.7], [0.9, 0.8]]
    assert interpolate(points, 0.2) == 0.1 and interpolate(points, 0.6) == 0.5  # a tie of x: the first y
    assert abs(interpolate(points, 0.75) - 0.75) < 1e-9
    assert interpolate(points, 0.9) == 0.8 and interpolate(points, 0.95) == 0.8


def test_isotonic_points_pool_equal_frequencies_and_keep_rising_ones():
    tied = isotonic_points([(0.1, False), (0.5, True), (0.9, True)])
    assert tied == [[0.1, round((0 + 2 * 2 / 3) / 3, 4)], [0.7, round((2 + 2 * 2 / 3) / 4, 4)]]  # 1/1 and 1/1 pooled
    rising = isotonic_points([(0.1, False), (0.5, False), (0.5, True), (0.9, True)])
    assert [x for x, _ in rising] == [0.1, 0.5, 0.9]
    many = isotonic_points([(i / 100, i >= 50) for i in range(100)] + [(i / 100, i >= 40) for i in range(100)],
                           max_points=3)
    assert len(many) < 2 * 3 + 1 and many == sorted(many)  # thinned: every (blocks // 3)-th block and the last


def test_thresholds_come_from_the_meta_or_the_default():
    model = TaggerModel({}, {"thresholds": {"role": 0.35}})
    assert model.threshold("role", 0.5) == 0.35 and model.threshold("channel", 0.5) == 0.5
    assert TaggerModel({}, {}).threshold("stage_none", None) is None


def test_features_are_given_in_one_order():
    from cjm.tagger_model import ordered

    rows = ordered([{"b": 1.0, "a": 2.0}, {}])
    assert [list(r) for r in rows] == [["a", "b"], []]


def test_a_model_file_round_trips_and_a_bad_one_names_itself(tmp_path):
    from cjm.errors import UsageError
    from cjm.features import FEATURE_VERSION
    from cjm.tagger_model import default_model, load_model, save_model

    shipped = default_model()
    path = save_model(shipped, tmp_path / "m.zip")
    again = load_model(path)
    assert again.blobs == shipped.blobs and again.meta == shipped.meta and again.source == str(path)
    assert save_model(again, tmp_path / "n.zip").read_bytes() == path.read_bytes()  # the same bytes twice
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="broken.zip: not a cjm model"):
        load_model(broken)
    other = TaggerModel(shipped.blobs, {**shipped.meta, "feature_version": FEATURE_VERSION + 1})
    with pytest.raises(UsageError, match="trained on features of version"):
        load_model(save_model(other, tmp_path / "other.zip"))
    damaged = TaggerModel({**shipped.blobs, "roles": b"garbage"}, shipped.meta)
    with pytest.raises(UsageError, match="cannot be read"):
        load_model(save_model(damaged, tmp_path / "damaged.zip"))


def test_the_shipped_model_gives_probabilities_that_sum_to_one():
    from cjm.tagger_model import default_model

    model = default_model()
    best, marginals = model.stage_marginals([{"bias": 1.0, "rule=bought": 1.0}, {"bias": 1.0}])
    assert len(best) == len(marginals) == 2
    assert all(abs(sum(m.values()) - 1.0) < 1e-6 for m in marginals)
    assert model.stage_marginals([]) == ([], [])
    p = model.accept("roles", [{"bias": 1.0}, {"bias": 1.0, "via=own": 1.0}])
    assert len(p) == 2 and all(0.0 <= x <= 1.0 for x in p)


def test_the_shipped_file_is_what_save_model_writes(tmp_path):
    from cjm.tagger_model import default_model, default_model_path, save_model

    assert save_model(default_model(), tmp_path / "m.zip").read_bytes() == default_model_path().read_bytes()


def test_the_per_utterance_baseline_tags_each_row_alone():
    from cjm.tagger_model import STACKED, default_model

    shipped = default_model()  # a per-utterance model has no second, stacked stage model: it reads no story
    baseline = TaggerModel({k: v for k, v in shipped.blobs.items() if k != STACKED}, {**shipped.meta, "sequence": False})
    rows = [{"bias": 1.0, "rule=informed": 1.0}, {"bias": 1.0, "rule=bought": 1.0}]
    best, marginals = baseline.stage_marginals(rows)
    alone = [baseline.stage_marginals([row]) for row in rows]
    assert best == [a[0][0] for a in alone] and marginals == [a[1][0] for a in alone]
    assert marginals != shipped.stage_marginals(rows)[1]  # the sequence model reads the neighbours


def test_default_training_parameters_are_those_model_selection_chose():
    from cjm.tagger_model import DEFAULT_PARAMS, default_model

    assert DEFAULT_PARAMS == {
        "stages": {"c1": 0.0, "c2": 0.5, "max_iterations": 150, "feature.possible_transitions": True},
        "stages2": {"c1": 0.0, "c2": 0.5, "max_iterations": 60, "feature.possible_transitions": True},
        "roles": {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
        "channels": {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
        "channel_told": {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
        "first_contact": {"c1": 0.0, "c2": 1.0, "max_iterations": 150},
    }
    assert default_model().meta["params"] == {}  # and the shipped model was trained without overrides


def test_a_member_trained_on_rejections_only_accepts_nothing():
    from cjm.tagger_model import train_member

    blob = train_member("roles", [([{"bias": 1.0}], ["no"]), ([{"bias": 1.0, "x": 1.0}], ["no"])])
    model = TaggerModel({"roles": blob}, {})
    assert model.accept("roles", [{"bias": 1.0}, {"x": 1.0}]) == [0.0, 0.0]


def test_the_calibrated_probability_is_rounded_to_four_places():
    model = TaggerModel({}, {"calibration": {"role": [[0.0, 0.0], [0.3, 0.1]]}})
    assert model.calibrated("role", 0.1) == 0.0333  # 1/30, as shown and stored


def test_calibrated_all_maps_each_value_as_calibrated_does():
    model = TaggerModel({}, {"calibration": {"stage": [[0.0, 0.0], [0.3, 0.1], [1.0, 0.9]]}})
    marginal = {"none": 0.1, "interested": 0.65, "bought": 1.0}
    assert model.calibrated_all("stage", marginal) == {k: model.calibrated("stage", v) for k, v in marginal.items()}
    assert model.calibrated_all("stage", marginal) != marginal
    assert TaggerModel({}, {}).calibrated_all("stage", marginal) == marginal  # no map fitted: as they are


def test_below_the_first_point_the_map_gives_the_first_frequency():
    points = [[0.2, 0.1], [0.6, 0.5]]
    assert interpolate(points, 0.15) == 0.1 and interpolate(points, 0.2) == 0.1
    assert interpolate(points, 0.3) > 0.1  # and rises past it


def test_the_calibration_map_stays_within_the_observed_range():
    points = [[0.2, 0.1], [0.6, 0.5], [0.9, 0.8]]
    mapped = [interpolate(points, i / 50) for i in range(51)]
    assert mapped == sorted(mapped) and all(0.1 <= m <= 0.8 for m in mapped)


def test_the_calibration_map_never_falls_even_after_the_shrinkage():
    pairs = [(0.1, False)] * 200 + [(0.5, i < 62) for i in range(100)] + [(0.9, i < 5) for i in range(8)]
    ys = [y for _, y in isotonic_points(pairs)]  # raw frequencies 0, 0.62, 0.625: already in order
    assert ys == sorted(ys)


def test_a_model_is_saved_into_a_folder_that_does_not_exist_yet(tmp_path):
    from cjm.tagger_model import default_model, load_model, save_model

    path = save_model(default_model(), tmp_path / "new" / "models" / "m.zip")
    assert path.is_file() and load_model(path).meta == default_model().meta


def test_the_shipped_model_is_loaded_once_and_gives_real_acceptance_probabilities():
    from cjm.tagger_model import default_model

    model = default_model()
    assert model is default_model()  # read once per process, not for every interview
    for member in ("roles", "channels"):
        p = model.accept(member, [{"bias": 1.0}, {"bias": 1.0, "rule_yes": 1.0}])
        assert len(p) == 2 and all(0.0 < x < 1.0 for x in p), member  # a logistic model is never exactly 0 or 1
        assert p[0] != p[1]  # the features count


def test_a_saved_and_loaded_model_gives_the_same_marginals(tmp_path):
    from cjm.tagger_model import default_model, load_model, save_model

    shipped = default_model()
    again = load_model(save_model(shipped, tmp_path / "m.zip"))
    rows = [{"bias": 1.0, "rule=informed": 1.0}, {"bias": 1.0}, {"bias": 1.0, "rule=bought": 1.0}]
    assert again.stage_marginals(rows) == shipped.stage_marginals(rows)
    assert again.accept("roles", rows) == shipped.accept("roles", rows)


def test_one_forecast_maps_to_its_own_outcome_shrunk_towards_itself():
    assert isotonic_points([(0.7, True)]) == [[0.7, 1.0]]  # the overall frequency of one hit is 1
    assert isotonic_points([(0.7, False)]) == [[0.7, 0.0]]


def test_thinned_points_keep_the_last_block_once():
    pairs = [(x / 10, i < x) for x in range(1, 10, 2) for i in range(10)]  # five blocks, rising
    full = isotonic_points(pairs)
    assert len(full) == 5
    thinned = isotonic_points(pairs, max_points=2)  # every second block, the last one included once
    assert thinned == [full[0], full[2], full[4]]
    assert isotonic_points(pairs, max_points=40) == full  # few blocks: none dropped
    four = isotonic_points(pairs[:40], max_points=2)  # blocks 0, 2 kept by the step; the last added after them
    assert four == [isotonic_points(pairs[:40])[i] for i in (0, 2, 3)]


def test_the_shipped_model_is_read_from_its_file_once(monkeypatch):
    from cjm import tagger_model

    reads = []
    monkeypatch.setattr(tagger_model, "_DEFAULT", [])
    monkeypatch.setattr(tagger_model, "load_model", lambda path, **_: reads.append(path) or TaggerModel({}, {}))
    first = tagger_model.default_model()
    assert tagger_model.default_model() is first and len(reads) == 1


def test_a_member_learns_yes_from_no_and_skips_empty_sequences():
    from cjm.tagger_model import train_member

    blob = train_member("roles", [([{"x": 1.0}], ["yes"]), ([], []), ([{"y": 1.0}], ["no"])] * 5)
    yes, no = TaggerModel({"roles": blob}, {}).accept("roles", [{"x": 1.0}, {"y": 1.0}])
    assert yes > 0.5 > no


def per_candidate(model: TaggerModel, member: str, rows: list[dict[str, float]]) -> list[float]:
    """`accept` the slow way: each candidate a sequence of its own."""
    tagger = model.tagger(member)
    out = []
    for row in rows:
        tagger.set([dict(sorted(row.items()))])
        out.append(tagger.marginal("yes", 0))
    return out


def test_candidates_read_as_one_sequence_get_each_its_own_probability():
    from cjm.tagger_model import default_model

    model = default_model()
    rows = [{"bias": 1.0, "rule_yes": 1.0, "via=own": 1.0}, {"bias": 1.0, "no_mention": 1.0},
            {"bias": 1.0, "label=expert": 1.0, "origin=phrase": 1.0}, {"bias": 1.0}]
    assert "roles" in model._opened[1]
    # the same up to the last bit of a double: crfsuite sums a sequence's scores in another order
    assert model.accept("roles", rows) == pytest.approx(per_candidate(model, "roles", rows), rel=1e-12, abs=1e-15)
    assert model.accept("roles", rows[1:2]) == pytest.approx(per_candidate(model, "roles", rows[1:2]), rel=1e-12)
    assert model.accept("roles", rows)[0] != pytest.approx(model.accept("roles", rows)[1], rel=1e-3)  # not all alike


def test_a_member_with_transition_weights_reads_each_candidate_alone():
    from cjm.tagger_model import train_member

    # sequences of two, with every transition possible: yes after yes weighs something
    data = [([{"x": 1.0}, {"x": 1.0}], ["yes", "yes"]), ([{"y": 1.0}, {"x": 1.0}], ["no", "no"])] * 5
    blob = train_member("roles", data, {"feature.possible_transitions": True})
    model = TaggerModel({"roles": blob}, {})
    assert model.tagger("roles").info().transitions  # the case that must not be read as one sequence
    assert "roles" not in model._opened[1]
    rows = [{"x": 1.0}, {"y": 1.0}, {"x": 1.0}]
    assert model.accept("roles", rows) == per_candidate(model, "roles", rows)


TOLD = [([{"bias": 1.0, "w=gareth": 1.0, "w=recommend": 1.0}], ["referral"]),
        ([{"bias": 1.0, "w=call": 1.0, "w=manager": 1.0}], ["cold_call"]),
        ([{"bias": 1.0, "w=stand": 1.0}], ["none"])] * 30


def test_the_told_channel_classifier_gives_each_channel_but_no_channel():
    from cjm.tagger_model import TOLD_CHANNEL, train_member

    model = TaggerModel({TOLD_CHANNEL: train_member(TOLD_CHANNEL, TOLD)}, {})
    referral, cold, aside = model.told_channels([{"bias": 1.0, "w=gareth": 1.0}, {"bias": 1.0, "w=call": 1.0},
                                                 {"bias": 1.0, "w=stand": 1.0}])
    assert set(referral) == {"referral", "cold_call"}  # "none" is what is left of 1
    assert referral["referral"] > 0.5 > referral["cold_call"] and cold["cold_call"] > 0.5
    assert max(aside.values()) < 0.5 and sum(aside.values()) < 1
    assert TOLD_CHANNEL in model._opened[1]  # one-item sequences: read as one sequence, each row its own
    assert model.told_channels([{"bias": 1.0, "w=gareth": 1.0}])[0] == pytest.approx(referral, rel=1e-12)


def test_a_model_without_the_told_channel_classifier_tells_nothing(tmp_path):
    from cjm.tagger_model import TOLD_CHANNEL, load_model, save_model, train_member

    model = TaggerModel({}, {})
    assert model.told_channels([{"w=gareth": 1.0}, {}]) == [{}, {}] and model.told_channels([]) == []
    members = {member: train_member(member, [([{"x": 1.0}], ["yes"]), ([{"y": 1.0}], ["no"])] * 3)
               for member in ("stages", "roles", "channels")}
    older = load_model(save_model(TaggerModel(members, {}), tmp_path / "older.zip"), check=False)
    assert TOLD_CHANNEL not in older.blobs and older.told_channels([{"w=gareth": 1.0}]) == [{}]
    newer = load_model(save_model(TaggerModel({**members, TOLD_CHANNEL: train_member(TOLD_CHANNEL, TOLD)}, {}),
                                  tmp_path / "newer.zip"), check=False)
    assert newer.told_channels([{"bias": 1.0, "w=gareth": 1.0}])[0]["referral"] > 0.5  # the member round-trips


def test_a_told_channel_member_with_transition_weights_reads_each_row_alone():
    from cjm.tagger_model import TOLD_CHANNEL, train_member

    data = [([{"x": 1.0}, {"x": 1.0}], ["referral", "referral"]), ([{"y": 1.0}, {"x": 1.0}], ["none", "cold_call"])] * 5
    model = TaggerModel({TOLD_CHANNEL: train_member(TOLD_CHANNEL, data, {"feature.possible_transitions": True})}, {})
    assert model.tagger(TOLD_CHANNEL).info().transitions and TOLD_CHANNEL not in model._opened[1]
    rows = [{"x": 1.0}, {"y": 1.0}]
    assert model.told_channels(rows) == [model.told_channels([row])[0] for row in rows]
