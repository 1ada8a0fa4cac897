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
    ctx = span.get_span_context()
    assert ctx is not None
    parent = span.parent
    attributes = _copy(span.attributes)
    kind, attributes = translate(attributes, name=span.name, otel_kind=_OTEL_KINDS[span.kind.value])
    events: list[dict[str, Any]] = [
        {
            "name": e.name,
            "time_ns": e.timestamp,
            "attributes": _copy(e.attributes),
        }
        for e in span.events
    ]
    if redact is not None:
        attributes = redact(attributes)
        for event in events:
            event["attributes"] = redact(event["attributes"])
    start = span.start_time or 0
    return SpanRecord(
        trace_id=format(ctx.trace_id, "032x"),
        span_id=format(ctx.span_id, "016x"),
        parent_span_id=format(parent.span_id, "016x") if parent is not None else None,
        name=span.name,
        kind=kind,
        start_ns=start,
        # A wall-clock step back can end a span before it started; keep it, zero-length.
        end_ns=max(span.end_time or start, start),
        status=_STATUS[span.status.status_code],
        status_message=span.status.description,
        attributes=attributes,
        events=events,
        links=[
            {
                "trace_id": format(link.context.trace_id, "032x"),
                "span_id": format(link.context.span_id, "016x"),
                "attributes": dict(link.attributes) if link.attributes else {},
            }
            for link in span.links
        ],
        # Shared, not copied: one resource dict serves every span of a process.
        resource=resource if resource is not None else _resource(span),
        scope=span.instrumentation_scope.name if span.instrumentation_scope else None,
        otel_kind=_OTEL_KINDS[span.kind.value],
        is_root=parent is None or parent.is_remote,
    )


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
