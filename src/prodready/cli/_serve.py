"""``prodready serve``: the OTLP ingest server and read API (``prodready.server.serve``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65_535, help="Port (4318 is OTLP/HTTP's).")
    ] = 4318,
    log_level: Annotated[LogLevel, typer.Option(help="Server log level.")] = "info",
    max_inflight_mib: Annotated[
        float,
        typer.Option(
            min=1, help="MiB of OTLP requests processed at once; past it, 503 and Retry-After."
        ),
    ] = 32,
    body_timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds to receive a request body, else 408.")
    ] = 60,
    body_idle_timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds a request body may stall, else 408.")
    ] = 10,
    limit_concurrency: Annotated[
        int, typer.Option(min=1, help="Connections served at once; 503 to new ones past it.")
    ] = 1000,
    prices: Annotated[
        Path | None,
        typer.Option(
            help="YAML or JSON model prices merged over the shipped table, to cost spans "
            "that report tokens but no cost (docs/conventions.md, Prices).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Receive OTLP/HTTP traces into the store; serve the read API and the dashboard."""
    from prodready.cli._render import fail
    from prodready.cli._store import CliState
    from prodready.monitoring import OnlineConfigError, RulesError
    from prodready.store import StoreError, resolve_url

    try:
        from prodready.server import serve as run_server
    except ImportError as exc:
        fail(
            2, f'`prodready serve` needs the server extra: pip install "prodready[server]" ({exc})'
        )
    state = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
    from prodready.tracing import prices as price_table

    try:
        price_table.use(prices)  # also checks $PRODREADY_PRICES, before the server starts
    except price_table.PricesError as exc:
        fail(2, f"cannot use the prices: {exc}")
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"prodready: dashboard at http://{shown}:{port}/ui/overview, "
        f"OTLP/HTTP at http://{shown}:{port}/v1/traces",
        err=True,
    )
    try:
        run_server(
            host=host,
            port=port,
            store_url=resolve_url(state.store),
            log_level=log_level,
            max_inflight_bytes=round(max_inflight_mib * 1024 * 1024),
            body_timeout=body_timeout,
            body_idle_timeout=body_idle_timeout,
            limit_concurrency=limit_concurrency,
        )
    except StoreError as exc:
        fail(2, f"cannot open the store (from {state.source}): {exc}")
    except (OnlineConfigError, RulesError) as exc:  # $PRODREADY_ONLINE_CONFIG, ..._ALERT_RULES
        fail(2, f"cannot use the monitoring configuration: {exc}")
