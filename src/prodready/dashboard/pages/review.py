"""Review queue: the human tasks of :mod:`prodready.tasks`, claimed, labelled and resolved.

- ``/ui/review?status=open|claimed|resolved|all&kind=``: tasks, oldest first (the order a
  queue is worked in). ``open``: waiting and nobody holds it; ``claimed``: someone holds a
  live lease; ``resolved``: decided by a human or expired.
- ``/ui/review/{task}``: the task with the context a reviewer needs (input, expected
  answer, output, the score under review and its rationale, a candidate's suggestions), a
  link to its trace and eval case, and the forms that act on it.
- ``POST /ui/review/{task}/claim`` and ``.../release``: take the task (a 15-minute lease,
  renewed by claiming again) or give it back.
- ``POST /ui/review/{task}/label``: a score review's verdict (``pass``/``fail`` with a
  note) or a candidate's (``confirm`` with the expected answer / ``reject`` with a reason),
  through :func:`prodready.evaluation.review.label`: stored as a human score, and the
  task is resolved in the same transaction.
- ``POST /ui/review/{task}/resolve``: any other task (an escalation) resolved with one of
  its decisions and a note (:func:`prodready.evaluation.review.resolve_task`).

Every ``POST`` is CSRF-checked and answers ``303``; the reviewer's name is the form's
``reviewer`` field, remembered in a cookie (there is no sign-in yet; see ``_forms``).
"""

from __future__ import annotations

import time
from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from prodready.dashboard._security import check_csrf
from prodready.dashboard._web import Page, register, render, store_of
from prodready.dashboard.pages import _forms
from prodready.evaluation.review import (
    ReviewError,
    get_task,
    label,
    resolve_task,
)
from prodready.store import Store
from prodready.tasks import (
    CLOSED,
    HumanTask,
    TaskClaimed,
    TaskClosed,
    TaskError,
    TaskNotFound,
    TaskQueue,
    UnknownDecision,
)

router = APIRouter(prefix="/ui")
PAGE = register(Page("review", "Review", "/ui/review", "r", 50))

FILTERS: Final = ("open", "claimed", "resolved", "all")
LIMIT: Final = 200
SCORE_DECISIONS: Final = ("pass", "fail")
CANDIDATE_DECISIONS: Final = ("confirm", "reject")


def list_filtered(store: Store, status: str, kind: str | None) -> list[HumanTask]:
    """The tasks a filter shows (oldest first; resolved ones newest first)."""
    queue = TaskQueue(store)
    if status == "open":
        return queue.list(kind=kind, claimed=False, limit=LIMIT)
    if status == "claimed":
        return queue.list(kind=kind, claimed=True, limit=LIMIT)
    if status == "resolved":
        done = queue.list(status=CLOSED, kind=kind)
        done.sort(key=lambda t: t.resolved_at_ns or 0, reverse=True)
        return done[:LIMIT]
    return queue.list(kind=kind, limit=LIMIT)


@router.get("/review", response_class=HTMLResponse)
def task_list(request: Request) -> HTMLResponse:
    """The queue, filtered by status and kind."""
    status = request.query_params.get("status", "open").strip() or "open"
    if status not in FILTERS:
        raise HTTPException(400, f"status: {status!r} is not one of {', '.join(FILTERS)}")
    kind = request.query_params.get("kind", "").strip() or None
    store = store_of(request)
    tasks = list_filtered(store, status, kind)
    response = render(
        request,
        "review.html",
        {
            "tasks": tasks,
            "status": status,
            "kind": kind or "",
            "filters": FILTERS,
            "kinds": ("score_review", "candidate_case", "escalation"),
            "now": time.time_ns(),
            "reviewer": _forms.reviewer_of(request),
            "flash": _forms.flash_of(request),
            "limit": LIMIT,
        },
        page=PAGE.id,
    )
    return _forms.shown(request, response)


def _task(store: Store, task_id: str) -> HumanTask:
    try:
        return get_task(store, task_id)
    except TaskNotFound:
        raise HTTPException(404, f"no review task {task_id!r}") from None
    except TaskError as exc:
        raise HTTPException(400, f"task: {exc}") from None


def actions_of(task: HumanTask, reviewer: str, now: int) -> dict[str, Any]:
    """What the task page offers: which forms, and who holds the task."""
    holder = task.lease_holder(now)
    mine = bool(reviewer) and holder == reviewer
    pending = task.is_pending
    kind = (
        "candidate"
        if task.kind == "candidate_case"
        else "score"
        if task.kind == "score_review"
        else "other"
    )
    return {
        "holder": holder,
        "mine": mine,
        "pending": pending,
        "form": kind,
        "can_claim": pending and (holder is None or mine),
        "can_decide": pending and (holder is None or mine),
        "decisions": list(task.decisions or ()),
    }


@router.get("/review/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: str) -> HTMLResponse:
    """One task: its context, its trace and case, and what can be done with it."""
    store = store_of(request)
    task = _task(store, task_id)
    reviewer = _forms.reviewer_of(request)
    now = time.time_ns()
    payload = task.payload
    score = _mapping(payload.get("score")) or None
    suggested = _mapping(payload.get("suggested"))
    expected = _mapping(payload.get("expected"))
    reference = expected.get("reference") or suggested.get("reference") or ""
    response = render(
        request,
        "review_task.html",
        {
            "task": task,
            "payload": payload,
            "score": score,
            "suggested": suggested,
            "expected": expected,
            "reference": reference if isinstance(reference, str) else "",
            "intent": expected.get("intent") or suggested.get("intent") or "",
            "actions": actions_of(task, reviewer, now),
            "reviewer": reviewer,
            "now": now,
            "flash": _forms.flash_of(request),
        },
        page=PAGE.id,
    )
    return _forms.shown(request, response)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _refused(exc: Exception) -> HTTPException:
    """A task error as the answer it deserves: 409 when the task's state forbids it."""
    if isinstance(exc, TaskClaimed | TaskClosed):
        return HTTPException(409, str(exc))
    if isinstance(exc, TaskNotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, UnknownDecision):
        return HTTPException(400, f"decision: {exc}")
    text = str(exc)
    if "already" in text or "holds" in text:
        return HTTPException(409, text)
    return HTTPException(400, text)


def _back(task: HumanTask) -> str:
    return f"/ui/review/{task.id}"


@router.post("/review/{task_id}/claim")
async def claim(request: Request, task_id: str) -> RedirectResponse:
    """Claim the task for the reviewer (a 15-minute lease; claiming again renews it)."""
    form = await check_csrf(request)
    reviewer = _forms.reviewer_field(form)
    store = store_of(request)
    task = _task(store, task_id)
    try:
        TaskQueue(store).claim(task.id, reviewer)
    except TaskError as exc:
        raise _refused(exc) from None
    return _forms.redirect(
        request, _back(task), f"You hold this task for 15 minutes, {reviewer}.", reviewer=reviewer
    )


@router.post("/review/{task_id}/release")
async def release(request: Request, task_id: str) -> RedirectResponse:
    """Give the task back to the queue."""
    form = await check_csrf(request)
    reviewer = _forms.reviewer_field(form)
    store = store_of(request)
    task = _task(store, task_id)
    try:
        TaskQueue(store).release(task.id, reviewer)
    except TaskError as exc:
        raise _refused(exc) from None
    return _forms.redirect(request, "/ui/review", "Task released.", reviewer=reviewer)


@router.post("/review/{task_id}/label")
async def label_task(request: Request, task_id: str) -> RedirectResponse:
    """A human verdict: pass/fail on a score review, confirm/reject on a candidate."""
    form = await check_csrf(request)
    reviewer = _forms.reviewer_field(form)
    verdict = _forms.text_field(form, "verdict", required=True, limit=20)
    note = _forms.text_field(form, "note") or None
    store = store_of(request)
    task = _task(store, task_id)
    allowed = CANDIDATE_DECISIONS if task.kind == "candidate_case" else SCORE_DECISIONS
    if task.kind not in ("candidate_case", "score_review"):
        raise HTTPException(400, f"task: a {task.kind} task is resolved, not labelled")
    if verdict not in allowed:
        raise HTTPException(400, f"verdict: {verdict!r} is not one of {', '.join(allowed)}")
    passed = verdict in ("pass", "confirm")
    expected: dict[str, Any] | None = None
    if task.kind == "candidate_case":
        if passed:
            expected = dict(task.payload.get("expected") or {})
            reference = _forms.text_field(form, "reference")
            intent = _forms.text_field(form, "intent", limit=200)
            if reference:
                expected["reference"] = reference
            if intent:
                expected["intent"] = intent
            if not expected:
                raise HTTPException(400, "reference: required to confirm a candidate")
        elif not note:
            raise HTTPException(400, "note: say why the candidate is rejected")
    try:
        label(store, task.id, passed=passed, rationale=note, author=reviewer, expected=expected)
    except (ReviewError, TaskError) as exc:
        raise _refused(exc) from None
    return _forms.redirect(
        request,
        "/ui/review?status=resolved",
        f"Labelled {task.title[:80]}: {verdict}.",
        reviewer=reviewer,
    )


@router.post("/review/{task_id}/resolve")
async def resolve(request: Request, task_id: str) -> RedirectResponse:
    """Resolve a task that is not a score review or candidate (an escalation)."""
    form = await check_csrf(request)
    reviewer = _forms.reviewer_field(form)
    decision = _forms.text_field(form, "decision", required=True, limit=200)
    note = _forms.text_field(form, "note")
    store = store_of(request)
    task = _task(store, task_id)
    if task.kind in ("candidate_case", "score_review"):
        raise HTTPException(400, f"task: a {task.kind} task is labelled, not resolved")
    try:
        resolve_task(store, task.id, by=reviewer, resolution={"note": note}, decision=decision)
    except (ReviewError, TaskError) as exc:
        raise _refused(exc) from None
    return _forms.redirect(
        request, "/ui/review?status=resolved", f"Resolved: {decision}.", reviewer=reviewer
    )
