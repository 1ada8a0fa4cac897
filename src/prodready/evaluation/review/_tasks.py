"""Review tasks in the store: the generic queue that evaluation and escalations share.

A task is something a human must decide, with an optional due time and a default action
taken when nobody decides in time. Evaluation queues low scores and candidate cases here;
orchestration's escalations (human in the loop) queue their decisions here too.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Row, select

from prodready.evaluation._tables import review_tasks
from prodready.store import Store
from prodready.vocabulary.canonical import HASH_PREFIX, text_hash, to_json

TaskStatus = Literal["open", "done", "expired"]
TaskKind = Literal["score_review", "candidate_case", "escalation"]
TASK_KINDS: tuple[TaskKind, ...] = ("score_review", "candidate_case", "escalation")
TASK_STATUSES: tuple[TaskStatus, ...] = ("open", "done", "expired")

_MIN_PREFIX = 6
_CHUNK = 500  # ids per IN (...) list


class ReviewError(ValueError):
    """A review operation cannot be done as asked (no author, task not open, bad label)."""


class TaskNotFound(ReviewError, KeyError):
    """No review task with this id (or id prefix)."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""


class ReviewTask(BaseModel):
    """One decision a human owes: review a score, confirm a candidate case, or an escalation."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    """``score_review``, ``candidate_case``, ``escalation`` (:data:`TASK_KINDS`), or any
    other kind a caller defines."""
    status: TaskStatus = "open"
    title: str
    trace_id: str | None = None
    span_id: str | None = None
    run_id: str | None = None
    case_id: str | None = None
    score_name: str | None = None
    """The score under review (the name a human label is stored under)."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """What the reviewer needs to decide: input, output, the score, suggestions..."""
    created_at_ns: int
    due_at_ns: int | None = None
    """After this, :func:`expire_overdue` expires the task and takes ``default_action``."""
    default_action: str | None = None
    resolved_at_ns: int | None = None
    resolved_by: str | None = None
    resolution: dict[str, Any] | None = None
    """How the task ended: the label, or the default action taken on expiry."""

    def is_overdue(self, now_ns: int | None = None) -> bool:
        """Open, with a due time that has passed."""
        now = time.time_ns() if now_ns is None else now_ns
        return self.status == "open" and self.due_at_ns is not None and self.due_at_ns <= now


def task_id_for(key: str) -> str:
    """The task id a ``key`` maps to: queuing the same key twice finds the same task."""
    return text_hash(key)[len(HASH_PREFIX) :][:32]


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
    due_in: timedelta | None = None,
    default_action: str | None = None,
    now_ns: int | None = None,
) -> ReviewTask:
    """An open task, not yet stored (see :func:`create_task`)."""
    if not kind.strip() or not title.strip():
        raise ReviewError("a review task needs a kind and a title")
    now = time.time_ns() if now_ns is None else now_ns
    return ReviewTask(
        id=task_id_for(key) if key is not None else secrets.token_hex(16),
        kind=kind,
        title=title,
        trace_id=trace_id,
        span_id=span_id,
        run_id=run_id,
        case_id=case_id,
        score_name=score_name,
        payload=payload or {},
        created_at_ns=now,
        due_at_ns=now + int(due_in.total_seconds() * 1e9) if due_in is not None else None,
        default_action=default_action,
    )


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
        due_in: how long a human has; then :func:`expire_overdue` takes ``default_action``.
        default_action: what happens if nobody decides in time (recorded on expiry).
    """
    task = new_task(
        kind=kind, title=title, key=key, trace_id=trace_id, span_id=span_id, run_id=run_id,
        case_id=case_id, score_name=score_name, payload=payload, due_in=due_in,
        default_action=default_action,
    )  # fmt: skip
    put_tasks(store, [task])
    return get_task(store, task.id)


def put_tasks(store: Store, tasks: Sequence[ReviewTask]) -> list[ReviewTask]:
    """Store the tasks whose id is not stored yet; returns those (in order)."""
    if not tasks:
        return []
    ids = [t.id for t in tasks]
    with store.engine.begin() as conn:
        known: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = select(review_tasks.c.id).where(review_tasks.c.id.in_(ids[i : i + _CHUNK]))
            known.update(conn.execute(chunk).scalars())
        fresh = list({t.id: t for t in tasks if t.id not in known}.values())
        if fresh:
            _insert_ignoring_clashes(conn, store.dialect, [_row(t) for t in fresh])
    return fresh


def get_task(store: Store, task_id: str) -> ReviewTask:
    """A task by id, or by a unique prefix of its id (at least 6 characters).

    Raises:
        TaskNotFound: no task has that id or prefix.
        ReviewError: the prefix is too short or matches several tasks.
    """
    ref = task_id.strip().lower()
    with store.engine.connect() as conn:
        row = conn.execute(select(review_tasks).where(review_tasks.c.id == ref)).first()
        if row is not None:
            return _from_row(row)
        if len(ref) < _MIN_PREFIX or not ref.isalnum():
            raise TaskNotFound(f"no review task {task_id!r}")
        rows = conn.execute(
            select(review_tasks).where(review_tasks.c.id.like(ref + "%")).limit(2)
        ).all()
    if not rows:
        raise TaskNotFound(f"no review task {task_id!r}")
    if len(rows) > 1:
        raise ReviewError(f"{task_id!r} matches several review tasks: give more of the id")
    return _from_row(rows[0])


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
        status: only tasks with this status; ``None`` for all.
        kind: only tasks of this kind.
        run_id: only tasks about this eval run.
        limit: at most this many; ``None`` for all.
    """
    c = review_tasks.c
    stmt = select(review_tasks).order_by(c.created_at_ns, c.id)
    for column, value in ((c.status, status), (c.kind, kind), (c.run_id, run_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(stmt)]


def resolve_task(
    store: Store,
    task_id: str,
    *,
    by: str,
    resolution: dict[str, Any],
) -> ReviewTask:
    """Close an open task with a human's decision (what escalations use; scores use ``label``).

    Raises:
        TaskNotFound: no such task.
        ReviewError: no ``by``, or the task is not open any more.
    """
    by = require_person(by)
    task = get_task(store, task_id)
    with store.engine.begin() as conn:
        claim(conn, task, status="done", by=by, resolution=resolution, now_ns=time.time_ns())
    return get_task(store, task.id)


def require_person(by: str | None) -> str:
    """``by`` stripped; refuses an anonymous decision."""
    if by is None or not by.strip():
        raise ReviewError("a review decision needs the name of the person who made it")
    return by.strip()


def claim(
    conn: Connection,
    task: ReviewTask,
    *,
    status: TaskStatus,
    by: str | None,
    resolution: dict[str, Any],
    now_ns: int,
) -> None:
    """Close ``task`` if still open; the conditional update serialises concurrent reviewers.

    Raises:
        ReviewError: someone closed it first.
    """
    c = review_tasks.c
    closed = conn.execute(
        review_tasks.update()
        .where(c.id == task.id, c.status == "open")
        .values(status=status, resolved_at_ns=now_ns, resolved_by=by, resolution=_dumps(resolution))
    ).rowcount
    if closed != 1:
        row = conn.execute(select(review_tasks).where(c.id == task.id)).first()
        raise not_open(_from_row(row) if row is not None else task)


def not_open(task: ReviewTask) -> ReviewError:
    """The error for a task that was already closed."""
    by = f" by {task.resolved_by}" if task.resolved_by else ""
    return ReviewError(f"review task {task.id[:12]} is already {task.status}{by}")


def overdue_tasks(store: Store, now_ns: int) -> list[ReviewTask]:
    """Open tasks whose due time has passed, oldest due first."""
    c = review_tasks.c
    stmt = (
        select(review_tasks)
        .where(c.status == "open", c.due_at_ns.is_not(None), c.due_at_ns <= now_ns)
        .order_by(c.due_at_ns, c.id)
    )
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(stmt)]


def open_tasks_about(store: Store, kind: str, ids: Iterable[str]) -> list[ReviewTask]:
    """Open tasks of ``kind`` with these ids."""
    wanted = list(ids)
    if not wanted:
        return []
    c = review_tasks.c
    stmt = select(review_tasks).where(c.kind == kind, c.status == "open", c.id.in_(wanted))
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(stmt)]


# --- rows ------------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return to_json(value, sort_keys=True)


def _row(t: ReviewTask) -> dict[str, Any]:
    row = t.model_dump()
    row["payload"] = _dumps(t.payload)
    row["resolution"] = _dumps(t.resolution) if t.resolution is not None else None
    return row


def _from_row(row: Row[Any]) -> ReviewTask:
    data = dict(row._mapping)
    data["payload"] = orjson.loads(data["payload"]) if data["payload"] else {}
    data["resolution"] = orjson.loads(data["resolution"]) if data["resolution"] else None
    return ReviewTask.model_validate(data)


def _insert_ignoring_clashes(conn: Connection, dialect: str, rows: list[dict[str, Any]]) -> None:
    """Insert, skipping ids a concurrent writer stored since we looked."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(review_tasks).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(review_tasks).on_conflict_do_nothing(), rows)
