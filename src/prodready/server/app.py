"""The FastAPI application: OTLP ingest, the read API and health checks over one Store."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from prodready.dashboard import install as install_dashboard
from prodready.server import (
    DEFAULT_BODY_IDLE_TIMEOUT,
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    api,
    ingest,
    logs,
    metrics,
    startup,
)
from prodready.server.monitoring import DEFAULT_ALERT_INTERVAL, Monitoring
from prodready.server.monitoring import router as monitoring_router
from prodready.store import UNAVAILABLE_ERRORS, Store

if TYPE_CHECKING:
    from prodready.monitoring import AlertsConfig, OnlineConfig


def create_app(
    store: Store | None = None,
    *,
    store_url: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_inflight_bytes: int | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    body_idle_timeout: float = DEFAULT_BODY_IDLE_TIMEOUT,
    online: OnlineConfig | str | Path | None = None,
    alert_rules: AlertsConfig | str | Path | None = None,
    alert_interval: float | None = DEFAULT_ALERT_INTERVAL,
) -> FastAPI:
    """Build the server app.

    Args:
        store: the store to write to and read from; the caller keeps ownership (closes it).
        store_url: open a store at this URL instead (closed when the app shuts down); with
            neither, ``$PRODREADY_STORE_URL`` or the local SQLite file.
        max_body_bytes: largest OTLP request accepted, compressed and decompressed.
        max_inflight_bytes: OTLP request bytes (received and decompressed) being processed
            at once, past which ``/v1/*`` answers 503 with ``Retry-After``; default twice
            ``max_body_bytes``.
        body_timeout: seconds to receive a whole request body before answering 408.
        body_idle_timeout: seconds without body data before answering 408.
        online: online scoring's configuration or file (default ``$PRODREADY_ONLINE_CONFIG``;
            neither: no online scoring).
        alert_rules: the alert rules file or its contents (default ``$PRODREADY_ALERT_RULES``).
        alert_interval: seconds between alert checks (``None``: no alert loop).

    Returns:
        The FastAPI app; serve it with any ASGI server.
    """
    if store is not None and store_url is not None:
        raise ValueError("pass either a store or a store_url, not both")
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be positive, got {max_body_bytes}")
    for name, seconds in (("body_timeout", body_timeout), ("body_idle_timeout", body_idle_timeout)):
        if not seconds > 0:  # also NaN
            raise ValueError(f"{name} must be a positive number of seconds, got {seconds}")
    budget = ingest.IngestBudget(
        2 * max_body_bytes if max_inflight_bytes is None else max_inflight_bytes
    )
    owned = store is None
    the_store, pending = (store, False) if store is not None else startup.open_store(store_url)
    monitor = Monitoring.from_env(
        the_store, online=online, alerts=alert_rules, alert_interval=alert_interval
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        monitor.start()
        yield
        monitor.stop()
        if owned:
            the_store.close()

    app = FastAPI(
        title="prodready",
        summary="OTLP/HTTP trace ingest and the trace read API.",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.store = the_store
    app.state.max_body_bytes = max_body_bytes
    app.state.ingest_budget = budget
    app.state.monitoring = monitor
    app.state.ingest_observer = monitor  # counts spans, feeds online scoring
    app.include_router(ingest.router)
    app.include_router(logs.router)
    app.include_router(metrics.router)
    app.state.metrics_logged = threading.Event()  # /v1/metrics logs its first request only
    app.include_router(api.router)
    app.include_router(monitoring_router)
    install_dashboard(app)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    app.add_api_route(
        "/readyz", readyz, methods=["GET"], tags=["health"], responses={503: api.ANSWERS[503]}
    )
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _store_unavailable)
    app.add_middleware(
        ingest.IngestLimits,
        budget=budget,
        max_body_bytes=max_body_bytes,
        idle_timeout=body_idle_timeout,
        body_timeout=body_timeout,
    )
    if pending:  # the database was away: serve 503 until it answers, then migrate
        app.add_middleware(startup.MigrateWhenReachable, store=the_store, pending=pending)
    return app


def healthz() -> dict[str, str]:
    """Liveness: the process serves requests (the database is not consulted)."""
    return {"status": "ok"}


def readyz(request: Request) -> dict[str, str]:
    """Readiness: the store answers a query; 503 when it does not."""
    store: Store = request.app.state.store
    store.db.ping()  # an unavailable database raises, and _store_unavailable answers 503
    return {"status": "ok"}


async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
    # The read API's counterpart of ingest's 503: a database outage is not a server bug.
    return JSONResponse(
        {"detail": "the trace store is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": str(ingest.RETRY_AFTER_SECONDS)},
    )


def _version() -> str:
    try:
        return version("prodready")
    except PackageNotFoundError:
        return "0+unknown"
