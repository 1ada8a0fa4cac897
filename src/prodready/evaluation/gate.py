"""The gate: a run's results against its success criteria, with intervals and reasons.

>>> report = evaluate_gate(load_criteria("criteria.yaml"), results, cases=dataset.cases)
>>> print(report.render_text())
>>> raise SystemExit(report.exit_code)

Each metric gets an estimate, a 95% interval (Wilson for rates, a studentized bootstrap for
means, distribution-free order statistics for percentiles), the number of cases and errors, a
verdict and a one-line reason. A bound that the cases cannot support (a 95th percentile's
upper bound from fewer than 72 cases) is infinite, and a gate that reads it fails and says
how many cases it needs. Rates count
every errored run as a failure; a number that could not be measured on some case fails the
metric rather than being averaged away. A metric whose scores come from a judge that is not
calibrated (Cohen's kappa below ``criteria.judge_kappa_floor``) fails and says why.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, computed_field

from prodready.evaluation import _types
from prodready.evaluation import criteria as _criteria
from prodready.evaluation import stats as _stats
from prodready.evaluation._format import fmt as _fmt
from prodready.evaluation._format import target_text as _target_text
from prodready.evaluation.calibration import Calibration as _Calibration
from prodready.evaluation.criteria import _observe as _criteria_observe

__all__ = ["MIN_CASES_FOR_MEAN", "GateReport", "MetricResult", "evaluate_gate"]

_ONE_SIDED_95 = 0.90
"""Non-inferiority reads one bound of a two-sided 90% interval: a one-sided 95% test."""


class MetricResult(BaseModel):
    """One metric's verdict. ``passed`` is ``None`` for report-only metrics."""

    name: str
    source: str
    aggregate: _criteria.Aggregate
    mode: _criteria.GateMode
    direction: _criteria.Direction
    target: _criteria.Target | None = None
    margin: float | None = None
    estimate: float | None = None
    interval: _stats.Interval | None = None
    n: int = 0
    """Cases measured (repeats of a case are averaged first)."""
    runs: int = 0
    errors: int = 0
    """Errored runs: failures in a rate's denominator; unmeasured values otherwise."""
    missing: int = 0
    """Cases with no value at all (numbers only)."""
    mde: float | None = None
    """``point``/``confident`` rates: the smallest true distance from the target the dataset
    detects (alpha 0.05 two-sided, power 0.8). ``non_inferior``: the smallest margin these
    cases show with power 0.8 when the candidate is truly as good as the baseline."""
    cases_needed: int | None = None
    """Cases the gate needs: for a bound that these cases cannot support (a percentile's
    order statistic, a mean from one case), the fewest that support it; for
    ``non_inferior``, the cases that show non-inferiority at ``margin`` with power 0.8 when
    the candidate is truly as good as the baseline."""
    baseline_estimate: float | None = None
    comparison: _stats.PairedTest | None = None
    """``non_inferior``: candidate minus baseline on the shared cases, 90% two-sided."""
    passed: bool | None
    reason: str


class GateReport(BaseModel):
    """Every metric's verdict; the gate passes when no gating metric failed."""

    metrics: list[MetricResult]
    results: int
    cases: int
    baseline_results: int | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """No metric failed (report-only metrics never fail)."""
        return all(m.passed is not False for m in self.metrics)

    @property
    def exit_code(self) -> int:
        """0 when the gate passes, 1 when criteria are not met."""
        return 0 if self.passed else 1

    def render_text(self) -> str:
        """A plain table (metric, estimate, interval, n, errors, target, mode, MDE, verdict),
        then each metric's reason and the overall verdict."""
        head = ("metric", "estimate", "95% interval", "n", "errors", "target", "mode")
        rows = [(*head, "mde", "verdict")]
        for m in self.metrics:
            interval = f"[{_fmt(m.interval.low)}, {_fmt(m.interval.high)}]" if m.interval else "-"
            verdict = {True: "PASS", False: "FAIL", None: "report"}[m.passed]
            mde = f"±{_fmt(m.mde)}" if m.mde is not None else "-"
            cells = (m.name, _fmt(m.estimate), interval, str(m.n), str(m.errors))
            rows.append((*cells, _target_text(m), m.mode, mde, verdict))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines += ["", *(f"- {m.reason}" for m in self.metrics), ""]
        failed = sum(m.passed is False for m in self.metrics)
        gating = sum(m.passed is not None for m in self.metrics)
        verdict = "PASSED" if self.passed else f"FAILED ({failed} of {gating} gating metrics)"
        lines.append(f"gate {verdict}")
        return "\n".join(lines)


def evaluate_gate(
    criteria: _criteria.Criteria,
    results: Sequence[_types.CaseResult],
    *,
    cases: Iterable[_types.Case] | _types.DatasetVersion | None = None,
    baseline: Sequence[_types.CaseResult] | None = None,
    judge_calibration: Mapping[str, float | _Calibration] | None = None,
) -> GateReport:
    """Apply ``criteria`` to a run's ``results``.

    Args:
        criteria: the success criteria (:func:`prodready.evaluation.criteria.load_criteria`).
        results: one run's case results (repeats allowed), with traces attached for
            business metrics that read them.
        cases: the dataset's cases; needed by ``business.wrong_escalation`` and
            ``business.false_positive_rate`` (their expected escalation).
        baseline: the current production release's results on the same cases, for
            ``non_inferior`` metrics.
        judge_calibration: score name -> Cohen's kappa of its judge against human labels,
            or the judge's :class:`~prodready.evaluation.calibration.Calibration`. An
            undefined kappa (judge and humans gave every case one label) does not let a
            judge gate: such a sample cannot show the judge tells pass from fail.
    """
    if isinstance(cases, _types.DatasetVersion):
        cases = cases.cases
    expected = {c.id: c.expected for c in cases} if cases is not None else None
    gate = _Gate(criteria, expected, baseline, judge_calibration or {})
    return GateReport(
        metrics=[gate.metric(name, m, results) for name, m in criteria.metrics.items()],
        results=len(results),
        cases=len({r.case_id for r in results}),
        baseline_results=len(baseline) if baseline is not None else None,
    )


class _Gate:
    def __init__(
        self,
        criteria: _criteria.Criteria,
        expected: Mapping[str, _types.Expected] | None,
        baseline: Sequence[_types.CaseResult] | None,
        calibration: Mapping[str, float | _Calibration],
    ) -> None:
        self.criteria = criteria
        self.expected = expected
        self.baseline = baseline
        self.calibration = calibration

    def metric(
        self, name: str, metric: _criteria.Metric, results: Sequence[_types.CaseResult]
    ) -> MetricResult:
        obs = _criteria_observe.observe(metric, results, self.expected)
        base = MetricResult(
            name=name,
            source=metric.source,
            aggregate=metric.aggregate,
            mode=metric.gate,
            direction=metric.direction,
            target=metric.target,
            margin=metric.margin,
            runs=obs.runs,
            errors=obs.errors.total(),
            missing=len(obs.missing),
            passed=False,
            reason="",
        )
        if obs.problem or not obs.values:
            why = obs.problem or "no case to measure"
            return _verdict(base, metric, f"{name}: {why}", passed=False)
        interval = _stats.interval(list(obs.values.values()), metric.aggregate)
        base = base.model_copy(
            update={"estimate": interval.estimate, "interval": interval, "n": interval.n}
        )
        summary = _summary(name, interval, obs, metric)
        refusal = self._judge_refusal(metric, obs)
        if metric.gate == "report":
            note = f" ({refusal})" if refusal else ""
            return _verdict(base, metric, f"{summary} — report only{note}", passed=None)
        if refusal:
            return _verdict(base, metric, f"{summary} — {refusal}", passed=False)
        if obs.missing:
            why = f"{len(obs.missing)} case(s) have no value, e.g. {obs.missing[0]!r}"
            return _verdict(base, metric, f"{summary} — {why}", passed=False)
        if metric.gate == "non_inferior":
            return self._non_inferior(base, metric, obs, summary)
        return _against_target(base, metric, interval, summary, list(obs.values.values()))

    def _judge_refusal(
        self, metric: _criteria.Metric, obs: _criteria_observe.Observed
    ) -> str | None:
        if "judge" not in obs.layers:
            return None
        floor = self.criteria.judge_kappa_floor
        found = self.calibration.get(metric.source)
        kappa = found.kappa if isinstance(found, _Calibration) else found
        if isinstance(found, _Calibration) and kappa is None:
            # One label on both sides: a judge that passes everything would agree as well.
            why = f"{found.describe()}, which cannot show it tells pass from fail; label "
            why += f"cases of both outcomes; floor {floor:.2f}"
        elif kappa is None:
            why = f"no calibration; floor {floor:.2f}"
        elif kappa < floor:
            why = f"kappa {kappa:.2f} < floor {floor:.2f}"
        else:
            return None
        return f"judge {metric.source!r} is not calibrated ({why})"

    def _non_inferior(
        self,
        base: MetricResult,
        metric: _criteria.Metric,
        obs: _criteria_observe.Observed,
        summary: str,
    ) -> MetricResult:
        if self.baseline is None:
            why = "needs a baseline (the production release's results), none given"
            return _verdict(base, metric, f"{summary} — {why}", passed=False)
        prior = _criteria_observe.observe(metric, self.baseline, self.expected)
        common = [c for c in obs.values if c in prior.values or c in prior.missing]
        # A baseline run that could not be measured is no evidence of the baseline's level:
        # counted as its failure, it would hand the candidate a win it did not earn.
        shared = [c for c in common if c not in prior.errored]
        why_not = _criteria_observe.error_text(prior.errors)
        problem = (
            prior.problem
            or self._judge_refusal(metric, prior)
            or (None if common else "no case in common with the baseline")
            or (
                None
                if shared
                else f"the baseline has no {metric.source!r} value on any shared case "
                f"({why_not}): it cannot show the level to hold"
            )
        )
        if problem:
            return _verdict(base, metric, f"{summary} — {problem}", passed=False)
        a = [prior.values[c] for c in shared]
        b = [obs.values[c] for c in shared]
        binary = obs.binary and prior.binary
        test = _stats.paired(a, b, metric.aggregate, binary=binary, confidence=_ONE_SIDED_95)
        baseline_estimate = _stats.estimate(a, metric.aggregate)
        higher = metric.direction == "higher"
        margin = metric.margin or 0.0
        bound, limit = (test.low, -margin) if higher else (test.high, margin)
        mde, needed = _non_inferior_power(test, higher=higher, margin=margin)
        update = {
            "baseline_estimate": baseline_estimate,
            "comparison": test,
            "mde": mde,
            "cases_needed": needed,
        }
        unpaired = len(obs.values) - len(common)
        extra = f", {unpaired} not in the baseline" if unpaired else ""
        if len(common) > len(shared):
            extra += f", {len(common) - len(shared)} left out: no baseline value ({why_not})"
        head = f"{summary} vs baseline {_fmt(baseline_estimate)}: difference {test.difference:+.3f}"
        # A percentile difference reads one release's upper bound at one-sided 97.5%
        # (Bonferroni): the quantile interval of each release at two-sided 95%.
        floor = _cases_for_bound(
            "mean" if test.method == "sign-flip" else metric.aggregate,
            "high",
            1 - (1 - test.confidence) / 2,
        )
        if floor > len(shared):
            why = (
                f"{len(shared)} paired case(s) cannot bound the difference of "
                f"{metric.aggregate} at one-sided 95% ({test.method}): needs at least "
                f"{floor} cases (non_inferior)"
            )
            update |= {"cases_needed": floor}
            return base.model_copy(update={**update, "passed": False, "reason": f"{head} — {why}"})
        ok = bound >= limit if higher else bound <= limit
        side, sign = ("lower", ">=" if ok else "<") if higher else ("upper", "<=" if ok else ">")
        bound_text, limit_text = _pair(bound, limit)
        reason = (
            f"{head}, one-sided 95% {side} bound {bound_text} {sign} "
            f"{'-' if higher else '+'}margin {limit_text} (non_inferior; {test.method} "
            f"p={test.p_value:.2g}, {len(shared)} paired cases{extra})"
        )
        if not ok and needed is not None and needed > len(shared):
            reason += f"; {needed} cases would show this margin with power 0.8"
        if test.method == "sign-flip":
            reason += _skew_note([y - x for x, y in zip(a, b, strict=True)], "the differences are")
        return base.model_copy(update={**update, "passed": ok, "reason": reason})


_Z_ONE_SIDED_95 = statistics.NormalDist().inv_cdf(0.95)
_Z_POWER_80 = statistics.NormalDist().inv_cdf(0.80)


def _non_inferior_power(
    test: _stats.PairedTest, *, higher: bool, margin: float
) -> tuple[float | None, int | None]:
    """What a non-inferiority test of this precision can show, read off its own interval.

    The bound sits ``h = z(0.95) · se`` from the difference. A candidate truly as good as the
    baseline passes with power 0.8 when the margin is at least ``(z(0.95) + z(0.8)) · se``:
    that is the ``mde``. The cases needed for ``margin`` scale the same width by
    ``(mde / margin)²`` (the standard error falls as ``1/√n``).
    """
    half = test.difference - test.low if higher else test.high - test.difference
    if not math.isfinite(half):
        return None, None
    mde = half * (_Z_ONE_SIDED_95 + _Z_POWER_80) / _Z_ONE_SIDED_95
    if margin <= 0:
        return mde, None
    return mde, max(1, math.ceil(test.n * (mde / margin) ** 2))


def _against_target(
    base: MetricResult,
    metric: _criteria.Metric,
    interval: _stats.Interval,
    summary: str,
    values: Sequence[float],
) -> MetricResult:
    target = metric.target
    assert target is not None  # the criteria model requires one for these modes
    value, label = interval.estimate, ""
    if metric.gate == "confident":
        side: Literal["low", "high"] = "low" if target.op == ">=" else "high"
        value = interval.low if side == "low" else interval.high
        label = "lower bound " if side == "low" else "upper bound "
        needed = _cases_for_bound(metric.aggregate, side, interval.confidence)
        if needed > interval.n:
            why = (
                f"{interval.n} case(s) cannot bound {metric.aggregate} at 95% "
                f"({interval.method}): needs at least {needed} cases ({metric.gate})"
            )
            return _verdict(base, metric, f"{summary} — {why}", passed=False, cases_needed=needed)
    ok = target.met(value)
    value_text, target_text = _pair(value, target.value)
    sign = target.op if ok else target.fail_sign
    reason = f"{summary} — {label}{value_text} {sign} target {target_text} ({metric.gate})"
    if metric.gate == "confident" and metric.aggregate == "mean":
        reason += _skew_note(values, "the sample is")
    return _verdict(base, metric, reason, passed=ok)


_SKEWED = 1.0
"""Sample skewness beyond which a mean's bound is flagged as approximate in the reason."""


def _skew_note(values: Sequence[float], what: str) -> str:
    """A warning for a strongly skewed sample: there no interval for a mean keeps its level
    on few cases (docs/criteria.md shows the simulated rates), while a percentile's does."""
    skew = _stats.skewness(values)
    if abs(skew) <= _SKEWED:
        return ""
    return (
        f"; {what} strongly skewed (skewness {skew:.2f}), so the mean's bound is "
        "approximate: a p50 or p95 target is exact"
    )


MIN_CASES_FOR_MEAN = 10
"""Fewer cases than this cannot gate on a mean's bound. No interval bounds the mean of an
unbounded, skewed quantity for every distribution (Bahadur and Savage, 1956); the
studentized bootstrap comes closest, and below 10 cases even it passes a latency mean on
its target several times too often (docs/criteria.md, benchmarks/diag_mean_intervals.py)."""


def _cases_for_bound(
    aggregate: _criteria.Aggregate, side: Literal["low", "high"], confidence: float
) -> int:
    """The fewest cases from which a gate may read the interval's bound on ``side``."""
    if aggregate in _stats.QUANTILES:
        q = _stats.QUANTILES[aggregate]
        return _stats.quantile_cases_needed(q, side=side, confidence=confidence)
    return MIN_CASES_FOR_MEAN if aggregate == "mean" else 1  # Wilson's bounds always exist


def _verdict(
    base: MetricResult,
    metric: _criteria.Metric,
    reason: str,
    *,
    passed: bool | None,
    cases_needed: int | None = None,
) -> MetricResult:
    mde = None
    if metric.aggregate == "rate" and base.estimate is not None:
        target = metric.target.value if metric.target else None
        rate = target if target is not None and 0 < target < 1 else base.estimate
        if 0 < rate < 1:
            mde = _stats.minimum_detectable_effect(base.n, baseline_rate=rate)
    update = {"passed": passed, "reason": reason, "mde": mde, "cases_needed": cases_needed}
    return base.model_copy(update=update)


def _summary(
    name: str, interval: _stats.Interval, obs: _criteria_observe.Observed, metric: _criteria.Metric
) -> str:
    counts = f"n={interval.n}"
    total = obs.errors.total()
    if total:
        plural = "s" if total != 1 else ""
        what = " counted as failures" if total != 1 else " counted as a failure"
        what = what if metric.aggregate == "rate" else ""
        why = _criteria_observe.error_text(obs.errors)
        counts += f", {total} error{plural}{what}: {why}"
    bounds = f"[{_fmt(interval.low)}, {_fmt(interval.high)}]"
    return f"{name}: {_fmt(interval.estimate)} {bounds} ({counts})"


def _pair(a: float, b: float) -> tuple[str, str]:
    """Both numbers formatted, with more digits when rounding would hide their difference."""
    fa, fb = _fmt(a), _fmt(b)
    if fa == fb and a != b:
        return f"{a:.6g}", f"{b:.6g}"
    return fa, fb
