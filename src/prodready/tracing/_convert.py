"""OpenTelemetry ``ReadableSpan`` -> ``SpanRecord`` (runs on the writer thread, not the agent's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from prodready.store.records import SpanRecord, SpanStatus
from prodready.tracing.conventions import translate

Redactor = Callable[[dict[str, Any]], dict[str, Any]]

_STATUS: dict[StatusCode, SpanStatus] = {
    StatusCode.UNSET: "unset",
    StatusCode.OK: "ok",
    StatusCode.ERROR: "error",
}
_OTEL_KINDS = ("internal", "server", "client", "producer", "consumer")
# Bound %-formatting: a third of the cost of format(x, "032x"), on every span.
_HEX32 = "%032x".__mod__
_HEX16 = "%016x".__mod__


def to_record(
    span: ReadableSpan,
    *,
    resource: dict[str, Any] | None = None,
    redact: Redactor | None = None,
) -> SpanRecord:
    """Convert one finished SDK span.

    Args:
        span: the finished span.
        resource: resource attributes to store (defaults to the span's own resource).
        redact: applied to span and event attributes before anything leaves this function.
    """
    # This runs for every span on the writer thread, and under the GIL that time is taken
    # from the agent. ReadableSpan's public properties wrap or copy on each access
    # (MappingProxyType, tuples), so read the fields behind them when they are there.
    f = _Fields(span) if _PRIVATE_FIELDS else None
    ctx, parent, otel_kind = (f.ctx, f.parent, f.kind) if f else _public_head(span)
    attributes = _copy(f.attributes if f else span.attributes)
    kind, attributes = translate(attributes, name=span.name, otel_kind=_OTEL_KINDS[otel_kind])
    events: list[dict[str, Any]] = [
        {"name": e.name, "time_ns": e.timestamp, "attributes": _copy(e.attributes)}
        for e in (f.events if f else span.events)
    ]
    if redact is not None:
        attributes = redact(attributes)
        for event in events:
            event["attributes"] = redact(event["attributes"])
    start = (f.start if f else span.start_time) or 0
    end = (f.end if f else span.end_time) or start
    status = f.status if f else span.status
    links = f.links if f else span.links
    scope = f.scope if f else span.instrumentation_scope
    return SpanRecord(
        trace_id=_HEX32(ctx.trace_id),
        span_id=_HEX16(ctx.span_id),
        parent_span_id=_HEX16(parent.span_id) if parent is not None else None,
        name=span.name,
        kind=kind,
        start_ns=start,
        # A wall-clock step back can end a span before it started; keep it, zero-length.
        end_ns=max(end, start),
        status=_STATUS[status.status_code],
        status_message=status.description,
        attributes=attributes,
        events=events,
        links=[
            {
                "trace_id": _HEX32(link.context.trace_id),
                "span_id": _HEX16(link.context.span_id),
                "attributes": _copy(link.attributes),
            }
            for link in links
        ]
        if links
        else [],
        # Shared, not copied: one resource dict serves every span of a process.
        resource=resource if resource is not None else _resource(span),
        scope=scope.name if scope else None,
        otel_kind=_OTEL_KINDS[otel_kind],
        is_root=parent is None or parent.is_remote,
    )


class _Fields:
    """The SDK's ``ReadableSpan`` fields behind its properties (checked at import)."""

    __slots__ = (
        "attributes",
        "ctx",
        "end",
        "events",
        "kind",
        "links",
        "parent",
        "scope",
        "start",
        "status",
    )

    def __init__(self, span: ReadableSpan) -> None:
        d = span.__dict__ if hasattr(span, "__dict__") else None
        if d is not None and "_context" in d:
            self.ctx = d["_context"]
            self.parent = d["_parent"]
            self.kind = d["_kind"].value
            self.attributes = d["_attributes"]
            self.events = d["_events"]
            self.links = d["_links"]
            self.start = d["_start_time"]
            self.end = d["_end_time"]
            self.status = d["_status"]
            self.scope = d["_instrumentation_scope"]
        else:  # a ReadableSpan subclass laid out differently: the public properties
            self.ctx, self.parent, self.kind = _public_head(span)
            self.attributes = span.attributes
            self.events = span.events
            self.links = span.links
            self.start, self.end = span.start_time, span.end_time
            self.status = span.status
            self.scope = span.instrumentation_scope


def _public_head(span: ReadableSpan) -> tuple[Any, Any, int]:
    ctx = span.get_span_context()
    assert ctx is not None
    return ctx, span.parent, span.kind.value


def _private_fields_present() -> bool:
    """Whether this SDK version keeps ReadableSpan's state in the fields ``_Fields`` reads."""
    probe = ReadableSpan(name="probe")
    return all(
        k in probe.__dict__
        for k in (
            "_context",
            "_parent",
            "_kind",
            "_attributes",
            "_events",
            "_links",
            "_start_time",
            "_end_time",
            "_status",
            "_instrumentation_scope",
        )
    )


_PRIVATE_FIELDS = _private_fields_present()


def _copy(attributes: Any) -> dict[str, Any]:
    """A plain dict of OpenTelemetry attributes.

    ``BoundedAttributes`` keeps its values in ``_dict``; copying that at C speed costs a
    third of going through the ``Mapping`` protocol, on a path run for every span.
    """
    if not attributes:
        return {}
    inner = getattr(attributes, "_dict", None)
    return dict(inner if isinstance(inner, dict) else attributes)


_RESOURCES: dict[int, tuple[Any, dict[str, Any]]] = {}


def _resource(span: ReadableSpan) -> dict[str, Any]:
    # Resources are immutable and few (usually one per process): convert each once.
    res = span.resource
    hit = _RESOURCES.get(id(res))
    if hit is not None and hit[0] is res:
        return hit[1]
    attrs = dict(res.attributes)
    if len(_RESOURCES) < 64:
        _RESOURCES[id(res)] = (res, attrs)
    return attrs


def redacted_copy(span: ReadableSpan, redact: Redactor) -> ReadableSpan:
    """The same span with redacted attributes, for exporters that take ``ReadableSpan``."""
    from opentelemetry.sdk.trace import Event

    return ReadableSpan(
        name=span.name,
        context=span.get_span_context(),
        parent=span.parent,
        resource=span.resource,
        attributes=redact(dict(span.attributes or {})),
        events=[Event(e.name, redact(dict(e.attributes or {})), e.timestamp) for e in span.events],
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
