"""Statistics for gates and comparisons, in pure Python (no numpy), deterministic: resamples
come from ``seed``, or, where it is ``None`` (the gate's intervals), from the data.

- Rates: :func:`wilson_interval`.
- Means and percentiles: :func:`bootstrap_interval` (percentile bootstrap).
- Two releases on the same cases: :func:`mcnemar` for pass/fail, :func:`paired_bootstrap`
  for numbers. Both report the difference ``b - a`` with an interval and a two-sided p-value.
- Planning: :func:`minimum_detectable_effect`; hygiene: :func:`flaky_cases`.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import operator
import random
import statistics
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from prodready.evaluation import _types

__all__ = [
    "QUANTILES",
    "Aggregate",
    "Interval",
    "PairedTest",
    "Statistic",
    "bootstrap_interval",
    "estimate",
    "flaky_cases",
    "interval",
    "mcnemar",
    "mean_interval",
    "minimum_detectable_effect",
    "paired",
    "paired_bootstrap",
    "paired_test",
    "permutation_p_value",
    "quantile_cases_needed",
    "quantile_interval",
    "skewness",
    "wilson_interval",
]

Aggregate = Literal["rate", "mean", "p50", "p95"]
"""How per-case values summarise into one number (the criteria file's ``aggregate``)."""

QUANTILES: dict[str, float] = {"p50": 0.5, "p95": 0.95}
"""The percentile aggregates and the quantile each one is."""

Statistic = Literal["mean", "p50", "p95"] | Callable[[Sequence[float]], float]
"""What a bootstrap estimates: a named statistic or any function of a sample."""

_EXACT_BELOW = 25
"""McNemar uses the exact binomial test below this many discordant pairs, chi-square above."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """An estimate with a two-sided confidence interval."""

    estimate: float
    low: float
    high: float
    n: int
    confidence: float
    method: str
    """``wilson``, ``bootstrap-t``, ``order-statistic`` or ``bootstrap-percentile``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PairedTest:
    """Two releases compared on the same cases: ``difference`` is always ``b - a``."""

    difference: float
    low: float
    high: float
    """The two-sided ``confidence`` interval of the difference."""
    p_value: float
    """Two-sided p-value for "no difference"."""
    n: int
    confidence: float
    method: str
    """``mcnemar-exact``, ``mcnemar-chi2`` (continuity-corrected), ``sign-flip`` (means),
    ``order-statistic-bonferroni`` (percentiles) or ``paired-bootstrap`` (other statistics)."""
    statistic: float | None = None
    """The chi-square statistic (``mcnemar-chi2`` only)."""
    a_only: int | None = None
    """McNemar: pairs where only ``a`` passed."""
    b_only: int | None = None
    """McNemar: pairs where only ``b`` passed."""


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson_interval(successes: float, n: int, *, confidence: float = 0.95) -> Interval:
    """The Wilson score interval for a proportion ``successes / n``.

    ``successes`` may be fractional (a case's share of passing repeats).

    Raises:
        ValueError: ``n < 1`` or ``successes`` outside ``[0, n]``.
    """
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes}/{n}")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(
        estimate=p,
        low=0.0 if successes == 0 else max(0.0, center - half),
        high=1.0 if successes == n else min(1.0, center + half),
        n=n,
        confidence=confidence,
        method="wilson",
    )


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) of a sorted sample.

    Between a finite and an infinite value it returns the infinite one: the conservative
    end for the tails of bootstrap statistics."""
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    x, y = ordered[lo], ordered[hi]
    if x == y or pos == lo:  # also keeps inf - inf out of the interpolation
        return x
    if math.isinf(x) or math.isinf(y):
        return x if math.isinf(x) else y
    return x + (y - x) * (pos - lo)


def estimate(values: Sequence[float], aggregate: Aggregate) -> float:
    """The point estimate of ``aggregate``: the mean for a rate or a mean, else the
    percentile (interpolated between ranks, as numpy does by default)."""
    return _statistic("mean" if aggregate == "rate" else aggregate)(values)


def _statistic(statistic: Statistic) -> Callable[[Sequence[float]], float]:
    if callable(statistic):
        return statistic
    if statistic == "mean":
        return lambda xs: math.fsum(xs) / len(xs)
    if statistic in QUANTILES:
        q = QUANTILES[statistic]
        return lambda xs: _percentile(sorted(xs), q)
    raise ValueError(f"unknown statistic {statistic!r}: use 'mean', 'p50', 'p95' or a function")


def bootstrap_interval(
    values: Sequence[float],
    statistic: Statistic = "mean",
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """A percentile-bootstrap interval for ``statistic(values)``.

    Raises:
        ValueError: no values.
    """
    if not values:
        raise ValueError("bootstrap_interval needs at least one value")
    fn = _statistic(statistic)
    rng = random.Random(seed)
    n = len(values)
    draws = sorted(fn(rng.choices(values, k=n)) for _ in range(resamples))
    alpha = 1 - confidence
    _z(confidence)  # validates
    return Interval(
        estimate=fn(values),
        low=_percentile(draws, alpha / 2),
        high=_percentile(draws, 1 - alpha / 2),
        n=n,
        confidence=confidence,
        method="bootstrap-percentile",
    )


def mcnemar(
    a_pass: Sequence[bool], b_pass: Sequence[bool], *, confidence: float = 0.95
) -> PairedTest:
    """McNemar's test of two releases' pass/fail on the same cases (``a_pass[i]`` pairs
    with ``b_pass[i]``).

    The p-value is exact (two-sided binomial on the discordant pairs) when there are fewer
    than 25 discordant pairs, otherwise chi-square with continuity correction,
    ``(|a_only - b_only| - 1)² / (a_only + b_only)`` on one degree of freedom. The interval
    for the difference of pass rates ``b - a`` is Newcombe's hybrid score interval for
    paired proportions (1998, method 10), built from the two Wilson intervals.

    Raises:
        ValueError: empty or unequal lengths.
    """
    if len(a_pass) != len(b_pass) or not a_pass:
        raise ValueError(f"need two equal, non-empty lists, got {len(a_pass)} and {len(b_pass)}")
    n = len(a_pass)
    both = sum(1 for a, b in zip(a_pass, b_pass, strict=True) if a and b)
    a_only = sum(1 for a, b in zip(a_pass, b_pass, strict=True) if a and not b)
    b_only = sum(1 for a, b in zip(a_pass, b_pass, strict=True) if b and not a)
    neither = n - both - a_only - b_only
    discordant = a_only + b_only
    chi2: float | None = None
    if discordant == 0:
        p_value, method = 1.0, "mcnemar-exact"
    elif discordant < _EXACT_BELOW:
        k = min(a_only, b_only)
        tail = math.fsum(math.comb(discordant, i) for i in range(k + 1)) / 2**discordant
        p_value, method = min(1.0, 2 * tail), "mcnemar-exact"
    else:
        chi2 = (abs(a_only - b_only) - 1) ** 2 / discordant
        p_value, method = math.erfc(math.sqrt(chi2 / 2)), "mcnemar-chi2"
    low, high = _newcombe_paired(both, b_only, a_only, neither, confidence)
    return PairedTest(
        difference=(b_only - a_only) / n,
        low=low,
        high=high,
        p_value=p_value,
        n=n,
        confidence=confidence,
        method=method,
        statistic=chi2,
        a_only=a_only,
        b_only=b_only,
    )


def _newcombe_paired(
    both: int, first_only: int, second_only: int, neither: int, confidence: float
) -> tuple[float, float]:
    """Newcombe's interval for ``p_first - p_second`` on a paired 2x2 table."""
    n = both + first_only + second_only + neither
    p1, p2 = (both + first_only) / n, (both + second_only) / n
    w1 = wilson_interval(both + first_only, n, confidence=confidence)
    w2 = wilson_interval(both + second_only, n, confidence=confidence)
    margins = (both + first_only) * (second_only + neither) * (both + second_only)
    margins *= first_only + neither
    phi = 0.0
    if margins > 0:
        cross = both * neither - first_only * second_only
        # Newcombe's continuity correction of the correlation: shrink positive values by n/2.
        corrected = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
        phi = corrected / math.sqrt(margins)
    d1, d2 = p1 - w1.low, w2.high - p2
    e1, e2 = w1.high - p1, p2 - w2.low
    theta = p1 - p2
    low = theta - math.sqrt(max(0.0, d1 * d1 + d2 * d2 - 2 * phi * d1 * d2))
    high = theta + math.sqrt(max(0.0, e1 * e1 + e2 * e2 - 2 * phi * e1 * e2))
    return max(-1.0, low), min(1.0, high)


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    statistic: Statistic = "mean",
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> PairedTest:
    """Bootstrap ``statistic(b) - statistic(a)`` resampling cases (pairs kept together).

    The interval is the percentile interval of the resampled differences. The two-sided
    p-value is the paired permutation test's (:func:`permutation_p_value`): a percentile
    bootstrap cannot give one from a few cases (five cases that all moved by +1 are
    p = 0.0625, not 0.001). For gates and comparisons use :func:`paired_test`, whose
    interval keeps its level on small samples.

    Raises:
        ValueError: empty or unequal lengths.
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"need two equal, non-empty lists, got {len(a)} and {len(b)}")
    fn = _statistic(statistic)
    _z(confidence)
    rng = random.Random(seed)
    n = len(a)
    index = range(n)
    draws: list[float] = []
    for _ in range(resamples):
        picks = rng.choices(index, k=n)
        draws.append(fn([b[i] for i in picks]) - fn([a[i] for i in picks]))
    draws.sort()
    alpha = 1 - confidence
    return PairedTest(
        difference=fn(b) - fn(a),
        low=_percentile(draws, alpha / 2),
        high=_percentile(draws, 1 - alpha / 2),
        p_value=permutation_p_value(a, b, statistic=statistic, resamples=resamples, seed=seed),
        n=n,
        confidence=confidence,
        method="paired-bootstrap",
    )


# --- Intervals with valid small-sample coverage (what the gate and comparisons use) --------


def interval(
    values: Sequence[float], aggregate: Aggregate, *, confidence: float = 0.95
) -> Interval:
    """The interval a gate reads for ``aggregate`` of per-case ``values``.

    - ``rate``: :func:`wilson_interval` on the summed values (fractional for repeats).
    - ``mean``: :func:`mean_interval` (studentized bootstrap).
    - ``p50``, ``p95``: :func:`quantile_interval` (distribution-free order statistics).

    Raises:
        ValueError: no values, or an unknown aggregate.
    """
    if not values:
        raise ValueError("an interval needs at least one value")
    if aggregate == "rate":
        return wilson_interval(math.fsum(values), len(values), confidence=confidence)
    if aggregate == "mean":
        return mean_interval(values, confidence=confidence)
    if aggregate in QUANTILES:
        return quantile_interval(values, QUANTILES[aggregate], confidence=confidence)
    raise ValueError(f"unknown aggregate {aggregate!r}: use 'rate', 'mean', 'p50' or 'p95'")


def paired(
    a: Sequence[float],
    b: Sequence[float],
    aggregate: Aggregate,
    *,
    binary: bool,
    confidence: float = 0.95,
) -> PairedTest:
    """The paired comparison a gate or a ranking reads for ``aggregate``: ``b - a``.

    A ``rate`` whose values are all 0 or 1 (``binary``: no disagreeing repeats) gets
    :func:`mcnemar`; a fractional rate or a mean, :func:`paired_test` of the mean; a
    percentile, :func:`paired_test` of that percentile.
    """
    if aggregate == "rate" and binary:
        return mcnemar([x == 1.0 for x in a], [x == 1.0 for x in b], confidence=confidence)
    statistic = "mean" if aggregate == "rate" else aggregate
    return paired_test(a, b, statistic=statistic, confidence=confidence)


def quantile_interval(values: Sequence[float], q: float, *, confidence: float = 0.95) -> Interval:
    """A distribution-free interval for the ``q`` quantile: two order statistics.

    The upper bound is the smallest order statistic ``x(k)`` with
    ``P(Binomial(n, q) <= k - 1) >= 1 - alpha/2``, the lower bound the largest ``x(k)`` with
    ``P(Binomial(n, q) >= k) >= 1 - alpha/2`` (the bounds of scipy's ``quantile_test``).
    Each side covers at least its nominal level for any distribution, ties included. When
    ``n`` is too small for any order statistic to bound the quantile on a side, that side is
    infinite: :func:`quantile_cases_needed` says how many cases would bound it. The estimate
    interpolates linearly between ranks, as numpy does by default.

    Raises:
        ValueError: no values, or ``q`` outside (0, 1).
    """
    if not values:
        raise ValueError("quantile_interval needs at least one value")
    if not 0 < q < 1:
        raise ValueError(f"q must be in (0, 1), got {q}")
    alpha = (1 - confidence) / 2
    _z(confidence)
    ordered = sorted(values)
    n = len(ordered)
    below = _binomial_cdf(n, q)  # below[k] = P(Binomial(n, q) <= k)
    tol = 1e-12  # float noise must not decide a boundary case
    high = next(
        (ordered[k - 1] for k in range(1, n + 1) if below[k - 1] >= 1 - alpha - tol), math.inf
    )
    low = next((ordered[k - 1] for k in range(n, 0, -1) if below[k - 1] <= alpha + tol), -math.inf)
    return Interval(
        estimate=_percentile(ordered, q),
        low=low,
        high=high,
        n=n,
        confidence=confidence,
        method="order-statistic",
    )


def quantile_cases_needed(
    q: float, *, side: Literal["low", "high"], confidence: float = 0.95
) -> int:
    """The fewest cases for which :func:`quantile_interval` has a finite bound on ``side``.

    An upper bound for the ``q`` quantile needs ``1 - q**n >= 1 - alpha/2``; a lower bound
    ``1 - (1 - q)**n >= 1 - alpha/2``. For the 95th percentile at 95% confidence: 72 cases
    for the upper bound, 2 for the lower.
    """
    alpha = (1 - confidence) / 2
    p = q if side == "high" else 1 - q
    n = math.ceil(math.log(alpha) / math.log(p))
    while p**n > alpha + 1e-12:  # guard the float edge of the logarithm ratio
        n += 1
    while n > 1 and p ** (n - 1) <= alpha + 1e-12:
        n -= 1
    return n


def mean_interval(
    values: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | None = None,
) -> Interval:
    """A studentized (bootstrap-t) interval for the mean.

    Each resample's mean is standardised by its own standard error, and the interval is
    ``mean - t*(1 - alpha/2) · se .. mean - t*(alpha/2) · se``. Unlike the percentile
    bootstrap it corrects for skew (latency, cost) and for the small-sample width the
    percentile bootstrap lacks, so each side keeps close to its level from a handful of cases
    (``docs/criteria.md`` shows the simulated rates). One case has no spread to learn from:
    its interval is unbounded. Identical values give a zero-width interval: no method can
    bound a mean from a sample without spread (gate a rare event as a rate instead).

    Raises:
        ValueError: no values.
    """
    if not values:
        raise ValueError("mean_interval needs at least one value")
    alpha = (1 - confidence) / 2
    _z(confidence)
    n = len(values)
    mean = math.fsum(values) / n
    bounds = (-math.inf, math.inf)
    if n > 1:
        centred = [x - mean for x in values]
        se = math.sqrt(math.fsum(c * c for c in centred) / (n - 1) / n)
        bounds = (mean, mean)
        if se > 0:
            rng = random.Random(_data_seed(values) if seed is None else seed)
            ts = sorted(_studentized(centred, resamples, rng))
            t_low, t_high = _percentile(ts, alpha), _percentile(ts, 1 - alpha)
            bounds = (mean - t_high * se, mean - t_low * se)
    return Interval(
        estimate=mean,
        low=bounds[0],
        high=bounds[1],
        n=n,
        confidence=confidence,
        method="bootstrap-t",
    )


def _studentized(centred: Sequence[float], resamples: int, rng: random.Random) -> list[float]:
    """Bootstrap t statistics of a centred sample: ``mean* / se*`` per resample."""
    n = len(centred)
    out = []
    for _ in range(resamples):
        xs = rng.choices(centred, k=n)
        m = sum(xs) / n
        squares = sum(map(operator.mul, xs, xs))
        var = (squares - n * m * m) / (n - 1)
        # The subtraction cancels: a resample of one repeated value (0.0875 twelve times)
        # leaves ~1e-17 of rounding, not 0, and m / sqrt(that) is a finite t of ~1e7 (a
        # bound of -12 million). Rounding is at most ~n ulps of the sum of squares, so a
        # variance under 1e-12 of the mean square is no spread at all.
        if var > 1e-12 * squares / n + 1e-300:
            out.append(m / math.sqrt(var / n))
        else:  # a resample of one repeated value: infinitely far, on the side it moved
            out.append(0.0 if m == 0 else math.copysign(math.inf, m))
    return out


def paired_test(
    a: Sequence[float],
    b: Sequence[float],
    *,
    statistic: Literal["mean", "p50", "p95"] = "mean",
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | None = None,
) -> PairedTest:
    """``statistic(b) - statistic(a)`` on paired values, with valid small-sample error rates.

    - ``mean``: the sign-flip (Fisher-Pitman permutation) interval of the per-case
      differences ``d[i] = b[i] - a[i]``, by Hartigan's random subset means: each bound is an
      order statistic of the means of ``d`` over random subsets (all of them up to 12
      cases). It is exact when the differences are symmetric about their mean, as they are
      when the two releases' values differ by a shift plus noise of the same shape, and the
      studentized form of the same test, so it stays close to its level otherwise. Bounds
      that the cases cannot support (fewer than 5 cases at one-sided 95%) are infinite.
    - ``p50``, ``p95``: each release's order-statistic interval at ``1 - alpha/2``
      (Bonferroni): the upper bound of the difference is ``high(b) - low(a)``, the lower
      ``low(b) - high(a)``. Distribution-free, so conservative; a bound that no order
      statistic supports is infinite (see :func:`quantile_cases_needed`).

    The two-sided p-value is a paired permutation test (each case's two values swapped at
    random; for the mean, the signs of the differences flipped), exact by enumeration up to
    12 cases: five cases that all moved by +1 give 2/32 = 0.0625, one case gives 1.

    Raises:
        ValueError: empty or unequal lengths, or an unknown statistic.
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"need two equal, non-empty lists, got {len(a)} and {len(b)}")
    if statistic == "mean":
        d = [y - x for x, y in zip(a, b, strict=True)]
        rng = random.Random(_data_seed(a, b) if seed is None else seed)
        # The interval and the p-value read the same random subsets (permutation_p_value
        # would draw them again from the same seed): drawn and summed once.
        subsets = _subset_sums(d, resamples, rng)
        low, high = _sign_flip_bounds(subsets, confidence)
        p_value = _sign_flip_p_value(a, b, d, subsets)
        method = "sign-flip"
    elif statistic in QUANTILES:
        each = 1 - (1 - confidence) / 2
        ia = quantile_interval(a, QUANTILES[statistic], confidence=each)
        ib = quantile_interval(b, QUANTILES[statistic], confidence=each)
        low, high, method = ib.low - ia.high, ib.high - ia.low, "order-statistic-bonferroni"
        p_value = permutation_p_value(a, b, statistic=statistic, resamples=resamples, seed=seed)
    else:
        raise ValueError(f"unknown statistic {statistic!r}: use 'mean', 'p50' or 'p95'")
    fn = _statistic(statistic)
    return PairedTest(
        difference=fn(b) - fn(a),
        low=low,
        high=high,
        p_value=p_value,
        n=len(a),
        confidence=confidence,
        method=method,
    )


_EXACT_PERMUTATIONS_UP_TO = 12
"""Paired permutation tests enumerate all 2**n swaps up to this many cases (4,096)."""


def permutation_p_value(
    a: Sequence[float],
    b: Sequence[float],
    *,
    statistic: Statistic = "mean",
    resamples: int = 2000,
    seed: int | None = None,
) -> float:
    """Two-sided p-value of a paired permutation test of "no difference".

    Under the null hypothesis each case's two values are exchangeable, so the statistic
    ``statistic(b) - statistic(a)`` is compared with its value under every swap of pairs
    (all ``2**n`` up to 12 cases, else ``resamples`` random swaps, counting the observed
    one): the share at least as far from zero as observed. Never below ``1 / 2**n``.

    Raises:
        ValueError: empty or unequal lengths.
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"need two equal, non-empty lists, got {len(a)} and {len(b)}")
    if statistic == "mean":
        d = [y - x for x, y in zip(a, b, strict=True)]
        rng = random.Random(_data_seed(a, b) if seed is None else seed)
        return _sign_flip_p_value(a, b, d, _subset_sums(d, resamples, rng))
    fn = _statistic(statistic)
    n = len(a)
    observed = abs(fn(b) - fn(a))
    edge = observed - 1e-9 * max(1.0, observed)  # ties with the observed value count

    def moved(swaps: int) -> bool:
        # Case i is swapped when bit i is set; one string of the bits is cheaper to walk
        # than shifting an n-bit integer for each case.
        bits = f"{swaps:0{n}b}"[::-1]
        xs = [y if s == "1" else x for s, x, y in zip(bits, a, b, strict=True)]
        ys = [x if s == "1" else y for s, x, y in zip(bits, a, b, strict=True)]
        return abs(fn(ys) - fn(xs)) >= edge

    if n <= _EXACT_PERMUTATIONS_UP_TO:
        return float(sum(moved(s) for s in range(2**n)) / 2**n)
    rng = random.Random(_data_seed(a, b) if seed is None else seed)
    extreme = sum(moved(rng.getrandbits(n)) for _ in range(resamples))
    return (1 + extreme) / (1 + resamples)


def _sign_flip_p_value(
    a: Sequence[float], b: Sequence[float], d: Sequence[float], subsets: list[tuple[float, int]]
) -> float:
    """:func:`permutation_p_value` of the mean from the subset sums of ``d = b - a``:
    swapping the cases of subset F moves the sum of ``d`` by ``-2 sum_F(d)``."""
    n = len(d)
    mean = _statistic("mean")
    observed = abs(mean(b) - mean(a))
    edge = observed - 1e-9 * max(1.0, observed)  # ties with the observed value count
    total = math.fsum(d)
    extreme = sum(abs(total - 2 * s) / n >= edge for s, _ in subsets)
    return (1 + extreme) / (1 + len(subsets))  # the observed sample counts as one


def _sign_flip_bounds(subsets: list[tuple[float, int]], confidence: float) -> tuple[float, float]:
    """The sign-flip test of "mean(d) = delta", inverted: the confidence interval for mean(d).

    Flipping the signs of ``d - delta`` on a subset F moves the sum past the observed one
    exactly when the mean of ``d`` over F is on the other side of ``delta``. So the test
    rejects "mean <= delta" at level alpha when at most ``alpha · T - 1`` of the ``T - 1``
    subset means are ``<= delta`` (``T`` sign patterns, the observed one included): the
    lower bound is the ``c``-th smallest subset mean (Hartigan 1969), the upper the ``c``-th
    largest.
    """
    _z(confidence)
    means = [s / k for s, k in subsets]
    total = len(means) + 1
    c = math.floor((1 - confidence) / 2 * total + 1e-9) - 1
    if c < 0:
        return -math.inf, math.inf
    means.sort()
    return means[c], means[-1 - c]


def _subset_sums(d: Sequence[float], resamples: int, rng: random.Random) -> list[tuple[float, int]]:
    """Sum and size of ``d`` over every non-empty subset (up to 12 values), else over
    ``resamples`` random non-empty subsets (each value in with probability 1/2)."""
    n = len(d)
    if n <= _EXACT_PERMUTATIONS_UP_TO:
        sums = _partial_sums(d)
        return [(sums[m], m.bit_count()) for m in range(1, 1 << n)]
    # A random subset is summed eight members at a time through tables of partial sums.
    tables = [_partial_sums(d[start : start + 8]) for start in range(0, n, 8)]
    out: list[tuple[float, int]] = []
    while len(out) < resamples:
        bits = rng.getrandbits(n)
        if bits:  # the empty subset is the observed sample itself, counted apart
            total = sum(t[bits >> (8 * j) & 255] for j, t in enumerate(tables))
            out.append((total, bits.bit_count()))
    return out


def _partial_sums(values: Sequence[float]) -> list[float]:
    """``sums[mask]``: the sum of the values whose bits are set in ``mask``."""
    sums = [0.0] * (1 << len(values))
    for mask in range(1, 1 << len(values)):  # each from the subset without its lowest bit
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + values[low.bit_length() - 1]
    return sums


def skewness(values: Sequence[float]) -> float:
    """The sample skewness ``m3 / m2**1.5`` (0 for fewer than 3 values or no spread)."""
    n = len(values)
    if n < 3:
        return 0.0
    mean = math.fsum(values) / n
    m2 = math.fsum((x - mean) ** 2 for x in values) / n
    if m2 <= 0:
        return 0.0
    return math.fsum((x - mean) ** 3 for x in values) / n / (m2 * math.sqrt(m2))


def _data_seed(*samples: Sequence[float]) -> int:
    """A seed drawn from the values themselves: the same data always gets the same resamples
    (a verdict is reproducible), while different data get different ones. One fixed seed for
    every run would test every dataset against the same collection of random resamples, and
    a collection's error rate is only the nominal one on average over collections (measured:
    6.6% instead of 5% for one paired cell of docs/criteria.md's table)."""
    digest = hashlib.blake2b(digest_size=8)
    for sample in samples:
        digest.update(struct.pack(f"<{len(sample)}d", *sample))
        digest.update(b"|")
    return int.from_bytes(digest.digest(), "little")


def _binomial_cdf(n: int, p: float) -> list[float]:
    """``[P(Binomial(n, p) <= k) for k in 0..n]``, from log-space terms (no underflow)."""
    log_p, log_q = math.log(p), math.log1p(-p)
    lg = math.lgamma(n + 1)
    terms = [
        math.exp(lg - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q)
        for k in range(n + 1)
    ]
    return list(itertools.accumulate(terms))


def minimum_detectable_effect(
    n: int,
    *,
    baseline_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    paired: bool = False,
    discordant_rate: float | None = None,
) -> float:
    """The smallest change in a pass rate that ``n`` cases detect (normal approximation).

    With ``z_a = z(1 - alpha/2)``, ``z_b = z(power)`` and ``p = baseline_rate``:

    - ``paired=False`` — one release against a fixed value (a gate's target):
      ``δ = (z_a + z_b) · sqrt(p (1 - p) / n)``.
    - ``paired=True`` — two releases on the same ``n`` cases (McNemar, Connor 1987): the
      ``δ`` solving ``n = (z_a·sqrt(ψ) + z_b·sqrt(ψ - δ²))² / δ²``, where ``ψ`` is the share
      of cases on which the two releases disagree. Without ``discordant_rate`` it assumes
      they disagree as often as two independent runs would, ``ψ = 2p(1 - p)``: releases
      that mostly agree detect smaller effects, so pass ``ψ`` when you know it.

    Returns:
        δ as an absolute difference in rate (0.07 = seven points).
    """
    if n < 1 or not 0 < baseline_rate < 1:
        raise ValueError(f"need n >= 1 and 0 < baseline_rate < 1, got {n}, {baseline_rate}")
    z_a = _z(1 - alpha)
    z_b = statistics.NormalDist().inv_cdf(power)
    p = baseline_rate
    if not paired:
        return (z_a + z_b) * math.sqrt(p * (1 - p) / n)
    psi = 2 * p * (1 - p) if discordant_rate is None else discordant_rate
    if not 0 < psi <= 1:
        raise ValueError(f"discordant_rate must be in (0, 1], got {psi}")

    def excess(delta: float) -> float:  # increasing in delta; its root is the MDE
        return delta * math.sqrt(n) - z_a * math.sqrt(psi) - z_b * math.sqrt(psi - delta**2)

    low, high = 0.0, math.sqrt(psi)
    if excess(high) <= 0:
        return high  # too few cases to detect even the largest possible change
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if excess(mid) < 0 else (low, mid)
    return (low + high) / 2


def flaky_cases(results: Sequence[_types.CaseResult], score_name: str) -> list[str]:
    """Ids of cases whose repeats disagree on whether ``score_name`` passed.

    A run without a passing score (error, missing score, ``passed`` not ``True``) counts as
    not passed. Ids come back in the order the cases first appear.
    """
    seen: dict[str, set[bool]] = {}
    for r in results:
        score = r.score(score_name)
        ok = r.error is None and score is not None and score.passed is True
        seen.setdefault(r.case_id, set()).add(ok)
    return [case_id for case_id, outcomes in seen.items() if len(outcomes) > 1]
