"""What the pages that change things share: the reviewer's name, flash messages, numbers.

There is no sign-in yet: whoever confirms a candidate or labels a review task types their
name in the form's *Reviewer* field, and the dashboard remembers it in the
``prodready_reviewer`` cookie (a convenience, not an identity: anyone can type any name).
The name is recorded on the decision as the repositories record any reviewer's.

A successful ``POST`` answers ``303 See Other`` back to a page, with a one-line message in a
short-lived ``prodready_flash`` cookie that the next page shows once and clears (a cookie
rather than a query parameter, so a link cannot make the dashboard say something).
"""

from __future__ import annotations

from typing import Any, Final, Literal
from urllib.parse import quote, unquote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

REVIEWER_COOKIE: Final = "prodready_reviewer"
FLASH_COOKIE: Final = "prodready_flash"
MAX_NAME: Final = 200
MAX_NOTE: Final = 10_000

FlashKind = Literal["ok", "error"]


def reviewer_of(request: Request) -> str:
    """The reviewer name this browser last used (empty if none)."""
    return unquote(request.cookies.get(REVIEWER_COOKIE, ""))[:MAX_NAME]


def text_field(
    form: dict[str, Any], name: str, *, required: bool = False, limit: int = MAX_NOTE
) -> str:
    """A form field as stripped text; 400 naming the field when it is missing or too long."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise HTTPException(400, f"{name}: expected text")
    value = value.strip()
    if required and not value:
        raise HTTPException(400, f"{name}: required")
    if len(value) > limit:
        raise HTTPException(400, f"{name}: longer than {limit} characters")
    return value


def reviewer_field(form: dict[str, Any]) -> str:
    """The form's ``reviewer``: required (a decision is never anonymous)."""
    return text_field(form, "reviewer", required=True, limit=MAX_NAME)


def whole_number(value: str | None, name: str, *, minimum: int = 0) -> int | None:
    """A query parameter as an int (``None`` when absent); 400 naming it when it is not."""
    if value is None or value == "":
        return None
    text = value.strip()
    if not text.isdigit() or int(text) < minimum:
        raise HTTPException(400, f"{name}: {value!r} is not a whole number >= {minimum}")
    return int(text)


def offset_of(request: Request) -> int:
    """The page's ``offset`` parameter (0 when absent)."""
    return whole_number(request.query_params.get("offset"), "offset") or 0


def redirect(
    request: Request, url: str, message: str, *, kind: FlashKind = "ok", reviewer: str = ""
) -> RedirectResponse:
    """``303`` to ``url`` with a flash message, remembering the reviewer's name."""
    response = RedirectResponse(url, status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(
        FLASH_COOKIE,
        quote(f"{kind}:{message[:500]}"),
        max_age=60,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    if reviewer:
        response.set_cookie(
            REVIEWER_COOKIE,
            quote(reviewer),
            max_age=365 * 86400,
            path="/ui",
            httponly=True,
            samesite="strict",
            secure=secure,
        )
    return response


def flash_of(request: Request) -> dict[str, str] | None:
    """The flash message waiting for this page, if any: ``{"kind", "text"}``."""
    raw = unquote(request.cookies.get(FLASH_COOKIE, ""))
    if not raw:
        return None
    kind, _, text = raw.partition(":")
    return {"kind": kind if kind in ("ok", "error") else "ok", "text": text}


def shown(request: Request, response: HTMLResponse) -> HTMLResponse:
    """Clear the flash message once a page has shown it."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/ui")
    return response
