"""Log records attached to spans: OTLP logs (GenAI events) stored apart, merged on read.

OpenTelemetry's GenAI instrumentations can send a model call's messages as a log record
carrying the call's trace and span id instead of a span event. Records and spans arrive in
any order (and a record's span may never arrive), so records live in ``span_logs`` and a
read puts each one into its span's ``events``, in time order, as :meth:`SpanLog.event`
shapes it. A record whose span is not stored stays reachable by :meth:`Store.list_logs`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.engine import Connection

from prodready.store import _traces
from prodready.store._sql import DialectSQL
from prodready.store.schema import span_logs, spans, traces
from prodready.vocabulary.canonical import content_hash

_SEVERITIES: Final = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
MAX_SEVERITY: Final = 24
"""The highest OTLP ``SeverityNumber`` (FATAL4); 0 is unspecified."""


@dataclass(slots=True, kw_only=True)
class SpanLogRecord:
    """One log record to attach to a span, as written to the store.

    Ids are lowercase hex (trace 32 chars, span 16), times Unix nanoseconds, 0 when not
    given: a record without ``time_ns`` is placed at ``observed_time_ns``, and one with
    neither at the time it is written (what an OTLP collector does).
    ``event_name`` falls back to the ``event.name`` attribute (the older convention);
    ``body`` is any JSON value, ``None`` when the record has none.
    """

    trace_id: str
    span_id: str
    time_ns: int = 0
    observed_time_ns: int = 0
    severity_number: int = 0
    severity_text: str | None = None
    event_name: str | None = None
    body: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None


class SpanLog(BaseModel):
    """A stored log record; ``attached`` says whether its span is stored."""

    model_config = ConfigDict(frozen=True)

    trace_id: str
    span_id: str
    time_ns: int
    observed_time_ns: int
    severity_number: int
    severity_text: str | None = None
    event_name: str | None = None
    body: Any = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    resource: dict[str, Any] = Field(default_factory=dict)
    scope: str | None = None
    attached: bool

    def event(self) -> dict[str, Any]:
        """The record as its span's event: ``name`` (the event name, else ``"log"``),
        ``time_ns``, ``attributes``, ``body`` and ``severity`` when it has them, and
        ``source: "log"`` (span events have no ``source``)."""
        return _event(self.event_name, self.time_ns, self.attributes, self.body, self.severity())

    def severity(self) -> str | None:
        """``severity_text``, else the OTLP short name of ``severity_number`` (``"WARN2"``)."""
        return self.severity_text or severity_name(self.severity_number)


def severity_name(number: int) -> str | None:
    """The OTLP short name of a ``SeverityNumber`` (9 -> ``"INFO"``, 14 -> ``"WARN2"``)."""
    if not 1 <= number <= MAX_SEVERITY:
        return None
    base, step = divmod(number - 1, 4)
    return _SEVERITIES[base] + (str(step + 1) if step else "")


def _event(
    name: str | None, time_ns: int, attributes: Any, body: Any, severity: str | None
) -> dict[str, Any]:
    event: dict[str, Any] = {"name": name or "log", "time_ns": time_ns, "attributes": attributes}
    if body is not None:
        event["body"] = body
    if severity:
        event["severity"] = severity
    event["source"] = "log"
    return event


# --- writing ----------------------------------------------------------------------------------

_COLUMNS: Final = (
    "trace_id, span_id, record_hash, time_ns, observed_time_ns, severity_number, "
    "severity_text, event_name, body, attributes, resource, scope"
)
_ATTRIBUTES_AT: Final = 9  # a row's attributes text: what can be large (see write_rows)


def insert_sql(sql: DialectSQL) -> str:
    """One row's insert, ignored when the row (its hash) is already stored."""
    if sql.postgres:
        return f"INSERT INTO span_logs ({_COLUMNS}) VALUES ({_marks('%s')}) ON CONFLICT DO NOTHING"
    return f"INSERT OR IGNORE INTO span_logs ({_COLUMNS}) VALUES ({_marks('?')})"


def _marks(p: str) -> str:
    return ", ".join([p] * 12)


def write(conn: Connection, sql: DialectSQL, records: Iterable[SpanLogRecord]) -> int:
    """Insert ``records``; the number of new rows (records already stored are ignored)."""
    now = time.time_ns()
    rows = [_row(r, now) for r in records]
    if not rows:
        return 0
    inserted = sql.write_rows(conn, insert_sql(sql), rows, sized=(_ATTRIBUTES_AT,))
    return inserted if inserted >= 0 else len(rows)


def _row(r: SpanLogRecord, now: int) -> tuple[Any, ...]:
    """A ``span_logs`` row. Its key is a hash of the record as given (before a missing time
    becomes ``now``): an exporter retrying a batch whose answer it never saw sends the same
    records, which hash the same and are ignored. Two records alike in every field are one
    record to any reader, so keeping one loses nothing."""
    event_name = r.event_name or _str_or_none(r.attributes.get("event.name"))
    body = None if r.body is None else _traces.encode_json(r.body)
    attributes, resource = _traces.encode_json(r.attributes), _traces.encode_json(r.resource)
    key = content_hash(
        [r.trace_id, r.span_id, r.time_ns, r.observed_time_ns, r.severity_number,
         r.severity_text, event_name, body, attributes, resource, r.scope]
    )  # fmt: skip
    return (
        r.trace_id,
        r.span_id,
        key,
        r.time_ns or r.observed_time_ns or now,
        r.observed_time_ns,
        r.severity_number,
        _traces._clean(r.severity_text or None),
        _traces._clean(event_name),
        body,
        attributes,
        resource,
        _traces._clean(r.scope or None),
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --- reading ----------------------------------------------------------------------------------


def events_by_span(
    conn: Connection, trace_ids: Sequence[str]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The stored records of ``trace_ids`` as events, by ``(trace_id, span_id)``, in time
    order."""
    c = span_logs.c
    stmt = (
        select(c.trace_id, c.span_id, c.time_ns, c.severity_number, c.severity_text)
        .add_columns(c.event_name, c.body, c.attributes)
        .where(c.trace_id.in_(trace_ids))
        .order_by(c.trace_id, c.span_id, c.time_ns, c.record_hash)
    )
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in conn.execute(stmt):
        event = _event(
            r.event_name,
            r.time_ns,
            orjson.loads(r.attributes),
            None if r.body is None else orjson.loads(r.body),
            r.severity_text or severity_name(r.severity_number),
        )
        out.setdefault((r.trace_id, r.span_id), []).append(event)
    return out


def merge(
    events: list[dict[str, Any]], logged: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """A span's own events and its log records' events, in time order (a stable sort: at
    equal times, span events first, each list in its own order)."""
    if not logged:
        return events
    return sorted(events + logged, key=_time)


def _time(event: dict[str, Any]) -> int:
    t = event.get("time_ns")
    return t if isinstance(t, int) else 0


def list_logs(
    conn: Connection, trace_id: str | None, *, unattached: bool, limit: int
) -> list[SpanLog]:
    """See :meth:`Store.list_logs`."""
    c = span_logs.c
    attached = exists().where(spans.c.trace_id == c.trace_id, spans.c.span_id == c.span_id)
    where: list[ColumnElement[bool]] = []
    if trace_id is not None:
        where.append(c.trace_id == trace_id.lower())
    if unattached:
        where.append(~attached)
    stmt = (
        select(span_logs, attached.label("attached"))
        .where(*where)
        .order_by(c.time_ns, c.trace_id, c.span_id, c.record_hash)
        .limit(limit)
    )
    return [
        SpanLog(
            trace_id=r.trace_id,
            span_id=r.span_id,
            time_ns=r.time_ns,
            observed_time_ns=r.observed_time_ns,
            severity_number=r.severity_number,
            severity_text=r.severity_text,
            event_name=r.event_name,
            body=None if r.body is None else orjson.loads(r.body),
            attributes=orjson.loads(r.attributes),
            resource=orjson.loads(r.resource),
            scope=r.scope,
            attached=bool(r.attached),
        )
        for r in conn.execute(stmt)
    ]


def delete_orphans_before(conn: Connection, cutoff_ns: int) -> None:
    """Retention for records whose trace is not stored (its spans never arrived, or were
    deleted): those from before ``cutoff_ns``. Records of stored traces go with them."""
    no_trace = ~exists().where(traces.c.trace_id == span_logs.c.trace_id)
    conn.execute(span_logs.delete().where(span_logs.c.time_ns < cutoff_ns, no_trace))
