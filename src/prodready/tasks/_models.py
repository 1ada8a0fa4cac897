"""What a human task is (:class:`HumanTask`), its statuses, and the errors of the queue."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TaskStatus = Literal["open", "claimed", "done", "expired"]
TASK_STATUSES: tuple[TaskStatus, ...] = ("open", "claimed", "done", "expired")
"""``open``: nobody works on it; ``claimed``: someone holds a lease on it (once the lease
lapses, anyone may claim it again); ``done``: a human decided; ``expired``: the deadline
passed and the default action was taken (by ``system``)."""
PENDING: tuple[TaskStatus, ...] = ("open", "claimed")
"""The statuses of a task still waiting for a decision."""
CLOSED: tuple[TaskStatus, ...] = ("done", "expired")
"""The statuses of a task that was decided, by a human or by its deadline."""
SYSTEM = "system"
"""Who a default action taken on a deadline is recorded as (``resolved_by``)."""


class TaskError(ValueError):
    """A task operation cannot be done as asked; the message says which task and why."""


class TaskNotFound(TaskError, KeyError):
    """No task with this id (or id prefix)."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""


class TaskClosed(TaskError):
    """The task was already decided (``done``) or expired: it is decided once."""


class TaskClaimed(TaskError):
    """Someone else holds a live lease on the task."""


class UnknownDecision(TaskError):
    """The decision is not one of the task's ``decisions``."""


class HumanTask(BaseModel):
    """One decision a human owes: review a score, confirm a candidate, answer an escalation.

    Created :attr:`status` ``open``; a worker may claim it (``claimed``, with a lease that
    expires); it ends ``done`` with a human's :attr:`decision`, or ``expired`` when its
    deadline passes and its :attr:`default_action` is taken (by ``system``). Either happens
    once: a second decision is refused.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    """What sort of decision: ``score_review``, ``candidate_case``, ``escalation``, or any
    other kind a caller defines."""
    status: TaskStatus = "open"
    title: str
    """One line a human reads in a list."""
    reason: str | None = None
    """Why a human is needed (an escalation's reason)."""
    score: float | None = None
    """The score that asked for a human (a confidence, a risk, a judge's value)."""
    trace_id: str | None = None
    span_id: str | None = None
    run_id: str | None = None
    case_id: str | None = None
    score_name: str | None = None
    """The score under review (the name a human label is stored under)."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """The context a human needs to decide: input, output, the score, suggestions..."""
    decisions: tuple[str, ...] | None = None
    """The decisions a human may take; ``None``: any non-empty one."""
    created_at_ns: int
    due_at_ns: int | None = None
    """The deadline: after it, ``expire_overdue`` takes :attr:`default_action`."""
    default_action: str | None = None
    """The decision taken when the deadline passes (``None``: the task just expires)."""
    claimed_by: str | None = None
    """Who holds (or last held) the lease."""
    claimed_at_ns: int | None = None
    lease_expires_at_ns: int | None = None
    """Until when :attr:`claimed_by` holds the task; then anyone may claim it."""
    attempts: int = 0
    """How many times the task was claimed."""
    decision: str | None = None
    """The decision taken: a human's, or the default action on expiry."""
    resolved_at_ns: int | None = None
    resolved_by: str | None = None
    """Who decided (``system`` for a default action taken on expiry)."""
    resolution: dict[str, Any] | None = None
    """The decision's detail (a label's verdict and rationale, what the default action did)."""

    @property
    def is_pending(self) -> bool:
        """Still waiting for a decision (``open`` or ``claimed``)."""
        return self.status in PENDING

    def is_overdue(self, now_ns: int | None = None) -> bool:
        """Pending, with a deadline that has passed."""
        now = time.time_ns() if now_ns is None else now_ns
        return self.is_pending and self.due_at_ns is not None and self.due_at_ns <= now

    def lease_holder(self, now_ns: int | None = None) -> str | None:
        """Who holds a live lease on the task at ``now_ns`` (``None``: nobody)."""
        now = time.time_ns() if now_ns is None else now_ns
        live = self.lease_expires_at_ns is not None and self.lease_expires_at_ns > now
        return self.claimed_by if self.status == "claimed" and live else None
