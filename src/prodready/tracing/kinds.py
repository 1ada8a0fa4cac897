"""Span kinds: a superset of OpenInference's and the GenAI conventions' operation kinds."""

from __future__ import annotations

from typing import Final, Literal, get_args

SpanKind = Literal[
    "agent",
    "llm",
    "tool",
    "retriever",
    "embedding",
    "reranker",
    "classifier",
    "guardrail",
    "evaluator",
    "workflow",
    "step",
    "compensation",
    "escalation",
    "message",
    "unknown",
]
"""What a span did. ``unknown`` is for foreign spans no convention could classify."""

SPAN_KINDS: Final[frozenset[str]] = frozenset(get_args(SpanKind))

KIND_BITS: Final[dict[str, int]] = {kind: 1 << i for i, kind in enumerate(get_args(SpanKind))}
"""One bit per kind, for ``traces.kind_mask``. Stored in databases: append new kinds to
``SpanKind``, never reorder it."""

DEFAULT_KIND: Final = "step"


def check_kind(kind: str) -> SpanKind:
    """Return ``kind`` if it is a prodready span kind, else raise ``ValueError``."""
    if kind not in SPAN_KINDS:
        choices = ", ".join(sorted(SPAN_KINDS))
        raise ValueError(f"unknown span kind {kind!r}; expected one of: {choices}")
    return kind  # type: ignore[return-value]
