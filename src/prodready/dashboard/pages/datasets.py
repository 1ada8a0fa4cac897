"""Datasets: the list, a dataset's versions and cases, diffs, and candidate cases.

- ``/ui/datasets``: every dataset with its latest version and pending candidates.
- ``/ui/datasets/{name}?version=V``: the history, the cases of a version (paged), and the
  candidates awaiting confirmation, each with Confirm and Reject forms.
- ``/ui/datasets/{name}/diff?from=V&to=W``: cases added, removed and changed.
- ``POST /ui/datasets/{name}/candidates/{id}/confirm`` and ``.../reject``: a human's
  decision, through the datasets repository (confirming makes the next version). Both are
  CSRF-checked and answer ``303`` back to the dataset with a message.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from prodready.dashboard._security import check_csrf
from prodready.dashboard._web import Page, register, render, store_of
from prodready.dashboard.pages import _forms
from prodready.evaluation import Expected
from prodready.evaluation.datasets import (
    CandidateCase,
    CandidateNotFound,
    DatasetError,
    DatasetNotFound,
    confirm_candidate,
    dataset_history,
    diff_datasets,
    get_candidate,
    list_candidates,
    list_datasets,
    load_dataset,
    reject_candidate,
)
from prodready.store import Store

router = APIRouter(prefix="/ui")
PAGE = register(Page("datasets", "Datasets", "/ui/datasets", "d", 40))

CASES_PAGE: Final = 50


def dataset_url(name: str, **params: object) -> str:
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items() if v is not None)
    return f"/ui/datasets/{quote(name, safe='')}" + (f"?{query}" if query else "")


@router.get("/datasets", response_class=HTMLResponse)
def dataset_list(request: Request) -> HTMLResponse:
    """Every dataset, its latest version, and how many candidates await a reviewer."""
    store = store_of(request)
    pending: dict[str, int] = {}
    for c in list_candidates(store):
        pending[c.dataset] = pending.get(c.dataset, 0) + 1
    response = render(
        request,
        "datasets.html",
        {
            "datasets": list_datasets(store),
            "pending": pending,
            "flash": _forms.flash_of(request),
        },
        page=PAGE.id,
    )
    return _forms.shown(request, response)


def _version(request: Request, name: str = "version") -> int | None:
    return _forms.whole_number(request.query_params.get(name), name, minimum=1)


def _load(store: Store, name: str, version: int | None, field: str = "version") -> Any:
    try:
        return load_dataset(store, name, version)
    except DatasetNotFound as exc:
        if version is None:
            raise HTTPException(404, f"no dataset {name!r}") from None
        known = [v.version for v in dataset_history(store, name)]
        if not known:
            raise HTTPException(404, f"no dataset {name!r}") from None
        raise HTTPException(
            404,
            f"{field}: dataset {name!r} has no version {version} (it has {known[0]}-{known[-1]})",
        ) from exc


@router.get("/datasets/{name}/diff", response_class=HTMLResponse)
def diff_page(request: Request, name: str) -> HTMLResponse:
    """How version ``to`` differs from version ``from`` (default: the latest from the one
    before it)."""
    store = store_of(request)
    history = dataset_history(store, name)
    if not history:
        raise HTTPException(404, f"no dataset {name!r}")
    to = _version(request, "to") or history[-1].version
    start = _version(request, "from")
    if start is None:
        start = max(to - 1, 1)
    if start == to and len(history) > 1:
        raise HTTPException(400, f"from: the same version as to ({to}); pick two versions")
    a = _load(store, name, start, "from")
    b = _load(store, name, to, "to")
    diff = diff_datasets(a, b)
    by_id = {c.id: c for c in b.cases} | {
        c.id: c for c in a.cases if c.id not in {x.id for x in b.cases}
    }
    return render(
        request,
        "datasets_diff.html",
        {
            "name": name,
            "diff": diff,
            "a": a,
            "b": b,
            "cases": by_id,
            "history": history,
        },
        page=PAGE.id,
    )


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str) -> HTMLResponse:
    """A dataset: its versions, a version's cases (paged) and its pending candidates."""
    store = store_of(request)
    version = _version(request)
    data = _load(store, name, version)
    offset = _forms.offset_of(request)
    history = dataset_history(store, name)
    response = render(
        request,
        "datasets_dataset.html",
        {
            "name": name,
            "data": data,
            "latest": history[-1].version if history else data.version,
            "history": list(reversed(history)),
            "cases": data.cases[offset : offset + CASES_PAGE],
            "total": len(data.cases),
            "offset": offset,
            "page_size": CASES_PAGE,
            "candidates": [_candidate_view(c) for c in list_candidates(store, name)],
            "reviewer": _forms.reviewer_of(request),
            "flash": _forms.flash_of(request),
        },
        page=PAGE.id,
    )
    return _forms.shown(request, response)


def _candidate_view(c: CandidateCase) -> dict[str, Any]:
    suggested = c.suggested_expected()
    return {
        "c": c,
        "trace_id": c.provenance[6:] if c.provenance.startswith("trace:") else None,
        "reference": suggested.reference or "",
        "intent": suggested.intent or "",
    }


def _candidate(store: Store, name: str, candidate_id: str) -> CandidateCase:
    try:
        candidate = get_candidate(store, candidate_id)
    except CandidateNotFound:
        raise HTTPException(404, f"no candidate case {candidate_id!r}") from None
    if candidate.dataset != name:
        raise HTTPException(404, f"candidate {candidate_id} is not proposed for {name!r}")
    if candidate.status != "pending":
        by = f" by {candidate.reviewed_by}" if candidate.reviewed_by else ""
        raise HTTPException(409, f"candidate {candidate.case.id} is already {candidate.status}{by}")
    return candidate


def expected_from(form: dict[str, Any], candidate: CandidateCase) -> Expected:
    """The confirmed expected answer: the proposed one with the form's reference and intent.

    400 naming the field when it is not a valid expected answer.
    """
    reference = _forms.text_field(form, "reference")
    intent = _forms.text_field(form, "intent", limit=200)
    update: dict[str, Any] = {}
    if reference:
        update["reference"] = reference
    if intent:
        update["intent"] = intent
    try:
        return Expected.model_validate(
            candidate.case.expected.model_dump(exclude_defaults=True) | update
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "expected"
        raise HTTPException(400, f"{where}: {problem['msg']}") from None


@router.post("/datasets/{name}/candidates/{candidate_id}/confirm")
async def confirm(request: Request, name: str, candidate_id: str) -> RedirectResponse:
    """Confirm a candidate with its expected answer: it joins the dataset's next version."""
    form = await check_csrf(request)
    store = store_of(request)
    reviewer = _forms.reviewer_field(form)
    candidate = _candidate(store, name, candidate_id)
    expected = expected_from(form, candidate)
    if expected == Expected():
        raise HTTPException(
            400, "reference: required (the expected answer the confirmed case must meet)"
        )
    try:
        version = confirm_candidate(store, candidate.id, reviewer=reviewer, expected=expected)
    except DatasetError as exc:
        raise HTTPException(409, str(exc)) from None
    message = f"Confirmed {candidate.case.id}: {name} is now version {version.version}."
    return _forms.redirect(
        request, dataset_url(name, version=version.version), message, reviewer=reviewer
    )


@router.post("/datasets/{name}/candidates/{candidate_id}/reject")
async def reject(request: Request, name: str, candidate_id: str) -> RedirectResponse:
    """Reject a candidate, saying why; it stays in the store, marked rejected."""
    form = await check_csrf(request)
    store = store_of(request)
    reviewer = _forms.reviewer_field(form)
    note = _forms.text_field(form, "reason", required=True)
    candidate = _candidate(store, name, candidate_id)
    try:
        reject_candidate(store, candidate.id, reviewer=reviewer, note=note)
    except DatasetError as exc:
        raise HTTPException(409, str(exc)) from None
    message = f"Rejected {candidate.case.id}."
    return _forms.redirect(request, dataset_url(name), message, reviewer=reviewer)
