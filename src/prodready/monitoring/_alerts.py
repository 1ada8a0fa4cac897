"""The alert evaluator: each rule's metric per group, firings and resolutions, webhooks.

A rule fires for a group when its metric crosses the threshold on at least ``min_count``
traces or scores, once: the group's state (``alert_states``) turns ``firing`` by a
conditional update, so however many evaluators run (server replicas, ``prodready alerts
check``), one of them records the firing and calls the webhooks. It resolves, once, when the
metric is back on the right side with ``min_count`` again. Every firing and resolution is an
``alert_events`` row; every webhook call an ``alert_deliveries`` row.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from pydantic import BaseModel
from sqlalchemy import Connection, select, update

from prodready.monitoring._background import Background
from prodready.monitoring._metrics import MetricValue, compute
from prodready.monitoring._rules import AlertRule, Severity, Webhook, list_rules
from prodready.monitoring._tables import alert_deliveries, alert_events, alert_rules, alert_states
from prodready.monitoring._webhooks import AlertEvent, Delivery, EventKind, deliver
from prodready.store import Store
from prodready.vocabulary.canonical import text_hash, to_json

log = logging.getLogger("prodready.monitoring")

MAX_GROUP_KEY = 500


@dataclass(slots=True)
class AlertStats:
    """What the evaluator did since it started (for ``/metrics``)."""

    checks: int = 0
    errors: int = 0
    fired: int = 0
    resolved: int = 0
    delivered: int = 0
    failed_deliveries: int = 0
    firing: dict[str, int] = field(default_factory=dict)
    """Groups firing per rule, as of the last check."""


class AlertEvaluator:
    """Evaluates every enabled rule of a store and calls its webhooks.

    Args:
        store: where the rules, states and events are, and the metrics come from.
        webhooks: the configured webhooks (from the rules file).
        client: the HTTP client for webhooks (default one of its own).
        backoff: first retry wait in seconds (doubles, with jitter).
        clock: now in Unix nanoseconds.
    """

    def __init__(
        self,
        store: Store,
        webhooks: Sequence[Webhook] = (),
        *,
        client: httpx.Client | None = None,
        backoff: float = 0.5,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.webhooks = {w.name: w for w in webhooks}
        self.client = client
        self.backoff = backoff
        self.clock = clock
        self.stats = AlertStats()
        self._lock = threading.Lock()

    def check(self, now_ns: int | None = None) -> list[AlertEvent]:
        """Evaluate every enabled rule once; the events recorded (after their webhooks were
        called). A rule whose metric cannot be computed is logged and skipped."""
        with self._lock:  # the loop and `alerts check` through the API never overlap
            now = self.clock() if now_ns is None else now_ns
            events: list[tuple[AlertRule, AlertEvent]] = []
            memo: dict[Any, Any] = {}
            for rule in list_rules(self.store):
                if not rule.enabled:
                    continue
                try:
                    values = compute(self.store, rule, now, memo=memo)
                    events += [(rule, e) for v in values if (e := self._transition(rule, v, now))]
                except Exception:
                    self.stats.errors += 1
                    log.warning("alert rule %s could not be evaluated", rule.name, exc_info=True)
            self.stats.checks += 1
            for rule, event in events:
                self._notify(rule, event)
            self.stats.firing = firing_counts(self.store)
            return [e for _, e in events]

    def _transition(self, rule: AlertRule, v: MetricValue, now: int) -> AlertEvent | None:
        if v.value is None or v.count < rule.min_count:
            return None  # too little evidence either way: the state stays
        crossed = rule.crossed(v.value)
        key = group_key(v.group)

        def work(conn: Connection) -> AlertEvent | None:
            self.store.db.insert_ignore(conn, alert_states, [_state_row(rule.name, key, now)])
            s = alert_states.c
            mine = (s.rule == rule.name, s.group_key == key)
            want, was = ("firing", "ok") if crossed else ("ok", "firing")
            event_id = uuid.uuid4().hex
            if crossed:
                dedup = f"prodready-{event_id}"
            else:
                fired = conn.execute(select(s.event_id).where(*mine)).scalar_one_or_none()
                dedup = f"prodready-{fired}" if fired else f"prodready-{event_id}"
            values: dict[str, Any] = {"status": want, "value": v.value, "count": v.count,
                                      "checked_at_ns": now, "since_ns": now}  # fmt: skip
            if crossed:
                values["event_id"] = event_id
            changed = conn.execute(
                update(alert_states).where(*mine, s.status == was).values(**values)
            )
            if changed.rowcount != 1:
                conn.execute(
                    update(alert_states)
                    .where(*mine)
                    .values(value=v.value, count=v.count, checked_at_ns=now)
                )
                return None
            event = _event(rule, v, "firing" if crossed else "resolved", event_id, dedup, now)
            conn.execute(alert_events.insert().values(**_event_row(event, key)))
            return event

        event = self.store.db.transaction(work, retry_on_conflict=3)
        if event is not None:
            if event.kind == "firing":
                self.stats.fired += 1
            else:
                self.stats.resolved += 1
        return event

    def _notify(self, rule: AlertRule, event: AlertEvent) -> None:
        names = rule.webhooks if rule.webhooks is not None else list(self.webhooks)
        done: list[Delivery] = []
        for name in names:
            hook = self.webhooks.get(name)
            if hook is None:
                done.append(Delivery(name, "unknown", False, 0, None, "no such webhook"))
                continue
            done.append(deliver(hook, event, client=self.client, backoff=self.backoff))
        for d in done:
            if d.delivered:
                self.stats.delivered += 1
            else:
                self.stats.failed_deliveries += 1
        try:
            record_deliveries(self.store, event.id, done)
        except Exception:
            log.warning("could not record the deliveries of alert %s", event.id, exc_info=True)


def group_key(group: dict[str, str | None]) -> str:
    """The stored key of a group: its canonical JSON (a hash when very long)."""
    text = to_json(group, sort_keys=True)
    return text if len(text) <= MAX_GROUP_KEY else text_hash(text)


def _state_row(rule: str, key: str, now: int) -> dict[str, Any]:
    return {"rule": rule, "group_key": key, "status": "ok", "value": None, "count": 0,
            "since_ns": now, "checked_at_ns": now, "event_id": None}  # fmt: skip


def _event(
    rule: AlertRule, v: MetricValue, kind: EventKind, event_id: str, dedup: str, now: int
) -> AlertEvent:
    return AlertEvent(
        id=event_id, rule=rule.name, kind=kind, metric=rule.metric, value=v.value, op=rule.op,
        threshold=rule.threshold, window=rule.window, count=v.count, group=v.group,
        severity=rule.severity, dedup_key=dedup, at_ns=now, description=rule.description,
    )  # fmt: skip


def _event_row(e: AlertEvent, key: str) -> dict[str, Any]:
    detail = {"op": e.op, "window": e.window, "group": e.group, "severity": e.severity,
              "description": e.description}  # fmt: skip
    return {"id": e.id, "rule": e.rule, "group_key": key, "kind": e.kind, "metric": e.metric,
            "value": e.value, "threshold": e.threshold, "count": e.count,
            "dedup_key": e.dedup_key, "detail": to_json(detail), "at_ns": e.at_ns}  # fmt: skip


def _event_of(row: Any) -> AlertEvent:
    d = orjson.loads(row.detail)
    return AlertEvent(
        id=row.id, rule=row.rule, kind=row.kind, metric=row.metric, value=row.value,
        op=d.get("op", ">"), threshold=row.threshold, window=d.get("window", ""),
        count=row.count, group=d.get("group", {}), severity=d.get("severity", "warning"),
        dedup_key=row.dedup_key, at_ns=row.at_ns, description=d.get("description"),
    )  # fmt: skip


def record_deliveries(store: Store, event_id: str, done: Sequence[Delivery]) -> None:
    """Record webhook deliveries of an event."""
    now = time.time_ns()
    rows = [{"id": uuid.uuid4().hex, "event_id": event_id, "webhook": d.webhook,
             "format": d.format, "status": "delivered" if d.delivered else "failed",
             "attempts": d.attempts, "http_status": d.http_status, "error": d.error,
             "at_ns": now} for d in done]  # fmt: skip
    if rows:
        with store.db.begin() as conn:
            conn.execute(alert_deliveries.insert(), rows)


# --- readers ----------------------------------------------------------------------------------


class OpenAlert(BaseModel):
    """A rule firing for a group now."""

    rule: str
    metric: str
    group: dict[str, str | None]
    value: float | None
    """The metric's value at the last check."""
    count: int
    op: str
    threshold: float
    severity: Severity
    since_ns: int
    checked_at_ns: int
    dedup_key: str


class DeliveryRecord(BaseModel):
    """One recorded webhook call."""

    event_id: str
    webhook: str
    format: str
    status: str
    attempts: int
    http_status: int | None
    error: str | None
    at_ns: int


def open_alerts(store: Store) -> list[OpenAlert]:
    """Every rule and group firing now, newest first."""
    s, e = alert_states.c, alert_events.c
    stmt = (
        select(
            s.value.label("state_value"),
            s.count.label("state_count"),
            s.since_ns,
            s.checked_at_ns,
            alert_events,
        )
        .select_from(alert_states.join(alert_events, e.id == s.event_id))
        .where(s.status == "firing")
        .order_by(s.since_ns.desc(), s.rule)
    )
    with store.db.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for row in rows:
        fired = _event_of(row)
        out.append(OpenAlert(rule=fired.rule, metric=fired.metric, group=fired.group,
                             value=row.state_value, count=row.state_count, op=fired.op,
                             threshold=fired.threshold, severity=fired.severity,
                             since_ns=row.since_ns, checked_at_ns=row.checked_at_ns,
                             dedup_key=fired.dedup_key))  # fmt: skip
    return out


def alert_history(store: Store, limit: int = 50, *, rule: str | None = None) -> list[AlertEvent]:
    """Recorded firings and resolutions, newest first."""
    e = alert_events.c
    stmt = select(alert_events).order_by(e.at_ns.desc(), e.id).limit(limit)
    if rule is not None:
        stmt = stmt.where(e.rule == rule)
    with store.db.connect() as conn:
        return [_event_of(r) for r in conn.execute(stmt)]


def deliveries(store: Store, event_id: str) -> list[DeliveryRecord]:
    """The webhook calls made for an event, in order."""
    d = alert_deliveries.c
    stmt = select(alert_deliveries).where(d.event_id == event_id).order_by(d.at_ns, d.id)
    with store.db.connect() as conn:
        return [DeliveryRecord.model_validate(dict(r._mapping)) for r in conn.execute(stmt)]


def firing_counts(store: Store) -> dict[str, int]:
    """How many groups each rule is firing for (every rule listed, 0 when quiet)."""
    with store.db.connect() as conn:
        rules = conn.execute(select(alert_rules.c.name)).scalars().all()
        rows = conn.execute(
            select(alert_states.c.rule).where(alert_states.c.status == "firing")
        ).scalars()
        out = dict.fromkeys(rules, 0)
        for name in rows:
            out[name] = out.get(name, 0) + 1
    return out


class AlertLoop(Background):
    """Runs an evaluator every ``interval`` seconds in a daemon thread until stopped (after
    the current check)."""

    thread_name = "prodready-alerts"

    def __init__(self, evaluator: AlertEvaluator, interval: float = 30.0) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval}")
        super().__init__()
        self.evaluator = evaluator
        self.interval = interval

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.evaluator.check()
            except Exception:  # never let the loop die: the next tick tries again
                self.evaluator.stats.errors += 1
                log.warning("alert check failed", exc_info=True)
