"""``prodready serve``: the OTLP ingest server and read API (``prodready.server.serve``)."""

from __future__ import annotations

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
) -> None:
    """Receive OTLP/HTTP traces into the store and serve the read API."""
    from prodready.cli._render import fail
    from prodready.cli._store import CliState
    from prodready.store import StoreError, resolve_url

    try:
        from prodready.server import serve as run_server
    except ImportError as exc:
        fail(
            2, f'`prodready serve` needs the server extra: pip install "prodready[server]" ({exc})'
        )
    state = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
    try:
        run_server(host=host, port=port, store_url=resolve_url(state.store), log_level=log_level)
    except StoreError as exc:
        fail(2, f"cannot open the store (from {state.source}): {exc}")
