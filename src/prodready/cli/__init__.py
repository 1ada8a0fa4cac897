"""The ``prodready`` command line: thin commands over the same API users import.

One module per command group (``_traces``, ``_store``, ``_datasets``, ``_serve``, ...); heavy
imports (SQLAlchemy, Rich renderables) happen inside commands, so ``--help`` stays quick.
"""

from __future__ import annotations

import copy
from typing import Annotated

import typer

from prodready.cli import (
    _datasets,
    _eval,
    _monitoring,
    _review,
    _serve,
    _store,
    _testing,
    _traces,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="prodready",
    help="Observe and evaluate LLM agents: traces, evals, datasets, reviews, the store.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(_traces.app)
app.add_typer(_store.app)
app.add_typer(_datasets.app)
app.add_typer(_review.app)
app.add_typer(_eval.app)
app.add_typer(_testing.app)
app.add_typer(_monitoring.monitor_app)
app.add_typer(_monitoring.alerts_app)
app.command("serve")(_serve.serve)

_SOURCES = {"COMMANDLINE": "--store", "ENVIRONMENT": f"${_store.URL_ENV}"}


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"prodready {version('prodready')}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar=_store.URL_ENV,
            metavar="URL",
            help="Store URL: sqlite:///PATH or postgresql://...  "
            "Default: sqlite:///.prodready/prodready.db",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    source = ctx.get_parameter_source("store")
    name = source.name if source is not None else "DEFAULT"
    ctx.obj = _store.CliState(store=store, source=_SOURCES.get(name, "the default"))


def main() -> None:
    """Entry point of the ``prodready`` script.

    Off a terminal, help and usage errors are plain text with no width limit, as tables are
    (``_render``): Rich would box them at 80 columns, cutting long lines short.
    """
    from prodready.cli._render import LOG_WIDTH, for_log

    if not (for_log() or for_log(stderr=True)):
        app(prog_name="prodready")
        return
    plain = copy.copy(app)  # shallow: the real app's commands are shared, not changed
    plain.rich_markup_mode = None
    plain(prog_name="prodready", terminal_width=LOG_WIDTH, max_content_width=LOG_WIDTH)
