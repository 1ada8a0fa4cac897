"""The gate: each mode passes and fails, errors are failures, uncalibrated judges are refused."""

from __future__ import annotations

import math

import pytest

from prodready.evaluation import CaseResult, Layer, Score
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.gate import GateReport, evaluate_gate
from prodready.evaluation.stats import quantile_interval


def runs(
    passes: list[bool], *, layer: Layer = "check", value: float | None = None
) -> list[CaseResult]:
    """One result per case with a ``correctness`` score and an ``ms`` score (100 + i)."""
    out = []
    for i, ok in enumerate(passes):
        ms = value if value is not None else 100.0 + i
        scores = [
            Score(
                name="correctness", value=float(ok), passed=ok, layer=layer, scorer="j", version="1"
            ),
            Score(name="ms", value=ms, layer="behaviour", scorer="t", version="1"),
        ]
        out.append(CaseResult(case_id=f"c{i}", case_hash="h", scores=scores))
    return out


def gate(metric: str, results: list[CaseResult], **kwargs: object) -> GateReport:
    criteria = parse_criteria(f"metrics:\n  m: {metric}\n")
    return evaluate_gate(criteria, results, **kwargs)  # type: ignore[arg-type]


def rate(passed: int, total: int) -> list[bool]:
    return [i < passed for i in range(total)]


def test_point_gate_passes_when_the_estimate_meets_the_target() -> None:
    report = gate("{source: correctness, target: '>= 0.85'}", runs(rate(18, 20)))
    (m,) = report.metrics
    assert (m.estimate, m.n, m.passed, report.exit_code) == (0.9, 20, True, 0)
    assert m.reason.startswith("m: 0.9 [0.699, 0.972] (n=20) — 0.9 >= target 0.85 (point)")


def test_a_failing_gate_prints_metric_estimate_interval_and_target() -> None:
    report = gate("{source: correctness, target: '>= 0.85'}", runs(rate(16, 20)))
    assert (report.passed, report.exit_code) == (False, 1)
    text = report.render_text()
    header, _, row = text.splitlines()[:3]
    assert header.split()[:5] == ["metric", "estimate", "95%", "interval", "n"]
    assert row.split()[:7] == ["m", "0.8", "[0.584,", "0.919]", "20", "0", ">="]
    assert row.split()[-1] == "FAIL"
    assert "- m: 0.8 [0.584, 0.919] (n=20) — 0.8 < target 0.85 (point)" in text
    assert text.endswith("gate FAILED (1 of 1 gating metrics)")


def test_confident_gate_fails_on_a_good_estimate_from_too_few_cases() -> None:
    report = gate("{source: correctness, target: '>= 0.85', gate: confident}", runs(rate(45, 50)))
    (m,) = report.metrics
    assert m.estimate == 0.9 and m.interval is not None and m.interval.low < 0.85
    assert not m.passed
    assert "lower bound 0.786 < target 0.85 (confident)" in m.reason


def test_confident_gate_passes_when_the_lower_bound_clears_the_target() -> None:
    report = gate("{source: correctness, target: '>= 0.85', gate: confident}", runs(rate(380, 400)))
    assert report.passed
    assert "lower bound 0.924 >= target 0.85 (confident)" in report.metrics[0].reason


def test_confident_gate_reads_the_upper_bound_of_a_lower_is_better_target() -> None:
    failing = gate("{source: correctness, target: '<= 0.1', gate: confident}", runs(rate(2, 40)))
    assert "upper bound 0.165 > target 0.1 (confident)" in failing.metrics[0].reason
    passing = gate("{source: correctness, target: '<= 0.1', gate: confident}", runs(rate(2, 400)))
    assert passing.passed and "upper bound 0.018 <= target 0.1" in passing.metrics[0].reason


def test_errored_runs_count_as_failures_in_a_rate() -> None:
    results = runs(rate(10, 10))
    results[0] = results[0].model_copy(update={"error": "TimeoutError"})
    broken = results[1].scores[0].model_copy(update={"value": None, "passed": None, "error": "x"})
    results[1] = results[1].model_copy(update={"scores": [broken]})
    results[2] = results[2].model_copy(update={"scores": []})
    (m,) = gate("{source: correctness, target: '>= 0.8'}", results).metrics
    assert (m.estimate, m.n, m.errors, m.passed) == (0.7, 10, 3, False)
    assert (
        "3 errors counted as failures: 1 case error, 1 scorer error, 1 without a 'correctness' "
        "score (scores in the run: correctness, ms)"
    ) in m.reason


def test_error_kinds_are_counted_in_the_plural() -> None:
    results = runs(rate(10, 10))
    for i in (0, 1):
        results[i] = results[i].model_copy(update={"error": "TimeoutError"})
    (m,) = gate("{source: correctness, target: '>= 0.8'}", results).metrics
    assert "2 errors counted as failures: 2 case errors)" in m.reason


def test_a_number_missing_on_some_case_fails_rather_than_averaging_it_away() -> None:
    results = runs(rate(5, 5))
    results[0] = results[0].model_copy(update={"error": "boom"})
    (m,) = gate("{source: ms, aggregate: mean, target: '<= 1000'}", results).metrics
    assert (m.n, m.missing, m.passed) == (4, 1, False)
    assert "1 case(s) have no value, e.g. 'c0'" in m.reason


def test_percentile_gate_uses_an_order_statistic_interval() -> None:
    (m,) = gate("{source: ms, aggregate: p95, target: '<= 150'}", runs(rate(40, 40))).metrics
    assert m.interval is not None and m.interval.method == "order-statistic"
    assert (round(m.estimate or 0, 2), m.passed) == (137.05, True)


def test_confident_p95_fails_and_names_the_cases_it_needs_below_72() -> None:
    (m,) = gate(
        "{source: ms, aggregate: p95, target: '<= 1000', gate: confident}", runs(rate(40, 40))
    ).metrics
    assert m.interval is not None and m.interval.high == float("inf")
    assert (m.passed, m.cases_needed) == (False, 72)
    assert "40 case(s) cannot bound p95 at 95% (order-statistic): needs at least 72" in m.reason


def test_confident_p95_passes_from_72_cases_on_the_order_statistic_bound() -> None:
    (m,) = gate(
        "{source: ms, aggregate: p95, target: '<= 1000', gate: confident}", runs(rate(72, 72))
    ).metrics
    assert m.interval is not None and m.interval.high == 171.0  # the largest of 72
    assert (m.passed, m.cases_needed) == (True, None)


def test_confident_mean_from_fewer_than_ten_cases_fails_and_needs_ten() -> None:
    metric = "{source: ms, aggregate: mean, target: '<= 1000', gate: confident}"
    (m,) = gate(metric, runs(rate(9, 9))).metrics
    assert (m.passed, m.cases_needed) == (False, 10)
    assert "9 case(s) cannot bound mean at 95% (bootstrap-t): needs at least 10" in m.reason
    assert gate(metric, runs(rate(10, 10))).passed


def test_an_uncalibrated_judge_cannot_gate_and_the_gate_says_so() -> None:
    results = runs(rate(19, 20), layer="judge")
    metric = "{source: correctness, target: '>= 0.85'}"
    low = gate(metric, results, judge_calibration={"correctness": 0.41}).metrics[0]
    assert low.passed is False
    assert low.reason.endswith("judge 'correctness' is not calibrated (kappa 0.41 < floor 0.60)")
    unknown = gate(metric, results).metrics[0]
    assert unknown.reason.endswith("is not calibrated (no calibration; floor 0.60)")
    assert gate(metric, results, judge_calibration={"correctness": 0.7}).passed


def test_report_only_metrics_never_gate() -> None:
    report = gate("{source: correctness, target: '>= 0.99', gate: report}", runs(rate(1, 10)))
    assert report.metrics[0].passed is None and report.passed
    assert "report only" in report.metrics[0].reason
    assert report.render_text().splitlines()[2].split()[-1] == "report"


def test_non_inferior_passes_when_the_candidate_holds_the_baseline_level() -> None:
    baseline = runs(rate(170, 200))
    candidate = runs(rate(171, 200))
    metric = "{source: correctness, gate: non_inferior, margin: 0.02}"
    (m,) = gate(metric, candidate, baseline=baseline).metrics
    assert m.passed and m.comparison is not None and m.comparison.b_only == 1
    assert "one-sided 95% lower bound" in m.reason and ">= -margin -0.02" in m.reason


def test_non_inferior_fails_when_the_candidate_loses_more_than_the_margin() -> None:
    baseline = runs(rate(180, 200))
    candidate = runs(rate(170, 200))
    metric = "{source: correctness, gate: non_inferior, margin: 0.02}"
    (m,) = gate(metric, candidate, baseline=baseline).metrics
    assert m.passed is False and m.baseline_estimate == 0.9
    assert "difference -0.050" in m.reason and "< -margin -0.02" in m.reason


def test_non_inferior_without_a_baseline_fails_with_a_reason() -> None:
    (m,) = gate(
        "{source: correctness, gate: non_inferior, margin: 0.02}", runs(rate(9, 10))
    ).metrics
    assert m.passed is False
    assert m.reason.endswith("needs a baseline (the production release's results), none given")


def test_non_inferior_on_a_number_uses_a_studentized_bootstrap_lower_is_better() -> None:
    baseline = runs(rate(30, 30))
    faster, slower = runs(rate(30, 30)), runs(rate(30, 30), value=500.0)
    metric = "{source: ms, aggregate: mean, gate: non_inferior, margin: 10, better: lower}"
    assert gate(metric, faster, baseline=baseline).passed
    (m,) = gate(metric, slower, baseline=baseline).metrics
    assert m.comparison is not None and m.comparison.method == "sign-flip"
    assert m.passed is False and "upper bound" in m.reason and "> +margin 10" in m.reason


def test_non_inferior_on_a_mean_from_fewer_than_ten_cases_fails_and_needs_ten() -> None:
    metric = "{source: ms, aggregate: mean, gate: non_inferior, margin: 10, better: lower}"
    (m,) = gate(metric, runs(rate(9, 9)), baseline=runs(rate(9, 9))).metrics
    assert (m.passed, m.cases_needed) == (False, 10)
    assert "9 paired case(s) cannot bound the difference of mean" in m.reason


def test_non_inferior_p95_needs_72_paired_cases() -> None:
    metric = "{source: ms, aggregate: p95, gate: non_inferior, margin: 10, better: lower}"
    (m,) = gate(metric, runs(rate(71, 71)), baseline=runs(rate(71, 71))).metrics
    assert (m.passed, m.cases_needed) == (False, 72)
    (m,) = gate(metric, runs(rate(72, 72)), baseline=runs(rate(72, 72))).metrics
    assert m.comparison is not None and m.comparison.method == "order-statistic-bonferroni"
    low_a = quantile_interval([100.0 + i for i in range(72)], 0.95, confidence=0.95).low
    assert m.comparison.high == 171.0 - low_a == 8.0 and m.passed is True  # max(b) - low(a)


def test_non_inferior_mde_is_the_margin_these_cases_show_with_80_percent_power() -> None:
    metric = "{source: correctness, gate: non_inferior, margin: 0.02}"
    base = runs(rate(90, 100))
    cand = runs([i < 85 or 90 <= i < 95 for i in range(100)])  # 5 lost, 5 gained
    (m,) = gate(metric, cand, baseline=base).metrics
    assert m.comparison is not None and m.mde is not None and m.cases_needed is not None
    half = m.comparison.difference - m.comparison.low
    assert m.mde == pytest.approx(half * (1.6449 + 0.8416) / 1.6449, rel=1e-3)
    assert m.cases_needed == math.ceil(100 * (m.mde / 0.02) ** 2) > 100
    assert f"{m.cases_needed} cases would show this margin with power 0.8" in m.reason


def test_repeats_are_averaged_per_case() -> None:
    results = runs(rate(4, 4)) + [r.model_copy(update={"repeat": 1}) for r in runs(rate(2, 4))]
    (m,) = gate("{source: correctness, target: '>= 0.5'}", results).metrics
    assert (m.n, m.runs, m.estimate) == (4, 8, 0.75)


def test_the_report_serialises_and_reads_back() -> None:
    report = gate("{source: correctness, target: '>= 0.85', gate: confident}", runs(rate(9, 10)))
    again = GateReport.model_validate_json(report.model_dump_json())
    assert again == report and again.metrics[0].interval == report.metrics[0].interval
    assert '"passed":false' in report.model_dump_json()


def test_a_confident_mean_on_a_skewed_sample_says_its_bound_is_approximate() -> None:
    skewed = runs(rate(20, 20))
    skewed[0] = skewed[0].model_copy(
        update={
            "scores": [
                skewed[0].scores[0],
                skewed[0].scores[1].model_copy(update={"value": 5000.0}),
            ]
        }
    )
    metric = "{source: ms, aggregate: mean, target: '<= 10000', gate: confident}"
    (m,) = gate(metric, skewed).metrics
    assert "the sample is strongly skewed (skewness 4.13)" in m.reason
    assert "a p50 or p95 target is exact" in m.reason
    (m,) = gate(metric, runs(rate(20, 20))).metrics
    assert "skewed" not in m.reason


def test_a_baseline_without_the_score_cannot_make_a_candidate_non_inferior() -> None:
    metric = "{source: correctness, gate: non_inferior, margin: 0.02}"
    unscored = [r.model_copy(update={"scores": r.scores[1:]}) for r in runs(rate(20, 20))]
    (m,) = gate(metric, runs(rate(20, 20)), baseline=unscored).metrics
    assert m.passed is False
    assert "the baseline has no 'correctness' value on any shared case" in m.reason


def test_baseline_cases_that_could_not_be_measured_are_left_out_not_failed() -> None:
    metric = "{source: correctness, gate: non_inferior, margin: 0.05}"
    base = runs(rate(40, 40))
    base[:10] = [r.model_copy(update={"error": "TimeoutError"}) for r in base[:10]]
    cand = runs([i >= 10 or i < 4 for i in range(40)])  # loses 6 of the 10 cases
    (m,) = gate(metric, cand, baseline=base).metrics
    assert m.comparison is not None and m.comparison.n == 30
    assert "10 left out: no baseline value (10 case errors)" in m.reason


def test_a_non_inferior_percentile_compares_with_the_baselines_percentile() -> None:
    metric = "{source: ms, aggregate: p95, gate: non_inferior, margin: 10, better: lower}"
    (m,) = gate(metric, runs(rate(80, 80)), baseline=runs(rate(80, 80))).metrics
    assert m.baseline_estimate == pytest.approx(175.05)  # p95 of 100..179, not the mean 139.5
    assert "vs baseline 175" in m.reason
