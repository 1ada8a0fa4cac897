"""Mount the dashboard on the server's app: pages under ``/ui``, static files, headers."""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prodready.dashboard import _web
from prodready.dashboard._scope import default_scope, read_scope
from prodready.dashboard._security import REPORT_PATH, SECURITY_HEADERS

log = logging.getLogger("prodready.dashboard")

MAX_CSP_REPORTS = 1000
"""Violation reports kept in memory (``app.state.csp_reports``); older ones are dropped."""


class SecurityHeaders:
    """Pure ASGI middleware: the dashboard's security headers on every ``/ui`` answer.

    Pure ASGI rather than ``BaseHTTPMiddleware`` so ingest requests pay one string test.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/ui"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.raw if k not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Add the dashboard to ``app`` (which has ``app.state.store``)."""
    from prodready.dashboard import pages  # noqa: F401  (registers the pages)
    from prodready.dashboard.pages import ROUTERS

    app.state.csp_reports = []
    static = files("prodready.dashboard") / "static"
    app.mount("/ui/static", StaticFiles(directory=str(static)), name="dashboard-static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    app.add_api_route("/ui", _home, methods=["GET"], include_in_schema=False)
    app.add_api_route(REPORT_PATH, _csp_report, methods=["POST"], include_in_schema=False)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(SecurityHeaders)


def _home() -> RedirectResponse:
    return RedirectResponse("/ui/overview", status_code=307)


async def _csp_report(request: Request) -> Response:
    """Where browsers report a Content-Security-Policy violation: logged and kept."""
    body = await request.body()
    if len(body) > 64 * 1024:
        return Response(status_code=413)
    try:
        report: Any = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return Response(status_code=400)
    reports: list[Any] = request.app.state.csp_reports
    reports.append(report)
    del reports[:-MAX_CSP_REPORTS]
    log.warning(
        "Content-Security-Policy violation reported: %s", body[:2000].decode(errors="replace")
    )
    return Response(status_code=204)


async def _http_error(request: Request, exc: Exception) -> Response:
    """An HTML error page for the dashboard's routes; the API keeps its JSON errors."""
    assert isinstance(exc, StarletteHTTPException)
    if not request.url.path.startswith("/ui") or request.url.path.startswith("/ui/static"):
        return await http_exception_handler(request, exc)
    try:
        scope = read_scope(request)
    except StarletteHTTPException:  # the scope itself was bad: show the page in the default
        scope = default_scope()
    return _web.render(
        request,
        "error.html",
        {"status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
        scope=scope,
    )
