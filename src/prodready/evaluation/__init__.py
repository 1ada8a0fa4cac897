"""Evaluation: success criteria first, three scorer layers, sound gates.

One call evaluates an agent and gates it on a criteria file::

    from prodready.evaluation import evaluate_sync
    from prodready.evaluation.scorers import required_facts

    result = evaluate_sync(agent, "cases.jsonl", [required_facts()], criteria="criteria.yaml")
    print(result)                      # the gate: estimate, interval, target, verdict
    raise SystemExit(result.exit_code)

The shared vocabulary lives here too (cases, scores, the scorer registry, suites, criteria,
the gate and its report); the parts have their own public modules:
``prodready.evaluation.datasets``, ``.criteria``, ``.gate``, ``.stats``, ``.scorers``,
``.runner``, ``.suite``, ``.reports``.
"""

from typing import TYPE_CHECKING

from prodready._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from prodready.evaluation._evaluate import Evaluation, evaluate, evaluate_sync
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
    from prodready.evaluation.criteria import Criteria, load_criteria
    from prodready.evaluation.gate import GateReport, MetricResult, evaluate_gate
    from prodready.evaluation.runs._models import EvalRun
    from prodready.evaluation.suite import Suite

__all__ = [
    "ENTRY_POINT_GROUP",
    "LAYERS",
    "BoundScorer",
    "Case",
    "CaseResult",
    "CaseStatus",
    "Criteria",
    "DatasetVersion",
    "EvalRun",
    "Evaluation",
    "Expected",
    "GateReport",
    "InputKind",
    "Layer",
    "MetricResult",
    "Score",
    "ScoreFn",
    "Scorer",
    "ScorerSpec",
    "Split",
    "Suite",
    "Verdict",
    "content_hash",
    "evaluate",
    "evaluate_gate",
    "evaluate_sync",
    "load_criteria",
    "rebuild_scorer",
    "registered_scorers",
    "scorer",
]

_WHERE = {
    "BoundScorer": "prodready.evaluation._registry",
    "Case": "prodready.evaluation._types",
    "CaseResult": "prodready.evaluation._types",
    "CaseStatus": "prodready.evaluation._types",
    "Criteria": "prodready.evaluation.criteria",
    "DatasetVersion": "prodready.evaluation._types",
    "ENTRY_POINT_GROUP": "prodready.evaluation._registry",
    "EvalRun": "prodready.evaluation.runs._models",
    "Evaluation": "prodready.evaluation._evaluate",
    "Expected": "prodready.evaluation._types",
    "GateReport": "prodready.evaluation.gate",
    "InputKind": "prodready.evaluation._types",
    "LAYERS": "prodready.evaluation._types",
    "Layer": "prodready.evaluation._types",
    "MetricResult": "prodready.evaluation.gate",
    "Score": "prodready.evaluation._types",
    "ScoreFn": "prodready.evaluation._registry",
    "Scorer": "prodready.evaluation._registry",
    "ScorerSpec": "prodready.evaluation._registry",
    "Split": "prodready.evaluation._types",
    "Suite": "prodready.evaluation.suite",
    "Verdict": "prodready.evaluation._registry",
    "content_hash": "prodready.evaluation._types",
    "evaluate": "prodready.evaluation._evaluate",
    "evaluate_gate": "prodready.evaluation.gate",
    "evaluate_sync": "prodready.evaluation._evaluate",
    "load_criteria": "prodready.evaluation.criteria",
    "rebuild_scorer": "prodready.evaluation._registry",
    "registered_scorers": "prodready.evaluation._registry",
    "scorer": "prodready.evaluation._registry",
}
__getattr__, __dir__ = _lazy_attributes(__name__, _WHERE, globals())
