"""Evaluations: stored runs, a run's scorecard and cases, run comparison, metric trends.

- ``/ui/evaluations``: runs started in the scope's time window (and of its release), newest
  first, with dataset@version, verdict and totals; a form to compare two of them.
- ``/ui/evaluations/{run}``: the scorecard (each metric against the criteria the run was
  last gated on, with its 95% interval, exactly as ``prodready eval gate`` computes it; a
  run never gated gets every score's pass rate, report-only), score distributions, and
  the per-case table linking to each case.
- ``/ui/evaluations/{run}/cases/{case}``: inputs, expected answer, output, every score with
  its rationale, and the case's trace.
- ``/ui/evaluations/compare?base=RUN&head=RUN``: per-score deltas on the shared cases with
  intervals and paired tests (:func:`prodready.evaluation.suite.compare_stored`), and the
  cases that regressed or improved.
- ``/ui/evaluations/trends?dataset=NAME&metric=SCORE``: a score's pass rate across the runs
  of a dataset.

Runs may be named by a unique prefix of their id, as on the command line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from prodready.dashboard._scope import read_scope
from prodready.dashboard._web import Page, environment, register, render, store_of
from prodready.dashboard.pages import _forms
from prodready.evaluation import Case, CaseResult, Score
from prodready.evaluation.criteria import Aggregate, Criteria, Metric
from prodready.evaluation.datasets import list_datasets
from prodready.evaluation.gate import GateReport, MetricResult
from prodready.evaluation.runs import (
    EvalRun,
    RunSummary,
    find_run_id,
    list_runs,
    load_run,
    load_run_cases,
    run_criteria,
)
from prodready.evaluation.suite import compare_stored, gate_run
from prodready.store import Store

router = APIRouter(prefix="/ui")
PAGE = register(Page("evaluations", "Evaluations", "/ui/evaluations", "e", 30))

PAGE_SIZE: Final = 50
CASES_PAGE: Final = 100
TREND_RUNS: Final = 30
BINS: Final = 10
CHART_W: Final = 300
CHART_H: Final = 100


def resolve_run(store: Store, ref: str, field_name: str = "run") -> str:
    """A run id from an id or a unique prefix; 404 if none, 400 if ambiguous."""
    ref = ref.strip()
    if not ref:
        raise HTTPException(400, f"{field_name}: required (a run id or a prefix of one)")
    try:
        return find_run_id(store, ref)
    except KeyError:
        raise HTTPException(404, f"{field_name}: no evaluation run {ref!r}") from None
    except ValueError as exc:
        raise HTTPException(400, f"{field_name}: {exc}") from None


def _load(store: Store, ref: str, field_name: str = "run") -> EvalRun:
    run_id = resolve_run(store, ref, field_name)
    try:
        return load_run(store, run_id)
    except KeyError:  # deleted between the two reads
        raise HTTPException(404, f"{field_name}: no evaluation run {ref!r}") from None


# --- the run list ----------------------------------------------------------------------------


@router.get("/evaluations", response_class=HTMLResponse)
def run_list(request: Request) -> HTMLResponse:
    """Runs started in the scope's window (and of its release), newest first."""
    scope = read_scope(request)
    offset = _forms.offset_of(request)
    dataset = request.query_params.get("dataset", "").strip() or None
    store = store_of(request)
    rows = list_runs(
        store,
        release=scope.release,
        dataset=dataset,
        since_ns=scope.since_ns,
        until_ns=scope.until_ns,
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    recent = list_runs(store, limit=100)
    response = render(
        request,
        "evaluations.html",
        {
            "runs": rows,
            "recent": recent,
            "more": more,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "dataset": dataset or "",
            "datasets": [d.name for d in list_datasets(store)],
            "flash": _forms.flash_of(request),
        },
        scope=scope,
        page=PAGE.id,
    )
    return _forms.shown(request, response)


# --- comparison ------------------------------------------------------------------------------


@dataclass
class MetricDelta:
    """One score compared between two runs on their shared cases."""

    name: str
    aggregate: Aggregate = "rate"
    base: float | None = None
    base_low: float | None = None
    base_high: float | None = None
    head: float | None = None
    head_low: float | None = None
    head_high: float | None = None
    delta: float | None = None
    """Head minus base."""
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    significant: bool = False
    cases: int = 0
    note: str = ""

    @property
    def direction(self) -> str:
        """``up``/``down`` for a significant change, else empty."""
        if not self.significant or self.delta is None or self.delta == 0:
            return ""
        return "up" if self.delta > 0 else "down"


@dataclass
class CaseChange:
    """A case both runs ran, with its verdict in each."""

    case_id: str
    base_passed: bool
    head_passed: bool
    base_trace: str | None
    head_trace: str | None
    failing: list[str]
    """The head's failing score names."""

    @property
    def change(self) -> str:
        if self.base_passed and not self.head_passed:
            return "regressed"
        if self.head_passed and not self.base_passed:
            return "improved"
        return "same"


def passed(result: CaseResult) -> bool:
    """A result passes when it ran and no score failed or errored (as the reports say)."""
    return result.error is None and not any(
        s.passed is False or s.error is not None for s in result.scores
    )


def case_verdicts(run: EvalRun) -> dict[str, bool]:
    """Case id -> whether every run (repeat) of the case passed."""
    out: dict[str, bool] = {}
    for r in run.results:
        out[r.case_id] = out.get(r.case_id, True) and passed(r)
    return out


def score_names(runs: Sequence[EvalRun]) -> list[str]:
    """Score names in order of first appearance (human labels are not among a run's)."""
    return list(dict.fromkeys(s.name for run in runs for r in run.results for s in r.scores))


def aggregate_of(runs: Sequence[EvalRun], name: str) -> Aggregate:
    """``rate`` for a score with verdicts (pass/fail), ``mean`` for one with values only."""
    verdicts = any(s.passed is not None for run in runs for r in run.results for s in r.scores
                   if s.name == name)  # fmt: skip
    return "rate" if verdicts else "mean"


def metric_deltas(store: Store, base: EvalRun, head: EvalRun) -> list[MetricDelta]:
    """Each score's pass rate (or mean value, for a score without verdicts) in both runs,
    and head minus base with a paired test."""
    out = []
    for name in score_names([base, head]):
        aggregate = aggregate_of([base, head], name)
        row = MetricDelta(name, aggregate=aggregate)
        try:
            comparison = compare_stored(store, [base, head], metric=name, aggregate=aggregate)
        except ValueError as exc:
            row.note = str(exc).splitlines()[0]
            out.append(row)
            continue
        by_id = {c.run_id: c for c in comparison.candidates}
        b, h = by_id.get(base.run_id), by_id.get(head.run_id)
        row.cases = comparison.cases
        if b is None or h is None:
            row.note = "only one run has this score"
            out.append(row)
            continue
        row.base, row.base_low, row.base_high = b.estimate, b.interval.low, b.interval.high
        row.head, row.head_low, row.head_high = h.estimate, h.interval.low, h.interval.high
        # vs_best is "this candidate minus the best": turn it into head minus base.
        if h.vs_best is not None:
            test, sign, other = h.vs_best, 1.0, h
        elif b.vs_best is not None:
            test, sign, other = b.vs_best, -1.0, b
        else:
            test, sign, other = None, 1.0, h
        if test is not None:
            row.delta = sign * test.difference
            lo, hi = sign * test.low, sign * test.high
            row.low, row.high = min(lo, hi), max(lo, hi)
            row.p_value = other.p_adjusted if other.p_adjusted is not None else test.p_value
            row.significant = not other.indistinguishable
        else:
            row.delta = h.estimate - b.estimate
        out.append(row)
    return out


def case_changes(base: EvalRun, head: EvalRun) -> list[CaseChange]:
    """Cases both runs ran: regressed first, then improved, then unchanged (dataset order)."""
    theirs, ours = case_verdicts(base), case_verdicts(head)
    base_traces = {r.case_id: r.trace_id for r in base.results if r.trace_id}
    head_traces = {r.case_id: r.trace_id for r in head.results if r.trace_id}
    failing: dict[str, list[str]] = {}
    for r in head.results:
        names = failing.setdefault(r.case_id, [])
        if r.error is not None and "error" not in names:
            names.append("error")
        names += [
            s.name
            for s in r.scores
            if (s.passed is False or s.error is not None) and s.name not in names
        ]
    rows = [
        CaseChange(c, theirs[c], ours[c], base_traces.get(c), head_traces.get(c), failing[c])
        for c in ours
        if c in theirs
    ]
    order = {"regressed": 0, "improved": 1, "same": 2}
    return sorted(rows, key=lambda r: order[r.change])  # stable: dataset order within


def _previous(store: Store, head: EvalRun) -> EvalRun:
    """The newest run of ``head``'s dataset started before it (the default base)."""
    name = head.dataset.name if head.dataset and head.dataset.version is not None else None
    for s in list_runs(store, dataset=name, until_ns=head.started_at_ns, limit=5):
        if s.run_id != head.run_id:
            return load_run(store, s.run_id)
    raise HTTPException(400, "base: required (no earlier run to compare with)")


@router.get("/evaluations/compare", response_class=HTMLResponse)
def compare_page(request: Request) -> HTMLResponse:
    """Two runs compared on their shared cases (``base`` and ``head``)."""
    store = store_of(request)
    q = request.query_params
    head = _load(store, q.get("head", ""), "head")
    if q.get("base", "").strip():
        base = _load(store, q.get("base", ""), "base")
    else:
        base = _previous(store, head)
    if base.run_id == head.run_id:
        raise HTTPException(400, "head: the same run as base; pick two different runs")
    changes = case_changes(base, head)
    response = render(
        request,
        "evaluations_compare.html",
        {
            "base": base,
            "head": head,
            "deltas": metric_deltas(store, base, head),
            "changes": changes,
            "regressed": sum(c.change == "regressed" for c in changes),
            "improved": sum(c.change == "improved" for c in changes),
            "only_base": len({r.case_id for r in base.results} - {c.case_id for c in changes}),
            "only_head": len({r.case_id for r in head.results} - {c.case_id for c in changes}),
            "recent": list_runs(store, limit=100),
        },
        page=PAGE.id,
    )
    return response


# --- trends ----------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    run: RunSummary
    rate: float | None
    n: int
    x: float = 0.0
    y: float = 0.0


def pass_rate(run: EvalRun, name: str) -> tuple[float | None, int]:
    """The share of ``name``'s applicable runs that passed (errors count as failures); for
    a score without verdicts, its mean value."""
    if aggregate_of([run], name) == "mean":
        values = [s.value for r in run.results for s in r.scores
                  if s.name == name and s.value is not None and math.isfinite(s.value)]  # fmt: skip
        return (sum(values) / len(values) if values else None), len(values)
    ok = n = 0
    for r in run.results:
        for s in r.scores:
            if s.name != name or s.not_applicable:
                continue
            n += 1
            ok += r.error is None and s.error is None and s.passed is True
    return (ok / n if n else None), n


def trend_points(store: Store, dataset: str, metric: str) -> list[TrendPoint]:
    """``metric``'s pass rate in the newest runs of ``dataset``, oldest first, placed on
    the chart (x by run order, y by rate)."""
    summaries = list(reversed(list_runs(store, dataset=dataset, limit=TREND_RUNS)))
    points = []
    for s in summaries:
        rate, n = pass_rate(load_run(store, s.run_id), metric)
        points.append(TrendPoint(s, rate, n))
    step = CHART_W / max(len(points) - 1, 1)
    for i, p in enumerate(points):
        p.x = round(i * step if len(points) > 1 else CHART_W / 2, 1)
        p.y = round(CHART_H - (p.rate or 0.0) * CHART_H, 1)
    return points


@router.get("/evaluations/trends", response_class=HTMLResponse)
def trends_page(request: Request) -> HTMLResponse:
    """A score's pass rate across a dataset's runs (the newest 30), as a line."""
    store = store_of(request)
    datasets = [d.name for d in list_datasets(store)]
    dataset = request.query_params.get("dataset", "").strip()
    metric = request.query_params.get("metric", "").strip()
    if dataset and dataset not in datasets:
        raise HTTPException(404, f"dataset: no dataset {dataset!r}")
    metrics: list[str] = []
    points: list[TrendPoint] = []
    if dataset:
        newest = list_runs(store, dataset=dataset, limit=1)
        if newest:
            metrics = score_names([load_run(store, newest[0].run_id)])
        if metric and metric not in metrics:
            raise HTTPException(
                400, f"metric: the newest run of {dataset!r} has no score {metric!r}"
            )
        metric = metric or (metrics[0] if metrics else "")
        if metric:
            points = trend_points(store, dataset, metric)
    line = " ".join(f"{p.x},{p.y}" for p in points if p.rate is not None)
    mean = bool(points) and aggregate_of([load_run(store, points[-1].run.run_id)], metric) == "mean"
    return render(
        request,
        "evaluations_trends.html",
        {
            "datasets": datasets,
            "dataset": dataset,
            "metric": metric,
            "metrics": metrics,
            "points": points,
            "line": line,
            "what": "mean" if mean else "pass rate",
            "width": CHART_W,
            "height": CHART_H,
        },
        page=PAGE.id,
    )


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass
class Distribution:
    """One score's values over a run, as a histogram, and its verdict counts."""

    name: str
    bars: list[Bar] = field(default_factory=list)
    low: float = 0.0
    high: float = 1.0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    not_applicable: int = 0
    values: int = 0


def distributions(run: EvalRun) -> list[Distribution]:
    """A histogram of each score's values (ten bins over [0, 1], or over the values' range
    when some fall outside it) with pass/fail/error counts."""
    out = []
    for name in score_names([run]):
        scores = [s for r in run.results for s in r.scores if s.name == name]
        d = Distribution(name)
        values = [s.value for s in scores if s.value is not None and math.isfinite(s.value)]
        d.passed = sum(s.passed is True for s in scores)
        d.failed = sum(s.passed is False for s in scores)
        d.errors = sum(s.error is not None for s in scores)
        d.not_applicable = sum(s.not_applicable for s in scores)
        d.values = len(values)
        if values:
            lo, hi = min(values), max(values)
            if lo >= 0 and hi <= 1:
                lo, hi = 0.0, 1.0
            elif hi == lo:
                lo, hi = lo - 0.5, hi + 0.5
            d.low, d.high = lo, hi
            counts = [0] * BINS
            for v in values:
                counts[min(int((v - lo) / (hi - lo) * BINS), BINS - 1)] += 1
            top = max(counts)
            width = CHART_W / BINS
            for i, c in enumerate(counts):
                h = round(c / top * (CHART_H - 4), 1) if top else 0.0
                start = lo + (hi - lo) * i / BINS
                end = lo + (hi - lo) * (i + 1) / BINS
                d.bars.append(
                    Bar(
                        round(i * width + 1, 1),
                        round(CHART_H - h, 1),
                        round(width - 2, 1),
                        h,
                        c,
                        f"{_num(start)} to {_num(end)}: {c}",
                    )
                )
        out.append(d)
    return out


def _num(x: float) -> str:
    return f"{x:.2f}" if abs(x) < 1000 else f"{x:,.0f}"


def fmt_metric(x: float | None) -> str:
    """A metric's number as the scorecard shows it: 3 decimals below 10, ∞ for an
    unbounded interval, a dash for none."""
    if x is None or math.isnan(x):
        return "-"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"


environment.filters["evalnum"] = fmt_metric


@dataclass
class Scorecard:
    """The gate's report with where its criteria came from, and each metric's plot."""

    report: GateReport | None
    recorded: bool
    """The criteria are the ones the run was gated on (else every score, report-only)."""
    criteria_yaml: str = ""
    error: str = ""
    rows: list[ScoreRow] = field(default_factory=list)


@dataclass
class ScoreRow:
    """One metric of the scorecard, with its interval placed on a 0..200 axis."""

    m: MetricResult
    x_low: float | None = None
    x_high: float | None = None
    x_est: float | None = None
    x_target: float | None = None
    scale: str = ""


def _report_only(run: EvalRun) -> Criteria | None:
    names = score_names([run])
    if not names:
        return None
    return Criteria(metrics={n: Metric(source=n, aggregate="rate", gate="report") for n in names})


def scorecard(store: Store, run: EvalRun, cases: list[Case] | None) -> Scorecard:
    """The run against its recorded criteria (else each score's pass rate, report-only)."""
    criteria = run_criteria(store, run.run_id)
    recorded = criteria is not None
    if criteria is None:
        criteria = _report_only(run)
    if criteria is None:
        return Scorecard(None, False)
    try:
        report = gate_run(store, run, criteria, cases=cases, record=False)
    except Exception as exc:  # a scorecard that cannot be computed must not break the page
        return Scorecard(None, recorded, criteria.to_yaml(), f"{type(exc).__name__}: {exc}")
    card = Scorecard(report, recorded, criteria.to_yaml() if recorded else "")
    card.rows = [_placed(m) for m in report.metrics]
    return card


def _placed(m: MetricResult) -> ScoreRow:
    row = ScoreRow(m)
    numbers = [m.estimate, m.target.value if m.target else None]
    if m.interval is not None:
        numbers += [m.interval.low, m.interval.high]
    finite = [x for x in numbers if x is not None and math.isfinite(x)]
    if not finite:
        return row
    if m.aggregate == "rate":
        lo, hi = 0.0, 1.0
    else:
        lo, hi = min(0.0, *finite), max(finite) * 1.1 or 1.0
    row.scale = f"{_num(lo)} … {_num(hi)}"

    def at(x: float | None) -> float | None:
        if x is None or math.isnan(x):
            return None
        x = min(max(x, lo), hi)  # an infinite bound is drawn at the axis' end
        return round((x - lo) / (hi - lo) * 200, 1)

    row.x_est = at(m.estimate)
    row.x_target = at(m.target.value) if m.target else None
    if m.interval is not None:
        row.x_low, row.x_high = at(m.interval.low), at(m.interval.high)
    return row


@dataclass
class CaseRow:
    result: CaseResult
    passed: bool
    scores: dict[str, Score]


@router.get("/evaluations/{run_ref}", response_class=HTMLResponse)
def run_page(request: Request, run_ref: str) -> HTMLResponse:
    """A run: scorecard, score distributions, and its cases (``?failing=1``, ``offset``)."""
    store = store_of(request)
    run = _load(store, run_ref)
    cases = load_run_cases(store, run.run_id)
    offset = _forms.offset_of(request)
    only_failing = request.query_params.get("failing", "") in ("1", "true", "on")
    names = score_names([run])
    rows = [CaseRow(r, passed(r), {s.name: s for s in r.scores}) for r in run.results]
    if only_failing:
        rows = [r for r in rows if not r.passed]
    total = len(rows)
    return render(
        request,
        "evaluations_run.html",
        {
            "run": run,
            "card": scorecard(store, run, cases),
            "distributions": distributions(run),
            "names": names,
            "rows": rows[offset : offset + CASES_PAGE],
            "total": total,
            "offset": offset,
            "page_size": CASES_PAGE,
            "only_failing": only_failing,
            "failing_count": sum(not passed(r) for r in run.results),
            "width": CHART_W,
            "height": CHART_H,
        },
        page=PAGE.id,
    )


@router.get("/evaluations/{run_ref}/cases/{case_id:path}", response_class=HTMLResponse)
def case_page(request: Request, run_ref: str, case_id: str) -> HTMLResponse:
    """One case of a run: input, expected, every repeat's output and scores, its trace."""
    store = store_of(request)
    run = _load(store, run_ref)
    results = [r for r in run.results if r.case_id == case_id]
    if not results:
        raise HTTPException(404, f"run {run.run_id} has no case {case_id!r}")
    cases = load_run_cases(store, run.run_id) or []
    case = next((c for c in cases if c.id == case_id), None)
    return render(
        request,
        "evaluations_case.html",
        {
            "run": run,
            "case_id": case_id,
            "case": case,
            "expected": case.expected.model_dump(exclude_defaults=True) if case else {},
            "results": [(r, passed(r)) for r in results],
        },
        page=PAGE.id,
    )
