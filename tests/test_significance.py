"""cjm.significance against scipy.stats, which it stands in for at run time (scipy is a test
dependency only): random shares and samples, ties and no ties, small and lopsided sizes."""

import random

import pytest
from scipy.stats import fisher_exact, mannwhitneyu

from cjm.significance import average_ranks, exact_u_sf, fisher_exact_p, mann_whitney_p


def scipy_fisher(a_k, a_n, b_k, b_n):
    return float(fisher_exact([[a_k, a_n - a_k], [b_k, b_n - b_k]]).pvalue)


def scipy_mw(a, b):
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def test_fisher_matches_scipy_on_random_shares():
    rng = random.Random(11)
    for _ in range(1500):
        a_n, b_n = rng.randint(1, 80), rng.randint(1, 80)
        a_k, b_k = rng.randint(0, a_n), rng.randint(0, b_n)
        assert fisher_exact_p(a_k, a_n, b_k, b_n) == pytest.approx(scipy_fisher(a_k, a_n, b_k, b_n), rel=1e-12)


@pytest.mark.parametrize("shares, p", [((9, 10, 1, 10), 0.0010933), ((3, 4, 1, 4), 0.4857142857),
                                       ((0, 5, 0, 7), 1.0), ((5, 5, 7, 7), 1.0), ((2, 4, 2, 4), 1.0),
                                       ((0, 3, 3, 3), 0.1)])
def test_fisher_known_values(shares, p):
    assert fisher_exact_p(*shares) == pytest.approx(p, abs=1e-6)
    assert fisher_exact_p(*shares) == pytest.approx(scipy_fisher(*shares), rel=1e-12)


def test_fisher_is_symmetric_in_the_sides_and_rejects_non_shares():
    assert fisher_exact_p(7, 20, 15, 25) == fisher_exact_p(15, 25, 7, 20)
    with pytest.raises(ValueError):
        fisher_exact_p(3, 2, 0, 1)
    with pytest.raises(ValueError):
        fisher_exact_p(-1, 2, 0, 1)


@pytest.mark.parametrize("kind", ["distinct", "ties", "all tied"])
def test_mann_whitney_matches_scipy(kind):
    """Small samples without ties take the exact distribution, the rest the normal approximation:
    both paths, and the border at 8 values, against scipy's "auto" method."""
    rng = random.Random({"distinct": 1, "ties": 2, "all tied": 3}[kind])
    for _ in range(600):
        n1, n2 = rng.randint(1, 14), rng.randint(1, 40)
        if kind == "distinct":
            a, b = [rng.random() * 100 for _ in range(n1)], [rng.random() * 100 + 20 for _ in range(n2)]
        elif kind == "ties":
            a, b = [float(rng.randint(0, 12)) for _ in range(n1)], [float(rng.randint(3, 15)) for _ in range(n2)]
        else:
            a, b = [30.0] * n1, [30.0] * n2
        assert mann_whitney_p(a, b) == pytest.approx(scipy_mw(a, b), rel=1e-10, abs=1e-15), (a, b)


def test_mann_whitney_exact_against_a_lopsided_large_sample():
    rng = random.Random(5)
    few, many = [rng.random() for _ in range(6)], [rng.random() + 0.2 for _ in range(900)]
    assert mann_whitney_p(few, many) == pytest.approx(scipy_mw(few, many), rel=1e-10)


def test_mann_whitney_known_values_and_both_directions():
    low, high = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]
    assert mann_whitney_p(low, high) == pytest.approx(0.1)  # 2 of the 20 orders are this extreme
    assert mann_whitney_p(high, low) == pytest.approx(0.1)
    assert mann_whitney_p([1.0, 2.0], [1.5, 2.5]) == pytest.approx(2 / 3)  # U = 3: 2 of 6 orders, twice
    with pytest.raises(ValueError):
        mann_whitney_p([], [1.0])


def test_exact_u_distribution_counts_every_order():
    """For 2 against 2 the six orders give U = 0, 1, 2, 2, 3, 4."""
    assert [exact_u_sf(u, 2, 2) for u in range(6)] == pytest.approx([1, 5 / 6, 4 / 6, 2 / 6, 1 / 6, 0])
    assert exact_u_sf(3, 2, 4) == exact_u_sf(3, 4, 2)


def test_average_ranks_share_ties():
    assert average_ranks([10.0, 20.0, 10.0, 5.0]) == [2.5, 4.0, 2.5, 1.0]
    assert average_ranks([]) == []
