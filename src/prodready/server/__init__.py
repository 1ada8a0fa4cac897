"""The prodready server: OTLP/HTTP trace ingest and the read API (``prodready serve``).

>>> from prodready.server import create_app
>>> app = create_app(store_url="sqlite://")   # any ASGI server can run it

Importing this package is cheap: FastAPI, uvicorn and the OTLP protobufs (the
``prodready[server]`` extra) load when :func:`create_app` or :func:`serve` is called, so
``import prodready`` never needs them. The filter spellings the API and the CLI share
(``since``, ``attr``) are parsed by :mod:`prodready.store.filters`.
"""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:  # via the module, so no stray TYPE_CHECKING name is exported
    from pathlib import Path

    from fastapi import FastAPI

    from prodready.monitoring import AlertsConfig, OnlineConfig
    from prodready.store import Store

__all__ = [
    "DEFAULT_BODY_IDLE_TIMEOUT",
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_LIMIT_CONCURRENCY",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_PORT",
    "create_app",
    "serve",
]

DEFAULT_MAX_BODY_BYTES: typing.Final = 16 * 1024 * 1024
DEFAULT_BODY_TIMEOUT: typing.Final = 60.0
"""Seconds to receive a whole OTLP request body (16 MiB at about 2.2 Mbit/s)."""
DEFAULT_BODY_IDLE_TIMEOUT: typing.Final = 10.0
"""Seconds an OTLP request body may stall before the request is answered 408."""
DEFAULT_LIMIT_CONCURRENCY: typing.Final = 1000
"""Connections and requests uvicorn serves at once before answering 503 to new ones."""
DEFAULT_PORT: typing.Final = 4318
"""OTLP/HTTP's registered port, so exporters' default endpoint reaches the server."""

_EXTRA_HINT: typing.Final = 'pip install "prodready[server]"'


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
    alert_interval: float | None = 30.0,
) -> FastAPI:
    """Build the server's FastAPI app: ``POST /v1/traces``, ``/api/*``, ``/healthz``.

    Args:
        store: the store to use; the caller keeps ownership and closes it.
        store_url: open a store at this URL instead (closed with the app); with neither,
            ``$PRODREADY_STORE_URL`` or the local SQLite file.
        max_body_bytes: largest OTLP request accepted, before and after decompression.
        max_inflight_bytes: OTLP request bytes (as received and decompressed) processed at
            once; past it, ingest answers 503 with ``Retry-After`` at once. Memory for
            decoding is about ten times this. Default: twice ``max_body_bytes``.
        body_timeout: seconds to receive a whole OTLP request body, else 408.
        body_idle_timeout: seconds an OTLP request body may send nothing, else 408.
        online: online scoring's configuration (an ``OnlineConfig`` or an ``online.yaml``;
            default ``$PRODREADY_ONLINE_CONFIG``; neither: no online scoring).
        alert_rules: the alert rules file (or an ``AlertsConfig``; default
            ``$PRODREADY_ALERT_RULES``); rules can also be added through the API.
        alert_interval: seconds between alert evaluations (``None``: no alert loop).
        See ``docs/monitoring.md``.

    Returns:
        The app, for uvicorn or any ASGI server (or ``fastapi.testclient.TestClient``).

    Raises:
        ImportError: the server extra is not installed; the message says what to install.
        ValueError: both ``store`` and ``store_url`` are given, or a non-positive limit.
    """
    _require("fastapi", "opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    from prodready.server import app

    return app.create_app(
        store,
        store_url=store_url,
        max_body_bytes=max_body_bytes,
        max_inflight_bytes=max_inflight_bytes,
        body_timeout=body_timeout,
        body_idle_timeout=body_idle_timeout,
        online=online,
        alert_rules=alert_rules,
        alert_interval=alert_interval,
    )


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    store_url: str | None = None,
    log_level: str = "info",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_inflight_bytes: int | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    body_idle_timeout: float = DEFAULT_BODY_IDLE_TIMEOUT,
    limit_concurrency: int | None = DEFAULT_LIMIT_CONCURRENCY,
    timeout_keep_alive: int = 5,
) -> None:
    """Run the server with uvicorn until interrupted (what ``prodready serve`` calls).

    Args:
        host: interface to listen on; ``0.0.0.0`` to accept other machines.
        port: TCP port; 4318 is OTLP/HTTP's default, so exporters find it unconfigured.
        store_url: the store; default ``$PRODREADY_STORE_URL`` or the local SQLite file.
        log_level: uvicorn's log level (``critical`` ... ``debug``, ``trace``).
        max_body_bytes: largest OTLP request accepted.
        max_inflight_bytes, body_timeout, body_idle_timeout: as for :func:`create_app`.
        limit_concurrency: connections and requests served at once; uvicorn answers 503 to
            new ones past it (``None``: no limit).
        timeout_keep_alive: seconds an idle keep-alive connection stays open.

    Raises:
        ImportError: the server extra is not installed.
        prodready.store.StoreError: the store cannot be opened.
    """
    _require("uvicorn")
    import uvicorn

    app = create_app(
        store_url=store_url,
        max_body_bytes=max_body_bytes,
        max_inflight_bytes=max_inflight_bytes,
        body_timeout=body_timeout,
        body_idle_timeout=body_idle_timeout,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        limit_concurrency=limit_concurrency,
        timeout_keep_alive=timeout_keep_alive,
    )


def _require(*modules: str) -> None:
    """Import ``modules`` or raise an ImportError naming the extra to install."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ImportError(
                f"the prodready server needs {exc.name or module}: {_EXTRA_HINT}"
            ) from exc
