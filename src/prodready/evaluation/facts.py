"""Facts read off a run's span tree, shared by behaviour scorers and business metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from prodready.store import llm_totals as _store_llm_totals
from prodready.tracing import attributes as attrs

if TYPE_CHECKING:
    from prodready.store import Span, Trace

__all__ = ["ToolCall", "escalated", "llm_totals", "retrieved_documents", "tool_calls"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call in a trace, in start order."""

    name: str
    arguments: Any
    """Decoded JSON arguments (the raw string if it is not JSON; ``None`` if absent)."""
    attempt: int | None
    outcome: str | None
    span: Span


def tool_calls(trace: Trace) -> list[ToolCall]:
    """Every ``tool`` span of the trace, oldest first."""
    calls = []
    for span in trace.spans:
        if span.kind != "tool":
            continue
        a = span.attributes
        name = a.get(attrs.GEN_AI_TOOL_NAME) or span.name.removeprefix("execute_tool ")
        calls.append(
            ToolCall(
                name=str(name),
                arguments=_decode(a.get(attrs.TOOL_ARGUMENTS)),
                attempt=a.get(attrs.TOOL_ATTEMPT),
                outcome=a.get(attrs.TOOL_OUTCOME),
                span=span,
            )
        )
    return calls


def escalated(trace: Trace) -> bool:
    """Whether the run handed the case to a human: any ``escalation`` span."""
    return any(s.kind == "escalation" for s in trace.spans)


def llm_totals(trace: Trace) -> tuple[float, int, int]:
    """Summed cost (USD), input tokens and output tokens of the trace's model calls.

    A call recorded by two instrumentations (an ``llm`` span inside an ``llm`` span) counts
    once: the rule of :func:`prodready.store.llm_totals`.
    """
    totals = _store_llm_totals(trace.spans)
    return totals.cost_usd or 0.0, totals.input_tokens or 0, totals.output_tokens or 0


def retrieved_documents(trace: Trace) -> list[dict[str, Any]]:
    """Every document the trace's retrievers returned (``id``, ``version``, ``content_hash``…)."""
    docs: list[dict[str, Any]] = []
    for span in trace.spans:
        if span.kind == "retriever":
            value = _decode(span.attributes.get(attrs.RETRIEVAL_DOCUMENTS))
            if isinstance(value, list):
                docs.extend(d for d in value if isinstance(d, dict))
    return docs


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
