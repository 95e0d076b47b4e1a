"""The comparison's two tests, in exact integer arithmetic: Fisher's exact test of two shares and
the two-sided Mann-Whitney U test of two samples.

Why not scipy.stats: importing it takes 0.7-0.8 s on this machine, more than everything else a
re-run after one edit spends on the report; these are the only two tests the report runs, on
samples of tens to thousands of interviews. They follow scipy's definitions
(`fisher_exact` on a 2x2 table; `mannwhitneyu(..., alternative="two-sided")` with its "auto"
method: the exact null distribution when both samples are small and have no ties, otherwise the
normal approximation with the tie and continuity corrections), and tests/test_significance.py
checks them against scipy over many random cases.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

EXACT_UP_TO = 8  # the exact U distribution when either sample has at most this many values (scipy's rule)


def fisher_exact_p(a_k: int, a_n: int, b_k: int, b_n: int) -> float:
    """Two-sided p of Fisher's exact test for a_k of a_n against b_k of b_n: the probability, with
    the margins fixed, of every table no more likely than the one observed."""
    if min(a_k, b_k) < 0 or a_k > a_n or b_k > b_n:
        raise ValueError(f"not shares: {a_k} of {a_n}, {b_k} of {b_n}")
    total, k = a_n + b_n, a_k + b_k
    if a_n == 0 or b_n == 0 or k == 0 or k == total:
        return 1.0
    # ways(x): tables with x of side a among the k; all integers, so "no more likely" is exact
    ways = [math.comb(a_n, x) * math.comb(b_n, k - x) for x in range(max(0, k - b_n), min(k, a_n) + 1)]
    observed = math.comb(a_n, a_k) * math.comb(b_n, b_k)
    return min(1.0, sum(w for w in ways if w <= observed) / math.comb(total, k))


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p of the Mann-Whitney U test (both samples non-empty)."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        raise ValueError("the Mann-Whitney test needs a value on each side")
    ranks = average_ranks(list(a) + list(b))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    ties = [t for t in Counter(list(a) + list(b)).values() if t > 1]
    if (n1 <= EXACT_UP_TO or n2 <= EXACT_UP_TO) and not ties:
        p = 2 * exact_u_sf(round(u), n1, n2)
    else:
        n = n1 + n2
        tie_term = sum(t ** 3 - t for t in ties)
        sd = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
        excess = u - n1 * n2 / 2 - 0.5  # the continuity correction
        z = excess / sd if sd > 0 else math.copysign(math.inf, excess)  # sd 0: every value tied
        p = math.erfc(z / math.sqrt(2))  # 2 x the normal upper tail at z
    return min(max(p, 0.0), 1.0)


def average_ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties given the mean of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start:end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def exact_u_sf(u: int, n1: int, n2: int) -> float:
    """P(U >= u) under the null for samples of n1 and n2 values without ties: the share of the
    C(n1 + n2, n1) orders whose U is at least u. The counts of U = 0, 1, ... are the coefficients
    of the Gaussian binomial [n1 + n2 choose m]_q = prod over i = 1..m of (1 - q^(n + i)) / (1 - q^i),
    m the smaller sample: O(m^2 n) integer steps, so a handful of interviews against a thousand is
    instant."""
    m, n = sorted((n1, n2))
    size = m * n + 1
    counts = [1] + [0] * (size - 1)
    for i in range(1, m + 1):
        step = n + i
        for k in range(size - 1, step - 1, -1):  # times (1 - q^step), in place from the top
            counts[k] -= counts[k - step]
        for k in range(i, size):  # divided by (1 - q^i): r[k] = p[k] + r[k - i]
            counts[k] += counts[k - i]
    return sum(counts[max(u, 0):]) / math.comb(n1 + n2, n1)
