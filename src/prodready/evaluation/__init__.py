"""Evaluation: success criteria first, three scorer layers, sound gates.

The shared vocabulary lives here; the parts have their own public modules:
``prodready.evaluation.datasets``, ``.criteria``, ``.stats``, ``.scorers``, ``.runner``.
"""

from prodready.evaluation._registry import (
    ENTRY_POINT_GROUP,
    BoundScorer,
    ScoreFn,
    Scorer,
    ScorerSpec,
    Verdict,
    rebuild_scorer,
    registered_scorers,
    scorer,
)
from prodready.evaluation._types import (
    LAYERS,
    Case,
    CaseResult,
    CaseStatus,
    DatasetVersion,
    Expected,
    Layer,
    Score,
    Split,
    content_hash,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "LAYERS",
    "BoundScorer",
    "Case",
    "CaseResult",
    "CaseStatus",
    "DatasetVersion",
    "Expected",
    "Layer",
    "Score",
    "ScoreFn",
    "Scorer",
    "ScorerSpec",
    "Split",
    "Verdict",
    "content_hash",
    "rebuild_scorer",
    "registered_scorers",
    "scorer",
]
