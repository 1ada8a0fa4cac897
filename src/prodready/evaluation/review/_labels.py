"""Human decisions on review tasks: labels stored as ``human`` scores, and expiry.

A label never rewrites the automated score it reviews: both stay in the ``scores`` table
(the judge's verdict and the human's), which is what judge calibration compares.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Row, select

from prodready.evaluation import datasets
from prodready.evaluation._tables import score_from_row, scores
from prodready.evaluation._types import Expected, Score
from prodready.evaluation.calibration import Calibration, calibrate, save_calibration
from prodready.evaluation.review._queue import judge_identity
from prodready.evaluation.review._tasks import (
    ReviewError,
    ReviewTask,
    get_task,
    require_person,
)
from prodready.evaluation.runs._store import HUMAN_LAYER, insert_score
from prodready.store import Store
from prodready.tasks import HumanTask, TaskQueue

HUMAN_SCORER = "human"
HUMAN_VERSION = "1"
EXPIRY = "expiry"
"""Who a default action taken on expiry is recorded as."""


def label(
    store: Store,
    task_id: str,
    *,
    passed: bool,
    value: float | None = None,
    rationale: str | None = None,
    author: str,
    expected: Mapping[str, Any] | Expected | None = None,
) -> Score:
    """A human's verdict on a task, stored as a score of layer ``human``; the task is done.

    The score has the reviewed score's name and the task's trace, run, case and repeat, so
    it pairs with the automated score (:func:`judge_agreement`). For a ``candidate_case``
    task, a passing label confirms the candidate (with ``expected`` as its expected answer)
    and a failing one rejects it (with ``rationale`` as the note). The task is resolved
    with the decision ``pass``/``fail`` (``confirm``/``reject`` for a candidate), in the
    transaction that stores the score: both happen, or neither.

    Args:
        store: where the task is.
        task_id: the task's id, or a unique prefix of it.
        passed: the human's verdict.
        value: the human's score (default 1.0 if passed, else 0.0).
        rationale: why.
        author: who labels (required: a label is never anonymous).
        expected: for a candidate case, its confirmed expected answer (``Expected`` fields).

    Raises:
        TaskNotFound: no such task.
        ReviewError: no author; the task was decided or expired already, or someone else
            holds it; a bad value or expected answer; the candidate cannot be confirmed or
            rejected (the message says why).
    """
    author = require_person(author)
    task = get_task(store, task_id)
    queue = TaskQueue(store)
    candidate = task.kind == "candidate_case"
    decision = ("confirm" if passed else "reject") if candidate else ("pass" if passed else "fail")
    queue.check(task, decision, by=author)
    if value is not None and not math.isfinite(value):
        raise ReviewError(f"a label's value must be a finite number, got {value}")
    outcome = _decide_candidate(store, task, passed, author, rationale, expected)
    now = time.time_ns()
    score = Score(
        name=task.score_name or task.kind,
        value=value if value is not None else float(passed),
        passed=passed,
        rationale=rationale,
        layer=HUMAN_LAYER,
        scorer=HUMAN_SCORER,
        version=HUMAN_VERSION,
        author=author,
        metadata={
            "task_id": task.id,
            "kind": task.kind,
            "origin": task.payload.get("origin"),
            "run_id": task.run_id,
            "case_id": task.case_id,
            "repeat": task.payload.get("repeat"),
            "trace_id": task.trace_id,
            "reviewed": task.payload.get("score"),
            **outcome,
        },
    )
    resolution = {"passed": passed, "value": score.value, "rationale": rationale, **outcome}

    def store_label(conn: Connection, _resolved: HumanTask) -> None:
        repeat = task.payload.get("repeat")
        insert_score(conn, score, run_id=task.run_id, case_id=task.case_id,
                     repeat=repeat if isinstance(repeat, int) else None,
                     trace_id=task.trace_id, span_id=task.span_id, created_at_ns=now)  # fmt: skip

    queue.resolve(task.id, decision, by=author, detail=resolution, now_ns=now,
                  in_transaction=store_label)  # fmt: skip
    return score


def human_labels(
    store: Store, name: str | None = None, *, run_id: str | None = None
) -> list[Score]:
    """Human labels, oldest first: of score ``name`` and of run ``run_id`` (default: all).

    Labels are their own layer: a run's results hold only the scores the run produced, so
    this is where its labels are read. Each label's ``metadata`` names its ``run_id``,
    ``case_id`` and ``repeat`` (and the ``reviewed`` score).
    """
    return [score for _, score in _scores(store, name, HUMAN_LAYER, run_id=run_id)]


def judge_agreement(
    store: Store,
    name: str,
    *,
    judge: str | None = None,
    sample_only: bool = False,
    save: bool = False,
) -> Calibration:
    """How well the judge behind score ``name`` agrees with the human labels of its scores.

    Each human label pairs with the judge score of the same run, case and repeat, else of
    the same trace. Only one judge identity is compared at a time (a new rubric or model is
    a new judge): ``judge``, or by default the identity of the newest judge score.

    Args:
        store: where scores and labels are.
        name: the score name (``correctness``...).
        judge: the judge identity to calibrate.
        sample_only: only labels of calibration-sample tasks (unbiased: low-score tasks
            show humans mostly the judge's failures).
        save: store the result (:func:`~prodready.evaluation.calibration.save_calibration`),
            so a gate reads it: the judge may gate once its kappa reaches the floor.

    Raises:
        ValueError: no judge score of ``name``, or no pair with a verdict on both sides.
    """
    judged = _scores(store, name, "judge")
    if judge is None and judged:
        judge = judge_identity(judged[-1][1])
    judged = [(key, s) for key, s in judged if judge is None or judge_identity(s) == judge]
    if not judged:
        raise ValueError(f"no judge score named {name!r}" + (f" from {judge}" if judge else ""))
    by_run = {run: s for (run, _), s in judged if run is not None}
    by_trace = {trace: s for (_, trace), s in judged if trace is not None}
    pairs_j: dict[str, Score] = {}
    pairs_h: dict[str, Score] = {}
    for (run, trace), human in _scores(store, name, HUMAN_LAYER):
        if sample_only and human.metadata.get("origin") != "sample":
            continue
        match = (by_run.get(run) if run else None) or (by_trace.get(trace) if trace else None)
        if match is not None:
            key = str(human.metadata.get("task_id") or len(pairs_h))
            pairs_j[key], pairs_h[key] = match, human
    if not pairs_h:
        raise ValueError(f"no human label of {name!r} pairs with a score of judge {judge}")
    result = calibrate(pairs_j, pairs_h, name=name)
    return save_calibration(store, name, result) if save else result


def expire_overdue(store: Store, now_ns: int | None = None) -> list[ReviewTask]:
    """Expire pending tasks past their due time, taking each one's default action.

    The action becomes the task's decision, taken by ``system``, and is recorded in its
    resolution (:meth:`prodready.tasks.TaskQueue.expire_overdue`: each task expires once,
    however many expirers run). For a ``candidate_case`` task whose default action is
    ``reject`` the candidate is then rejected, and the resolution says whether it could
    be; any other action is for the task's owner to carry out (an escalation reads it
    from the expired task).

    Returns:
        The tasks expired now.
    """
    queue = TaskQueue(store)
    expired = []
    for task in queue.expire_overdue(now_ns):
        if task.kind == "candidate_case" and task.default_action == "reject":
            due = str((task.resolution or {}).get("due"))
            expired.append(queue.annotate(task.id, _reject_on_expiry(store, task, due)))
        else:
            expired.append(task)
    return expired


# --- helpers ---------------------------------------------------------------------------------


def _decide_candidate(
    store: Store,
    task: ReviewTask,
    passed: bool,
    author: str,
    rationale: str | None,
    expected: Mapping[str, Any] | Expected | None,
) -> dict[str, Any]:
    """Confirm or reject the task's candidate; what to record about it."""
    if task.kind != "candidate_case":
        if expected is not None:
            raise ReviewError("an expected answer only applies to a candidate_case task")
        return {}
    candidate_id = str(task.payload.get("candidate_id"))
    try:
        if not passed:
            datasets.reject_candidate(store, candidate_id, reviewer=author, note=rationale)
            return {"candidate_id": candidate_id, "action": "rejected"}
        answer = _expected(expected)
        version = datasets.confirm_candidate(store, candidate_id, reviewer=author, expected=answer)
    except datasets.DatasetError as exc:
        raise ReviewError(str(exc)) from exc
    return {
        "candidate_id": candidate_id,
        "action": "confirmed",
        "dataset": version.name,
        "dataset_version": version.version,
    }


def _expected(expected: Mapping[str, Any] | Expected | None) -> Expected | None:
    if expected is None or isinstance(expected, Expected):
        return expected
    try:
        return Expected.model_validate(dict(expected))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'expected'}: {e['msg']}" for e in exc.errors()
        )
        raise ReviewError(f"bad expected answer: {problems}") from exc


def _reject_on_expiry(store: Store, task: ReviewTask, due: str) -> dict[str, Any]:
    candidate_id = str(task.payload.get("candidate_id"))
    note = f"no reviewer decided by {due}: rejected by the task's default action"
    try:
        datasets.reject_candidate(store, candidate_id, reviewer=EXPIRY, note=note)
    except datasets.DatasetError as exc:
        return {"applied": False, "note": str(exc)}
    return {"applied": True, "candidate_id": candidate_id}


Key = tuple[tuple[str, str, int | None] | None, str | None]
"""A stored score's (run id, case id, repeat) — when from a run — and trace id."""


def _scores(
    store: Store, name: str | None, layer: str, *, run_id: str | None = None
) -> list[tuple[Key, Score]]:
    c = scores.c
    stmt = select(scores).where(c.layer == layer).order_by(c.created_at_ns, c.id)
    if name is not None:
        stmt = stmt.where(c.name == name)
    if run_id is not None:
        stmt = stmt.where(c.run_id == run_id)
    with store.db.connect() as conn:
        return [(_key(row), score_from_row(row)) for row in conn.execute(stmt)]


def _key(row: Row[Any]) -> Key:
    run = (row.run_id, row.case_id, row.repeat) if row.run_id and row.case_id else None
    return run, row.trace_id
