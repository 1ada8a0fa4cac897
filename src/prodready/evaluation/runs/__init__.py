"""Stored evaluation runs: what ran, on which cases, with which outputs and scores.

>>> from prodready.evaluation.runs import list_runs, load_run
>>> run = load_run(store, list_runs(store, limit=1)[0].run_id)
>>> run.totals.errors, run.verdict

The runner (:mod:`prodready.evaluation.runner`) writes runs as their cases finish; this
package holds their models (``_models``), their repository (``_store``: runs, results,
scores and the output/score cache), the engine that runs cases (``_engine``) and the
progress display (``_progress``).
"""

from prodready.evaluation.runs._models import DatasetRef, EvalRun, RunStatus, RunSummary, RunTotals
from prodready.evaluation.runs._store import (
    TraceScore,
    find_run_id,
    list_runs,
    load_run,
    load_run_cases,
    record_gate,
    record_trace_scores,
    run_criteria,
    scores_of_trace,
    trace_scores,
)

__all__ = [
    "DatasetRef",
    "EvalRun",
    "RunStatus",
    "RunSummary",
    "RunTotals",
    "TraceScore",
    "find_run_id",
    "list_runs",
    "load_run",
    "load_run_cases",
    "record_gate",
    "record_trace_scores",
    "run_criteria",
    "scores_of_trace",
    "trace_scores",
]
