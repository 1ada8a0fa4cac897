"""Evaluation: success criteria first, three scorer layers, sound gates.

The shared vocabulary lives here; the parts have their own public modules:
``prodready.evaluation.datasets``, ``.criteria``, ``.stats``, ``.scorers``, ``.runner``.
"""

from typing import TYPE_CHECKING

from prodready._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
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
        InputKind,
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
    "InputKind",
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

_WHERE = {
    "BoundScorer": "prodready.evaluation._registry",
    "Case": "prodready.evaluation._types",
    "CaseResult": "prodready.evaluation._types",
    "CaseStatus": "prodready.evaluation._types",
    "DatasetVersion": "prodready.evaluation._types",
    "ENTRY_POINT_GROUP": "prodready.evaluation._registry",
    "Expected": "prodready.evaluation._types",
    "InputKind": "prodready.evaluation._types",
    "LAYERS": "prodready.evaluation._types",
    "Layer": "prodready.evaluation._types",
    "Score": "prodready.evaluation._types",
    "ScoreFn": "prodready.evaluation._registry",
    "Scorer": "prodready.evaluation._registry",
    "ScorerSpec": "prodready.evaluation._registry",
    "Split": "prodready.evaluation._types",
    "Verdict": "prodready.evaluation._registry",
    "content_hash": "prodready.evaluation._types",
    "rebuild_scorer": "prodready.evaluation._registry",
    "registered_scorers": "prodready.evaluation._registry",
    "scorer": "prodready.evaluation._registry",
}
__getattr__, __dir__ = _lazy_attributes(__name__, _WHERE, globals())
