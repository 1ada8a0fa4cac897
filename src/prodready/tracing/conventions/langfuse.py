"""Langfuse (its SDK v3 on OpenTelemetry) -> prodready kinds and attributes.

Source: the Langfuse Python SDK's ``LangfuseOtelSpanAttributes``
(``langfuse/_client/attributes.py``) and the Langfuse server's OTel ingestion
(``OtelIngestionProcessor``, which reads the same keys), https://github.com/langfuse.
Langfuse keeps usage and cost as JSON objects; its ``usage_details`` count cached and
reasoning tokens apart from ``input`` and ``output``, so they are added back here to give the
GenAI totals (which include them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from prodready.tracing import attributes as attrs
from prodready.tracing.conventions import _llm
from prodready.tracing.conventions._common import as_int, as_json, put

TYPE: Final = "langfuse.observation.type"
MODEL: Final = "langfuse.observation.model.name"
MODEL_PARAMETERS: Final = "langfuse.observation.model.parameters"
USAGE: Final = "langfuse.observation.usage_details"
COST: Final = "langfuse.observation.cost_details"
INPUT: Final = "langfuse.observation.input"
OUTPUT: Final = "langfuse.observation.output"

KINDS: Final[dict[str, str]] = {
    "generation": "llm",
    "embedding": "embedding",
    "agent": "agent",
    "tool": "tool",
    "chain": "workflow",
    "retriever": "retriever",
    "evaluator": "evaluator",
    "guardrail": "guardrail",
    "span": "step",
    "event": "step",
}
"""``langfuse.observation.type`` value (lowercase) -> prodready kind."""

# Trace-level keys Langfuse has its own names for -> prodready's. ``user.id`` and
# ``session.id`` are what the v3 SDK writes; the ``langfuse.*`` ones are older documented names.
_TRACE_KEYS: Final = {
    "langfuse.session.id": attrs.SESSION_ID,
    "langfuse.user.id": attrs.USER_ID,
    "langfuse.release": attrs.RELEASE,
    "langfuse.environment": attrs.ENVIRONMENT,
}
# usage_details keys for cached input (Langfuse's OpenAI, Anthropic and Bedrock spellings).
_CACHE_READ: Final = ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read")
_CACHE_CREATION: Final = ("input_cache_creation", "cache_creation_input_tokens")


def applies(attributes: Mapping[str, Any]) -> bool:
    """Whether the span carries Langfuse's observation keys."""
    return TYPE in attributes or MODEL in attributes or USAGE in attributes


def kind_of(attributes: Mapping[str, Any]) -> str | None:
    """The prodready kind for a Langfuse observation, or ``None`` if the type is unknown."""
    value = attributes.get(TYPE)
    return KINDS.get(value.lower()) if isinstance(value, str) else None


def normalize(attributes: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """The prodready and GenAI attributes implied by a Langfuse observation's keys.

    Returns:
        Only the attributes to add; keys the span already has are never overwritten.
    """
    extra: dict[str, Any] = {}
    get = attributes.get
    put(extra, attributes, attrs.INPUT, get(INPUT))
    put(extra, attributes, attrs.OUTPUT, get(OUTPUT))
    if kind == "tool":
        put(extra, attributes, attrs.TOOL_ARGUMENTS, get(INPUT))
        put(extra, attributes, attrs.TOOL_RESULT, get(OUTPUT))
    for key, name in _TRACE_KEYS.items():
        if key in attributes:
            put(extra, attributes, name, get(key))
    put(extra, attributes, attrs.GEN_AI_REQUEST_MODEL, get(MODEL))
    if MODEL_PARAMETERS in attributes:
        _llm.parameters(extra, attributes, _llm.request(get(MODEL_PARAMETERS)))
    if USAGE in attributes:
        _usage(extra, attributes, as_json(get(USAGE)))
    if COST in attributes:
        details = as_json(get(COST))
        if isinstance(details, Mapping):
            total = details.get("total")
            if total is None:  # Langfuse's own rule: the total is the sum of the parts
                parts = [v for v in details.values() if _is_usd(v)]
                total = sum(parts) if parts else None
            _llm.cost(
                extra,
                attributes,
                total=total,
                input=details.get("input"),
                output=details.get("output"),
            )
    return extra


def _usage(extra: dict[str, Any], attributes: Mapping[str, Any], details: Any) -> None:
    """Tokens from ``usage_details``: Langfuse's ``input``/``output`` exclude the cached and
    reasoning details, the GenAI counts include them. OpenAI-style keys are accepted too."""
    if not isinstance(details, Mapping):
        return
    counts = {str(k): n for k, v in details.items() if (n := as_int(v)) is not None}
    if "prompt_tokens" in counts or "completion_tokens" in counts:  # OpenAI's usage object
        _llm.tokens(
            extra,
            attributes,
            input=counts.get("prompt_tokens"),
            output=counts.get("completion_tokens"),
            total=counts.get("total_tokens"),
        )
        return
    inputs = [n for k, n in counts.items() if k.startswith("input") or k.startswith("cache_")]
    outputs = [n for k, n in counts.items() if k.startswith("output")]
    _llm.tokens(
        extra,
        attributes,
        input=sum(inputs) if inputs else None,
        output=sum(outputs) if outputs else None,
        cache_read=_first(counts, _CACHE_READ),
        cache_creation=_first(counts, _CACHE_CREATION),
        reasoning=counts.get("output_reasoning_tokens"),
        total=counts.get("total"),
    )


def _first(counts: Mapping[str, int], keys: tuple[str, ...]) -> int | None:
    return next((counts[k] for k in keys if k in counts), None)


def _is_usd(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
