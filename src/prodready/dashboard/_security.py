"""What keeps hostile span content inert and forms honest: CSP, CSRF, and friends.

Anyone who can send OTLP writes spans, and everything the dashboard shows comes from spans.
Three defences, each enough alone against script injection, together:

- Jinja2 autoescaping on every template (``_web.py``), so a value is text wherever it lands.
- A strict Content-Security-Policy on every dashboard answer: scripts and styles from the
  dashboard's own static files only (no inline script, no inline style, no ``eval``), no
  framing, forms post only to the dashboard. A violation is reported to ``/ui/csp-report``,
  logged and kept on ``app.state.csp_reports`` (the browser tests assert it stays empty).
- Cross-site request forgery: every state-changing request carries the token the server put
  in the page, which must equal the browser's ``prodready_csrf`` cookie (double submit; the
  cookie is ``SameSite=Strict`` and ``HttpOnly``), and a cross-site ``Origin`` or
  ``Sec-Fetch-Site`` is refused outright.

Written here rather than taken from a package: the kept CSRF middlewares for Starlette
(starlette-csrf, fastapi-csrf-protect) read the token from a header only, and the dashboard's
forms work without JavaScript, so the token travels as a form field.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any, Final
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

log = logging.getLogger("prodready.dashboard")

CSRF_COOKIE: Final = "prodready_csrf"
CSRF_FIELD: Final = "csrf"
REPORT_PATH: Final = "/ui/csp-report"

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        f"report-uri {REPORT_PATH}",
    )
)
"""The dashboard's policy: nothing inline, nothing from elsewhere."""

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csrf_token(request: Request) -> str:
    """The browser's CSRF token: its cookie's, or a new one (set by ``render``)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 32:
        token = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def check_csrf(request: Request) -> dict[str, Any]:
    """Refuse a state-changing request that did not come from a dashboard page (403).

    Returns the parsed form, which the caller reads its fields from.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(403, f"cross-site request refused (Sec-Fetch-Site: {site})")
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise HTTPException(403, f"cross-origin request refused (Origin: {origin})")
    elif origin == "null":
        raise HTTPException(403, "request from an opaque origin refused")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, cookie):
        raise HTTPException(
            403,
            "missing or stale CSRF token: reload the page and submit the form again",
        )
    return dict(form)
