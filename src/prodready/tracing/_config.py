"""``configure()``: one call wires the OpenTelemetry SDK to the store (and optionally OTLP)."""

from __future__ import annotations

import atexit
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SDKSpan
from opentelemetry.sdk.trace.sampling import (
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

from prodready.store import Store, redact_url
from prodready.tracing import _secrets
from prodready.tracing import attributes as attrs
from prodready.tracing import prices as _prices
from prodready.tracing._convert import Redactor, Snapshot, readable_from
from prodready.tracing._native import NativeTracer
from prodready.tracing._processor import StoreSpanProcessor, TracingStats, _transient

log = logging.getLogger("prodready.tracing")

Clock = Callable[[], int]
"""Returns the current time in Unix nanoseconds."""

_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("prodready_context", default=None)


@dataclass(frozen=True, kw_only=True)
class TracingConfig:
    """What ``configure()`` set up; ``prodready.tracing.current()`` returns it."""

    store: Store | None
    release: str | None
    environment: str
    service_name: str
    sample_rate: float
    otlp_endpoint: str | None
    capture_io: bool
    clock: Clock | None
    processor: StoreSpanProcessor | None
    redact_secrets: bool = True


class _RatioSampler(Sampler):
    """Parent-based trace-id ratio sampling whose rate ``configure()`` can change later."""

    def __init__(self) -> None:
        self.rate = 1.0
        self._inner: Sampler = ParentBased(TraceIdRatioBased(1.0))

    def set_rate(self, rate: float) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, got {rate}")
        self.rate = rate
        self._inner = ParentBased(TraceIdRatioBased(rate))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Any = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        links_: list[Link] | None = list(links) if links else None
        return self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links_, trace_state
        )

    def get_description(self) -> str:
        return f"prodready({self._inner.get_description()})"


class _Router(SpanProcessor):
    """Added once to the tracer provider; stamps context onto spans and routes them.

    ``configure()`` may be called again (tests, notebooks), but an OpenTelemetry provider's
    processors cannot be removed, so this router stays and its target is swapped.
    """

    def __init__(self) -> None:
        self.target: SpanProcessor | None = None
        self.root_attributes: dict[str, Any] = {}

    def on_start(self, span: SDKSpan, parent_context: Context | None = None) -> None:
        try:
            parent = span.parent
            if parent is None or parent.is_remote:
                span.set_attributes(self.root_attributes)
            extra = _CONTEXT.get()
            if extra:
                span.set_attributes(extra)
        except Exception:  # never break the agent
            log.debug("could not stamp span context", exc_info=True)

    def on_end(self, span: ReadableSpan) -> None:
        target = self.target
        if target is not None:
            target.on_end(span)

    def emit(self, snap: Snapshot) -> None:
        """Take a finished native span (``_native.RecordingSpan``) as a snapshot."""
        target = self.target
        if type(target) is StoreSpanProcessor:
            target.enqueue(snap)
        elif target is not None:  # OTLP only: the exporter takes SDK spans
            native = _state.native
            target.on_end(readable_from(snap, resource=native.resource if native else None))

    def shutdown(self) -> None:
        if self.target is not None:
            self.target.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.target.force_flush(timeout_millis) if self.target is not None else True


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider: TracerProvider | None = None
        self.owns_provider = False
        self.router = _Router()
        self.sampler = _RatioSampler()
        self.tracer: otel_trace.Tracer = otel_trace.get_tracer("prodready")
        # prodready's own spans (see _native and start_span), with the provider's processor
        # tuple they are valid for: the SDK replaces that tuple when a processor is added.
        self.native: NativeTracer | None = None
        self.native_for: tuple[SpanProcessor, ...] | None = None
        self.config: TracingConfig | None = None
        self.atexit_registered = False


_state = _State()


def configure(
    *,
    store: str | Store | None = None,
    release: str | None = None,
    environment: str | None = None,
    service_name: str | None = None,
    redact: Redactor | None = None,
    sample_rate: float = 1.0,
    otlp_endpoint: str | Literal[False] | None = None,
    otlp_headers: Mapping[str, str] | None = None,
    capture_io: bool = True,
    clock: Clock | None = None,
    max_queue_size: int = 100_000,
    batch_size: int = 512,
    flush_interval: float = 0.5,
    write_to_store: bool = True,
    redact_secrets: bool = True,
    secret_names: Iterable[str] = (),
    secret_patterns: Iterable[str | re.Pattern[str]] = (),
    prices: _prices.PricesArg = None,
) -> TracingConfig:
    """Set up tracing for this process. Call once at start-up; calling again reconfigures.

    Spans from ``@prodready.trace``, ``prodready.span`` and any other OpenTelemetry tracer in
    the process go to the store in background batches (and to ``otlp_endpoint`` too, if
    given). The agent never waits for the store and never sees its errors.

    Args:
        store: a store URL or :class:`~prodready.store.Store`; default ``$PRODREADY_STORE_URL``
            or ``.prodready/prodready.db``.
        release: the release that produced these traces (prompt versions, model, code), stamped
            on every trace; default ``$PRODREADY_RELEASE``.
        environment: ``dev``, ``ci`` or ``production`` (default ``$PRODREADY_ENVIRONMENT``,
            else ``ci`` when ``$CI`` is set, else ``dev``).
        service_name: OpenTelemetry ``service.name`` (default ``$OTEL_SERVICE_NAME``).
        redact: called with each span's (and event's) attribute dict before it is stored or
            exported; returns the dict to keep. If it raises, the span is dropped, not leaked.
            It runs on the writer thread, again for a span whose write is retried (keep it
            free of side effects).
        sample_rate: fraction of traces kept (parent-based: a trace is kept whole or not).
        otlp_endpoint: also export to this OTLP/HTTP traces endpoint
            (e.g. ``http://collector:4318/v1/traces``); needs ``prodready[otlp]``. Default:
            ``$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``$OTEL_EXPORTER_OTLP_ENDPOINT`` +
            ``/v1/traces``, unless ``$OTEL_TRACES_EXPORTER`` leaves out ``otlp``; ``False``
            turns export off whatever the environment says. Exported spans also carry the
            OpenInference and GenAI keys other tools read (``_outbound``).
        otlp_headers: headers for the OTLP exporter (e.g. authorization), on top of
            ``$OTEL_EXPORTER_OTLP_HEADERS``; timeout and compression come from the standard
            ``OTEL_EXPORTER_OTLP_*`` variables.
        capture_io: ``@trace`` records function arguments and return values.
        clock: time source in Unix ns for prodready's own spans (tests use a fake clock).
        max_queue_size: spans held in memory while the store is slow or down.
        batch_size: queued spans that wake the writer (it writes up to 8x as many per
            transaction when it is behind).
        flush_interval: seconds between background writes.
        write_to_store: set ``False`` to export over OTLP only.
        redact_secrets: replace secrets in what ``@trace`` and ``span.input()``/
            ``output()`` capture, on the agent's thread before the span is queued:
            values of secret-named arguments and keys (``api_key``, ``password``,
            ``Authorization``...) and secret-looking values (``Bearer ...``, ``sk-...``,
            ``AKIA...``, JWTs, PEM keys); see docs/tracing.md, "Secrets".
        secret_names: more names whose values are secrets (``"ssn"``, ``"card_number"``).
        secret_patterns: more regular expressions whose matches are secrets.
        prices: model prices (a YAML/JSON file's path, or ``{model: Price}``) merged over
            the shipped table and ``$PRODREADY_PRICES``, to price foreign model calls that
            report tokens but no cost; see docs/conventions.md, "Prices".

    Returns:
        The active configuration.

    Raises:
        ValueError: a ``secret_names`` or ``secret_patterns`` entry is not valid, or a
            price file or entry is malformed (``PricesError`` names it).
    """
    _prices.use(prices)
    secrets = _secrets.SecretPolicy(
        enabled=redact_secrets, names=secret_names, patterns=secret_patterns
    )
    with _state.lock:
        _secrets.use(secrets)
        _state.sampler.set_rate(sample_rate)
        env = environment or os.environ.get("PRODREADY_ENVIRONMENT") or _default_environment()
        release = release or os.environ.get("PRODREADY_RELEASE")
        service = service_name or os.environ.get("OTEL_SERVICE_NAME") or "prodready-app"
        provider = _ensure_provider(service)
        old = _state.router.target
        resource = dict(provider.resource.attributes) | {"service.name": service}
        endpoint = _otlp_endpoint(otlp_endpoint, joined=not _state.owns_provider)
        forward = (
            _otlp_processor(
                endpoint,
                otlp_headers,
                None if write_to_store else redact,
                explicit=bool(otlp_endpoint),
            )
            if endpoint
            else None
        )
        store_obj = None
        processor = None
        if write_to_store:
            store_obj, pending = _open_store(store)
            processor = StoreSpanProcessor(
                store_obj,
                max_queue_size=max_queue_size,
                batch_size=batch_size,
                flush_interval=flush_interval,
                redact=redact,
                resource=resource,
                forward=forward,
                migrate=pending,
            )
            _state.router.target = processor
        else:
            _state.router.target = forward
        root: dict[str, Any] = {attrs.ENVIRONMENT: env}
        if release:
            root[attrs.RELEASE] = release
        _state.router.root_attributes = root
        if _state.native is not None:
            # Spans hand their snapshot straight to the processor (one call less per span).
            _state.native.emit = processor.enqueue if processor is not None else _state.router.emit
            _state.native.encode_early = processor is not None and redact is None
            _state.native.keep_all = (
                _state.provider is not None
                and _state.provider.sampler is _state.sampler
                and sample_rate == 1.0
            )
        _state.config = TracingConfig(
            store=store_obj,
            release=release,
            environment=env,
            service_name=service,
            sample_rate=sample_rate,
            otlp_endpoint=endpoint if forward is not None else None,
            capture_io=capture_io,
            clock=clock,
            processor=processor,
            redact_secrets=redact_secrets,
        )
        if not _state.atexit_registered:
            atexit.register(shutdown)
            _state.atexit_registered = True
    if old is not None:
        _stop(old, 5.0)
    return _state.config


def _open_store(store: str | Store | None) -> tuple[Store, bool]:
    """The store to write to, and whether its schema still needs migrating.

    A URL that cannot work (unknown scheme, missing driver) raises ``StoreError`` here; a
    database that is merely unreachable does not: the agent starts, spans queue, and the
    writer migrates and writes once the database answers.
    """
    if isinstance(store, Store):
        return store, False
    opened = Store(store, migrate=False)
    try:
        opened.migrate()
    except Exception as exc:
        if not _transient(exc):
            raise
        log.warning(
            "prodready tracing: the store at %s is unreachable (%s); spans queue until it returns",
            redact_url(opened.url),
            type(exc).__name__,
        )
        return opened, True
    return opened, False


def _default_environment() -> str:
    return "ci" if os.environ.get("CI") else "dev"


def _ensure_provider(service: str) -> TracerProvider:
    """Use the process's SDK provider if there is one; otherwise install ours globally."""
    if _state.provider is not None:
        return _state.provider
    current = otel_trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current  # the user already runs the OTel SDK: join it
    else:
        provider = TracerProvider(
            sampler=_state.sampler, resource=Resource.create({"service.name": service})
        )
        otel_trace.set_tracer_provider(provider)
        if otel_trace.get_tracer_provider() is not provider:  # someone else won the race
            log.warning("another TracerProvider was set globally; prodready uses its own")
        _state.owns_provider = True
    provider.add_span_processor(_state.router)
    _state.provider = provider
    _state.tracer = provider.get_tracer("prodready")
    processors = _processors(provider)
    if processors == (_state.router,):
        _state.native = NativeTracer(_state.tracer, _state.router.emit)  # type: ignore[arg-type]
        _state.native_for = processors
    _register_metrics()
    return provider


def _otlp_endpoint(explicit: str | Literal[False] | None, *, joined: bool) -> str | None:
    """Where to export over OTLP: the argument, else the standard environment variables.

    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is used as it is, ``OTEL_EXPORTER_OTLP_ENDPOINT``
    gets ``/v1/traces`` (as the OpenTelemetry exporters do). ``OTEL_TRACES_EXPORTER`` without
    ``otlp`` (``none``, ``console``) and a protocol other than ``http/protobuf`` (the one
    prodready's exporter speaks) leave export off. So does ``joined``, prodready having
    joined a TracerProvider the process set up itself: the variables are that SDK setup's
    (``opentelemetry-instrument`` reads them), and exporting again would send every span twice.
    """
    if explicit is False:
        return None
    if explicit:
        return explicit
    env = os.environ
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if not endpoint:
        base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        endpoint = f"{base.removesuffix('/')}/v1/traces" if base else ""
    if not endpoint:
        return None
    exporters = {e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "otlp").split(",")}
    if "otlp" not in exporters:
        return None
    if joined:
        _log_once(
            logging.INFO,
            "joined",
            "prodready tracing: OTEL_EXPORTER_OTLP_* (%s) is left to this process's own "
            "OpenTelemetry setup, whose TracerProvider prodready joined; pass otlp_endpoint= "
            "to export prodready's copy as well",
            endpoint,
        )
        return None
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    if protocol and protocol.strip().lower() != "http/protobuf":
        _warn_once(
            f"protocol {protocol}",
            "prodready tracing: OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported (prodready "
            "exports OTLP over http/protobuf); not exporting to %s",
            protocol,
            endpoint,
        )
        return None
    return endpoint


_WARNED: set[str] = set()


def _warn_once(key: str, message: str, *args: Any) -> None:
    _log_once(logging.WARNING, key, message, *args)


def _log_once(level: int, key: str, message: str, *args: Any) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        log.log(level, message, *args)


def _otlp_processor(
    endpoint: str,
    headers: Mapping[str, str] | None,
    redact: Redactor | None,
    *,
    explicit: bool = True,
) -> SpanProcessor | None:
    """A batch processor exporting to ``endpoint``, with the outbound conventions added.

    ``redact`` is for OTLP-only export (nothing redacted the spans before). Without
    ``prodready[otlp]``, an explicit ``otlp_endpoint=`` raises; an endpoint from the
    environment only warns (once), since tracing must not stop the agent from starting.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        if explicit:
            raise ImportError('OTLP export needs: pip install "prodready[otlp]"') from exc
        _warn_once(
            "missing otlp",
            "prodready tracing: not exporting to %s (from OTEL_EXPORTER_OTLP_*): OTLP export "
            'needs the otlp extra: pip install "prodready[otlp]"',
            endpoint,
        )
        return None
    from prodready.tracing._outbound import OutboundExporter

    # Timeout, compression and the environment's headers: the exporter reads them itself.
    exporter = OTLPSpanExporter(endpoint=endpoint, headers=dict(headers) if headers else None)
    return BatchSpanProcessor(OutboundExporter(exporter, redact=redact))


def _register_metrics() -> None:
    """Expose the pipeline counters as OpenTelemetry metrics (no-op without a MeterProvider)."""
    from opentelemetry import metrics
    from opentelemetry.metrics import CallbackOptions, Observation

    meter = metrics.get_meter("prodready")

    def dropped(_options: CallbackOptions) -> Iterator[Observation]:
        for reason, n in stats().dropped_by_reason.items():
            yield Observation(n, {"reason": reason})

    def written(_options: CallbackOptions) -> Iterator[Observation]:
        yield Observation(stats().written)

    meter.create_observable_counter(
        "prodready.tracing.spans_dropped", [dropped], unit="{span}", description="spans dropped"
    )
    meter.create_observable_counter(
        "prodready.tracing.spans_written", [written], unit="{span}", description="spans stored"
    )


def tracer() -> otel_trace.Tracer:
    """The OpenTelemetry SDK tracer behind prodready's spans (for code that wants one)."""
    return _state.tracer


def _processors(provider: TracerProvider) -> tuple[SpanProcessor, ...] | None:
    """The provider's span processors, or ``None`` if this SDK version hides them."""
    multi = getattr(provider, "_active_span_processor", None)
    found = getattr(multi, "_span_processors", None)
    return found if isinstance(found, tuple) else None


def start_span(
    name: str, kind: SpanKind, attributes: dict[str, Any], start_time: int | None
) -> otel_trace.Span:
    """Start one of prodready's spans under the current span (``attributes`` must be clean).

    A native span (``_native``) while prodready's router is the provider's only span
    processor; the SDK's span as soon as someone added a processor of their own, so it
    sees prodready's spans too.
    """
    native = _state.native
    provider = _state.provider
    if (
        native is not None
        and provider is not None
        and provider._active_span_processor._span_processors is _state.native_for
    ):
        return native.start(
            name, kind, attributes, start_time, _state.router.root_attributes, _CONTEXT.get()
        )
    return _state.tracer.start_span(name, kind=kind, attributes=attributes, start_time=start_time)


def current() -> TracingConfig | None:
    """The active configuration, or ``None`` before ``configure()``."""
    return _state.config


def stats() -> TracingStats:
    """Counters of the span pipeline: queued, written, dropped (by reason), write failures."""
    config = _state.config
    if config is None or config.processor is None:
        return TracingStats(queued=0, written=0, dropped=0)
    return config.processor.stats()


def flush(timeout: float = 30.0) -> bool:
    """Block until every span ended so far is stored; ``False`` if ``timeout`` s passed first."""
    return _state.router.force_flush(int(timeout * 1000))


def shutdown(timeout: float = 5.0) -> None:
    """Flush (bounded by ``timeout`` seconds) and stop the background writer."""
    with _state.lock:
        target, _state.router.target = _state.router.target, None
        if _state.native is not None:
            _state.native.emit = _state.router.emit
        _state.config = None
    if target is not None:
        _stop(target, timeout)


def _stop(target: SpanProcessor, timeout: float) -> None:
    started = time.monotonic()
    if isinstance(target, StoreSpanProcessor):
        target.shutdown(int(timeout * 1000))
    else:
        target.force_flush(int(timeout * 1000))
        target.shutdown()
    log.debug("tracing shut down in %.3fs", time.monotonic() - started)


@contextmanager
def context(
    *,
    session: str | None = None,
    user: str | None = None,
    release: str | None = None,
    environment: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Stamp every span started inside the block (any thread or task that inherits it).

    >>> with prodready.context(session="s-42", user="u-7"):
    ...     agent.answer("where is my card?")
    """
    from prodready.tracing._span import to_attribute

    extra = dict(_CONTEXT.get() or {})
    for key, value in (
        (attrs.SESSION_ID, session),
        (attrs.USER_ID, user),
        (attrs.RELEASE, release),
        (attrs.ENVIRONMENT, environment),
    ):
        if value is not None:
            extra[key] = to_attribute(value)
    if attributes:
        # Normalised once here (the SDK would drop a dict value; this stores it as JSON):
        # native spans take these values as they are.
        extra.update({k: to_attribute(v) for k, v in attributes.items() if v is not None})
    token = _CONTEXT.set(extra)
    try:
        yield
    finally:
        _CONTEXT.reset(token)
