"""Rank candidates (models, prompts, releases) evaluated on the same cases.

>>> comparison = compare_runs([run_a, run_b, run_c], metric="correctness")
>>> print(comparison.render_text())
>>> comparison.best.label, [c.indistinguishable for c in comparison.candidates]

Every candidate is measured on the cases all of them have a value for (the others are
dropped, and counted; cases a scorer marked not applicable in some run are counted apart,
since they are neither passes nor failures), with the gate's 95% interval
(:func:`stats.interval`: Wilson for rates, a studentized bootstrap for means, order
statistics for percentiles). A metric is measured per case as the gate measures it, so a
``business.*`` metric reads the results' traces, and the escalation metrics each run's
cases: :func:`prodready.evaluation.suite.compare_stored` loads both from the store.
Each is then compared with the best on those same cases, pairwise: McNemar for pass/fail,
a paired permutation test for values (:func:`stats.paired_test`). A candidate whose
difference from the best is not significant (p >= 0.05 after Holm's correction for the
several comparisons) is marked *indistinguishable from best*: on this data, choosing
between them is not a statistical question, so pick on cost or latency.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prodready.evaluation import _types
from prodready.evaluation import criteria as _criteria
from prodready.evaluation import stats as _stats
from prodready.evaluation.criteria import _observe as _criteria_observe

if TYPE_CHECKING:
    from prodready.evaluation._types import Expected
    from prodready.evaluation.runner import EvalRun

__all__ = ["Adjust", "CaseSet", "Comparison", "Ranked", "compare_runs"]

Adjust = Literal["holm", "none"]
CaseSet = _types.DatasetVersion | Sequence[_types.Case]
"""A run's cases: a dataset version or a list of cases."""

_CASE_METRICS = frozenset({"wrong_escalation", "false_positive_rate"})
"""Business metrics that read each case's expected escalation."""


class Ranked(BaseModel):
    """One candidate's place in a :class:`Comparison`."""

    model_config = ConfigDict(frozen=True)

    rank: int
    """1 is the best."""
    run_id: str
    label: str
    """The run's release, else its name, else its id (with the id when labels repeat)."""
    estimate: float
    interval: _stats.Interval
    errors: int
    """Runs of the shared cases (those ranked) that could not be measured, as the gate
    counts them: case errors, scorer errors, missing scores or traces. A rate counts them
    as failures; a number leaves such runs out of their case's value (a case with no value
    left is not shared: it is counted in ``dropped``)."""
    vs_best: _stats.PairedTest | None = None
    """This candidate minus the best on the shared cases; ``None`` for the best itself."""
    p_adjusted: float | None = None
    """``vs_best.p_value`` after the correction for several comparisons."""
    indistinguishable: bool = True
    """Not significantly different from the best (always true of the best)."""


class Comparison(BaseModel):
    """Candidates ranked on one metric over the cases they share."""

    model_config = ConfigDict(frozen=True)

    metric: str
    aggregate: _criteria.Aggregate
    better: _criteria.Direction
    cases: int
    """Cases every candidate has a value for: the ranking is over these only."""
    dropped_cases: int = 0
    """Cases (of any run) left out for want of a value: not in every run, or no value in
    some run. Cases not applicable in some run are not among them."""
    not_applicable_cases: int = 0
    """Cases (of any run) left out because the scorer marked them not applicable
    (:attr:`~prodready.evaluation.Score.not_applicable`) in every repeat of some run."""
    dropped: dict[str, int] = Field(default_factory=dict)
    """Run id -> how many of its cases are among ``dropped_cases``."""
    not_applicable: dict[str, int] = Field(default_factory=dict)
    """Run id -> how many of its cases the scorer marked not applicable in every repeat."""
    unscored: list[str] = Field(default_factory=list)
    """Ids of the runs without a single score named ``metric``: each of their runs of a
    shared case is an error."""
    alpha: float = 0.05
    adjust: Adjust = "holm"
    candidates: list[Ranked]

    @property
    def best(self) -> Ranked:
        """The candidate ranked first."""
        return self.candidates[0]

    def render_text(self) -> str:
        """A plain table, best first, then which candidates are indistinguishable."""
        p_head = "p (Holm)" if self.adjust == "holm" else "p"
        head = ("rank", "candidate", "run", "estimate", "95% interval", "errors")
        rows = [(*head, "vs best", p_head, "verdict")]
        for c in self.candidates:
            interval = f"[{_fmt(c.interval.low)}, {_fmt(c.interval.high)}]"
            diff = "-" if c.vs_best is None else f"{c.vs_best.difference:+.3f}"
            p = "-" if c.p_adjusted is None else f"{c.p_adjusted:.2g}"
            verdict = self._verdict(c)
            cells = (str(c.rank), c.label, c.run_id[:12], _fmt(c.estimate), interval)
            rows.append((*cells, str(c.errors), diff, p, verdict))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        legend = "errors: runs of the shared cases that could not be measured " + (
            "(counted as failures)" if self.aggregate == "rate" else "(left out of the values)"
        )
        notes = [
            f"note: run {run_id} has no {self.metric!r} score: every case is an error"
            for run_id in self.unscored
        ]
        body = [self._heading(), "", *lines, "", legend, *notes]
        return "\n".join([*body, "", self._conclusion()])

    def _heading(self) -> str:
        what = "pass rate" if self.aggregate == "rate" else self.aggregate
        note = ""
        if self.not_applicable_cases:
            note += f"; {self.not_applicable_cases} case(s) not applicable in some run"
        if self.dropped_cases:
            note += f"; {self.dropped_cases} case(s) dropped (not in every run, or no value in one)"
        return (
            f"{self.metric} ({what}, {self.better} is better) on {self.cases} shared case(s){note}"
        )

    def _verdict(self, c: Ranked) -> str:
        if c.vs_best is None:
            return "best"
        if c.indistinguishable:
            return "indistinguishable from best"
        return "worse than best"

    def _conclusion(self) -> str:
        tied = [c.label for c in self.candidates[1:] if c.indistinguishable]
        if not tied:
            if len(self.candidates) == 1:
                return f"only one candidate: {self.best.label}"
            return f"{self.best.label} is best (every other candidate is significantly worse)"
        return (
            f"{self.best.label} ranks first, but {', '.join(tied)} "
            f"{'is' if len(tied) == 1 else 'are'} indistinguishable from it "
            f"(p >= {self.alpha:g}): choose on cost or latency, or add cases"
        )


def compare_runs(
    runs: Sequence[EvalRun],
    *,
    metric: str,
    aggregate: _criteria.Aggregate = "rate",
    better: _criteria.Direction | None = None,
    alpha: float = 0.05,
    adjust: Adjust = "holm",
    cases: Mapping[str, CaseSet] | CaseSet | None = None,
) -> Comparison:
    """Rank ``runs`` on ``metric`` over the cases they all have.

    Args:
        runs: two or more runs (one per candidate) of the same dataset.
        metric: a score name (``correctness``), or a ``business.<name>`` metric whose
            results carry what it reads (traces; see
            :func:`prodready.evaluation.suite.compare_stored` for stored runs).
        aggregate: ``rate`` (share of cases passing; an errored run is a failure), or
            ``mean``, ``p50``, ``p95`` of the score's value.
        better: which way is better (``lower`` for latency or cost); by default the
            business metric's own direction, else higher.
        alpha: the significance level for "indistinguishable from best".
        adjust: ``holm`` corrects the p-values for comparing several candidates with the
            best (Holm-Bonferroni); ``none`` keeps the raw p-values.
        cases: the runs' cases, which ``business.wrong_escalation`` and
            ``business.false_positive_rate`` need (their expected escalation): one set for
            every run, or a mapping of run id to that run's cases.

    Raises:
        ValueError: fewer than two runs, a run given twice, a bad aggregate, a score no run
            has, an escalation metric without the runs' cases, or no case with a value in
            every run.
    """
    if len(runs) < 2:
        raise ValueError(f"compare needs at least two runs, got {len(runs)}")
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise ValueError("each run may be compared once; a run id is repeated")
    spec = _spec(metric, aggregate, better)
    unscored = _unscored(runs, spec)
    expected = _expected(runs, spec, cases)
    pairs = list(zip(runs, expected, strict=True))
    observed = [_criteria_observe.observe(spec, r.results, e) for r, e in pairs]
    for run, obs in zip(runs, observed, strict=True):
        if obs.problem:
            raise ValueError(f"run {run.run_id}: {obs.problem}")
    shared = sorted(set.intersection(*(set(o.values) for o in observed)), key=_order(runs[0]))
    if not shared:
        raise ValueError(_no_shared(runs, observed, metric))
    values = [[o.values[c] for c in shared] for o in observed]
    binary = aggregate == "rate" and all(o.binary for o in observed)
    intervals = [_stats.interval(v, aggregate) for v in values]
    sign = 1 if spec.direction == "higher" else -1
    order = sorted(range(len(runs)), key=lambda i: (-sign * intervals[i].estimate, i))
    best = order[0]
    tests = {i: _stats.paired(values[best], values[i], aggregate, binary=binary) for i in order[1:]}
    adjusted = _holm({i: t.p_value for i, t in tests.items()}) if adjust == "holm" else None
    labels = _labels(runs)
    ranked = []
    for rank, i in enumerate(order, start=1):
        test = tests.get(i)
        p = None if test is None else (adjusted[i] if adjusted else test.p_value)
        ranked.append(
            Ranked(
                rank=rank,
                run_id=runs[i].run_id,
                label=labels[i],
                estimate=intervals[i].estimate,
                interval=intervals[i],
                errors=_errors(spec, runs[i], set(shared), expected[i]),
                vs_best=test,
                p_adjusted=p,
                indistinguishable=p is None or p >= alpha,
            )
        )
    inapplicable = {r.run_id: _inapplicable(r, o) for r, o in zip(runs, observed, strict=True)}
    any_inapplicable = set().union(*inapplicable.values())
    left_out = {r.run_id: {x.case_id for x in r.results} - set(shared) for r in runs}
    dropped = {i: cases - any_inapplicable for i, cases in left_out.items()}
    return Comparison(
        metric=metric,
        aggregate=aggregate,
        better=spec.direction,
        cases=len(shared),
        dropped_cases=len(set().union(*dropped.values())),
        not_applicable_cases=len(set().union(*left_out.values()) & any_inapplicable),
        dropped={i: len(c) for i, c in dropped.items()},
        not_applicable={i: len(c) for i, c in inapplicable.items()},
        unscored=unscored,
        alpha=alpha,
        adjust=adjust,
        candidates=ranked,
    )


def _spec(
    metric: str, aggregate: _criteria.Aggregate, better: _criteria.Direction | None
) -> _criteria.Metric:
    try:
        return _criteria.Metric(source=metric, aggregate=aggregate, gate="report", better=better)
    except ValidationError as exc:  # the message alone: no pydantic boilerplate
        reasons = (str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ValueError("; ".join(reasons)) from None


def _unscored(runs: Sequence[EvalRun], spec: _criteria.Metric) -> list[str]:
    """Ids of the runs without a score named ``spec.source``; ValueError if no run has one."""
    if spec.business is not None:
        return []
    names = [{s.name for x in r.results for s in x.scores} for r in runs]
    lacking = [r.run_id for r, n in zip(runs, names, strict=True) if spec.source not in n]
    if len(lacking) == len(runs):
        known = ", ".join(sorted(set().union(*names))) or "none"
        raise ValueError(
            f"no run has a score named {spec.source!r}; scores in these runs: {known} "
            "(or business.<name>)"
        )
    return lacking


def _expected(
    runs: Sequence[EvalRun], spec: _criteria.Metric, cases: Mapping[str, CaseSet] | CaseSet | None
) -> list[dict[str, Expected] | None]:
    """Each run's expected outcomes by case id, from its cases; ``None`` without cases."""
    per_run: Mapping[str, CaseSet | None]
    per_run = cases if isinstance(cases, Mapping) else {r.run_id: cases for r in runs}
    found = [_by_id(per_run.get(r.run_id)) for r in runs]
    lacking = [r.run_id for r, e in zip(runs, found, strict=True) if e is None]
    if spec.business in _CASE_METRICS and lacking:
        raise ValueError(
            f"{spec.source} needs each run's cases (their expected escalation), and run "
            f"{lacking[0]} has none: pass cases="
        )
    return found


def _by_id(cases: CaseSet | None) -> dict[str, Expected] | None:
    if cases is None:
        return None
    listed = cases.cases if isinstance(cases, _types.DatasetVersion) else cases
    return {c.id: c.expected for c in listed}


def _order(run: EvalRun) -> Callable[[str], tuple[int, str]]:
    """Sort key: case ids in the first run's order."""
    position: dict[str, int] = {}
    for r in run.results:
        position.setdefault(r.case_id, len(position))
    return lambda case_id: (position.get(case_id, len(position)), case_id)


def _no_shared(
    runs: Sequence[EvalRun], observed: Sequence[_criteria_observe.Observed], metric: str
) -> str:
    pairs = zip(runs, observed, strict=True)
    counts = ", ".join(f"{r.run_id[:12]}: {len(o.values)}" for r, o in pairs)
    return f"no case has a {metric!r} value in every run (cases with a value per run: {counts})"


def _holm(p_values: dict[int, float]) -> dict[int, float]:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1)."""
    m = len(p_values)
    adjusted: dict[int, float] = {}
    running = 0.0
    for k, (i, p) in enumerate(sorted(p_values.items(), key=lambda item: (item[1], item[0]))):
        running = max(running, min(1.0, (m - k) * p))
        adjusted[i] = running
    return adjusted


def _labels(runs: Sequence[EvalRun]) -> list[str]:
    labels = [r.release or r.name or r.run_id[:12] for r in runs]
    return [
        f"{label} ({r.run_id[:8]})" if labels.count(label) > 1 else label
        for label, r in zip(labels, runs, strict=True)
    ]


def _inapplicable(run: EvalRun, observed: _criteria_observe.Observed) -> set[str]:
    """Cases with neither a value nor an error in any repeat: not applicable."""
    return {r.case_id for r in run.results} - observed.values.keys() - set(observed.missing)


def _errors(
    spec: _criteria.Metric, run: EvalRun, cases: set[str], expected: dict[str, Expected] | None
) -> int:
    """Runs of ``cases`` the gate's observation counts as errors."""
    results = [r for r in run.results if r.case_id in cases]
    return _criteria_observe.observe(spec, results, expected).errors.total()


def _fmt(x: float) -> str:
    if math.isinf(x) or math.isnan(x):
        return str(x)
    digits = 0 if abs(x) >= 1000 else (1 if abs(x) >= 100 else 3)
    return f"{x:.{digits}f}"
