"""prodready's own spans: the OpenTelemetry *API* ``Span``, recorded without the SDK's span.

Why this exists: the SDK's span costs ~20 µs per span in CPython (a lock per attribute,
validation of every value, bounded containers, a processor fan-out, a ``ReadableSpan`` to
build). prodready's whole API, this span included, costs ~6 µs per span with the store
writer off (``benchmarks/bench_overhead.py``, ``prodready_nostore`` against
``otel_noproc``). A :class:`RecordingSpan` keeps its fields in slots and a plain dict and
hands the writer a :data:`~._convert.Snapshot` when it ends; conversion and the database
write stay on the writer thread.

It is still OpenTelemetry: the span implements ``opentelemetry.trace.Span`` and lives in the
OpenTelemetry context, so a span that another library's tracer starts inside it gets it as
parent (and the other way round); sampling, ids, the resource and the span limits are the
SDK tracer provider's own objects. :class:`NativeTracer` is only used while prodready's
router is the provider's one span processor: as soon as anyone adds a processor of their
own (an exporter of theirs), prodready's spans go through the SDK again, so that processor
sees them too (see ``_config.start_span``).
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanLimits
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)
from opentelemetry.trace.span import DEFAULT_TRACE_STATE, INVALID_SPAN_CONTEXT

from prodready.store.writing import TRACE_ATTRIBUTE_KEYS, encode_json
from prodready.tracing import attributes as attrs
from prodready.tracing._convert import _KIND_VALUE, event_dicts
from prodready.tracing.conventions import JSON_VALUED_KINDS
from prodready.tracing.kinds import SPAN_KINDS

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import Tracer as SDKTracer
    from opentelemetry.util import types

    from prodready.tracing._convert import Snapshot

log = logging.getLogger("prodready.tracing")

_now = time.time_ns
_getrandbits = random.getrandbits


def _context_is_tuple() -> bool:
    """Whether this API version's SpanContext is the tuple ``_span_context`` builds."""
    flags, state = TraceFlags(TraceFlags.SAMPLED), TraceState([("k", "v")])
    public = SpanContext(7, 9, is_remote=True, trace_flags=flags, trace_state=state)
    return (
        isinstance(public, tuple)
        and tuple(public) == (7, 9, True, flags, state, True)
        and public.is_valid
        and public.trace_id == 7
        and public.span_id == 9
        and public.is_remote
        and public.trace_flags is flags
        and public.trace_state is state
    )


_CONTEXT_IS_TUPLE = _context_is_tuple()


def _span_context(
    trace_id: int, span_id: int, flags: TraceFlags, state: TraceState | None
) -> SpanContext:
    """A local SpanContext for random ids, known valid (the constructor re-checks them)."""
    if _CONTEXT_IS_TUPLE:
        state = state if state is not None else DEFAULT_TRACE_STATE
        return tuple.__new__(SpanContext, (trace_id, span_id, False, flags, state, True))
    return SpanContext(  # pragma: no cover
        trace_id, span_id, is_remote=False, trace_flags=flags, trace_state=state
    )


def _context_var() -> ContextVar[Any] | None:
    """The ContextVar behind OpenTelemetry's context, when the runtime context is the
    default one (``contextvars_context``), else ``None``.

    ``get_current_span()``, and ``attach(set_span_in_context(span))`` with its ``detach``,
    are chains of small Python calls that end in ``get``, ``set`` and ``reset`` of this
    variable; prodready's spans read and set it directly: an empty span went from 4.11-4.22
    to 3.79-3.84 µs (``benchmarks/diag_ingest.py empty``, without this change and with it).
    Another runtime context (chosen with ``OTEL_PYTHON_CONTEXT``) keeps the public calls.
    """
    try:
        from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
    except ImportError:  # pragma: no cover - an API version without it
        return None
    runtime = getattr(otel_context, "_RUNTIME_CONTEXT", None)
    if type(runtime) is not ContextVarsRuntimeContext:
        return None
    var = getattr(runtime, "_current_context", None)
    if not isinstance(var, ContextVar) or not SPAN_KEY:
        return None  # pragma: no cover - an API version laid out differently
    probe = NonRecordingSpan(INVALID_SPAN_CONTEXT)
    if otel_trace.set_span_in_context(probe, Context()) != {SPAN_KEY: probe}:
        return None  # pragma: no cover - the span is kept under another key
    return var


def _span_key() -> str:
    """The context key OpenTelemetry keeps the current span under (private to the API);
    ``""`` if this API version has none by that name."""
    try:
        from opentelemetry.trace.propagation import _SPAN_KEY
    except ImportError:  # pragma: no cover - an API version without it
        return ""
    return _SPAN_KEY


SPAN_KEY = _span_key()
CURRENT_CONTEXT = _context_var()


def _current_span_context() -> SpanContext:
    """``get_current_span().get_span_context()``, read from the context variable itself."""
    if CURRENT_CONTEXT is None:
        return otel_trace.get_current_span().get_span_context()
    span = CURRENT_CONTEXT.get().get(SPAN_KEY)
    if type(span) is RecordingSpan:
        return span._context
    if isinstance(span, otel_trace.Span):
        return span.get_span_context()
    return INVALID_SPAN_CONTEXT


# Indexed by (sampled, random trace id), as the SDK sets them (W3C Trace Context level 2).
_FLAGS = {
    (sampled, random_id): TraceFlags(
        (TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
        | (TraceFlags.RANDOM_TRACE_ID if random_id else 0)
    )
    for sampled in (False, True)
    for random_id in (False, True)
}


def _child_flags(parent: int) -> tuple[bool, TraceFlags]:
    """A child's (sampled, flags) when it follows its parent's sampling decision."""
    sampled = bool(parent & TraceFlags.SAMPLED)
    return sampled, _FLAGS[sampled, bool(parent & TraceFlags.RANDOM_TRACE_ID)]


_CHILD_FLAGS = {bits: _child_flags(bits) for bits in range(256)}  # every W3C flags byte
PRIMITIVES = (str, bool, int, float)
"""The OpenTelemetry attribute value types (sequences of one of them are valid too)."""
_KIND_KEY = attrs.KIND
# Kinds whose attributes the conventions store as they are (see conventions.translate).
_PLAIN_KINDS = frozenset(SPAN_KINDS) - frozenset(JSON_VALUED_KINDS)
_TRACE_KEYS = frozenset(TRACE_ATTRIBUTE_KEYS)
_SAMPLED_DECISIONS = frozenset({Decision.RECORD_AND_SAMPLE})
_RECORDING_DECISIONS = frozenset({Decision.RECORD_ONLY, Decision.RECORD_AND_SAMPLE})


def clean_attribute(value: Any) -> Any:
    """``value`` as a valid OpenTelemetry attribute value, or ``None`` to drop it.

    The rules of the SDK (``opentelemetry.attributes``): a primitive, or a homogeneous
    sequence of one primitive type (``None`` allowed in it), copied into a tuple.
    Written here because the SDK's validator is private; it only runs for values set
    through the OpenTelemetry API by other code, prodready's own ``Span.set`` normalises
    values before they arrive.
    """
    if type(value) in PRIMITIVES:
        return value
    if isinstance(value, PRIMITIVES):  # subclasses (IntEnum, str enums...)
        return value
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        first: type | None = None
        for item in value:
            if item is None:
                continue
            kind = type(item)
            if kind not in PRIMITIVES:
                return None
            if first is None:
                first = kind
            elif kind is not first:
                return None
        return tuple(value)
    return None


def _clean_all(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not attributes:
        return out
    for key, value in attributes.items():
        if not isinstance(key, str) or not key:
            log.debug("invalid attribute key %r dropped", key)
            continue
        cleaned = clean_attribute(value)
        if cleaned is None:
            log.debug("invalid value for attribute %r dropped: %r", key, type(value).__name__)
            continue
        out[key] = cleaned
    return out


class NativeTracer:
    """Starts :class:`RecordingSpan`\\ s with the SDK tracer's sampler, ids, resource, limits.

    Args:
        sdk_tracer: the SDK tracer prodready would use otherwise.
        emit: called with each finished span's snapshot (the router's ``emit``).
    """

    def __init__(self, sdk_tracer: SDKTracer, emit: Any) -> None:
        self.sampler = sdk_tracer.sampler
        self.resource = sdk_tracer.resource
        ids = sdk_tracer.id_generator
        self._random_ids = type(ids) is RandomIdGenerator
        self._ids = ids
        self._ids_random = bool(ids.is_trace_id_random())
        limits: SpanLimits = getattr(sdk_tracer, "_span_limits", None) or SpanLimits()
        self.max_attributes: int | None = limits.max_span_attributes
        self.max_events: int | None = limits.max_events
        self.max_links: int | None = limits.max_links
        self.max_length: int | None = limits.max_span_attribute_length
        scope = getattr(sdk_tracer, "_instrumentation_scope", None)
        self.scope_name: str = scope.name if scope is not None else "prodready"
        self.emit = emit
        # Set by _config: True while the sampler is prodready's at rate 1, where the
        # decision is "follow the parent, keep every root" and needs no call.
        self.keep_all = False
        # Set by _config: spans go to the store with no redact hook, so a span of a plain
        # kind ends with its attributes and events as JSON text (see _convert.Snapshot).
        self.encode_early = False

    def start(
        self,
        name: str,
        kind: SpanKind,
        attributes: dict[str, Any],
        start_time: int | None,
        root_attributes: Mapping[str, Any],
        extra: Mapping[str, Any] | None,
    ) -> otel_trace.Span:
        """Start a span under the current context's span; ``attributes`` must be clean.

        ``attributes`` is taken over (not copied). ``root_attributes`` are added when the
        span starts a trace here (no parent, or a remote one), ``extra`` always.
        """
        parent = _current_span_context()
        # SpanContext is a tuple; its properties are Python calls (see _CONTEXT_IS_TUPLE).
        if _CONTEXT_IS_TUPLE:
            p_trace, p_span, p_remote, p_flags, p_state, p_valid = parent
        else:  # pragma: no cover - an API version laid out differently
            p_trace, p_span, p_remote = parent.trace_id, parent.span_id, parent.is_remote
            p_flags, p_state, p_valid = parent.trace_flags, parent.trace_state, parent.is_valid
        if p_valid:
            trace_id = p_trace
            is_root = p_remote
            parent_id: int | None = p_span
        elif self._random_ids:
            trace_id = _getrandbits(128)
            while trace_id == 0:  # as the SDK's RandomIdGenerator
                trace_id = _getrandbits(128)
            is_root = True
            parent_id = None
        else:
            trace_id = self._ids.generate_trace_id()
            is_root = True
            parent_id = None
        trace_state: TraceState | None
        if self.keep_all:
            if p_valid:
                sampled, flags = _CHILD_FLAGS.get(p_flags) or _child_flags(p_flags)
            else:
                sampled, flags = True, _FLAGS[True, self._ids_random]
            recording = sampled
            trace_state = p_state if p_valid else DEFAULT_TRACE_STATE
        else:
            # ``None``: the sampler reads the current context, where the parent is.
            result = self.sampler.should_sample(None, trace_id, name, kind, attributes, None)
            sampled = result.decision in _SAMPLED_DECISIONS
            recording = result.decision in _RECORDING_DECISIONS
            trace_state = result.trace_state or DEFAULT_TRACE_STATE
            if result.attributes:
                attributes.update(result.attributes)
            flags = _FLAGS[sampled, p_flags.random_trace_id if p_valid else self._ids_random]
        if self._random_ids:
            span_id = _getrandbits(64)
            while span_id == 0:
                span_id = _getrandbits(64)
            context = _span_context(trace_id, span_id, flags, trace_state)
        else:  # another id generator: the public constructor checks what it made
            context = SpanContext(
                trace_id,
                self._ids.generate_span_id(),
                is_remote=False,
                trace_flags=flags,
                trace_state=trace_state,
            )
        if not recording:
            return NonRecordingSpan(context)
        if is_root and root_attributes:
            attributes.update(root_attributes)
        if extra:
            attributes.update(extra)
        return RecordingSpan(
            self,
            name,
            context,
            parent_id,
            is_root,
            kind,
            self.within_limits(attributes),
            start_time if start_time is not None else _now(),
        )

    def within_limits(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """``attributes`` within the span limits: values cut to the length limit, and only
        the first keys up to the count limit (the SDK keeps the newest; the first ones are
        prodready's kind, release and environment). The same dict when nothing is cut."""
        if self.max_length is not None:
            attributes = {k: _truncate(v, self.max_length) for k, v in attributes.items()}
        limit = self.max_attributes
        if limit is not None and len(attributes) > limit:
            log.debug("a span is over its attribute limit (%d): newer keys dropped", limit)
            attributes = dict(list(attributes.items())[:limit])
        return attributes


class RecordingSpan(otel_trace.Span):
    """A sampled span of prodready's API (see the module docstring).

    Thread-safety as the GIL gives it: attribute and event updates from several threads
    are safe (dict and list operations); ``end`` from two threads at once may report the
    span twice (the store keeps one row per span id).
    """

    __slots__ = (
        "_attributes",
        "_context",
        "_description",
        "_end",
        "_events",
        "_is_root",
        "_kind",
        "_links",
        "_name",
        "_parent_id",
        "_start",
        "_status",
        "_tracer",
    )

    def __init__(
        self,
        tracer: NativeTracer,
        name: str,
        context: SpanContext,
        parent_id: int | None,
        is_root: bool,
        kind: SpanKind,
        attributes: dict[str, Any],
        start: int,
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._context = context
        self._parent_id = parent_id
        self._is_root = is_root
        self._kind = kind
        self._attributes = attributes
        self._events: list[tuple[str, int, Any]] | None = None
        self._links: list[tuple[int, int, Any]] | None = None
        self._status = StatusCode.UNSET
        self._description: str | None = None
        self._start = start
        self._end: int | None = None

    # --- what prodready's Span wrapper and readers use ---------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def attributes(self) -> Mapping[str, Any]:
        """The span's attributes (read-only by convention; set them with ``set_attribute``)."""
        return self._attributes

    def put(self, key: str, value: Any) -> None:
        """Set an attribute whose value is already a valid attribute value (no checks)."""
        if self._end is not None:
            return
        attributes = self._attributes
        limit = self._tracer.max_attributes
        if limit is not None and len(attributes) >= limit and key not in attributes:
            log.debug("span %r is at its attribute limit (%d): %r dropped", self._name, limit, key)
            return
        if self._tracer.max_length is not None:
            value = _truncate(value, self._tracer.max_length)
        attributes[key] = value

    def put_all(self, values: dict[str, Any]) -> None:
        """Set attributes whose values are already valid attribute values (no checks)."""
        if self._end is not None or not values:
            return
        attributes = self._attributes
        attributes.update(values)
        kept = self._tracer.within_limits(attributes)
        if kept is not attributes:
            attributes.clear()
            attributes.update(kept)

    def event(self, name: str, attributes: dict[str, Any] | None, timestamp: int | None) -> None:
        """Add an event whose attribute values are already valid (no checks)."""
        if self._end is not None:
            return
        item = (name, timestamp if timestamp is not None else _now(), attributes or None)
        self._events = _appended(self._events, item, self._tracer.max_events)

    # --- opentelemetry.trace.Span -------------------------------------------------------------

    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._end is None

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        cleaned = clean_attribute(value)
        if cleaned is None or not isinstance(key, str) or not key:
            log.debug("invalid attribute %r on span %r dropped", key, self._name)
            return
        self.put(key, cleaned)

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        self.put_all(_clean_all(attributes))

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        self.event(name, _clean_all(attributes), timestamp)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        # The SDK's rule: a link to an invalid context is kept if it says something.
        if self._end is not None or not context:
            return
        if not (context.is_valid or attributes or context.trace_state):
            return
        item = (context.trace_id, context.span_id, _clean_all(attributes) or None)
        self._links = _appended(self._links, item, self._tracer.max_links)

    def update_name(self, name: str) -> None:
        if self._end is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        # The SDK's rules: OK is final, UNSET is ignored, a description only goes with ERROR.
        if self._end is not None or self._status is StatusCode.OK:
            return
        if isinstance(status, Status):
            code, description = status.status_code, status.description
        else:
            code = status
        if code is StatusCode.UNSET:
            return
        self._status = code
        self._description = description if code is StatusCode.ERROR else None

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        # The same event as the SDK's record_exception (semantic conventions "exception").
        module = type(exception).__module__
        qualname = type(exception).__qualname__
        values: dict[str, Any] = {
            "exception.type": f"{module}.{qualname}"
            if module and module != "builtins"
            else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        values.update(_clean_all(attributes))
        self.event("exception", values, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._end is not None:
            return
        end = self._end = end_time if end_time is not None else _now()
        context = self._context
        attributes = self._attributes
        events = self._events
        links = self._links
        tracer = self._tracer
        kind = attributes.get(_KIND_KEY) if tracer.encode_early else None
        stored_attributes: Any = attributes or None
        stored_events: Any = events if events else ()
        trace_values = None
        if type(kind) is str and kind in _PLAIN_KINDS:
            try:  # all or nothing: the plain values above still carry everything
                stored_attributes, stored_events, trace_values = (
                    encode_json(attributes),
                    encode_json(event_dicts(events)) if events else "[]",
                    None
                    if _TRACE_KEYS.isdisjoint(attributes)
                    else tuple(map(attributes.get, TRACE_ATTRIBUTE_KEYS)),
                )
            except Exception:
                kind = None
                log.debug("could not encode span %r early", self._name, exc_info=True)
        else:
            kind = None
        snap: Snapshot = (
            self._name,
            context.trace_id,
            context.span_id,
            self._parent_id,
            self._is_root,
            _KIND_VALUE[self._kind],
            self._start,
            end,
            self._status.value,
            self._description,
            stored_attributes,
            stored_events,
            tuple(links) if links else (),
            tracer.scope_name,
            None,  # no resource: the processor stores the one configure() gave it
            None,
            kind,  # set only when encoded early
            trace_values,
        )
        try:
            tracer.emit(snap)
        except Exception:  # never the agent's problem
            log.debug("could not hand span %r to the writer", self._name, exc_info=True)

    def __repr__(self) -> str:
        return f"RecordingSpan({self._name!r}, span_id={self._context.span_id:016x})"


def _appended(items: list[Any] | None, item: Any, limit: int | None) -> list[Any]:
    """``items`` with ``item`` appended; at ``limit`` the oldest goes, as in the SDK's
    bounded lists of events and links."""
    if items is None:
        return [item]
    if limit is not None and len(items) >= limit:
        items.pop(0)
    items.append(item)
    return items


def _truncate(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, tuple | list):
        return type(value)(v[:limit] if isinstance(v, str) else v for v in value)
    return value


def otel_internals() -> dict[str, bool]:
    """Each OpenTelemetry internal prodready's spans read, and whether the installed version
    has it as they expect.

    A ``False`` is a probe that falls back without a word: spans stay correct but take the
    public, slower path (or, for ``Tracer._span_limits``, ignore the provider's limits).
    ``tests/tracing/test_otel_internals.py`` fails naming each ``False``, so an upgrade that
    moves an internal is caught in CI; pyproject.toml pins the range that test passed on.
    """
    from collections import deque

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.util import BoundedList

    from prodready.tracing import _convert

    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=7))
    sdk = provider.get_tracer("probe")
    multi = getattr(provider, "_active_span_processor", None)
    limits = getattr(getattr(sdk, "_span_limits", None), "max_span_attributes", None) == 7
    scope = getattr(getattr(sdk, "_instrumentation_scope", None), "name", None) == "probe"
    processors = getattr(multi, "_span_processors", None) == ()
    bounded = isinstance(getattr(BoundedList(1), "_dq", None), deque)
    return {
        "opentelemetry.trace.propagation._SPAN_KEY": bool(SPAN_KEY),
        "opentelemetry.context._RUNTIME_CONTEXT._current_context": CURRENT_CONTEXT is not None,
        "opentelemetry.trace.SpanContext is a 6-tuple": _CONTEXT_IS_TUPLE,
        "opentelemetry.sdk.trace.Tracer._span_limits": limits,
        "opentelemetry.sdk.trace.Tracer._instrumentation_scope": scope,
        "opentelemetry.sdk.trace.TracerProvider._active_span_processor._span_processors": (
            processors
        ),
        "opentelemetry.sdk.trace.ReadableSpan private fields": _convert._PRIVATE_FIELDS,
        "opentelemetry.sdk.util.BoundedList._dq": bounded,
    }
