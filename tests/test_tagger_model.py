"""The model file's calibration: a monotone map from raw probability to measured frequency."""

from cjm.tagger_model import TaggerModel, interpolate, isotonic_points


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
