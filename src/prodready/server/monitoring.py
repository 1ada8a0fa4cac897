"""Monitoring in the server: feedback and alert routes, ``/metrics``, and the background
workers (online scoring fed by ingest, the alert loop), started and stopped with the app.

- ``POST /api/feedback``: an end user's feedback on a trace or session (201; 400/422 naming
  the field; 404 for an unknown trace or session).
- ``GET /api/alerts``: open alerts and recent firings and resolutions.
- ``GET /api/alert-rules``, ``PUT``/``DELETE /api/alert-rules/{name}``: the rules.
- ``POST /api/alerts/check``: evaluate every rule now.
- ``GET /metrics``: Prometheus text exposition (``/v1/metrics`` is the OTLP metrics sink).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from prodready.monitoring import (
    AlertEvaluator,
    AlertEvent,
    AlertLoop,
    AlertRule,
    AlertsConfig,
    FeedbackError,
    FeedbackNotFound,
    OnlineConfig,
    OnlineConfigError,
    OnlineScorer,
    OnlineWorker,
    OpenAlert,
    alert_history,
    delete_rule,
    feedback_summary,
    list_rules,
    load_alerts_config,
    load_online_config,
    open_alerts,
    record_feedback,
    save_rule,
    score_series,
    sync_rules,
)
from prodready.monitoring._facts import DIMENSIONS, Dimension, newest_trace_ns
from prodready.monitoring._online import ONLINE_ENV
from prodready.monitoring._rules import RULES_ENV
from prodready.server.api import ANSWERS, SINCE_PATTERN, ErrorDetail, StoreDep
from prodready.store import SpanRecord, Store
from prodready.store.filters import parse_duration, parse_time
from prodready.store.records import MAX_NS

log = logging.getLogger("prodready.server")

router = APIRouter(responses=ANSWERS)
DEFAULT_ALERT_INTERVAL = 30.0
_OTLP_ROUTES = frozenset({"/v1/traces", "/v1/logs", "/v1/metrics"})


class Monitoring:
    """The server's monitoring state: counters, the online worker and the alert loop.

    Args:
        store: the app's store.
        online: online scoring's configuration (or its file); ``None``: online scoring off.
        alerts: the rules file (or its contents): its rules are written to the store at
            start and its webhooks called; ``None``: rules from the API only, no webhooks.
        alert_interval: seconds between alert checks; ``None`` or 0: no alert loop.
    """

    def __init__(
        self,
        store: Store,
        *,
        online: OnlineConfig | str | Path | None = None,
        alerts: AlertsConfig | str | Path | None = None,
        alert_interval: float | None = DEFAULT_ALERT_INTERVAL,
    ) -> None:
        self.store = store
        source = str(online) if isinstance(online, (str, Path)) else None
        if source is not None:
            online = load_online_config(source)
        if isinstance(alerts, (str, Path)):
            alerts = load_alerts_config(alerts)
        self.online_config = online
        self.alerts_config = alerts
        # Built now, so a scorer or judge that cannot be made stops the server at start-up.
        self.worker: OnlineWorker | None = None
        if isinstance(online, OnlineConfig):
            try:
                self.worker = OnlineWorker(OnlineScorer(store, online))
            except OnlineConfigError as exc:
                raise OnlineConfigError(f"{source}: {exc}" if source else str(exc)) from None
        self.evaluator = AlertEvaluator(store, alerts.webhooks if alerts is not None else ())
        self.loop = AlertLoop(self.evaluator, alert_interval) if alert_interval else None
        self.spans_accepted = 0
        self.rejected: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(self))

    @classmethod
    def from_env(
        cls,
        store: Store,
        *,
        online: OnlineConfig | str | Path | None = None,
        alerts: AlertsConfig | str | Path | None = None,
        alert_interval: float | None = DEFAULT_ALERT_INTERVAL,
    ) -> Monitoring:
        """As the constructor, with ``$PRODREADY_ONLINE_CONFIG`` and
        ``$PRODREADY_ALERT_RULES`` for the files not given."""
        return cls(
            store,
            online=online if online is not None else os.environ.get(ONLINE_ENV) or None,
            alerts=alerts if alerts is not None else os.environ.get(RULES_ENV) or None,
            alert_interval=alert_interval,
        )

    def start(self) -> None:
        """Sync the file's rules and start the background workers (errors are logged: the
        server serves ingest whatever monitoring's state)."""
        try:
            if self.alerts_config is not None:
                sync_rules(self.store, self.alerts_config.rules, source="file")
            if self.worker is not None:
                self.worker.start()
        except Exception:
            log.warning("monitoring could not start; ingest goes on without it", exc_info=True)
        if self.loop is not None:
            self.loop.start()

    def stop(self) -> None:
        """Stop the workers (bounded)."""
        if self.loop is not None:
            self.loop.stop()
        if self.worker is not None:
            self.worker.stop()

    # --- the ingest observer (called in ingest's worker thread, after the commit) -----------

    def written(self, records: Sequence[SpanRecord]) -> None:
        """Count stored spans and hand their traces to online scoring; never raises."""
        with self._lock:
            self.spans_accepted += len(records)
        worker = self.worker
        if worker is not None:
            worker.offer(r.trace_id for r in records)

    def refused(self, path: str, status: int) -> None:
        """Count a refused ingest request (by route: other paths count as ``other``, so a
        client cannot grow the label set)."""
        with self._lock:
            key = (path if path in _OTLP_ROUTES else "other", status)
            self.rejected[key] = self.rejected.get(key, 0) + 1


class _Collector(Collector):
    """Reads the counters at scrape time (nothing is kept twice)."""

    def __init__(self, mon: Monitoring) -> None:
        self.mon = mon

    def collect(self) -> Iterator[Any]:
        mon = self.mon
        yield _counter("prodready_ingest_spans_accepted", "Spans stored by OTLP ingest.",
                       mon.spans_accepted)  # fmt: skip
        rejected = CounterMetricFamily("prodready_ingest_requests_rejected",
                                       "OTLP requests refused, by route and status.",
                                       labels=["path", "status"])  # fmt: skip
        for (path, status), n in sorted(mon.rejected.items()):
            rejected.add_metric([path, str(status)], n)
        yield rejected
        yield from _online(mon.worker)
        yield from _alerts(mon)
        yield from _store(mon.store)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _online(worker: OnlineWorker | None) -> Iterator[Any]:
    yield _gauge("prodready_online_enabled", "1 when online scoring runs.", worker is not None)
    if worker is None:
        return
    s = worker.stats
    for name, doc, value in (
        ("traces_scored", "Traces scored online.", s.traces_scored),
        ("scores_written", "Online scores stored.", s.scores_written),
        ("traces_dropped", "Trace ids dropped: the queue was full.", s.dropped),
        ("traces_sampled_out", "Traces left out by the sample rate.", s.sampled_out),
        ("judge_calls", "Judge scorings run online.", s.judge_calls),
        ("judge_skipped_spend_limit", "Judge scorings skipped: daily spend limit.",
         s.judge_skipped_spend),
        ("errors", "Online scoring failures.", s.errors),
    ):  # fmt: skip
        yield _counter(f"prodready_online_{name}", doc, value)
    yield _gauge("prodready_online_judge_spend_usd", "Spent on online judges today (UTC).",
                 s.judge_spend_usd)  # fmt: skip
    yield _gauge("prodready_online_spend_limit_reached", "1 when judges stopped for the day.",
                 s.spend_limit_reached)  # fmt: skip
    yield _gauge("prodready_online_queue_depth", "Traces waiting to be scored.", s.queued)


def _alerts(mon: Monitoring) -> Iterator[Any]:
    s = mon.evaluator.stats
    firing = GaugeMetricFamily("prodready_alert_firing", "Groups a rule is firing for.",
                               labels=["rule"])  # fmt: skip
    for rule, n in sorted(s.firing.items()):
        firing.add_metric([rule], n)
    yield firing
    yield _counter("prodready_alert_checks", "Alert evaluations run.", s.checks)
    events = CounterMetricFamily("prodready_alert_events", "Firings and resolutions recorded.",
                                 labels=["kind"])  # fmt: skip
    events.add_metric(["firing"], s.fired)
    events.add_metric(["resolved"], s.resolved)
    yield events
    sent = CounterMetricFamily("prodready_alert_deliveries", "Webhook deliveries.",
                               labels=["status"])  # fmt: skip
    sent.add_metric(["delivered"], s.delivered)
    sent.add_metric(["failed"], s.failed_deliveries)
    yield sent
    yield _counter("prodready_alert_errors", "Rules that could not be evaluated.", s.errors)


def _store(store: Store) -> Iterator[Any]:
    try:
        newest = newest_trace_ns(store)
        up = 1
    except Exception:
        newest, up = None, 0
    yield _gauge("prodready_store_up", "1 when the store answers.", up)
    if newest is not None:
        yield _gauge("prodready_store_newest_trace_timestamp_seconds",
                     "Start of the newest stored trace (Unix seconds).", newest / 1e9)  # fmt: skip


def monitoring_of(request: Request) -> Monitoring:
    """The app's monitoring state."""
    mon: Monitoring = request.app.state.monitoring
    return mon


# --- routes -----------------------------------------------------------------------------------


class FeedbackIn(BaseModel):
    """An end user's feedback: on a trace, or on a session (stored on its newest trace)."""

    model_config = ConfigDict(extra="forbid")

    trace_id: str | None = Field(default=None, description="32 hex characters.")
    session_id: str | None = Field(default=None, max_length=500)
    csat: StrictInt | None = Field(default=None, ge=1, le=5, description="1 to 5.")
    thumb: Literal["up", "down"] | None = None
    comment: str | None = Field(default=None, max_length=10_000)
    user_id: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=500)


class FeedbackOut(BaseModel):
    """What was stored."""

    trace_id: str
    score_ids: list[str]
    names: list[str]


@router.post(
    "/api/feedback",
    status_code=201,
    tags=["monitoring"],
    summary="Record end-user feedback",
    responses={404: {"model": ErrorDetail, "description": "No such trace or session."}},
)
def post_feedback(store: StoreDep, body: FeedbackIn) -> FeedbackOut:
    """Store CSAT, thumbs and a comment as ``feedback`` scores of the trace."""
    try:
        receipt = record_feedback(store, **body.model_dump())
    except FeedbackError as exc:
        raise HTTPException(400, str(exc)) from None
    except FeedbackNotFound as exc:
        raise HTTPException(404, f"{exc.field}: {exc}") from None
    return FeedbackOut(trace_id=receipt.trace_id, score_ids=receipt.score_ids, names=receipt.names)


class FeedbackGroupOut(BaseModel):
    """Feedback of one group over the range."""

    key: dict[str, str | None]
    n: int
    csat_n: int
    csat_mean: float | None
    thumbs_n: int
    thumbs_up_rate: float | None
    comments: int


class SeriesPointOut(BaseModel):
    """An online score's mean in one time bucket for one group."""

    bucket_ns: int
    name: str
    group: str | None
    mean: float
    n: int


Since = Annotated[
    str,
    Query(description="A duration back from now (1h, 7d) or an ISO 8601 time (UTC unless it "
          "has an offset).", json_schema_extra={"pattern": SINCE_PATTERN}),
]  # fmt: skip


def _since(since: str) -> int:
    try:
        return min(max(parse_time(since, naive="utc"), 0), MAX_NS)  # what a BIGINT holds
    except ValueError as exc:
        raise HTTPException(400, f"since: {exc}") from None


def _dimensions(by: list[str]) -> list[Dimension]:
    for d in by:
        if d not in DIMENSIONS:
            raise HTTPException(400, f"by: unknown dimension {d!r}; one of {', '.join(DIMENSIONS)}")
    return by  # type: ignore[return-value]


@router.get("/api/feedback/summary", tags=["monitoring"], summary="Feedback by group")
def get_feedback_summary(
    store: StoreDep,
    since: Since = "24h",
    by: Annotated[
        list[str] | None, Query(description="release, environment, intent, tool (repeatable).")
    ] = None,
) -> list[FeedbackGroupOut]:
    """Mean CSAT, ratings and thumbs-up rate per group of the feedback given since then."""
    dims = _dimensions(by if by is not None else ["release", "intent"])
    groups = feedback_summary(store, _since(since), time.time_ns() + 1, by=dims)
    return [FeedbackGroupOut.model_validate(g.as_dict()) for g in groups]


@router.get("/api/online/series", tags=["monitoring"], summary="Online scores over time")
def get_online_series(
    store: StoreDep,
    since: Since = "24h",
    bucket: Annotated[str, Query(description="Bucket width, a duration (5m, 1h).")] = "1h",
    by: Annotated[str | None, Query(description="release, environment, intent or tool.")] = (
        "release"
    ),
) -> list[SeriesPointOut]:
    """Each online score's mean per time bucket and group."""
    after = _since(since)
    try:
        width = parse_duration(bucket)
    except ValueError as exc:
        raise HTTPException(400, f"bucket: {exc}") from None
    if width <= 0:
        raise HTTPException(400, "bucket: must be longer than zero")
    dims = _dimensions([by]) if by is not None else [None]
    points = score_series(store, after, time.time_ns() + 1, width, by=dims[0])
    return [SeriesPointOut(bucket_ns=p.bucket_ns, name=p.name, group=p.group, mean=p.mean, n=p.n)
            for p in points]  # fmt: skip


class AlertsOut(BaseModel):
    """Open alerts, and the newest firings and resolutions."""

    open: list[OpenAlert]
    recent: list[AlertEvent]


@router.get("/api/alerts", tags=["monitoring"], summary="Open and recent alerts")
def get_alerts(store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> AlertsOut:
    """Rules firing now, and the recorded history, newest first."""
    return AlertsOut(open=open_alerts(store), recent=alert_history(store, limit))


@router.post("/api/alerts/check", tags=["monitoring"], summary="Evaluate every rule now")
def check_alerts(request: Request) -> list[AlertEvent]:
    """Run the evaluator once (as the loop does); the firings and resolutions it recorded."""
    return monitoring_of(request).evaluator.check()


@router.get("/api/alert-rules", tags=["monitoring"], summary="List alert rules")
def get_rules(store: StoreDep) -> list[AlertRule]:
    """Every rule, from the rules file and the API, by name."""
    return list_rules(store)


RuleName = Annotated[str, PathParam(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")]


@router.put(
    "/api/alert-rules/{name}",
    tags=["monitoring"],
    summary="Create or replace an alert rule",
    responses={400: {"model": ErrorDetail, "description": "The body names another rule."}},
)
def put_rule(store: StoreDep, name: RuleName, rule: AlertRule) -> AlertRule:
    """Save a rule (``source: api``); a rule of the rules file is replaced until restart."""
    if rule.name != name:
        raise HTTPException(400, f"name: the body names {rule.name!r}, the path {name!r}")
    save_rule(store, rule, source="api")
    return rule


@router.delete(
    "/api/alert-rules/{name}",
    status_code=204,
    tags=["monitoring"],
    summary="Delete an alert rule",
    responses={404: {"model": ErrorDetail, "description": "No such rule."}},
)
def remove_rule(store: StoreDep, name: RuleName) -> Response:
    """Delete a rule and its state; its recorded events stay in the history."""
    if not delete_rule(store, name):
        raise HTTPException(404, f"no alert rule {name!r}")
    return Response(status_code=204)


@router.get(
    "/metrics",
    tags=["monitoring"],
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Text exposition."}},
)
def metrics(request: Request) -> Response:
    """Ingest, online scoring, alerts and store gauges in Prometheus' text format."""
    return Response(
        generate_latest(monitoring_of(request).registry), media_type=CONTENT_TYPE_LATEST
    )


__all__ = ["Monitoring", "router"]
