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

from typing import TYPE_CHECKING

from prodready._lazy import lazy_attributes as _lazy_attributes
from prodready.tracing import attributes

if TYPE_CHECKING:
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
    from prodready.tracing._convert import (
        Redactor,
        to_record,
    )
    from prodready.tracing._decorator import (
        trace,
    )
    from prodready.tracing._processor import (
        StoreSpanProcessor,
        TracingStats,
    )
    from prodready.tracing._propagation import (
        bind_context,
        continue_trace,
        inject,
    )
    from prodready.tracing._span import (
        MAX_CAPTURE_CHARS,
        RetrievedDocument,
        Span,
        classification,
        current_span,
        escalation,
        guardrail,
        llm_call,
        retrieval,
        span,
        step,
        to_attribute,
        tool_call,
    )
    from prodready.tracing.kinds import (
        SPAN_KINDS,
        SpanKind,
    )
    from prodready.tracing.llm import (
        LLMCall,
        LLMUsage,
        Message,
        read_llm_call,
    )

__all__ = [
    "MAX_CAPTURE_CHARS",
    "SPAN_KINDS",
    "Clock",
    "LLMCall",
    "LLMUsage",
    "Message",
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
    "escalation",
    "flush",
    "guardrail",
    "inject",
    "llm_call",
    "read_llm_call",
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

_WHERE = {
    "Clock": "prodready.tracing._config",
    "LLMCall": "prodready.tracing.llm",
    "LLMUsage": "prodready.tracing.llm",
    "Message": "prodready.tracing.llm",
    "MAX_CAPTURE_CHARS": "prodready.tracing._span",
    "Redactor": "prodready.tracing._convert",
    "RetrievedDocument": "prodready.tracing._span",
    "SPAN_KINDS": "prodready.tracing.kinds",
    "Span": "prodready.tracing._span",
    "SpanKind": "prodready.tracing.kinds",
    "StoreSpanProcessor": "prodready.tracing._processor",
    "TracingConfig": "prodready.tracing._config",
    "TracingStats": "prodready.tracing._processor",
    "bind_context": "prodready.tracing._propagation",
    "classification": "prodready.tracing._span",
    "configure": "prodready.tracing._config",
    "context": "prodready.tracing._config",
    "continue_trace": "prodready.tracing._propagation",
    "current": "prodready.tracing._config",
    "current_span": "prodready.tracing._span",
    "escalation": "prodready.tracing._span",
    "flush": "prodready.tracing._config",
    "guardrail": "prodready.tracing._span",
    "inject": "prodready.tracing._propagation",
    "llm_call": "prodready.tracing._span",
    "read_llm_call": "prodready.tracing.llm",
    "retrieval": "prodready.tracing._span",
    "shutdown": "prodready.tracing._config",
    "span": "prodready.tracing._span",
    "stats": "prodready.tracing._config",
    "step": "prodready.tracing._span",
    "to_attribute": "prodready.tracing._span",
    "to_record": "prodready.tracing._convert",
    "tool_call": "prodready.tracing._span",
    "trace": "prodready.tracing._decorator",
    "tracer": "prodready.tracing._config",
}
__getattr__, __dir__ = _lazy_attributes(__name__, _WHERE, globals())
