"""Span kinds: a superset of OpenInference's and the GenAI conventions' operation kinds.

In the bottom layer because the store keeps one bit per kind (``KIND_BITS``) in
``traces.kind_mask`` and must not import tracing to do so; ``prodready.tracing.kinds``
re-exports this module for the code and docs that use that path.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["DEFAULT_KIND", "KIND_BITS", "SPAN_KINDS", "SpanKind", "check_kind"]

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
