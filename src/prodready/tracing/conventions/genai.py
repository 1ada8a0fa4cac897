"""OpenTelemetry GenAI semantic conventions (``gen_ai.*``) -> prodready kinds and attributes.

Spec: https://opentelemetry.io/docs/specs/semconv/gen-ai/. prodready stores the current names
already, so this translator mostly classifies spans and adds the current names next to the
deprecated ones older instrumentations still emit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from prodready.tracing import attributes as attrs
from prodready.tracing.conventions import _llm
from prodready.tracing.conventions._common import (
    as_int,
    as_json,
    document,
    document_ids,
    documents,
    put,
)

OPERATION_KINDS: Final[dict[str, str]] = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "invoke_workflow": "workflow",
    "retrieval": "retriever",
}
"""``gen_ai.operation.name`` value -> prodready span kind."""

LEGACY_SYSTEM: Final = "gen_ai.system"
"""Renamed ``gen_ai.provider.name`` in semantic conventions 1.37."""
LEGACY_INPUT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
LEGACY_OUTPUT_TOKENS: Final = "gen_ai.usage.completion_tokens"
RETRIEVAL_QUERY: Final = "gen_ai.retrieval.query.text"
RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
COST: Final = "gen_ai.usage.cost"
"""Not in the GenAI conventions: the cost in USD that Langfuse, OpenRouter and others read."""

# Names older instrumentations (OpenLLMetry before its semconv-ai 0.5, Langfuse's readers)
# use for what the GenAI conventions now name otherwise: old name -> current name.
_RENAMED: Final = {
    LEGACY_INPUT_TOKENS: attrs.GEN_AI_INPUT_TOKENS,
    LEGACY_OUTPUT_TOKENS: attrs.GEN_AI_OUTPUT_TOKENS,
    "gen_ai.usage.cache_read_input_tokens": attrs.GEN_AI_CACHE_READ_TOKENS,
    "gen_ai.usage.cache_creation_input_tokens": attrs.GEN_AI_CACHE_CREATION_TOKENS,
    "gen_ai.usage.reasoning_tokens": attrs.GEN_AI_REASONING_TOKENS,
}
_FINISH_REASON: Final = "gen_ai.response.finish_reason"
# Every older key normalize() reads: most spans have none, and skip them in one scan.
_OLDER: Final = frozenset({*_RENAMED, LEGACY_SYSTEM, _FINISH_REASON, COST})


def kind_of(attributes: Mapping[str, Any], name: str) -> str | None:
    """The prodready kind for a GenAI-convention span, or ``None`` if it is not one.

    Decided by ``gen_ai.operation.name``; without it, by the span name, which the
    conventions define as ``"{operation} {target}"`` (``"execute_tool get_weather"``), as long
    as the span has some ``gen_ai.*`` attribute; failing that, a requested model or a provider
    marks a model call.
    """
    operation = attributes.get(attrs.GEN_AI_OPERATION)
    if isinstance(operation, str) and operation in OPERATION_KINDS:
        return OPERATION_KINDS[operation]
    if operation is None:
        from_name = OPERATION_KINDS.get(name.split(" ", 1)[0])
        if from_name is not None and _has_genai(attributes):
            return from_name
    get = attributes.get
    if get(attrs.GEN_AI_REQUEST_MODEL) or get(attrs.GEN_AI_SYSTEM) or get(LEGACY_SYSTEM):
        return "llm"
    return None


def _has_genai(attributes: Mapping[str, Any]) -> bool:
    return any(key.startswith("gen_ai.") for key in attributes)


def normalize(attributes: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
    """Current GenAI and prodready attributes implied by a span's ``gen_ai.*`` attributes.

    Args:
        attributes: the span's attributes (not modified).
        kind: the span's prodready kind; retrievals also get ``prodready.retrieval.*``.

    Returns:
        Only the attributes to add; keys the span already has are never overwritten.
    """
    extra: dict[str, Any] = {}
    get = attributes.get
    # Membership tests first: this runs for every foreign span, most of them not GenAI.
    if not _OLDER.isdisjoint(attributes):
        if LEGACY_SYSTEM in attributes:
            put(extra, attributes, attrs.GEN_AI_SYSTEM, get(LEGACY_SYSTEM))
        for old, current in _RENAMED.items():
            if old in attributes:
                put(extra, attributes, current, as_int(get(old)))
        if _FINISH_REASON in attributes:
            _llm.finish_reasons(extra, attributes, get(_FINISH_REASON))
        if COST in attributes:
            _llm.cost(extra, attributes, total=get(COST))
    if kind == "retriever" or RETRIEVAL_DOCUMENTS in attributes:
        put(extra, attributes, attrs.RETRIEVAL_QUERY, get(RETRIEVAL_QUERY))
        found = _documents(get(RETRIEVAL_DOCUMENTS))
        if found:
            put(extra, attributes, attrs.RETRIEVAL_DOCUMENTS, found)
            put(extra, attributes, attrs.RETRIEVAL_DOCUMENT_IDS, document_ids(found))
    return extra


def _documents(value: Any) -> list[dict[str, Any]]:
    """``gen_ai.retrieval.documents``: a list of ``{"id", "score", ...}`` or its JSON text."""
    parsed = as_json(value)
    if not isinstance(parsed, list):
        return []
    return documents(
        document(d.get("id"), d.get("score"), d.get("metadata"), d)
        for d in parsed
        if isinstance(d, Mapping)
    )
