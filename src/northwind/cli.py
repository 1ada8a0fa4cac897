"""The ``northwind`` command: one sub-command group per part of the agent."""

from __future__ import annotations

import typer

from northwind.bank._cli import app as bank_app
from northwind.intents._cli import app as intents_app

app = typer.Typer(
    name="northwind",
    help="Northwind Bank's support agent: the reference agent of prodready.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(bank_app, name="bank")
app.add_typer(intents_app, name="intents")


def main() -> None:
    """Console-script entry point."""
    app()
