"""The review queue: what a human must decide, and what their decisions feed.

>>> from prodready.evaluation.review import queue_low_scores, list_tasks, label, judge_agreement
>>> queue_low_scores(store, run, names=["correctness"])          # failed scores -> tasks
>>> task = list_tasks(store)[0]
>>> label(store, task.id, passed=True, rationale="the answer is right", author="ana")
>>> judge_agreement(store, "correctness", save=True).kappa       # the judge may gate at >= 0.6

The loop (see ``docs/review.md``):

1. A run's failed or low scores become ``score_review`` tasks (:func:`queue_low_scores`);
   a seeded sample of a judge's verdicts, pass and fail, becomes tasks too
   (:func:`queue_calibration_sample`), so its calibration is not biased to failures.
2. Pending candidate cases from production become ``candidate_case`` tasks
   (:func:`queue_candidates`).
3. A human labels a task (:func:`label`): the label is stored as a score of layer ``human``
   next to the automated one; a candidate is confirmed into its dataset or rejected.
4. Labels against a judge's scores give its agreement and Cohen's kappa
   (:func:`judge_agreement`); saved, they let a calibrated judge gate.
5. Tasks past their due time expire with their default action (:func:`expire_overdue`).

Review tasks are human tasks (:mod:`prodready.tasks`, ``docs/tasks.md``): ``ReviewTask`` is
``HumanTask`` and ``ReviewError`` is ``TaskError``, so the queue's claims with expiring leases,
its decide-once rule and its deadlines hold here too. Tasks are generic (:func:`create_task`,
:func:`resolve_task`): orchestration's escalations are tasks of kind ``escalation``.
"""

from prodready.evaluation.review._labels import (
    HUMAN_SCORER,
    expire_overdue,
    human_labels,
    judge_agreement,
    label,
)
from prodready.evaluation.review._queue import (
    CANDIDATE_SCORE,
    queue_calibration_sample,
    queue_candidates,
    queue_low_scores,
)
from prodready.evaluation.review._tasks import (
    TASK_KINDS,
    TASK_STATUSES,
    ReviewError,
    ReviewTask,
    TaskKind,
    TaskNotFound,
    TaskStatus,
    create_task,
    get_task,
    list_tasks,
    resolve_task,
)

__all__ = [
    "CANDIDATE_SCORE",
    "HUMAN_SCORER",
    "TASK_KINDS",
    "TASK_STATUSES",
    "ReviewError",
    "ReviewTask",
    "TaskKind",
    "TaskNotFound",
    "TaskStatus",
    "create_task",
    "expire_overdue",
    "get_task",
    "human_labels",
    "judge_agreement",
    "label",
    "list_tasks",
    "queue_calibration_sample",
    "queue_candidates",
    "queue_low_scores",
    "resolve_task",
]
