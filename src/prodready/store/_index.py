"""The span index: the conventions' attribute values, so filters on them skip span JSON.

An attribute filter on an arbitrary key reads every candidate span's attribute JSON (a
substring test, then a parse, on SQLite; a GIN containment probe on PostgreSQL), so its cost
grows with payload size: with 1-4 KB of messages per span, ~300 ms at 100k spans. Filters
people use day to day are on a few well-known keys (tool, model, intent, agent, ...). For
those, each span's value is written to ``span_index(key, value, trace_id, span_id)`` with the
span, and a filter becomes a B-tree lookup on ``(key, value, trace_id)``.

Only text values of at most :data:`MAX_INDEXED_CHARS` characters are indexed; a filter
whose value is not such a text, or whose key is not in :data:`INDEXED_KEYS`, takes the JSON
path. Both paths give the same traces (``tests/store/test_span_index.py``).
"""

from __future__ import annotations

from typing import Any, Final

from prodready.vocabulary import attributes as attrs

INDEXED_KEYS: Final[tuple[str, ...]] = (
    attrs.GEN_AI_TOOL_NAME,  # gen_ai.tool.name
    "tool.name",  # OpenInference
    attrs.GEN_AI_REQUEST_MODEL,  # gen_ai.request.model
    attrs.GEN_AI_RESPONSE_MODEL,  # gen_ai.response.model
    "llm.model_name",  # OpenInference
    attrs.GEN_AI_SYSTEM,  # gen_ai.provider.name
    attrs.GEN_AI_AGENT_NAME,  # gen_ai.agent.name
    attrs.GEN_AI_WORKFLOW_NAME,  # gen_ai.workflow.name
    attrs.INTENT_NAME,  # prodready.intent.name
    attrs.TOOL_OUTCOME,  # prodready.tool.outcome
    attrs.GUARDRAIL_NAME,  # prodready.guardrail.name
    attrs.GUARDRAIL_VERDICT,  # prodready.guardrail.verdict
    attrs.PROMPT_VERSION,  # prodready.prompt.version
    attrs.CASE_ID,  # prodready.case.id
    attrs.RUN_ID,  # prodready.eval.run_id
    "openinference.span.kind",
)
"""Attribute keys whose text values are indexed (docs/store.md lists them). Each indexed value
costs the writer a row in two B-trees, so keys that only repeat what a trace column or the
kind filter answers (session, user, operation name) are not here. Changing the list needs a
migration that fills the index for the added keys."""

MAX_INDEXED_CHARS: Final = 256
"""Longer values are not indexed (a filter for one takes the JSON path): identifiers are
short, and a B-tree entry must stay well under PostgreSQL's ~2.7 KB limit."""

_KEYS = frozenset(INDEXED_KEYS)


def index_rows(
    trace_id: str, span_id: str, attributes: dict[str, Any], clean: Any
) -> list[tuple[str, str, str, str]]:
    """The ``span_index`` rows of one span (``clean`` makes text storable: the store's
    NUL and lone-surrogate replacement, as its JSON encoding does)."""
    out = []
    for key in _KEYS.intersection(attributes):
        value = attributes[key]
        if type(value) is str and len(value) <= MAX_INDEXED_CHARS:
            out.append((key, clean(value), trace_id, span_id))
    return out


def indexed(key: str, value: Any) -> bool:
    """Whether a filter ``key == value`` can be answered by the index."""
    return key in _KEYS and type(value) is str and len(value) <= MAX_INDEXED_CHARS


def insert_sql(postgres: bool) -> str:
    """One ``span_index`` row, ignored if stored (a span written twice)."""
    if postgres:
        return (
            "INSERT INTO span_index (key, value, trace_id, span_id) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING"
        )
    return "INSERT OR IGNORE INTO span_index (key, value, trace_id, span_id) VALUES (?, ?, ?, ?)"
