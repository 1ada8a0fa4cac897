"""``northwind bank``: build the core-banking database, list the policy documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from northwind.bank._core import build_bank
from northwind.bank._policies import PolicyError, banking77_intents, load_policies

DEFAULT_PATH = Path(".northwind/bank.sqlite")

app = typer.Typer(
    help="Northwind Bank: its core-banking database and policy documents.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def build(
    path: Annotated[Path, typer.Option(help="Where to write the SQLite database.")] = DEFAULT_PATH,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 0,
    customers: Annotated[int, typer.Option(min=1, help="How many customers.")] = 500,
) -> None:
    """Write a fresh synthetic core-banking database (replacing any file at PATH)."""
    build_bank(path, seed=seed, customers=customers)
    typer.echo(f"built {path} (seed {seed}, {customers} customers)")


@app.command()
def policies() -> None:
    """List the policy documents and the BANKING77 intents each covers."""
    try:
        docs = load_policies()
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    covered: set[str] = set()
    for doc in docs:
        typer.echo(f"{doc.id}  v{doc.version}  {doc.effective_date}  {doc.owner}  {doc.title}")
        typer.echo(f"    {', '.join(doc.intents)}")
        covered.update(doc.intents)
    missing = [i for i in banking77_intents() if i not in covered]
    typer.echo(f"{len(docs)} documents cover {len(covered)} of 77 intents")
    if missing:
        typer.echo(f"not covered: {', '.join(missing)}", err=True)
        raise typer.Exit(1)
