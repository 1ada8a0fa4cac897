"""Human tasks: decisions a human owes, durable in the store, shared by review and escalations.

A task is created ``open`` (idempotently, by key), may be claimed by a worker with a lease
that expires, and ends once: ``done`` with a human's decision (one of the task's
``decisions``, if it lists them), or ``expired`` when its deadline passes and its default
action is taken by ``system``. See ``docs/tasks.md``.

>>> from datetime import timedelta
>>> from prodready.tasks import TaskQueue
>>> queue = TaskQueue(store)
>>> task = queue.create(kind="escalation", title="refund over 500 EUR?", key="run-7:refund",
...                     decisions=["approve", "deny"], due_in=timedelta(hours=4),
...                     default_action="deny")
>>> task = queue.claim_next("ana", kind="escalation")       # ana holds it for 15 minutes
>>> queue.resolve(task.id, "approve", by="ana", detail={"note": "known customer"})
>>> queue.expire_overdue()                                  # what nobody decided in time
"""

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
from prodready.tasks._queue import DEFAULT_LEASE, InTransaction, Lease, TaskQueue, task_id_for

__all__ = [
    "CLOSED",
    "DEFAULT_LEASE",
    "PENDING",
    "SYSTEM",
    "TASK_STATUSES",
    "HumanTask",
    "InTransaction",
    "Lease",
    "TaskClaimed",
    "TaskClosed",
    "TaskError",
    "TaskNotFound",
    "TaskQueue",
    "TaskStatus",
    "UnknownDecision",
    "task_id_for",
]
