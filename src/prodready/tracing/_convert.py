"""OpenTelemetry ``ReadableSpan`` -> ``SpanRecord``.

Two steps. :func:`snapshot` runs on the agent's thread when a span ends: it copies the
span's fields into a flat tuple of plain values (ints, strings, the attribute dicts), which
costs about a microsecond. :func:`record_from` runs later on the writer thread and does the
real work (ids to hex, conventions, redaction, the record).

Why a snapshot instead of queueing the SDK's span: a ``ReadableSpan`` is a graph of about ten
objects the garbage collector tracks (context, status, bounded attribute and event
containers with their locks, events). While the writer is behind — in a CPU-bound agent it
gets the GIL rarely — thousands of them wait in the queue, survive into the oldest
generation and make every full collection walk them: measured on a 3-span trace, that cost
the agent more than the write itself (104 -> 81 µs per trace once spans were snapshotted;
docs/performance.md). A snapshot is plain values: ints, strings and the span's own
attribute dicts (dicts of atomic values are never tracked), in three small tuples.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from prodready.store import SpanRecord
from prodready.store.records import SpanStatus
from prodready.store.writing import TRACE_ATTRIBUTE_KEYS, PreparedSpan, prepare_span
from prodready.tracing.conventions import translate

Redactor = Callable[[dict[str, Any]], dict[str, Any]]

Snapshot = tuple[
    str,  # 0 name
    int,  # 1 trace id
    int,  # 2 span id
    "int | None",  # 3 parent span id
    bool,  # 4 is_root: no parent, or a remote one
    int,  # 5 OpenTelemetry span kind (SpanKind value)
    int,  # 6 start ns
    int,  # 7 end ns
    int,  # 8 status code (StatusCode value)
    "str | None",  # 9 status description
    Any,  # 10 attributes: the span's own dict (not copied; a finished span is frozen),
    #         or its JSON text (see "Encoded early" below)
    Any,  # 11 events: a sequence of (name, time ns, attributes), or their JSON text
    tuple[tuple[int, int, Any], ...],  # 12 links: (trace id, span id, attributes)
    "str | None",  # 13 instrumentation scope name
    "Resource | None",  # 14 the span's resource, unless the caller supplies one
    "ReadableSpan | None",  # 15 the span itself, kept only when it must be forwarded
    "str | None",  # 16 encoded early: the prodready span kind
    "tuple[Any, ...] | None",  # 17 encoded early: values of TRACE_ATTRIBUTE_KEYS, in order
]
"""A finished span's fields as plain values (see the module docstring).

Encoded early: prodready's own spans (``_native``) with a plain kind and no redact hook
end with their attributes and events already JSON text (slots 10 and 11), their kind in
slot 16 and the attributes their trace row reads in slot 17. A tuple holding a dict stays
tracked by the garbage collector for good; one of text and numbers is untracked at its
first collection, so a long queue of them costs full collections nothing.
"""

# Indexed by the StatusCode value (UNSET 0, OK 1, ERROR 2).
_STATUS: tuple[SpanStatus, SpanStatus, SpanStatus] = ("unset", "ok", "error")
_OTEL_KINDS = ("internal", "server", "client", "producer", "consumer")
# Bound %-formatting: a third of the cost of format(x, "032x"), on every span.
_HEX32 = "%032x".__mod__
_HEX16 = "%016x".__mod__


def snapshot(
    span: ReadableSpan, *, keep_resource: bool = True, keep_span: bool = False
) -> Snapshot:
    """Copy a finished span's fields into a :data:`Snapshot` (cheap: runs on the agent's thread).

    Args:
        span: the finished span.
        keep_resource: keep a reference to the span's resource (not needed when the
            conversion is given the resource to store).
        keep_span: keep the span itself, for a processor that forwards it later.
    """
    # ReadableSpan's public properties wrap or copy on each access (MappingProxyType,
    # tuples), so read the fields behind them when this SDK version has them.
    d = span.__dict__ if _PRIVATE_FIELDS else None
    if d is not None and "_context" in d:
        ctx, parent, status = d["_context"], d["_parent"], d["_status"]
        attributes, events, links = d["_attributes"], d["_events"], d["_links"]
        kind, start, end = d["_kind"], d["_start_time"], d["_end_time"]
        scope, resource = d["_instrumentation_scope"], d["_resource"]
        # BoundedList's own len() and iteration are Python code (and take a lock).
        events = getattr(events, "_dq", events)
        links = getattr(links, "_dq", links)
    else:  # a ReadableSpan laid out differently: the public properties
        ctx, parent, status = span.get_span_context(), span.parent, span.status
        attributes, events, links = span.attributes, span.events, span.links
        kind, start, end = span.kind, span.start_time, span.end_time
        scope, resource = span.instrumentation_scope, span.resource
    start = start or 0
    return (
        span.name,
        ctx.trace_id,
        ctx.span_id,
        parent.span_id if parent is not None else None,
        parent is None or parent.is_remote,
        _KIND_VALUE[kind],
        start,
        end or start,
        _CODE_VALUE[status.status_code],
        status.description,
        _plain(attributes),
        tuple([(e.name, e.timestamp, _plain(e.attributes)) for e in events]) if events else (),
        tuple([(lk.context.trace_id, lk.context.span_id, _plain(lk.attributes)) for lk in links])
        if links
        else (),
        scope.name if scope is not None else None,
        resource if keep_resource else None,
        span if keep_span else None,
        None,
        None,
    )


# Enum ``.value`` is a Python-level descriptor; a dict lookup is a third of its cost.
_KIND_VALUE = {k: k.value for k in SpanKind}
_CODE_VALUE = {c: c.value for c in StatusCode}


def _plain(attributes: Any) -> Any:
    """The mapping behind OpenTelemetry attributes, without copying.

    ``BoundedAttributes`` keeps its values in a plain ``_dict``; a dict of atomic values is
    never tracked by the garbage collector, the ``BoundedAttributes`` around it is.
    """
    inner = getattr(attributes, "_dict", None)
    if type(inner) is dict:
        return inner or None
    return attributes or None


def record_from(
    snap: Snapshot,
    *,
    resource: dict[str, Any] | None = None,
    redact: Redactor | None = None,
) -> SpanRecord:
    """Convert a :data:`Snapshot` to a :class:`SpanRecord`.

    Args:
        snap: the snapshot.
        resource: resource attributes to store (defaults to the snapshot's resource).
        redact: applied to span and event attributes before anything leaves this function.
    """
    fields = _fields(_decoded(snap), resource, redact)
    return SpanRecord(**dict(zip(_FIELDS, fields[:-1], strict=True)))


def prepared_from(
    snap: Snapshot,
    *,
    resource: dict[str, Any] | None = None,
    redact: Redactor | None = None,
) -> PreparedSpan:
    """Convert a :data:`Snapshot` for ``Store.write_prepared`` (the writer thread's path).

    The same conversion as :func:`record_from`, without a record in between: this runs for
    every span the SDK stores.
    """
    return prepare_span(*_fields(snap, resource, redact))


# prepare_span's parameters, which are SpanRecord's fields, in the order _fields gives them.
_FIELDS = tuple(inspect.signature(prepare_span).parameters)[: len(dataclasses.fields(SpanRecord))]


def _decoded(snap: Snapshot) -> Snapshot:
    """The snapshot with dicts, if it was encoded early (for records, redaction, export)."""
    if type(snap[10]) is not str:
        return snap
    events = tuple(
        (e["name"], e["time_ns"], e["attributes"] or None) for e in orjson.loads(snap[11])
    )
    return (*snap[:10], orjson.loads(snap[10]), events, *snap[12:16], None, None)


def _fields(
    snap: Snapshot, resource: dict[str, Any] | None, redact: Redactor | None
) -> tuple[Any, ...]:
    """A snapshot's values in :data:`_FIELDS` order (ids to hex, conventions, redaction),
    then the trace-level attributes of a snapshot encoded early (else ``None``)."""
    if type(snap[10]) is str and redact is not None:
        snap = _decoded(snap)  # ended before a reconfiguration added the hook
    (
        name,
        trace_id,
        span_id,
        parent_id,
        is_root,
        otel_kind,
        start,
        end,
        code,
        description,
        raw_attributes,
        raw_events,
        raw_links,
        scope,
        span_resource,
        _span,
        early_kind,
        trace_values,
    ) = snap
    otel = _OTEL_KINDS[otel_kind]
    if resource is None:
        resource = _resource(span_resource) if span_resource is not None else {}
    trace_attributes = None
    attributes: Any
    events: Any
    if type(raw_attributes) is str:  # encoded early: the kind is known, nothing to translate
        kind, attributes, events = early_kind, raw_attributes, raw_events
        if trace_values:
            trace_attributes = {
                k: v
                for k, v in zip(TRACE_ATTRIBUTE_KEYS, trace_values, strict=True)
                if v is not None
            }
    elif redact is None:
        # The span's own dicts are used as they are (a finished span is frozen); they are
        # copied only for a redact hook, which may edit in place what the span still holds.
        kind, attributes = translate(raw_attributes or {}, name=name, otel_kind=otel)
        events = event_dicts(raw_events) if raw_events else []
    else:
        kind, attributes = translate(dict(raw_attributes or {}), name=name, otel_kind=otel)
        attributes = _redacted(redact, attributes)
        events = [
            {
                "name": e_name,
                "time_ns": e_time,
                "attributes": _redacted(redact, dict(e_attrs) if e_attrs else {}),
            }
            for e_name, e_time, e_attrs in raw_events
        ]
    return (
        _HEX32(trace_id),
        _HEX16(span_id),
        _HEX16(parent_id) if parent_id is not None else None,
        name,
        kind,
        otel,
        start,
        # A wall-clock step back can end a span before it started; keep it, zero-length.
        end if end >= start else start,
        _STATUS[code],
        description,
        attributes,
        events,
        _links(raw_links) if raw_links else [],
        scope,
        is_root,
        # Shared, not copied: one resource dict serves every span of a process.
        resource,
        trace_attributes,
    )


def event_dicts(raw_events: Any) -> list[dict[str, Any]]:
    """Events as the store keeps them, from a span's ``(name, time ns, attributes)``s (the
    dicts are the span's own, not copied)."""
    return [{"name": n, "time_ns": t, "attributes": a or {}} for n, t, a in raw_events]


def _links(raw_links: Any) -> list[dict[str, Any]]:
    return [
        {
            "trace_id": _HEX32(l_trace),
            "span_id": _HEX16(l_span),
            "attributes": dict(l_attrs) if l_attrs else {},
        }
        for l_trace, l_span, l_attrs in raw_links
    ]


def _redacted(redact: Redactor, attributes: dict[str, Any]) -> dict[str, Any]:
    out = redact(attributes)
    if not isinstance(out, dict):
        raise TypeError(
            f"the redact hook returned {type(out).__name__}, not the dict of attributes to "
            "store (a hook that edits in place must still return the dict)"
        )
    return out


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
    return record_from(
        snapshot(span, keep_resource=resource is None), resource=resource, redact=redact
    )


def _private_fields_present() -> bool:
    """Whether this SDK version keeps ReadableSpan's state in the fields :func:`snapshot` reads."""
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
            "_resource",
        )
    )


_PRIVATE_FIELDS = _private_fields_present()

_RESOURCES: dict[int, tuple[Any, dict[str, Any]]] = {}


def _resource(res: Resource) -> dict[str, Any]:
    # Resources are immutable and few (usually one per process): convert each once.
    hit = _RESOURCES.get(id(res))
    if hit is not None and hit[0] is res:
        return hit[1]
    attrs = dict(res.attributes)
    if len(_RESOURCES) < 64:
        _RESOURCES[id(res)] = (res, attrs)
    return attrs


def readable_from(
    snap: Snapshot, *, resource: Resource | None = None, redact: Redactor | None = None
) -> ReadableSpan:
    """An SDK ``ReadableSpan`` for a snapshot of a span that never was one.

    prodready's own spans (``_native``) end as snapshots; exporters (dual export over
    OTLP) take ``ReadableSpan``. Runs on the writer thread, only when spans are forwarded.
    """
    from opentelemetry.sdk.trace import Event
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import Link, SpanContext, Status, TraceFlags

    snap = _decoded(snap)
    name, trace_id, span_id, parent_id, is_root, otel_kind, start, end = snap[:8]
    code, description, attributes, events, links, scope, span_resource = snap[8:15]
    resource = span_resource if span_resource is not None else resource

    def clean(values: Any) -> dict[str, Any]:
        out = dict(values) if values else {}
        return _redacted(redact, out) if redact is not None else out

    sampled = TraceFlags(TraceFlags.SAMPLED)
    return ReadableSpan(
        name=name,
        context=SpanContext(trace_id, span_id, is_remote=False, trace_flags=sampled),
        parent=SpanContext(trace_id, parent_id, is_remote=is_root, trace_flags=sampled)
        if parent_id is not None
        else None,
        resource=resource if resource is not None else Resource.get_empty(),
        attributes=clean(attributes),
        events=[Event(e_name, clean(e_attrs), e_time) for e_name, e_time, e_attrs in events],
        links=[
            Link(SpanContext(l_trace, l_span, is_remote=False), dict(l_attrs or {}))
            for l_trace, l_span, l_attrs in links
        ],
        kind=SpanKind(otel_kind),
        status=Status(StatusCode(code), description),
        start_time=start,
        end_time=end,
        instrumentation_scope=InstrumentationScope(scope) if scope is not None else None,
    )


def redacted_copy(span: ReadableSpan, redact: Redactor) -> ReadableSpan:
    """The same span with redacted attributes, for exporters that take ``ReadableSpan``."""
    from opentelemetry.sdk.trace import Event

    return replaced(
        span,
        attributes=_redacted(redact, dict(span.attributes or {})),
        events=[
            Event(e.name, _redacted(redact, dict(e.attributes or {})), e.timestamp)
            for e in span.events
        ],
    )


def replaced(
    span: ReadableSpan, *, attributes: Mapping[str, Any], events: Sequence[Any] | None = None
) -> ReadableSpan:
    """A copy of a finished span with other attributes (and events), all else the same."""
    return ReadableSpan(
        name=span.name,
        context=span.get_span_context(),
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=span.events if events is None else events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
