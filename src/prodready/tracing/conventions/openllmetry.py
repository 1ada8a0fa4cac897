"""OpenLLMetry (Traceloop) -> prodready kinds and attributes.

Source: ``opentelemetry-semantic-conventions-ai`` (``SpanAttributes``,
``TraceloopSpanKindValues``, ``LLMRequestTypeValues``) and the Traceloop SDK's decorators
(``@workflow``, ``@task``, ``@agent``, ``@tool``), https://github.com/traceloop/openllmetry.
Its instrumentations (0.5 of the semantic conventions on) write the GenAI names for model
calls, which :mod:`~prodready.tracing.conventions.genai` reads; this translator reads what is
OpenLLMetry's own: the Traceloop span kind and entity, the request type of older releases,
``llm.*`` usage keys and the association properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from prodready.tracing import attributes as attrs
from prodready.tracing.conventions import _llm
from prodready.tracing.conventions._common import put

SPAN_KIND: Final = "traceloop.span.kind"
REQUEST_TYPE: Final = "llm.request.type"
ENTITY_NAME: Final = "traceloop.entity.name"
ENTITY_INPUT: Final = "traceloop.entity.input"
ENTITY_OUTPUT: Final = "traceloop.entity.output"
_ASSOCIATION: Final = "traceloop.association.properties."

KINDS: Final[dict[str, str]] = {
    "workflow": "workflow",
    "task": "step",
    "agent": "agent",
    "tool": "tool",
}
"""``traceloop.span.kind`` value -> prodready kind (``unknown`` falls through to the
other conventions)."""

REQUEST_KINDS: Final[dict[str, tuple[str, str | None]]] = {
    "chat": ("llm", "chat"),
    "completion": ("llm", "text_completion"),
    "embedding": ("embedding", "embeddings"),
    "rerank": ("reranker", None),  # GenAI has no rerank operation
}
"""``llm.request.type`` value -> (prodready kind, ``gen_ai.operation.name``)."""

# Which GenAI name the entity's name is, by prodready kind.
_ENTITY_NAMES: Final = {
    "agent": attrs.GEN_AI_AGENT_NAME,
    "tool": attrs.GEN_AI_TOOL_NAME,
    "workflow": attrs.GEN_AI_WORKFLOW_NAME,
}


def applies(attributes: Mapping[str, Any]) -> bool:
    """Whether the span carries OpenLLMetry's own keys."""
    return SPAN_KIND in attributes or REQUEST_TYPE in attributes or ENTITY_NAME in attributes


def kind_of(attributes: Mapping[str, Any]) -> str | None:
    """The prodready kind for an OpenLLMetry span, or ``None`` if it does not say."""
    value = attributes.get(SPAN_KIND)
    if isinstance(value, str) and value in KINDS:
        return KINDS[value]
    request = attributes.get(REQUEST_TYPE)
    if isinstance(request, str) and request in REQUEST_KINDS:
        return REQUEST_KINDS[request][0]
    return None


def normalize(attributes: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """The prodready and GenAI attributes implied by an OpenLLMetry span's own keys.

    Returns:
        Only the attributes to add; keys the span already has are never overwritten.
    """
    extra: dict[str, Any] = {}
    get = attributes.get
    put(extra, attributes, attrs.INPUT, get(ENTITY_INPUT))
    put(extra, attributes, attrs.OUTPUT, get(ENTITY_OUTPUT))
    if kind in _ENTITY_NAMES:
        put(extra, attributes, _ENTITY_NAMES[kind], get(ENTITY_NAME))
    if kind == "tool":
        put(extra, attributes, attrs.TOOL_ARGUMENTS, get(ENTITY_INPUT))
        put(extra, attributes, attrs.TOOL_RESULT, get(ENTITY_OUTPUT))
    request = get(REQUEST_TYPE)
    if isinstance(request, str) and request in REQUEST_KINDS:
        put(extra, attributes, attrs.GEN_AI_OPERATION, REQUEST_KINDS[request][1])
    if "llm.usage.total_tokens" in attributes:
        _llm.tokens(extra, attributes, total=get("llm.usage.total_tokens"))
    if "llm.usage.reasoning_tokens" in attributes:
        _llm.tokens(extra, attributes, reasoning=get("llm.usage.reasoning_tokens"))
    if "llm.response.finish_reason" in attributes:
        _llm.finish_reasons(extra, attributes, get("llm.response.finish_reason"))
    put(extra, attributes, attrs.SESSION_ID, get(_ASSOCIATION + "session_id"))
    put(extra, attributes, attrs.USER_ID, get(_ASSOCIATION + "user_id"))
    return extra
