"""Tracing: an SDK on OpenTelemetry that records what an agent did, step by step.

>>> import prodready
>>> prodready.configure(release="support-agent@1.4.0")
>>> @prodready.trace(kind="agent")
... def answer(question: str) -> str:
...     with prodready.tracing.classification() as c:
...         c.intent("card_arrival", 0.93)
...     ...

Spans go to the store through a background writer that never blocks the agent; see
``docs/tracing.md`` for the API and ``docs/conventions.md`` for the attribute names.
"""

from prodready.tracing import attributes
from prodready.tracing._config import (
    Clock,
    TracingConfig,
    configure,
    context,
    current,
    flush,
    shutdown,
    stats,
    tracer,
)
from prodready.tracing._convert import Redactor, to_record
from prodready.tracing._decorator import trace
from prodready.tracing._processor import StoreSpanProcessor, TracingStats
from prodready.tracing._propagation import bind_context, continue_trace, inject
from prodready.tracing._span import (
    MAX_CAPTURE_CHARS,
    RetrievedDocument,
    Span,
    classification,
    current_span,
    guardrail,
    llm_call,
    retrieval,
    span,
    step,
    to_attribute,
    tool_call,
)
from prodready.tracing.kinds import SPAN_KINDS, SpanKind

__all__ = [
    "MAX_CAPTURE_CHARS",
    "SPAN_KINDS",
    "Clock",
    "Redactor",
    "RetrievedDocument",
    "Span",
    "SpanKind",
    "StoreSpanProcessor",
    "TracingConfig",
    "TracingStats",
    "attributes",
    "bind_context",
    "classification",
    "configure",
    "context",
    "continue_trace",
    "current",
    "current_span",
    "flush",
    "guardrail",
    "inject",
    "llm_call",
    "retrieval",
    "shutdown",
    "span",
    "stats",
    "step",
    "to_attribute",
    "to_record",
    "tool_call",
    "trace",
    "tracer",
]
