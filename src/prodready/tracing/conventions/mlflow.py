"""MLflow Tracing -> prodready kinds and attributes.

Source: MLflow's ``SpanAttributeKey`` and ``TokenUsageKey`` (``mlflow/tracing/constant.py``)
and ``SpanType`` (``mlflow/entities/span.py``), https://github.com/mlflow/mlflow. MLflow
stores every attribute value JSON-encoded, so the span type arrives as ``"\\"LLM\\""`` and the
inputs and outputs as JSON text; values are decoded here and kept as the span sent them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from prodready.tracing import attributes as attrs
from prodready.tracing.conventions import _llm
from prodready.tracing.conventions._common import as_json, put

SPAN_TYPE: Final = "mlflow.spanType"
INPUTS: Final = "mlflow.spanInputs"
OUTPUTS: Final = "mlflow.spanOutputs"
TOKEN_USAGE: Final = "mlflow.chat.tokenUsage"
COST: Final = "mlflow.llm.cost"
MODEL: Final = "mlflow.llm.model"
PROVIDER: Final = "mlflow.llm.provider"

KINDS: Final[dict[str, str]] = {
    "LLM": "llm",
    "CHAT_MODEL": "llm",
    "EMBEDDING": "embedding",
    "TOOL": "tool",
    "RETRIEVER": "retriever",
    "RERANKER": "reranker",
    "AGENT": "agent",
    "CHAIN": "workflow",
    "WORKFLOW": "workflow",
    "TASK": "step",
    "PARSER": "step",
    "MEMORY": "step",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
    "UNKNOWN": "unknown",
}
"""MLflow ``SpanType`` -> prodready kind. Custom span types (MLflow allows any string) fall
through to the other conventions."""

_OPERATIONS: Final = {"CHAT_MODEL": "chat", "EMBEDDING": "embeddings"}


def applies(attributes: Mapping[str, Any]) -> bool:
    """Whether the span was made by MLflow Tracing (it has ``mlflow.spanType``)."""
    return SPAN_TYPE in attributes


def span_type(attributes: Mapping[str, Any]) -> str | None:
    """The span type, JSON-decoded (``"\\"LLM\\""`` -> ``"LLM"``), uppercase."""
    value = _text(attributes.get(SPAN_TYPE))
    return value.upper() if value is not None else None


def kind_of(attributes: Mapping[str, Any]) -> str | None:
    """The prodready kind for an MLflow span, or ``None`` for a custom span type."""
    value = span_type(attributes)
    return KINDS.get(value) if value is not None else None


def normalize(attributes: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """The prodready and GenAI attributes implied by an MLflow span's keys.

    Returns:
        Only the attributes to add; keys the span already has are never overwritten.
    """
    extra: dict[str, Any] = {}
    get = attributes.get
    put(extra, attributes, attrs.INPUT, get(INPUTS))
    put(extra, attributes, attrs.OUTPUT, get(OUTPUTS))
    if kind == "tool":
        put(extra, attributes, attrs.TOOL_ARGUMENTS, get(INPUTS))
        put(extra, attributes, attrs.TOOL_RESULT, get(OUTPUTS))
    if kind in _llm.CALL_KINDS:
        _call(attributes, extra)
    return extra


def _call(attributes: Mapping[str, Any], extra: dict[str, Any]) -> None:
    """Model, provider, parameters, tokens and cost of an LLM, CHAT_MODEL or EMBEDDING span.

    The model is ``mlflow.llm.model``, else the ``model`` of the request MLflow recorded as
    the span's inputs (autologging records the provider call's keyword arguments), whose
    OpenAI-style parameters are read too.
    """
    get = attributes.get
    request = _llm.request(get(INPUTS))
    put(extra, attributes, attrs.GEN_AI_REQUEST_MODEL, _text(get(MODEL)) or _llm.model_of(request))
    put(extra, attributes, attrs.GEN_AI_SYSTEM, _text(get(PROVIDER)))
    put(extra, attributes, attrs.GEN_AI_OPERATION, _OPERATIONS.get(span_type(attributes) or ""))
    _llm.parameters(extra, attributes, request)
    usage = as_json(get(TOKEN_USAGE))
    if isinstance(usage, Mapping):
        _llm.tokens(
            extra,
            attributes,
            input=usage.get("input_tokens"),
            output=usage.get("output_tokens"),
            cache_read=usage.get("cache_read_input_tokens"),
            cache_creation=usage.get("cache_creation_input_tokens"),
            total=usage.get("total_tokens"),
        )
    cost = as_json(get(COST))
    if isinstance(cost, Mapping):
        _llm.cost(
            extra,
            attributes,
            total=cost.get("total_cost"),
            input=cost.get("input_cost"),
            output=cost.get("output_cost"),
        )


def _text(value: Any) -> str | None:
    """A string attribute MLflow may have JSON-encoded (``"\\"gpt-4o\\""``), decoded."""
    if isinstance(value, str) and value[:1] == '"':
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            value = value.strip('"')
    return value if isinstance(value, str) and value else None
