"""OpenInference (Arize Phoenix, its instrumentors) -> prodready kinds and attributes.

Spec: https://github.com/Arize-ai/openinference/blob/main/spec/semantic_conventions.md.
Every OpenInference span carries ``openinference.span.kind``; that key alone decides whether
this translator applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from prodready.tracing import attributes as attrs
from prodready.tracing.conventions import _llm
from prodready.tracing.conventions._common import document, document_ids, documents, put

SPAN_KIND: Final = "openinference.span.kind"

KINDS: Final[dict[str, str]] = {
    "LLM": "llm",
    "CHAIN": "workflow",
    "TOOL": "tool",
    "RETRIEVER": "retriever",
    "EMBEDDING": "embedding",
    "AGENT": "agent",
    "RERANKER": "reranker",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
    "PROMPT": "step",
    # A routing decision inside a chain: prodready has no narrower kind for it.
    "DECISION": "step",
    "UNKNOWN": "unknown",
}
"""``openinference.span.kind`` value -> prodready span kind."""

# The model that answered (OpenInference's instrumentors copy it from the response), one key
# per span kind; the model asked for is in the invocation parameters.
_MODEL_KEYS: Final = ("llm.model_name", "embedding.model_name", "reranker.model_name")
_PARAMETER_KEYS: Final = ("llm.invocation_parameters", "embedding.invocation_parameters")
# ``llm.provider`` is the hosting provider (azure, openai), closest to GenAI's provider.name;
# older instrumentors only set ``llm.system`` (the model family's vendor).
_PROVIDER_KEYS: Final = ("llm.provider", "llm.system")
_RETRIEVAL_DOCUMENTS: Final = "retrieval.documents"
_RERANKER_DOCUMENTS: Final = "reranker.output_documents"


def is_openinference(attributes: Mapping[str, Any]) -> bool:
    """Whether the span follows OpenInference (it has ``openinference.span.kind``)."""
    return SPAN_KIND in attributes


def kind_of(attributes: Mapping[str, Any]) -> str | None:
    """The prodready kind for an OpenInference span, or ``None`` if the value is unknown."""
    value = attributes.get(SPAN_KIND)
    return KINDS.get(value.upper()) if isinstance(value, str) else None


def normalize(attributes: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """The prodready and GenAI attributes implied by an OpenInference span's attributes.

    Args:
        attributes: the span's attributes (not modified).
        kind: the span's prodready kind, which selects the kind-specific mappings.

    Returns:
        Only the attributes to add; keys the span already has are never overwritten.
    """
    extra: dict[str, Any] = {}
    get = attributes.get
    put(extra, attributes, attrs.INPUT, get("input.value"))
    put(extra, attributes, attrs.OUTPUT, get("output.value"))
    put(extra, attributes, attrs.GEN_AI_SYSTEM, _first(attributes, _PROVIDER_KEYS))
    put(extra, attributes, attrs.GEN_AI_AGENT_NAME, get("agent.name"))
    if kind in _llm.CALL_KINDS or "llm.token_count.prompt" in attributes:
        _call(attributes, extra, kind)
    elif "reranker.model_name" in attributes:
        put(extra, attributes, attrs.GEN_AI_REQUEST_MODEL, get("reranker.model_name"))
    if kind == "tool":
        _tool(attributes, extra)
    elif kind == "retriever":
        _retrieval(attributes, extra, _RETRIEVAL_DOCUMENTS, query=get("input.value"))
    elif kind == "reranker":
        _retrieval(attributes, extra, _RERANKER_DOCUMENTS, query=get("reranker.query"))
    return extra


def _call(attributes: Mapping[str, Any], extra: dict[str, Any], kind: str | None) -> None:
    """Models, parameters, tokens, cost and finish reason of a model call.

    ``gen_ai.request.model`` is the model asked for: the invocation parameters' ``model``,
    else (a failed call records no parameters in some instrumentors) the ``model`` of the
    JSON request body in ``input.value``, and only when neither says, ``llm.model_name``.
    """
    get = attributes.get
    params = _llm.request(_first(attributes, _PARAMETER_KEYS))
    answered = _first(attributes, _MODEL_KEYS)
    requested = _llm.model_of(params)
    if requested is None and kind in _llm.CALL_KINDS:
        requested = _llm.model_of(_llm.request(get("input.value")))
    put(extra, attributes, attrs.GEN_AI_REQUEST_MODEL, requested or answered)
    put(extra, attributes, attrs.GEN_AI_RESPONSE_MODEL, answered)
    _llm.parameters(extra, attributes, params)
    if kind == "embedding":
        put(extra, attributes, attrs.GEN_AI_OPERATION, "embeddings")
    elif kind == "llm" and (_INPUT_MESSAGES in attributes or _INPUT_MESSAGES_0 in attributes):
        put(extra, attributes, attrs.GEN_AI_OPERATION, "chat")
    _llm.tokens(
        extra,
        attributes,
        input=get("llm.token_count.prompt"),
        output=get("llm.token_count.completion"),
        cache_read=get("llm.token_count.prompt_details.cache_read"),
        cache_creation=get("llm.token_count.prompt_details.cache_write"),
        reasoning=get("llm.token_count.completion_details.reasoning"),
        total=get("llm.token_count.total"),
    )
    _llm.cost(
        extra,
        attributes,
        total=get("llm.cost.total"),
        input=get("llm.cost.prompt"),
        output=get("llm.cost.completion"),
    )
    _llm.finish_reasons(extra, attributes, get("llm.finish_reason"))


_INPUT_MESSAGES: Final = "llm.input_messages"
_INPUT_MESSAGES_0: Final = "llm.input_messages.0.message.role"


def _first(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def _tool(attributes: Mapping[str, Any], extra: dict[str, Any]) -> None:
    """Tool identity, arguments and result.

    ``tool.parameters`` is the tool's parameter *schema*, the same on every call, so it is not
    the call's arguments: those are ``tool_call.function.arguments`` or, in most
    instrumentors, the span's ``input.value``.
    """
    get = attributes.get
    put(
        extra,
        attributes,
        attrs.GEN_AI_TOOL_NAME,
        get("tool.name") or get("tool_call.function.name"),
    )
    put(extra, attributes, attrs.GEN_AI_TOOL_CALL_ID, get("tool_call.id"))
    arguments = get("tool_call.function.arguments") or get("input.value")
    put(extra, attributes, attrs.TOOL_ARGUMENTS, arguments)
    put(extra, attributes, attrs.TOOL_RESULT, get("output.value"))


def _retrieval(
    attributes: Mapping[str, Any], extra: dict[str, Any], prefix: str, query: Any
) -> None:
    put(extra, attributes, attrs.RETRIEVAL_QUERY, query)
    found = _documents(attributes, prefix)
    if found:
        put(extra, attributes, attrs.RETRIEVAL_DOCUMENTS, found)
        put(extra, attributes, attrs.RETRIEVAL_DOCUMENT_IDS, document_ids(found))


def _documents(attributes: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Documents from flattened ``{prefix}.{i}.document.{field}`` keys, in index order.

    A structured list under ``prefix`` itself (possible over OTLP, whose attributes may nest)
    is accepted too.
    """
    nested = attributes.get(prefix)
    if isinstance(nested, list):
        return documents(
            document(d.get("document.id"), d.get("document.score"), d.get("document.metadata"))
            for d in nested
            if isinstance(d, Mapping)
        )
    head = prefix + "."
    fields: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(head):
            continue
        index, _, field = key[len(head) :].partition(".document.")
        if index.isascii() and index.isdigit() and field:
            fields.setdefault(int(index), {})[field] = value
    return documents(
        document(f.get("id"), f.get("score"), f.get("metadata")) for _, f in sorted(fields.items())
    )
