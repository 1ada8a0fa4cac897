"""Review tasks are human tasks (``prodready.tasks``): the review queue's names for them.

A review task is a :class:`~prodready.tasks.HumanTask` of kind ``score_review`` or
``candidate_case`` (or ``escalation``, or a kind of the caller's): evaluation queues low
scores and candidate cases in the store's human-task queue, orchestration's escalations
queue their decisions there too, and both are claimed, decided and expired the same way
(docs/tasks.md). This module keeps the review API's names and messages on top of
:class:`~prodready.tasks.TaskQueue`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Literal

from prodready.store import Store
from prodready.tasks import (
    PENDING,
    TASK_STATUSES,
    HumanTask,
    TaskError,
    TaskNotFound,
    TaskQueue,
    TaskStatus,
    task_id_for,
)
from prodready.vocabulary.canonical import to_json

TaskKind = Literal["score_review", "candidate_case", "escalation"]
TASK_KINDS: tuple[TaskKind, ...] = ("score_review", "candidate_case", "escalation")

ReviewTask = HumanTask
"""A review task is a human task (:class:`prodready.tasks.HumanTask`)."""
ReviewError = TaskError
"""A review operation cannot be done as asked (no author, task not pending, bad label):
:class:`prodready.tasks.TaskError`, so the queue's refusals are review errors too."""

SCORE_DECISIONS = ("pass", "fail")
"""What a human decides on a ``score_review`` task (what :func:`label` records)."""
CANDIDATE_DECISIONS = ("confirm", "reject")
"""What a human decides on a ``candidate_case`` task."""
RESOLVED = "resolved"
"""The decision :func:`resolve_task` records when the resolution names none."""

__all__ = [
    "CANDIDATE_DECISIONS",
    "SCORE_DECISIONS",
    "TASK_KINDS",
    "TASK_STATUSES",
    "ReviewError",
    "ReviewTask",
    "TaskKind",
    "TaskNotFound",
    "TaskStatus",
    "create_task",
    "get_task",
    "list_tasks",
    "new_task",
    "put_tasks",
    "require_person",
    "resolve_task",
    "task_id_for",
]


def new_task(
    *,
    kind: str,
    title: str,
    key: str | None = None,
    trace_id: str | None = None,
    span_id: str | None = None,
    run_id: str | None = None,
    case_id: str | None = None,
    score_name: str | None = None,
    payload: dict[str, Any] | None = None,
    decisions: Iterable[str] | None = None,
    due_in: timedelta | None = None,
    default_action: str | None = None,
    now_ns: int | None = None,
) -> ReviewTask:
    """An open task, not yet stored (see :func:`create_task`)."""
    return TaskQueue.new(
        kind=kind, title=title, key=key, trace_id=trace_id, span_id=span_id, run_id=run_id,
        case_id=case_id, score_name=score_name, payload=payload, decisions=decisions,
        due_in=due_in, default_action=default_action, now_ns=now_ns,
    )  # fmt: skip


def create_task(
    store: Store,
    *,
    kind: str,
    title: str,
    key: str | None = None,
    trace_id: str | None = None,
    span_id: str | None = None,
    run_id: str | None = None,
    case_id: str | None = None,
    score_name: str | None = None,
    payload: dict[str, Any] | None = None,
    decisions: Iterable[str] | None = None,
    due_in: timedelta | None = None,
    default_action: str | None = None,
) -> ReviewTask:
    """Queue a task for a human; with a ``key``, queuing it again returns the stored task.

    Args:
        store: where the queue is.
        kind: what sort of decision (:data:`TASK_KINDS`, or your own).
        title: one line a reviewer reads in the list.
        key: an idempotency key (e.g. ``escalation:<saga id>:<step>``): a task with the same
            key is created once, so a resumed caller never queues it twice.
        trace_id, span_id, run_id, case_id: what the task is about.
        score_name: the score a human label will be stored under.
        payload: what the reviewer needs (JSON-serialisable).
        decisions: the decisions a human may take (default: any).
        due_in: how long a human has; then :func:`expire_overdue` takes ``default_action``.
        default_action: what happens if nobody decides in time (recorded on expiry).
    """
    return TaskQueue(store).create(
        kind=kind, title=title, key=key, trace_id=trace_id, span_id=span_id, run_id=run_id,
        case_id=case_id, score_name=score_name, payload=payload, decisions=decisions,
        due_in=due_in, default_action=default_action,
    )  # fmt: skip


def put_tasks(store: Store, tasks: Sequence[ReviewTask]) -> list[ReviewTask]:
    """Store the tasks whose id is not stored yet; returns those (in order)."""
    return TaskQueue(store).put(tasks)


def get_task(store: Store, task_id: str) -> ReviewTask:
    """A task by id, or by a unique prefix of its id (at least 6 characters).

    Raises:
        TaskNotFound: no task has that id or prefix.
        ReviewError: the prefix matches several tasks.
    """
    try:
        return TaskQueue(store).get(task_id)
    except TaskNotFound:
        raise TaskNotFound(f"no review task {task_id!r}") from None


def list_tasks(
    store: Store,
    *,
    status: TaskStatus | None = "open",
    kind: str | None = None,
    run_id: str | None = None,
    limit: int | None = 100,
) -> list[ReviewTask]:
    """Tasks, oldest first (the order a queue is worked in).

    Args:
        store: where the queue is.
        status: only tasks with this status; ``open`` means not decided yet, so it includes
            the tasks someone has claimed; ``None`` for all.
        kind: only tasks of this kind.
        run_id: only tasks about this eval run.
        limit: at most this many; ``None`` for all.
    """
    wanted = PENDING if status == "open" else status
    return TaskQueue(store).list(status=wanted, kind=kind, run_id=run_id, limit=limit)


def resolve_task(
    store: Store,
    task_id: str,
    *,
    by: str,
    resolution: dict[str, Any],
    decision: str | None = None,
) -> ReviewTask:
    """Close a pending task with a human's decision (what escalations use; scores use ``label``).

    Args:
        decision: the decision (default: the resolution's ``decision`` or ``action``, else
            ``resolved``); it must be one of the task's ``decisions`` if it lists them.

    Raises:
        TaskNotFound: no such task.
        ReviewError: no ``by``; the task was decided or expired already; someone else holds
            it; the decision is not one the task allows.
    """
    by = require_person(by)
    task = get_task(store, task_id)
    if decision is None:
        named = resolution.get("decision") or resolution.get("action")
        decision = named if isinstance(named, str) and named.strip() else RESOLVED
    return TaskQueue(store).resolve(task.id, decision, by=by, detail=resolution)


def require_person(by: str | None) -> str:
    """``by`` stripped; refuses an anonymous decision."""
    if by is None or not by.strip():
        raise ReviewError("a review decision needs the name of the person who made it")
    return by.strip()


def _dumps(value: Any) -> str:
    """How a task's payload and resolution are stored (canonical JSON, keys sorted)."""
    return to_json(value, sort_keys=True)
