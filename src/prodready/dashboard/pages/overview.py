"""Overview: traffic, errors, latency, escalations, tokens, cost and online scores over the
scope's window, one series per release (or environment), and what needs attention now."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from prodready.dashboard._charts import LineChart, line_chart
from prodready.dashboard._scope import Scope, read_scope
from prodready.dashboard._web import (
    Page,
    fmt_ms,
    fmt_number,
    fmt_percent,
    fmt_usd,
    register,
    render,
    store_of,
)
from prodready.monitoring import feedback_summary, open_alerts, score_series
from prodready.store import Store, Timeseries, TimeseriesBucket, TimeseriesQuery, TraceQuery

router = APIRouter(prefix="/ui")
PAGE = register(Page("overview", "Overview", "/ui/overview", "o", 10))

GROUPINGS: Final = ("release", "environment")
MAX_SERIES: Final = 8
"""Series drawn per chart: the busiest groups; the rest are summed into "other"."""


def _series(
    ts: Timeseries, metric: Callable[[TimeseriesBucket], float | None], *, count: bool = False
) -> tuple[list[int], list[tuple[str, list[float | None]]]]:
    """One list of values per group (the busiest first); a bucket a group has no row for is
    0 for a count and a gap for a rate or a percentile."""
    starts = sorted({b.start_ns for b in ts.buckets})
    by_group: dict[str | None, dict[int, TimeseriesBucket]] = {}
    for b in ts.buckets:
        by_group.setdefault(b.group, {})[b.start_ns] = b
    busiest = sorted(by_group, key=lambda g: -sum(b.traces for b in by_group[g].values()))[
        :MAX_SERIES
    ]
    out = []
    for group in busiest:
        buckets = by_group[group]
        label = group if group is not None else ("(none)" if ts.group_by else "")
        missing = 0.0 if count else None
        out.append((label, [metric(buckets[s]) if s in buckets else missing for s in starts]))
    return starts, out


def _rate(count: Callable[[TimeseriesBucket], int]) -> Callable[[TimeseriesBucket], float | None]:
    def read(b: TimeseriesBucket) -> float | None:
        return count(b) / b.traces if b.traces else None

    return read


Metric = Callable[[TimeseriesBucket], float | None]
ESCALATED: Final = "/ui/traces?kind=escalation"


def _tokens(b: TimeseriesBucket) -> float:
    return float(b.input_tokens + b.output_tokens)


def charts(ts: Timeseries) -> list[LineChart]:
    """The overview's store charts, in reading order."""
    window = (ts.since_ns, ts.until_ns)
    count, rate = True, False
    specs: Sequence[tuple[str, Metric, Callable[[float], str], bool, str | None]] = (
        ("Traffic (traces)", lambda b: float(b.traces), fmt_number, count, "/ui/traces"),
        ("Error rate", _rate(lambda b: b.errors), fmt_percent, rate, "/ui/traces?status=error"),
        ("Latency p50", lambda b: b.latency_p50_ms, fmt_ms, rate, None),
        ("Latency p95", lambda b: b.latency_p95_ms, fmt_ms, rate, "/ui/traces?min_ms=1000"),
        ("Escalation rate", _rate(lambda b: b.escalations), fmt_percent, rate, ESCALATED),
        ("Tokens (input + output)", _tokens, fmt_number, count, None),
        ("Cost", lambda b: b.cost_usd, fmt_usd, count, None),
    )
    out = []
    for title, metric, fmt, counted, link in specs:
        xs, series = _series(ts, metric, count=counted)
        out.append(line_chart(title, xs, series, x_range=window, fmt=fmt, link=link))
    return out


def totals(ts: Timeseries) -> dict[str, float | None]:
    """Sums over the window (counts add up across buckets exactly)."""
    n = sum(b.traces for b in ts.buckets)
    errors = sum(b.errors for b in ts.buckets)
    escalations = sum(b.escalations for b in ts.buckets)
    return {
        "traces": n,
        "errors": errors,
        "error_rate": errors / n if n else None,
        "escalation_rate": escalations / n if n else None,
        "tokens": sum(b.input_tokens + b.output_tokens for b in ts.buckets),
        "cost": sum(b.cost_usd for b in ts.buckets),
        "llm_calls": sum(b.llm_calls for b in ts.buckets),
    }


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    """The overview page."""
    scope = read_scope(request)
    by = request.query_params.get("by", "release")
    if by not in GROUPINGS:
        raise HTTPException(400, f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    store = store_of(request)
    query = TimeseriesQuery(
        since_ns=scope.since_ns,
        until_ns=scope.until_ns,
        release=scope.release,
        environment=scope.environment,
        group_by=by,
    )
    ts = store.timeseries(query)
    failing = store.list_traces(
        TraceQuery(
            start_after_ns=scope.since_ns,
            start_before_ns=scope.until_ns,
            release=scope.release,
            environment=scope.environment,
            status="error",
            limit=10,
        )
    )
    return render(
        request,
        "overview.html",
        {
            "by": by,
            "groupings": GROUPINGS,
            "charts": charts(ts),
            "totals": totals(ts),
            "bucket_ns": ts.bucket_ns,
            "failing": failing,
        }
        | monitoring_panels(store, scope, ts, by),
        scope=scope,
        page=PAGE.id,
    )


def monitoring_panels(store: Store, scope: Scope, ts: Timeseries, by: str) -> dict[str, Any]:
    """Open alerts, online scores and end users' feedback (the monitoring pillar)."""
    points = score_series(store, ts.since_ns, ts.until_ns, ts.bucket_ns, by=by)  # type: ignore[arg-type]
    xs = list(range(ts.since_ns, ts.until_ns, ts.bucket_ns))
    score_charts = []
    for name in sorted({p.name for p in points}):
        groups: dict[str | None, dict[int, float]] = {}
        for p in points:
            if p.name == name:
                groups.setdefault(p.group, {})[p.bucket_ns] = p.mean
        series = [
            (g if g is not None else "(none)", [values.get(x) for x in xs])
            for g, values in sorted(groups.items(), key=lambda kv: str(kv[0]))
        ][:MAX_SERIES]
        score_charts.append(
            line_chart(
                f"Online score: {name}",
                xs,
                series,
                x_range=(ts.since_ns, ts.until_ns),
                fmt=lambda v: f"{v:.2f}",
            )
        )
    window = (scope.since_ns, scope.until_ns)
    overall = feedback_summary(store, *window, by=())
    tiles = []
    if overall and overall[0].csat_mean is not None:
        tiles.append({"label": f"CSAT ({overall[0].csat_n} ratings)",
                      "value": f"{overall[0].csat_mean:.2f} / 5"})  # fmt: skip
    if overall and overall[0].thumbs_up_rate is not None:
        tiles.append({"label": f"Thumbs up ({overall[0].thumbs_n} votes)",
                      "value": fmt_percent(overall[0].thumbs_up_rate)})  # fmt: skip
    return {
        "alerts": open_alerts(store),
        "score_charts": score_charts,
        "feedback": feedback_summary(store, *window, by=("release", "intent")),
        "feedback_tiles": tiles,
    }
