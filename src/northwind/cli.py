"""The ``northwind`` command: one sub-command group per part of the agent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the bank, the model and the prodready store go.")
    ] = Path(".northwind"),
    retrain: Annotated[
        bool, typer.Option(help="Train the intent classifier even if a saved one exists.")
    ] = False,
    traffic: Annotated[
        int | None, typer.Option(help="Cap on the production questions replayed (default all).")
    ] = None,
) -> None:
    """The case study: golden set and scorecard, the flaky-API incident and its fix, and the
    low-confidence cluster in the review queue. Exits 1 if a gate does not end as it should."""
    from northwind.demo import run_demo

    result = run_demo(workdir, retrain=retrain, traffic=traffic)
    story_holds = (
        result.golden.passed is True and result.flaky.passed is False and result.fixed.passed
    )
    if not story_holds:
        typer.echo("error: a gate did not end as the story says (see above)", err=True)
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()
