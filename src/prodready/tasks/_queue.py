"""The human-task repository: create, claim with a lease, resolve once, expire on deadline.

Every state change is one conditional ``UPDATE ... WHERE <the state it expects>`` whose row
count says whether it happened, so two workers, two reviewers or two expirers racing on
the same task never both win, on SQLite and PostgreSQL alike, with no lock in Python.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Row, and_, false, or_, select

from prodready.store import Store
from prodready.tasks._models import (
    CLOSED,
    PENDING,
    SYSTEM,
    TASK_STATUSES,
    HumanTask,
    TaskClaimed,
    TaskClosed,
    TaskError,
    TaskNotFound,
    TaskStatus,
    UnknownDecision,
)
from prodready.tasks._tables import human_tasks
from prodready.vocabulary.canonical import HASH_PREFIX, text_hash, to_json

DEFAULT_LEASE = timedelta(minutes=15)
"""How long a claim holds a task unless the claimer says otherwise."""
MIN_PREFIX = 6
"""The shortest id prefix :meth:`TaskQueue.get` looks a task up by."""
_CHUNK = 500  # ids per IN (...) list
_CLAIM_BATCH = 8  # candidates tried per round by claim_next

Lease = timedelta | float
"""A lease duration: a ``timedelta`` or seconds."""
InTransaction = Callable[[Connection, HumanTask], None]
"""Work done in the transaction that resolves a task (it commits or rolls back with it)."""

_c = human_tasks.c
Tasks = list[HumanTask]
"""A list of tasks (``TaskQueue.list`` shadows the builtin in the class body)."""


def task_id_for(key: str) -> str:
    """The task id a ``key`` maps to: creating a task with the same key finds the same task."""
    return text_hash(key)[len(HASH_PREFIX) :][:32]


class TaskQueue:
    """The human tasks of a store: what review queues and escalations await.

    >>> queue = TaskQueue(store)
    >>> task = queue.create(kind="escalation", title="refund over 500 EUR?",
    ...                     key="escalation:run-7:refund", decisions=["approve", "deny"],
    ...                     due_in=timedelta(hours=4), default_action="deny")
    >>> mine = queue.claim_next("ana", kind="escalation", lease=timedelta(minutes=10))
    >>> queue.resolve(mine.id, "approve", by="ana", detail={"note": "known customer"})
    >>> queue.expire_overdue()          # a scheduler: past deadlines take their default action

    Args:
        store: the store whose database holds the tasks (``human_tasks``).
    """

    def __init__(self, store: Store):
        self.db = store.db

    def __repr__(self) -> str:
        return f"TaskQueue({self.db.display_url!r})"

    # --- create ------------------------------------------------------------------------------

    @staticmethod
    def new(
        *,
        kind: str,
        title: str,
        key: str | None = None,
        reason: str | None = None,
        score: float | None = None,
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
    ) -> HumanTask:
        """An open task, not stored yet (:meth:`create` stores one, :meth:`put` many).

        Raises:
            TaskError: no kind or title; an empty or repeated decision; a default action
                that is not one of the ``decisions``; a negative ``due_in`` (0: due at once).
        """
        if not kind.strip() or not title.strip():
            raise TaskError("a task needs a kind and a title")
        allowed = _decisions(decisions)
        if default_action is not None and not default_action.strip():
            raise TaskError("a task's default action cannot be empty (None: no action)")
        if allowed is not None and default_action is not None and default_action not in allowed:
            raise TaskError(
                f"the default action {default_action!r} is not one of the task's decisions "
                f"{list(allowed)}"
            )
        if due_in is not None and due_in < timedelta(0):
            raise TaskError(f"due_in cannot be negative, got {due_in}")
        now = time.time_ns() if now_ns is None else now_ns
        return HumanTask(
            id=task_id_for(key) if key is not None else secrets.token_hex(16),
            kind=kind,
            title=title,
            reason=reason,
            score=score,
            trace_id=trace_id,
            span_id=span_id,
            run_id=run_id,
            case_id=case_id,
            score_name=score_name,
            payload=payload or {},
            decisions=allowed,
            created_at_ns=now,
            due_at_ns=now + _ns(due_in) if due_in is not None else None,
            default_action=default_action,
        )

    def create(
        self,
        *,
        kind: str,
        title: str,
        key: str | None = None,
        reason: str | None = None,
        score: float | None = None,
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
    ) -> HumanTask:
        """Store a task for a human; with a ``key``, creating it again returns the stored one.

        Args:
            kind: what sort of decision (``score_review``, ``escalation``, your own).
            title: one line a human reads in a list.
            key: an idempotency key (e.g. ``escalation:<run id>:<step>``): a task with the
                same key is created once, so a resumed caller never asks twice; the stored
                task comes back as it is (maybe claimed or decided already).
            reason: why a human is needed.
            score: the score that asked for a human.
            trace_id, span_id, run_id, case_id: what the task is about.
            score_name: the score a human label is stored under.
            payload: the context a human needs (JSON-serialisable).
            decisions: the decisions a human may take (default: any).
            due_in: the deadline, from now; then :meth:`expire_overdue` takes
                ``default_action``.
            default_action: the decision taken on the deadline (one of ``decisions``).
            now_ns: the time of creation (default: now).

        Raises:
            TaskError: bad arguments (see :meth:`new`).
        """
        task = self.new(
            kind=kind, title=title, key=key, reason=reason, score=score, trace_id=trace_id,
            span_id=span_id, run_id=run_id, case_id=case_id, score_name=score_name,
            payload=payload, decisions=decisions, due_in=due_in,
            default_action=default_action, now_ns=now_ns,
        )  # fmt: skip
        self.put([task])
        return self.get(task.id)

    def put(self, tasks: Sequence[HumanTask]) -> Tasks:
        """Store the tasks whose id is not stored yet; returns those, in order."""
        if not tasks:
            return []
        ids = [t.id for t in tasks]
        with self.db.begin() as conn:
            known: set[str] = set()
            for i in range(0, len(ids), _CHUNK):
                chunk = select(_c.id).where(_c.id.in_(ids[i : i + _CHUNK]))
                known.update(conn.execute(chunk).scalars())
            fresh = list({t.id: t for t in tasks if t.id not in known}.values())
            # a concurrent writer may store the same id meanwhile: its row wins
            self.db.insert_ignore(conn, human_tasks, [_row(t) for t in fresh])
        return fresh

    # --- read --------------------------------------------------------------------------------

    def get(self, ref: str) -> HumanTask:
        """A task by id, or by a unique prefix of its id (at least 6 characters).

        Raises:
            TaskNotFound: no task has that id or prefix.
            TaskError: the prefix matches several tasks.
        """
        want = ref.strip().lower()
        with self.db.connect() as conn:
            row = conn.execute(select(human_tasks).where(_c.id == want)).first()
            if row is not None:
                return _from_row(row)
            if len(want) < MIN_PREFIX or not want.isalnum():
                raise TaskNotFound(f"no task {ref!r}")
            rows = conn.execute(select(human_tasks).where(_c.id.like(want + "%")).limit(2)).all()
        if not rows:
            raise TaskNotFound(f"no task {ref!r}")
        if len(rows) > 1:
            raise TaskError(f"{ref!r} matches several tasks: give more of the id")
        return _from_row(rows[0])

    def list(
        self,
        *,
        status: TaskStatus | Sequence[TaskStatus] | None = None,
        kind: str | None = None,
        run_id: str | None = None,
        claimed: bool | None = None,
        overdue: bool | None = None,
        now_ns: int | None = None,
        limit: int | None = None,
    ) -> Tasks:
        """Tasks, oldest first (the order a queue is worked in).

        Args:
            status: only tasks with this status, or one of these (:data:`PENDING` for the
                tasks still waiting for a decision); ``None`` for all.
            kind: only tasks of this kind.
            run_id: only tasks about this eval run.
            claimed: ``True``: only tasks someone holds a live lease on; ``False``: only
                pending tasks nobody holds (what a worker may claim).
            overdue: ``True``: only pending tasks past their deadline; ``False``: only
                tasks that are not.
            now_ns: the time leases and deadlines are judged at (default: now).
            limit: at most this many.

        Raises:
            TaskError: an unknown status or a negative limit.
        """
        now = time.time_ns() if now_ns is None else now_ns
        stmt = select(human_tasks).order_by(_c.created_at_ns, _c.id)
        if status is not None:
            wanted = (status,) if isinstance(status, str) else tuple(status)
            unknown = [s for s in wanted if s not in TASK_STATUSES]
            if unknown:
                raise TaskError(f"unknown task status {unknown}: one of {list(TASK_STATUSES)}")
            stmt = stmt.where(_c.status.in_(wanted))
        if kind is not None:
            stmt = stmt.where(_c.kind == kind)
        if run_id is not None:
            stmt = stmt.where(_c.run_id == run_id)
        if claimed is not None:
            stmt = stmt.where(_held(now) if claimed else and_(_pending(), ~_held(now)))
        if overdue is not None:
            stmt = stmt.where(_overdue(now) if overdue else ~_overdue(now))
        if limit is not None:
            if limit < 0:
                raise TaskError(f"limit must be >= 0, got {limit}")
            stmt = stmt.limit(limit)
        with self.db.connect() as conn:
            return [_from_row(row) for row in conn.execute(stmt)]

    def wait(self, ref: str, *, timeout: float, interval: float = 0.5) -> HumanTask:
        """The task once decided or expired, or as it is after ``timeout`` seconds.

        What a flow that awaits a human calls (a flow that cannot wait keeps the task's id
        as its pending handle and calls :meth:`get` later). Polls every ``interval`` s.
        """
        if timeout < 0 or interval <= 0:
            raise TaskError(f"wait needs timeout >= 0 and interval > 0, got {timeout}, {interval}")
        deadline = time.monotonic() + timeout
        task = self.get(ref)
        while task.is_pending and time.monotonic() < deadline:
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            task = self.get(task.id)
        return task

    # --- claims ------------------------------------------------------------------------------

    def claim(
        self, ref: str, by: str, *, lease: Lease = DEFAULT_LEASE, now_ns: int | None = None
    ) -> HumanTask:
        """Take the task for ``by`` until the lease expires (claiming it again renews it).

        Raises:
            TaskNotFound: no such task.
            TaskClaimed: someone else holds a live lease on it.
            TaskClosed: it was decided or expired.
        """
        by, span = _person(by), _ns(_lease(lease))
        now = time.time_ns() if now_ns is None else now_ns
        task = self.get(ref)
        with self.db.begin() as conn:
            if _claim(conn, task.id, by, now, span, _claimable(now, by)):
                return _read(conn, task.id)
            raise _refusal(_read(conn, task.id), by, now, "claim")

    def claim_next(
        self,
        by: str,
        *,
        kind: str | None = None,
        lease: Lease = DEFAULT_LEASE,
        now_ns: int | None = None,
    ) -> HumanTask | None:
        """Claim the oldest task (of ``kind``) that nobody holds and is not overdue.

        Two workers calling this at once never get the same task: each candidate is taken
        with a conditional update, and a worker that loses one tries the next.

        Returns:
            The claimed task, or ``None`` when there is nothing to claim.
        """
        by, span = _person(by), _ns(_lease(lease))
        now = time.time_ns() if now_ns is None else now_ns
        free = and_(_claimable(now, None), ~_overdue(now))
        stmt = select(_c.id).where(free).order_by(_c.created_at_ns, _c.id).limit(_CLAIM_BATCH)
        if kind is not None:
            stmt = stmt.where(_c.kind == kind)
        while True:
            with self.db.connect() as conn:
                ids = list(conn.execute(stmt).scalars())
            if not ids:
                return None
            for task_id in ids:
                with self.db.begin() as conn:
                    if _claim(conn, task_id, by, now, span, free):
                        return _read(conn, task_id)

    def renew(
        self, ref: str, by: str, *, lease: Lease = DEFAULT_LEASE, now_ns: int | None = None
    ) -> HumanTask:
        """Extend ``by``'s lease to ``lease`` from now (also after it lapsed, if nobody
        claimed the task meanwhile).

        Raises:
            TaskClaimed: the task is not claimed by ``by`` (never, or someone else took it).
            TaskClosed: it was decided or expired.
        """
        by, span = _person(by), _ns(_lease(lease))
        now = time.time_ns() if now_ns is None else now_ns
        task = self.get(ref)
        with self.db.begin() as conn:
            renewed = conn.execute(
                human_tasks.update()
                .where(_c.id == task.id, _c.status == "claimed", _c.claimed_by == by)
                .values(lease_expires_at_ns=now + span)
            ).rowcount
            if renewed == 1:
                return _read(conn, task.id)
            raise _refusal(_read(conn, task.id), by, now, "renew")

    def release(self, ref: str, by: str, *, now_ns: int | None = None) -> HumanTask:
        """Give the task back (``open``, nobody's) before the lease ends.

        Raises:
            TaskClaimed: the task is not claimed by ``by``.
            TaskClosed: it was decided or expired.
        """
        by = _person(by)
        now = time.time_ns() if now_ns is None else now_ns
        task = self.get(ref)
        with self.db.begin() as conn:
            released = conn.execute(
                human_tasks.update()
                .where(_c.id == task.id, _c.status == "claimed", _c.claimed_by == by)
                .values(
                    status="open", claimed_by=None, claimed_at_ns=None, lease_expires_at_ns=None
                )
            ).rowcount
            if released == 1:
                return _read(conn, task.id)
            raise _refusal(_read(conn, task.id), by, now, "release")

    # --- decisions ---------------------------------------------------------------------------

    def check(self, task: HumanTask, decision: str, *, by: str, now_ns: int | None = None) -> None:
        """Raise what :meth:`resolve` would refuse, without changing anything (for a caller
        with work to do before it resolves, such as confirming a candidate case)."""
        by = _person(by)
        now = time.time_ns() if now_ns is None else now_ns
        _check_decision(task, decision)
        if not task.is_pending:
            raise _closed(task)
        holder = task.lease_holder(now)
        if holder is not None and holder != by:
            raise _claimed(task, holder)

    def resolve(
        self,
        ref: str,
        decision: str,
        *,
        by: str,
        detail: dict[str, Any] | None = None,
        now_ns: int | None = None,
        in_transaction: InTransaction | None = None,
        override_lease: bool = False,
    ) -> HumanTask:
        """Decide a pending task, once.

        Args:
            ref: the task's id, or a unique prefix of it.
            decision: what was decided (one of the task's ``decisions``, if it has any).
            by: who decided (required: a decision is never anonymous).
            detail: the decision's detail, stored as the task's ``resolution``.
            now_ns: when (default: now).
            in_transaction: work to do in the same transaction, after the task is decided
                (say, store the label the decision is): if it raises, the task stays
                pending.
            override_lease: decide even while someone else holds the lease (the decision
                was taken elsewhere, e.g. a candidate confirmed from the datasets CLI).

        Raises:
            TaskNotFound: no such task.
            UnknownDecision: ``decision`` is not one of the task's ``decisions``.
            TaskClosed: the task was already decided or expired (nothing changes).
            TaskClaimed: someone else holds a live lease on it.
        """
        by = _person(by)
        now = time.time_ns() if now_ns is None else now_ns
        task = self.get(ref)
        _check_decision(task, decision)
        allowed = _pending() if override_lease else _claimable(now, by)
        values = {"status": "done", "decision": decision, "resolved_by": by,
                  "resolved_at_ns": now, "resolution": _dumps(detail or {})}  # fmt: skip
        with self.db.begin() as conn:
            decided = conn.execute(
                human_tasks.update().where(_c.id == task.id, allowed).values(**values)
            ).rowcount
            resolved = _read(conn, task.id)
            if decided != 1:
                raise _refusal(resolved, by, now, "decide")
            if in_transaction is not None:
                in_transaction(conn, resolved)
        return resolved

    def annotate(self, ref: str, detail: dict[str, Any]) -> HumanTask:
        """Add ``detail`` to a decided or expired task's resolution (what carrying out the
        decision did, e.g. whether a default action could be applied).

        Raises:
            TaskError: the task is still pending (decide it with :meth:`resolve`).
        """
        task = self.get(ref)
        with self.db.begin() as conn:
            current = _read(conn, task.id)
            if current.is_pending:
                raise TaskError(f"task {task.id[:12]} is {current.status}: nothing to annotate")
            merged = {**(current.resolution or {}), **detail}
            conn.execute(
                human_tasks.update()
                .where(_c.id == task.id, _c.status.in_(CLOSED))
                .values(resolution=_dumps(merged))
            )
            return _read(conn, task.id)

    def overdue(self, now_ns: int | None = None, *, kind: str | None = None) -> Tasks:
        """Pending tasks whose deadline has passed, earliest deadline first."""
        now = time.time_ns() if now_ns is None else now_ns
        stmt = select(human_tasks).where(_overdue(now)).order_by(_c.due_at_ns, _c.id)
        if kind is not None:
            stmt = stmt.where(_c.kind == kind)
        with self.db.connect() as conn:
            return [_from_row(row) for row in conn.execute(stmt)]

    def expire_overdue(self, now_ns: int | None = None, *, kind: str | None = None) -> Tasks:
        """Expire the pending tasks past their deadline, taking each one's default action.

        The default action becomes the task's ``decision``, taken by ``system``; the
        resolution records ``{"action": <default action>, "due": <deadline, ISO 8601>}``.
        A claim does not hold off the deadline. Each task expires once: of two expirers
        racing, or an expirer and a human, one wins; the other skips the task.

        Returns:
            The tasks this call expired (carrying out a default action is for the task's
            owner: it reads them here, and may :meth:`annotate` what it did).
        """
        now = time.time_ns() if now_ns is None else now_ns
        expired = []
        for task in self.overdue(now, kind=kind):
            detail = {"action": task.default_action, "due": _iso(task.due_at_ns or 0)}
            with self.db.begin() as conn:
                done = conn.execute(
                    human_tasks.update()
                    .where(_c.id == task.id, _overdue(now))
                    .values(
                        status="expired",
                        decision=task.default_action,
                        resolved_by=SYSTEM,
                        resolved_at_ns=now,
                        resolution=_dumps(detail),
                    )
                ).rowcount
                if done == 1:
                    expired.append(_read(conn, task.id))
        return expired


# --- conditions ------------------------------------------------------------------------------


def _pending() -> ColumnElement[bool]:
    return _c.status.in_(PENDING)


def _held(now: int) -> ColumnElement[bool]:
    """Someone holds a live lease."""
    return and_(_c.status == "claimed", _c.lease_expires_at_ns > now)


def _claimable(now: int, by: str | None) -> ColumnElement[bool]:
    """Open, or claimed with a lapsed lease, or (for ``by``) claimed by ``by``."""
    lapsed = or_(_c.lease_expires_at_ns.is_(None), _c.lease_expires_at_ns <= now)
    mine = _c.claimed_by == by if by is not None else false()
    return or_(_c.status == "open", and_(_c.status == "claimed", or_(lapsed, mine)))


def _overdue(now: int) -> ColumnElement[bool]:
    return and_(_pending(), _c.due_at_ns.is_not(None), _c.due_at_ns <= now)


def _claim(
    conn: Connection, task_id: str, by: str, now: int, span: int, allowed: ColumnElement[bool]
) -> bool:
    taken = conn.execute(
        human_tasks.update()
        .where(_c.id == task_id, allowed)
        .values(
            status="claimed",
            claimed_by=by,
            claimed_at_ns=now,
            lease_expires_at_ns=now + span,
            attempts=_c.attempts + 1,
        )
    ).rowcount
    return bool(taken == 1)


# --- errors ----------------------------------------------------------------------------------


def _refusal(task: HumanTask, by: str, now: int, verb: str) -> TaskError:
    """Why ``by`` may not ``verb`` ``task`` as it is stored now."""
    if not task.is_pending:
        return _closed(task)
    holder = task.lease_holder(now)
    if holder is not None and holder != by:
        return _claimed(task, holder)
    return TaskClaimed(f"cannot {verb} task {task.id[:12]}: it is not claimed by {by}")


def _closed(task: HumanTask) -> TaskClosed:
    who = f" by {task.resolved_by}" if task.resolved_by else ""
    what = f" ({task.decision})" if task.decision else ""
    return TaskClosed(f"task {task.id[:12]} is already {task.status}{who}{what}")


def _claimed(task: HumanTask, holder: str) -> TaskClaimed:
    until = _iso(task.lease_expires_at_ns or 0)
    return TaskClaimed(f"task {task.id[:12]} is claimed by {holder} until {until}")


def _check_decision(task: HumanTask, decision: str) -> None:
    if not isinstance(decision, str) or not decision.strip():
        raise UnknownDecision(f"a decision on task {task.id[:12]} must be a non-empty name")
    if task.decisions is not None and decision not in task.decisions:
        raise UnknownDecision(
            f"{decision!r} is not a decision of task {task.id[:12]}: one of {list(task.decisions)}"
        )


# --- values and rows -------------------------------------------------------------------------


def _person(by: str | None) -> str:
    if by is None or not by.strip():
        raise TaskError("a task's claim or decision needs the name of who makes it")
    return by.strip()


def _decisions(decisions: Iterable[str] | None) -> tuple[str, ...] | None:
    if decisions is None:
        return None
    if isinstance(decisions, str):
        raise TaskError(f"decisions must be a list of names, not the string {decisions!r}")
    allowed = tuple(decisions)
    if not allowed:
        raise TaskError("decisions must name at least one decision (None: any)")
    bad = [d for d in allowed if not isinstance(d, str) or not d.strip()]
    if bad:
        raise TaskError(f"each decision must be a non-empty name, got {bad}")
    if len(set(allowed)) != len(allowed):
        raise TaskError(f"decisions repeat a name: {list(allowed)}")
    return allowed


def _lease(lease: Lease) -> timedelta:
    span = lease if isinstance(lease, timedelta) else timedelta(seconds=lease)
    if span <= timedelta(0):
        raise TaskError(f"a lease must be positive, got {lease}")
    return span


def _ns(span: timedelta) -> int:
    return int(span.total_seconds() * 1e9)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return to_json(value, sort_keys=True)


def _row(t: HumanTask) -> dict[str, Any]:
    row = t.model_dump()
    row["payload"] = _dumps(t.payload)
    row["decisions"] = _dumps(list(t.decisions)) if t.decisions is not None else None
    row["resolution"] = _dumps(t.resolution) if t.resolution is not None else None
    return row


def _from_row(row: Row[Any]) -> HumanTask:
    data = dict(row._mapping)
    data["payload"] = orjson.loads(data["payload"]) if data["payload"] else {}
    data["decisions"] = orjson.loads(data["decisions"]) if data["decisions"] else None
    data["resolution"] = orjson.loads(data["resolution"]) if data["resolution"] else None
    return HumanTask.model_validate(data)


def _read(conn: Connection, task_id: str) -> HumanTask:
    row = conn.execute(select(human_tasks).where(_c.id == task_id)).first()
    if row is None:  # deleted under us: no prodready code deletes tasks
        raise TaskNotFound(f"no task {task_id!r}")
    return _from_row(row)
