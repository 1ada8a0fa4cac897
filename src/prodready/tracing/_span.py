"""``prodready.span`` and its typed helpers: spans that say what an agent step did.

Every method fails safe: an internal error leaves a no-op span and a debug log, never an
exception in the agent. Exceptions raised by the agent's own code pass through untouched
(after being recorded on the span).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from contextvars import Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, SpanKind, Status, StatusCode

from prodready.tracing import _config, _secrets
from prodready.tracing import attributes as attrs
from prodready.tracing._native import CURRENT_CONTEXT, PRIMITIVES, SPAN_KEY, RecordingSpan
from prodready.tracing.kinds import SPAN_KINDS, check_kind
from prodready.tracing.kinds import SpanKind as Kind
from prodready.vocabulary.canonical import to_json

log = logging.getLogger("prodready.tracing")

MAX_CAPTURE_CHARS = 100_000
"""Captured inputs and outputs longer than this are truncated (explicit ``set`` is not)."""

_CLIENT_KINDS = frozenset({"llm", "embedding", "reranker"})
_OTEL_KINDS = {k: SpanKind.CLIENT if k in _CLIENT_KINDS else SpanKind.INTERNAL for k in SPAN_KINDS}
_KIND_KEY = attrs.KIND
_TOOL_ARGUMENTS = attrs.TOOL_ARGUMENTS
_MISSING: Any = object()

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[bool] | Sequence[int]


def to_attribute(value: Any) -> AttributeValue:
    """An OpenTelemetry attribute value for ``value``: primitives as they are, else JSON."""
    if type(value) in PRIMITIVES or isinstance(value, PRIMITIVES):
        return value  # type: ignore[no-any-return]
    if isinstance(value, list | tuple) and value:
        first = type(value[0])
        if first in PRIMITIVES and all(type(v) is first for v in value):
            return list(value)
    # Unknown objects as their repr, as spans always recorded them: it names the type
    # (Decimal('1.5'), PosixPath('/tmp')) where a str often does not. Array-likes convert
    # through tolist, not orjson's numpy option, which imports numpy on first use (~100 ms).
    return to_json(value, fallback="repr")


def _capture(value: Any, redact: bool | None = None) -> AttributeValue:
    """``value`` as a captured attribute: secrets redacted (by default, see ``_secrets``),
    then truncated to ``MAX_CAPTURE_CHARS`` (after, so a cut cannot expose a secret's head).
    """
    policy = _secrets.active.policy
    out: AttributeValue
    if (policy.enabled if redact is None else redact) and not policy.is_clean(value):
        out = policy.mask_attribute(to_attribute(policy.scrub(value)))
    else:
        out = to_attribute(value)
    if isinstance(out, str) and len(out) > MAX_CAPTURE_CHARS:
        return out[:MAX_CAPTURE_CHARS] + f"…[truncated {len(out) - MAX_CAPTURE_CHARS} chars]"
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrievedDocument:
    """A document a retriever returned, as recorded on its span (and used for staleness)."""

    id: str
    version: str | None = None
    content_hash: str | None = None
    score: float | None = None
    source: str | None = None


class Span:
    """A prodready span: a context manager (sync or async) around an OpenTelemetry span.

    >>> with prodready.span("lookup card", kind="tool") as s:
    ...     s.set("card.last4", "4242")
    """

    __slots__ = ("_attributes", "_clock", "_kind", "_name", "_otel_kind", "_span", "_token")

    def __init__(
        self,
        name: str,
        *,
        kind: Kind = "step",
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        self._name = name
        self._kind = kind
        self._attributes = attributes
        self._otel_kind = _OTEL_KINDS.get(kind, SpanKind.INTERNAL)
        self._span: otel_trace.Span = INVALID_SPAN
        self._token: Token[Any] | None = None
        self._clock: _config.Clock | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Span:
        """Start the span and make it current. ``with`` does this for you."""
        try:
            kind = self._kind
            if kind not in SPAN_KINDS:
                check_kind(kind)  # raises, with the kinds there are
            config = _config._state.config
            clock = self._clock = config.clock if config is not None else None
            attributes: dict[str, Any] = {_KIND_KEY: kind}
            if self._attributes:
                for key, value in self._attributes.items():
                    if value is not None:
                        # A tool's arguments come from the model or the user: captured data.
                        attributes[key] = (
                            _capture(value) if key == _TOOL_ARGUMENTS else to_attribute(value)
                        )
            self._span = _config.start_span(
                self._name, self._otel_kind, attributes, clock() if clock is not None else None
            )
        except Exception:
            log.debug("could not start span %r; continuing without it", self._name, exc_info=True)
            self._span = INVALID_SPAN
        self.attach()
        return self

    __enter__ = start

    def end(self, error: BaseException | None = None) -> None:
        """Record ``error`` (if any), end the span and restore the previous context."""
        try:
            if error is not None:
                self.error(error)
            clock = self._clock
            if clock is None:
                self._span.end()
            else:
                self._span.end(end_time=clock())
        except Exception:
            log.debug("could not end span %r", self._name, exc_info=True)
        finally:
            self.detach()

    def attach(self) -> None:
        """Make the span current again (after :meth:`detach`), e.g. when a generator resumes."""
        span = self._span
        if self._token is None and span is not INVALID_SPAN:
            try:
                if CURRENT_CONTEXT is not None:  # as attach(set_span_in_context(span))
                    current = CURRENT_CONTEXT.get()
                    self._token = CURRENT_CONTEXT.set(Context({**current, SPAN_KEY: span}))
                else:
                    self._token = otel_context.attach(otel_trace.set_span_in_context(span))
            except Exception:
                log.debug("could not attach %r", self._name, exc_info=True)

    def detach(self) -> None:
        """Restore the context that was current before the span became current."""
        token = self._token
        if token is not None:
            self._token = None
            try:
                if CURRENT_CONTEXT is not None:
                    CURRENT_CONTEXT.reset(token)
                else:
                    otel_context.detach(token)
            except Exception:
                log.debug("could not restore context after %r", self._name, exc_info=True)

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end(exc)

    async def __aenter__(self) -> Span:
        return self.start()

    async def __aexit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end(exc)

    # --- identity ----------------------------------------------------------------------------

    @property
    def trace_id(self) -> str:
        """The trace id as 32 hex characters ('0' * 32 for a no-op span)."""
        return format(self._span.get_span_context().trace_id, "032x")

    @property
    def span_id(self) -> str:
        """The span id as 16 hex characters."""
        return format(self._span.get_span_context().span_id, "016x")

    @property
    def otel_span(self) -> otel_trace.Span:
        """The underlying OpenTelemetry span."""
        return self._span

    @property
    def is_recording(self) -> bool:
        """False for a no-op span (not sampled, tracing off, or an internal error)."""
        return self._span.is_recording()

    # --- generic -----------------------------------------------------------------------------

    def set(self, key: str | Mapping[str, Any], value: Any = _MISSING) -> Span:
        """Set one attribute (``s.set("k", v)``) or several (``s.set({"k": v})``).

        Values that are not OpenTelemetry primitives are stored as JSON. ``None`` is skipped.
        """
        try:
            items = key.items() if isinstance(key, Mapping) else ((key, value),)
            span = self._span
            if type(span) is RecordingSpan:
                prims = PRIMITIVES
                span.put_all(
                    {
                        k: v if type(v) in prims else to_attribute(v)
                        for k, v in items
                        if v is not None and v is not _MISSING
                    }
                )
                return self
            for k, v in items:
                if v is not None and v is not _MISSING:
                    span.set_attribute(k, to_attribute(v))
        except Exception:
            log.debug("could not set attributes on %r", self._name, exc_info=True)
        return self

    def event(self, name: str, attributes: Mapping[str, Any] | None = None) -> Span:
        """Add a timestamped event (a retry, a state change, a breaker transition...)."""
        try:
            values = {k: to_attribute(v) for k, v in (attributes or {}).items() if v is not None}
            when = self._clock() if self._clock is not None else None
            span = self._span
            if type(span) is RecordingSpan:
                span.event(name, values, when)
            else:
                span.add_event(name, values, timestamp=when)
        except Exception:
            log.debug("could not add event to %r", self._name, exc_info=True)
        return self

    def error(self, error: BaseException | str) -> Span:
        """Mark the span failed; an exception is also recorded as an ``exception`` event."""
        try:
            if isinstance(error, BaseException):
                self._span.record_exception(error)
                message = f"{type(error).__name__}: {error}"
            else:
                message = error
            self._span.set_status(Status(StatusCode.ERROR, message[:1000]))
            if self._kind == "tool" and not _has(self._span, attrs.TOOL_OUTCOME):
                self._span.set_attribute(attrs.TOOL_OUTCOME, "error")
        except Exception:
            log.debug("could not record error on %r", self._name, exc_info=True)
        return self

    def input(
        self, value: Any, *, arguments: bool = False, redact_secrets: bool | None = None
    ) -> Span:
        """Record what the step received (secrets redacted, truncated to ``MAX_CAPTURE_CHARS``).

        Args:
            value: the input.
            arguments: ``value`` is the call's arguments by parameter name, as
                ``@prodready.trace`` records them (``prodready.input.kind``), so a case made
                from the trace calls the target with them.
            redact_secrets: redact secret-named keys and secret-looking values; default
                from ``configure(redact_secrets=...)``.
        """
        self._safe_set(attrs.INPUT, value, capture=True, redact=redact_secrets)
        if arguments:
            self._safe_set(attrs.INPUT_KIND, "arguments", capture=False)
        return self

    def output(self, value: Any, *, redact_secrets: bool | None = None) -> Span:
        """Record what the step produced (secrets redacted, as for :meth:`input`, and
        truncated to ``MAX_CAPTURE_CHARS``)."""
        return self._safe_set(attrs.OUTPUT, value, capture=True, redact=redact_secrets)

    # --- typed helpers -----------------------------------------------------------------------

    def intent(
        self,
        label: str,
        confidence: float,
        *,
        alternatives: Mapping[str, float] | None = None,
    ) -> Span:
        """Record a classified intent with its confidence (and runner-up scores)."""
        self.set({attrs.INTENT_NAME: label, attrs.INTENT_CONFIDENCE: float(confidence)})
        if alternatives:
            self.set(attrs.INTENT_ALTERNATIVES, dict(alternatives))
        return self

    def usage(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost: float | None = None,
        model: str | None = None,
    ) -> Span:
        """Record an LLM call's token usage, cost in USD and the model that answered."""
        return self.set(
            {
                attrs.GEN_AI_INPUT_TOKENS: input_tokens,
                attrs.GEN_AI_OUTPUT_TOKENS: output_tokens,
                attrs.LLM_COST: cost,
                attrs.GEN_AI_RESPONSE_MODEL: model,
            }
        )

    def documents(self, documents: Iterable[RetrievedDocument | Mapping[str, Any]]) -> Span:
        """Record what a retriever returned: id, version, content hash, score per document."""
        try:
            docs = [_document(d) for d in documents]
            self.set(attrs.RETRIEVAL_DOCUMENTS, docs)
            self.set(attrs.RETRIEVAL_DOCUMENT_IDS, [d["id"] for d in docs] or None)
        except Exception:
            log.debug("could not record documents on %r", self._name, exc_info=True)
        return self

    def outcome(
        self,
        status: Literal["ok", "error", "timeout", "rejected"],
        result: Any = _MISSING,
    ) -> Span:
        """Record how a tool call ended, and optionally its result."""
        self.set(attrs.TOOL_OUTCOME, status)
        if result is not _MISSING:
            self._safe_set(attrs.TOOL_RESULT, result, capture=True)
        return self

    def verdict(self, verdict: str, reason: str | None = None) -> Span:
        """Record a guardrail's verdict (``pass``, ``fail``, ``block``, ``redact``...) and why."""
        return self.set({attrs.GUARDRAIL_VERDICT: verdict, attrs.GUARDRAIL_REASON: reason})

    def reasoning(self, text: str) -> Span:
        """Record why the agent took this step."""
        return self._safe_set(attrs.STEP_REASONING, text, capture=True)

    def _safe_set(self, key: str, value: Any, *, capture: bool, redact: bool | None = None) -> Span:
        try:
            value = _capture(value, redact) if capture else to_attribute(value)
            span = self._span
            if type(span) is RecordingSpan:
                span.put(key, value)
            else:
                span.set_attribute(key, value)
        except Exception:
            log.debug("could not set %s on %r", key, self._name, exc_info=True)
        return self


def _has(span: otel_trace.Span, key: str) -> bool:
    values = getattr(span, "attributes", None)
    return bool(values) and key in values  # type: ignore[operator]


def _document(doc: RetrievedDocument | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(doc, RetrievedDocument):
        raw: Mapping[str, Any] = {
            "id": doc.id,
            "version": doc.version,
            "content_hash": doc.content_hash,
            "score": doc.score,
            "source": doc.source,
        }
    else:
        raw = doc
    if "id" not in raw:
        raise ValueError("a retrieved document needs an 'id'")
    return {k: v for k, v in raw.items() if v is not None}


# --- constructors, one per kind the seed says must be traced -------------------------------


def span(name: str, *, kind: Kind = "step", attributes: Mapping[str, Any] | None = None) -> Span:
    """A span of any kind; use it with ``with`` or ``async with``."""
    return Span(name, kind=kind, attributes=attributes)


def llm_call(
    model: str,
    *,
    provider: str | None = None,
    operation: str = "chat",
    name: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """An LLM call (GenAI conventions); call ``.usage(...)`` and ``.output(...)`` on it."""
    return Span(
        name or f"{operation} {model}",
        kind="llm",
        attributes={
            attrs.GEN_AI_OPERATION: operation,
            attrs.GEN_AI_REQUEST_MODEL: model,
            attrs.GEN_AI_SYSTEM: provider,
            **(attributes or {}),
        },
    )


def tool_call(
    tool: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    attempt: int = 1,
    call_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """A tool call with its arguments and attempt number; call ``.outcome(...)`` on it."""
    return Span(
        f"execute_tool {tool}",
        kind="tool",
        attributes={
            attrs.GEN_AI_OPERATION: "execute_tool",
            attrs.GEN_AI_TOOL_NAME: tool,
            attrs.TOOL_ARGUMENTS: dict(arguments) if arguments is not None else None,
            attrs.TOOL_ATTEMPT: attempt,
            attrs.GEN_AI_TOOL_CALL_ID: call_id,
            **(attributes or {}),
        },
    )


def retrieval(
    query: str, *, name: str = "retrieve", attributes: Mapping[str, Any] | None = None
) -> Span:
    """A retrieval; call ``.documents(...)`` with what it returned."""
    return Span(
        name,
        kind="retriever",
        attributes={attrs.RETRIEVAL_QUERY: query, **(attributes or {})},
    )


def classification(
    name: str = "classify intent", *, attributes: Mapping[str, Any] | None = None
) -> Span:
    """An intent classification; call ``.intent(label, confidence)`` on it."""
    return Span(name, kind="classifier", attributes=attributes)


def guardrail(
    guard: str, *, stage: str | None = None, attributes: Mapping[str, Any] | None = None
) -> Span:
    """A guardrail check; call ``.verdict(...)`` on it."""
    return Span(
        f"guardrail {guard}",
        kind="guardrail",
        attributes={
            attrs.GUARDRAIL_NAME: guard,
            "prodready.guardrail.stage": stage,
            **(attributes or {}),
        },
    )


def escalation(
    reason: str,
    *,
    score: float | None = None,
    threshold: float | None = None,
    name: str = "escalate to human",
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """A hand-over to a human: why, and the score and threshold that decided it, if any."""
    return Span(
        name,
        kind="escalation",
        attributes={
            attrs.ESCALATION_REASON: reason,
            attrs.ESCALATION_SCORE: score,
            attrs.ESCALATION_THRESHOLD: threshold,
            **(attributes or {}),
        },
    )


def step(
    name: str, *, reasoning: str | None = None, attributes: Mapping[str, Any] | None = None
) -> Span:
    """A reasoning step: what the agent decided and why."""
    return Span(
        name,
        kind="step",
        attributes={attrs.STEP_REASONING: reasoning, **(attributes or {})},
    )


def current_span() -> Span:
    """The active span wrapped as a prodready :class:`Span` (a no-op one if none is active).

    Use it to annotate from code that did not open the span itself.
    """
    wrapped = Span("current")
    try:
        active = otel_trace.get_current_span()
        wrapped._span = active
        values = getattr(active, "attributes", None) or {}
        kind = values.get(attrs.KIND)
        if isinstance(kind, str):
            wrapped._kind = kind  # type: ignore[assignment]
        wrapped._name = getattr(active, "name", "current")
    except Exception:
        log.debug("no current span", exc_info=True)
    return wrapped
