"""Opening the store when the server starts, even while its database is unreachable.

A URL that can never work (unknown scheme, missing driver) fails at once with
``StoreError``. A database that is merely away does not stop the server: it starts, answers
503 with ``Retry-After`` (``/readyz`` included) and migrates the schema on the first request
after the database answers again, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from prodready.server import ingest
from prodready.store import UNAVAILABLE_ERRORS, Store, redact_url

log = logging.getLogger("prodready.server")

RETRY_EVERY_S = 1.0
"""Least time between two attempts to reach the database while it is away."""

ALWAYS_SERVED = frozenset({"/healthz", "/openapi.json", "/docs", "/redoc"})
"""Paths that never touch the store."""


def open_store(url: str | None) -> tuple[Store, bool]:
    """The store at ``url``, and whether its schema still waits for the database to answer.

    Raises:
        prodready.store.StoreError: the URL can never work.
    """
    store = Store(url, migrate=False)
    try:
        store.migrate()
    except UNAVAILABLE_ERRORS as exc:
        log.warning(
            "the store at %s is unreachable (%s); /readyz and ingest answer 503 until it returns",
            redact_url(store.url),
            type(exc).__name__,
        )
        return store, True
    return store, False


class MigrateWhenReachable:
    """ASGI middleware: 503 for every store-backed request until the schema is migrated."""

    def __init__(self, app: ASGIApp, store: Store, *, pending: bool) -> None:
        self.app = app
        self.store = store
        self.pending = pending
        self._lock = threading.Lock()
        self._last_attempt = -RETRY_EVERY_S

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.pending
            and scope["type"] == "http"
            and scope["path"] not in ALWAYS_SERVED
            and not await run_in_threadpool(self._try_migrate)
        ):
            await _unavailable()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _try_migrate(self) -> bool:
        # One attempt at a time, at most one a second; requests arriving meanwhile get their
        # 503 at once rather than a worker thread each, waiting on a slow connect.
        if not self._lock.acquire(blocking=False):
            return not self.pending
        try:
            if not self.pending:
                return True
            now = time.monotonic()
            if now - self._last_attempt < RETRY_EVERY_S:
                return False
            self._last_attempt = now
            try:
                self.store.migrate()
            except UNAVAILABLE_ERRORS:
                return False
            self.pending = False
            log.warning("the store at %s is reachable; serving", redact_url(self.store.url))
            return True
        finally:
            self._lock.release()


def _unavailable() -> JSONResponse:
    return JSONResponse(
        {"detail": "the trace store is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": str(ingest.RETRY_AFTER_SECONDS)},
    )
