"""What becomes a review task: a run's low scores, a calibration sample, candidate cases.

Each task's id is derived from what it is about (run, case, repeat and score name; or the
candidate's id), so queuing the same thing twice never makes a second task.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from prodready.evaluation import datasets
from prodready.evaluation._types import Case, CaseResult, DatasetVersion, Layer, Score
from prodready.evaluation.review._tasks import (
    CANDIDATE_DECISIONS,
    SCORE_DECISIONS,
    ReviewError,
    ReviewTask,
    list_tasks,
    new_task,
    put_tasks,
)
from prodready.evaluation.runs._models import EvalRun
from prodready.evaluation.runs._store import load_run, load_run_cases
from prodready.store import Store
from prodready.tasks import TaskClosed, TaskQueue
from prodready.vocabulary.canonical import canonical_json

CANDIDATE_SCORE = "candidate_case"
"""The score name a human label of a candidate case is stored under."""

DEFAULT_LAYERS: tuple[Layer, ...] = ("judge", "check", "behaviour")
CANDIDATE_DEFAULT_ACTIONS = (None, "reject")
"""A candidate joins a dataset only when a human confirms it, so expiry can only reject."""

Cases = Sequence[Case] | DatasetVersion


def queue_low_scores(
    store: Store,
    run: EvalRun | str,
    *,
    threshold: float | None = None,
    names: Sequence[str] | None = None,
    layers: Sequence[Layer] = DEFAULT_LAYERS,
    cases: Cases | None = None,
    due_in: timedelta | None = None,
    default_action: str | None = None,
) -> list[ReviewTask]:
    """Queue a ``score_review`` task for every failed or low score of a run.

    A score is queued when it failed (``passed is False``), could not score (``error``), or
    its value is below ``threshold``. Runs that errored are skipped: there is no output to
    review. Queuing the same run again adds only what is not queued yet.

    Args:
        store: where the run and the queue are.
        run: the run, or its id.
        threshold: also queue scores whose value is below this.
        names: only scores with these names (default: all).
        layers: only scores of these layers.
        cases: the run's cases, so the reviewer sees input and expected answer (default:
            the cases the run remembers, from a stored dataset or a file).
        due_in: how long a reviewer has before :func:`expire_overdue` expires the task.
        default_action: recorded on expiry (e.g. ``"keep"``: the automated score stands).

    Returns:
        The tasks newly queued.
    """
    run = load_run(store, run) if isinstance(run, str) else run
    known = _cases(store, run, cases)
    tasks = []
    for result in run.results:
        if result.error is not None:
            continue
        for score in result.scores:
            if score.layer not in layers or (names is not None and score.name not in names):
                continue
            why = _why_low(score, threshold)
            if why is not None:
                tasks.append(_score_task(run, result, score, known, why, "low_score",
                                         due_in, default_action))  # fmt: skip
    return put_tasks(store, tasks)


def queue_calibration_sample(
    store: Store,
    run: EvalRun | str,
    name: str,
    *,
    n: int,
    seed: int | str = 0,
    cases: Cases | None = None,
) -> list[ReviewTask]:
    """Queue a seeded random sample of ``n`` of a run's verdicts on ``name``, pass or fail.

    Calibrating a judge on low scores alone would only show humans the judge's failures;
    Cohen's kappa needs both kinds. A sampled score already queued as a low score is not
    queued again (its label counts for the sample all the same).

    Returns:
        The tasks newly queued.
    """
    if n < 0:
        raise ReviewError(f"n must be >= 0, got {n}")
    run = load_run(store, run) if isinstance(run, str) else run
    known = _cases(store, run, cases)
    pool = [
        (r, s)
        for r in run.results
        if r.error is None
        for s in r.scores
        if s.name == name and s.error is None and s.passed is not None
    ]
    pool.sort(key=lambda p: _rank(seed, p[0]))
    tasks = [_score_task(run, r, s, known, "calibration sample", "sample", None, None)
             for r, s in pool[:n]]  # fmt: skip
    return put_tasks(store, tasks)


def queue_candidates(
    store: Store,
    dataset: str | None = None,
    *,
    due_in: timedelta | None = None,
    default_action: str | None = None,
) -> list[ReviewTask]:
    """Queue a ``candidate_case`` task for every pending candidate case (of ``dataset``).

    Open tasks whose candidate was confirmed or rejected meanwhile (say with
    ``prodready datasets confirm``) are closed, recording who reviewed it.

    Args:
        store: where the candidates and the queue are.
        dataset: only candidates proposed for this dataset.
        due_in: how long a reviewer has.
        default_action: ``"reject"`` rejects the candidate on expiry; ``None`` leaves it
            pending. Confirming needs a human, so it cannot be a default.

    Returns:
        The tasks newly queued.
    """
    if default_action not in CANDIDATE_DEFAULT_ACTIONS:
        raise ReviewError(
            f"a candidate case can only be rejected on expiry, not {default_action!r}"
        )
    pending = datasets.list_candidates(store, dataset)
    _close_reviewed(store, {c.id for c in pending}, dataset)
    return put_tasks(store, [_candidate_task(c, due_in, default_action) for c in pending])


# --- building tasks --------------------------------------------------------------------------


def _why_low(score: Score, threshold: float | None) -> str | None:
    if score.error is not None:
        return f"could not score: {score.error}"
    if score.passed is False:
        return "failed" + (f" ({score.value:g})" if score.value is not None else "")
    if threshold is not None and score.value is not None and score.value < threshold:
        return f"{score.value:g} below {threshold:g}"
    return None


def _score_task(
    run: EvalRun,
    result: CaseResult,
    score: Score,
    known: dict[str, Case],
    why: str,
    origin: str,
    due_in: timedelta | None,
    default_action: str | None,
) -> ReviewTask:
    case = known.get(result.case_id)
    if case is not None and case.content_hash() != result.case_hash:
        case = None  # the case changed since the run: don't show another case's answer
    repeat = f" (repeat {result.repeat})" if result.repeat else ""
    payload: dict[str, Any] = {
        "origin": origin,
        "reason": why,
        "repeat": result.repeat,
        "release": run.release,
        "run_name": run.name,
        "input": case.input if case is not None else None,
        "expected": case.expected.model_dump(exclude_defaults=True) if case else None,
        "output": result.output,
        "score": {
            "value": _finite(score.value),
            "passed": score.passed,
            "rationale": score.rationale,
            "error": score.error,
            "layer": score.layer,
            "scorer": score.scorer,
            "version": score.version,
            "judge": judge_identity(score),
        },
    }
    key = canonical_json(["score_review", run.run_id, result.case_id, result.repeat, score.name])
    return new_task(
        kind="score_review",
        title=f"{score.name} of case {result.case_id}{repeat}: {why}",
        key=key,
        trace_id=result.trace_id,
        run_id=run.run_id,
        case_id=result.case_id,
        score_name=score.name,
        payload=payload,
        decisions=_decisions(SCORE_DECISIONS, default_action),
        due_in=due_in,
        default_action=default_action,
    )


def _decisions(names: tuple[str, ...], default_action: str | None) -> tuple[str, ...]:
    """A human's decisions, and the default action (say ``keep``: the score stands)."""
    if default_action is None or default_action in names:
        return names
    return (*names, default_action)


def _candidate_task(
    c: datasets.CandidateCase, due_in: timedelta | None, default_action: str | None
) -> ReviewTask:
    provenance = c.case.provenance
    return new_task(
        kind="candidate_case",
        title=f"confirm candidate {c.case.id} for {c.dataset}: {c.case.reason or 'no reason'}",
        key=canonical_json(["candidate_case", c.id]),
        trace_id=provenance[6:] if provenance.startswith("trace:") else None,
        case_id=c.case.id,
        score_name=CANDIDATE_SCORE,
        payload={
            "candidate_id": c.id,
            "dataset": c.dataset,
            "input": c.case.input,
            "expected": c.case.expected.model_dump(exclude_defaults=True),
            "suggested": c.suggested,
            "reason": c.case.reason,
            "proposed_by": c.created_by,
            "provenance": provenance,
        },
        decisions=CANDIDATE_DECISIONS,
        due_in=due_in,
        default_action=default_action,
    )


def _close_reviewed(store: Store, pending: set[str], dataset: str | None) -> None:
    queue = TaskQueue(store)
    for task in list_tasks(store, kind="candidate_case", limit=None):
        candidate_id = str(task.payload.get("candidate_id"))
        if candidate_id in pending or dataset not in (None, task.payload.get("dataset")):
            continue
        try:
            candidate = datasets.get_candidate(store, candidate_id)
        except datasets.CandidateNotFound:
            continue
        if candidate.status == "pending":
            continue
        resolution = {"action": candidate.status, "note": "reviewed outside the review queue"}
        decision = "confirm" if candidate.status == "confirmed" else "reject"
        # Decided elsewhere, so whoever holds the task's lease is overruled; closed
        # concurrently? Then there is nothing left to do.
        with contextlib.suppress(TaskClosed):
            queue.resolve(task.id, decision, by=candidate.reviewed_by or "unknown",
                          detail=resolution, override_lease=True)  # fmt: skip


def _cases(store: Store, run: EvalRun, cases: Cases | None) -> dict[str, Case]:
    if isinstance(cases, DatasetVersion):
        cases = cases.cases
    if cases is None:  # the cases the run remembers, whether from a dataset or a file
        cases = load_run_cases(store, run.run_id)
    return {c.id: c for c in cases or []}


def _rank(seed: int | str, result: CaseResult) -> str:
    return hashlib.sha256(f"{seed}\x00{result.case_id}\x00{result.repeat}".encode()).hexdigest()


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def judge_identity(score: Score) -> str | None:
    """The judge a score came from (model, rubric, parser), as calibrations record it."""
    judge = score.args.get("judge") or score.metadata.get("judge")
    if isinstance(judge, dict):
        judge = judge.get("id")
    return str(judge) if judge else None
