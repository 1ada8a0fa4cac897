"""Saved views: save the current filters of a page under a name, open or delete them."""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from prodready.dashboard._security import check_csrf
from prodready.dashboard._views import delete_view, save_view
from prodready.dashboard._web import store_of

router = APIRouter(prefix="/ui")

PAGES: Final = {"traces": "/ui/traces"}
"""The pages that have saved views, and where a view of each opens."""
DROPPED: Final = frozenset({"offset", "csrf"})
"""Parameters a saved view does not keep: the page number and the form's token."""


@router.post("/views")
async def save(request: Request) -> RedirectResponse:
    """Save ``query`` (the page's query string) as the view ``name`` of ``page``."""
    form = await check_csrf(request)
    page = str(form.get("page", ""))
    if page not in PAGES:
        raise HTTPException(400, f"page: {page!r} has no saved views; one of {', '.join(PAGES)}")
    kept = [(k, v) for k, v in parse_qsl(str(form.get("query", ""))) if k not in DROPPED]
    query = urlencode(kept)
    try:
        save_view(store_of(request), page, str(form.get("name", "")), query,
                  created_by=request.cookies.get("prodready_reviewer"))  # fmt: skip
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"{PAGES[page]}?{query}", status_code=303)


@router.post("/views/{view_id}/delete")
async def remove(request: Request, view_id: str) -> RedirectResponse:
    """Delete a saved view and go back to its page."""
    form = await check_csrf(request)
    page = str(form.get("page", "traces"))
    if not delete_view(store_of(request), view_id):
        raise HTTPException(404, f"no saved view {view_id!r}")
    return RedirectResponse(PAGES.get(page, "/ui/traces"), status_code=303)
