"""Statistics for gates and comparisons, in pure Python (no numpy), deterministic by seed.

- Rates: :func:`wilson_interval`.
- Means and percentiles: :func:`bootstrap_interval` (percentile bootstrap).
- Two releases on the same cases: :func:`mcnemar` for pass/fail, :func:`paired_bootstrap`
  for numbers. Both report the difference ``b - a`` with an interval and a two-sided p-value.
- Planning: :func:`minimum_detectable_effect`; hygiene: :func:`flaky_cases`.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from prodready.evaluation import _types

__all__ = [
    "Interval",
    "PairedTest",
    "Statistic",
    "bootstrap_interval",
    "flaky_cases",
    "mcnemar",
    "minimum_detectable_effect",
    "paired_bootstrap",
    "wilson_interval",
]

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
    """``wilson`` or ``bootstrap-percentile``."""


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
    """``mcnemar-exact``, ``mcnemar-chi2`` (continuity-corrected) or ``paired-bootstrap``."""
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
    """Linear interpolation between closest ranks (numpy's default) of a sorted sample."""
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    if ordered[lo] == ordered[hi]:  # also keeps inf - inf out of the interpolation
        return ordered[lo]
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _statistic(statistic: Statistic) -> Callable[[Sequence[float]], float]:
    if callable(statistic):
        return statistic
    if statistic == "mean":
        return lambda xs: math.fsum(xs) / len(xs)
    if statistic in ("p50", "p95"):
        q = 0.5 if statistic == "p50" else 0.95
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

    The interval is the percentile interval of the resampled differences; the two-sided
    p-value inverts it: twice the smaller share of resampled differences on either side of
    zero, with the usual ``+1`` so it is never 0.

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
    below = sum(1 for d in draws if d <= 0)
    above = sum(1 for d in draws if d >= 0)
    alpha = 1 - confidence
    return PairedTest(
        difference=fn(b) - fn(a),
        low=_percentile(draws, alpha / 2),
        high=_percentile(draws, 1 - alpha / 2),
        p_value=min(1.0, 2 * (min(below, above) + 1) / (resamples + 1)),
        n=n,
        confidence=confidence,
        method="paired-bootstrap",
    )


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
