"""Which upper bound for a skewed mean keeps its level? The comparison behind the gate's choice.

For a lognormal latency (sigma 0.8 on the log scale, like the gate-validity table in
docs/criteria.md), each method's one-sided 97.5% upper bound for the mean is computed on many
seeded samples; the printed number is how often the bound falls below the true mean (a
``confident`` ``mean <=`` gate passing a release on its target). Nominal: 2.5%.

- ``bootstrap-t``: the studentized bootstrap, what ``stats.mean_interval`` does;
- ``symmetric-t``: the symmetric bootstrap-t (``|t*|`` quantile on both sides);
- ``hall``: Hall's (1992) skewness-corrected t, a closed form;
- ``student-t``: the textbook t interval.

Run: ``.venv/bin/python benchmarks/diag_mean_intervals.py [REPS]`` (needs numpy: the bench
extra). No method reaches 2.5% on few cases: that is Bahadur and Savage's (1956) result.
"""

from __future__ import annotations

import math
import sys
from statistics import NormalDist

import numpy as np

MU, SIGMA = math.log(800.0), 0.8
TRUE_MEAN = math.exp(MU + SIGMA**2 / 2)
Z = NormalDist().inv_cdf(0.975)
RESAMPLES = 1000
METHODS = ("bootstrap-t", "symmetric-t", "hall", "student-t")


def bounds(x: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """Each method's one-sided 97.5% upper bound for the mean of ``x``."""
    n = len(x)
    m, se = x.mean(), x.std(ddof=1) / math.sqrt(n)
    draws = x[rng.integers(0, n, (RESAMPLES, n))]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (draws.mean(1) - m) / (draws.std(1, ddof=1) / math.sqrt(n))
    t = np.nan_to_num(t, nan=0.0)
    skew = ((x - m) ** 3).mean() / x.std() ** 3
    return {
        "bootstrap-t": m - float(np.quantile(t, 0.025)) * se,
        "symmetric-t": m + float(np.quantile(np.abs(t), 0.95)) * se,
        "hall": m - _hall_inverse(-Z, skew, n) * se,
        "student-t": m + _t_quantile(n - 1) * se,
    }


def _hall_inverse(target: float, skew: float, n: int) -> float:
    """The T solving Hall's monotone transformation g(T) = target, by bisection."""
    a = skew / (3 * math.sqrt(n))

    def g(t: float) -> float:
        return t + a * t * t + a * a * t**3 / 3 + skew / (6 * math.sqrt(n))

    lo, hi = -50.0, 50.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if g(mid) < target else (lo, mid)
    return lo


def _t_quantile(df: int) -> float:
    """Student's t 0.975 quantile (Cornish-Fisher expansion; exact enough for df >= 4)."""
    z = Z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def main(reps: int) -> None:
    rng = np.random.default_rng(1)
    print(f"lognormal latency mean, one-sided 97.5% upper bound, {reps} samples per n")
    print(f"{'n':>4}  " + "  ".join(f"{k:>12}" for k in METHODS))
    for n in (5, 10, 20, 40, 100):
        misses: dict[str, int] = {}
        for _ in range(reps):
            for name, upper in bounds(rng.lognormal(MU, SIGMA, n), rng).items():
                misses[name] = misses.get(name, 0) + (upper < TRUE_MEAN)
        print(f"{n:>4}  " + "  ".join(f"{v / reps:>12.1%}" for v in misses.values()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
