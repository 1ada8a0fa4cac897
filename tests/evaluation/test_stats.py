"""Statistics against published values and textbook formulas."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import pytest

from prodready.evaluation import CaseResult, Score
from prodready.evaluation.stats import (
    bootstrap_interval,
    flaky_cases,
    mcnemar,
    mean_interval,
    minimum_detectable_effect,
    paired_bootstrap,
    paired_test,
    permutation_p_value,
    quantile_cases_needed,
    quantile_interval,
    wilson_interval,
)


def paired_table(both: int, a_only: int, b_only: int, neither: int) -> tuple[list[bool], ...]:
    a = [True] * both + [True] * a_only + [False] * b_only + [False] * neither
    b = [True] * both + [False] * a_only + [True] * b_only + [False] * neither
    return a, b


def test_wilson_8_of_10_is_the_published_interval() -> None:
    ci = wilson_interval(8, 10)
    assert (ci.estimate, ci.n, ci.method) == (0.8, 10, "wilson")
    assert (round(ci.low, 3), round(ci.high, 3)) == (0.490, 0.943)


def test_wilson_zero_of_20_starts_at_zero_and_ends_at_0161() -> None:
    ci = wilson_interval(0, 20)
    assert ci.low == 0.0
    assert round(ci.high, 4) == 0.1611


def test_wilson_narrows_with_lower_confidence() -> None:
    wide, narrow = wilson_interval(8, 10), wilson_interval(8, 10, confidence=0.80)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_bootstrap_interval_covers_the_true_mean_in_a_seeded_simulation() -> None:
    rng = random.Random(7)
    covered = 0
    for run in range(200):
        sample = [rng.gauss(5.0, 1.0) for _ in range(40)]
        ci = bootstrap_interval(sample, "mean", resamples=400, seed=run)
        covered += ci.low <= 5.0 <= ci.high
    assert 0.88 <= covered / 200 <= 0.99  # nominal 95%


def test_bootstrap_is_deterministic_by_seed() -> None:
    values = [float(x) for x in range(50)]
    assert bootstrap_interval(values, seed=3) == bootstrap_interval(values, seed=3)
    assert bootstrap_interval(values, seed=3) != bootstrap_interval(values, seed=4)


def test_bootstrap_percentiles_interpolate_linearly_like_numpy() -> None:
    values = [float(x) for x in range(1, 101)]
    assert bootstrap_interval(values, "p95", resamples=10).estimate == pytest.approx(95.05)
    assert bootstrap_interval(values, "p50", resamples=10).estimate == pytest.approx(50.5)
    assert bootstrap_interval(values, max, resamples=10).estimate == 100.0


def test_mcnemar_exact_p_for_small_discordant_counts() -> None:
    # two-sided binomial: 2 * P(X <= 2 | 10, 0.5) = 2 * 56 / 1024; 2 * P(X = 0 | 5, 0.5)
    test = mcnemar(*paired_table(30, 2, 8, 10))
    assert (test.method, test.a_only, test.b_only) == ("mcnemar-exact", 2, 8)
    assert test.p_value == pytest.approx(112 / 1024)
    assert mcnemar(*paired_table(10, 0, 5, 5)).p_value == pytest.approx(0.0625)


def test_mcnemar_chi_square_matches_r_mcnemar_test() -> None:
    # R: mcnemar.test(matrix(c(794, 86, 150, 570), 2)) -> 16.818, p = 4.115e-05
    test = mcnemar(*paired_table(794, 150, 86, 570))
    assert test.method == "mcnemar-chi2"
    assert test.statistic == pytest.approx(16.818, abs=1e-3)
    assert test.p_value == pytest.approx(4.115e-05, rel=1e-3)


def test_mcnemar_interval_is_newcombes_published_paired_interval() -> None:
    # Newcombe (1998) method 10 on Cavo et al. (2012): -0.0621 (-0.1186 to -0.0046) for a - b
    test = mcnemar(*paired_table(59, 6, 16, 80))
    assert test.difference == pytest.approx(0.0621, abs=1e-4)
    assert (round(test.low, 4), round(test.high, 4)) == (0.0046, 0.1186)
    assert test.p_value == pytest.approx(2 * 110056 / 2**22)  # exact, 22 discordant pairs


def test_mcnemar_without_discordant_pairs_finds_no_difference() -> None:
    test = mcnemar(*paired_table(8, 0, 0, 2))
    assert (test.difference, test.p_value) == (0.0, 1.0)


def test_paired_bootstrap_detects_a_shift_but_not_identity() -> None:
    rng = random.Random(1)
    a = [rng.gauss(100, 20) for _ in range(100)]
    shifted = paired_bootstrap(a, [x + 5 + rng.gauss(0, 1) for x in a], statistic="mean")
    assert shifted.low < 5 < shifted.high and shifted.p_value < 0.01
    same = paired_bootstrap(a, a, statistic="p95")
    assert (same.difference, same.p_value) == (0.0, 1.0)


def test_mde_for_200_cases_at_085_is_seven_points() -> None:
    # (1.95996 + 0.84162) * sqrt(0.85 * 0.15 / 200) = 0.0707
    assert minimum_detectable_effect(200, baseline_rate=0.85) == pytest.approx(0.0707, abs=1e-4)


def test_paired_mde_solves_connors_sample_size_formula() -> None:
    delta = minimum_detectable_effect(200, baseline_rate=0.85, paired=True, discordant_rate=0.1)
    z_a, z_b = statistics.NormalDist().inv_cdf(0.975), statistics.NormalDist().inv_cdf(0.8)
    n = (z_a * math.sqrt(0.1) + z_b * math.sqrt(0.1 - delta**2)) ** 2 / delta**2
    assert n == pytest.approx(200, rel=1e-6)
    assert delta < minimum_detectable_effect(200, baseline_rate=0.85, paired=True)


def test_flaky_cases_are_those_whose_repeats_disagree() -> None:
    def run(case: str, repeat: int, ok: bool | None, error: str | None = None) -> CaseResult:
        score = Score(name="c", value=1.0, passed=ok, layer="check", scorer="s", version="1")
        return CaseResult(case_id=case, case_hash="h", repeat=repeat, error=error, scores=[score])

    results = [run("a", 0, True), run("a", 1, True), run("b", 0, True), run("b", 1, False)]
    results += [run("c", 0, True), run("c", 1, True, error="timeout"), run("d", 0, False)]
    assert flaky_cases(results, "c") == ["b", "c"]


def test_stats_refuse_empty_or_mismatched_input() -> None:
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        bootstrap_interval([])
    with pytest.raises(ValueError):
        mcnemar([True], [True, False])


def binomial_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def test_quantile_bounds_are_the_order_statistics_the_binomial_picks() -> None:
    values = [float(x) for x in range(1, 201)]  # x(k) == k
    ci = quantile_interval(values, 0.95)
    k_high, k_low = int(ci.high), int(ci.low)
    assert binomial_cdf(k_high - 1, 200, 0.95) >= 0.975 > binomial_cdf(k_high - 2, 200, 0.95)
    assert 1 - binomial_cdf(k_low - 1, 200, 0.95) >= 0.975 > 1 - binomial_cdf(k_low, 200, 0.95)
    assert (ci.method, ci.estimate) == ("order-statistic", pytest.approx(190.05))


def test_a_p95_upper_bound_needs_72_cases_and_a_median_6() -> None:
    assert quantile_cases_needed(0.95, side="high") == 72
    assert quantile_cases_needed(0.95, side="low") == 2
    assert quantile_cases_needed(0.5, side="high") == 6
    assert quantile_interval([1.0] * 71, 0.95).high == math.inf
    assert quantile_interval([1.0] * 72, 0.95).high == 1.0


def test_one_pair_or_five_pairs_that_all_moved_are_not_significant() -> None:
    for test in (paired_bootstrap, paired_test):
        assert test([0.0], [1.0]).p_value == 1.0
        assert test([0.0] * 5, [1.0] * 5).p_value == pytest.approx(0.0625)


def test_permutation_p_value_is_exact_up_to_12_cases_and_seeded_beyond() -> None:
    a, b = [0.0] * 12, [1.0] * 11 + [-1.0]
    assert permutation_p_value(a, b) == pytest.approx(2 * 13 / 4096)  # sign test's count
    many = [float(i % 7) for i in range(40)]
    moved = [x + (0.5 if i % 3 else -0.2) for i, x in enumerate(many)]
    assert permutation_p_value(many, moved, seed=1) == permutation_p_value(many, moved, seed=1)
    assert permutation_p_value(many, moved, seed=1) < 0.01


def test_mean_interval_is_unbounded_from_one_case_and_flat_without_spread() -> None:
    one = mean_interval([3.0])
    assert (one.low, one.high) == (-math.inf, math.inf)
    flat = mean_interval([2.0] * 10)
    assert (flat.low, flat.high, flat.method) == (2.0, 2.0, "bootstrap-t")


def test_mean_interval_widens_on_the_long_side_of_a_skewed_sample() -> None:
    ratios = []
    for seed in range(3, 7):
        rng = random.Random(seed)
        ci = mean_interval([rng.lognormvariate(0, 1) for _ in range(60)])
        ratios.append((ci.high - ci.estimate) / (ci.estimate - ci.low))
    assert min(ratios) > 1.1 and statistics.fmean(ratios) > 1.4


def test_the_gates_intervals_draw_their_resamples_from_the_data() -> None:
    rng = random.Random(5)
    one, two = ([rng.lognormvariate(0, 1) for _ in range(30)] for _ in range(2))
    assert mean_interval(one) == mean_interval(list(one))  # the same data, the same interval
    assert mean_interval(one) != mean_interval(one, seed=0)
    assert paired_test(one, two).low == paired_test(one, two).low


def test_a_paired_mean_from_five_cases_is_bounded_by_the_extreme_differences() -> None:
    # 2**5 sign patterns: at one-sided 5% only the all-positive one may lie beyond the bound
    a, b = [0.0] * 5, [3.0, -1.0, 2.0, 5.0, 0.5]
    test = paired_test(a, b, confidence=0.90)
    assert (test.method, test.low, test.high) == ("sign-flip", -1.0, 5.0)
    four = paired_test(a[:4], b[:4], confidence=0.90)
    assert (four.low, four.high) == (-math.inf, math.inf)  # 1/16 > 5%: no bound


def test_a_paired_mean_interval_is_hartigans_order_statistic_of_subset_means() -> None:
    rng = random.Random(11)
    d = [rng.gauss(0.4, 1) for _ in range(8)]
    means = sorted(
        statistics.fmean(sub) for k in range(1, 9) for sub in itertools.combinations(d, k)
    )
    c = math.floor(0.05 * 2**8) - 1  # at most c subset means may fall beyond the bound
    test = paired_test([0.0] * 8, d, confidence=0.90)
    assert test.low == pytest.approx(means[c]) and test.high == pytest.approx(means[-1 - c])


@pytest.mark.parametrize(("low", "high"), [(0.55, 0.9), (0.1, 0.3), (0.7, 0.8), (0.0, 1.0)])
def test_a_resample_of_one_repeated_value_is_infinitely_far_whatever_its_rounding(
    low: float, high: float
) -> None:
    # Centred, 0.9 and 0.55 are not exact in binary: a resample of twelve copies of one of
    # them left ~1e-17 of rounding in its variance and a t of ~1e7, so a lower bound of -12
    # million where an exact 1/0 sample gives -inf (issue 12's dashboard showed it).
    values = [high] * 9 + [low] * 3
    found = mean_interval(values)
    for bound in (found.low, found.high):
        assert math.isinf(bound) or min(values) - 1 <= bound <= max(values) + 1
    assert math.isinf(found.low) == math.isinf(mean_interval([1.0] * 9 + [0.0] * 3).low)
