"""``prodready store``: create or upgrade the schema, inspect and prune the store.

Also how every command opens the store, so a bad ``--store`` fails the same way everywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.table import Table

    from prodready.store import Store, StoreInfo

URL_ENV = "PRODREADY_STORE_URL"
"""Same as ``prodready.store.URL_ENV``; repeated so ``import prodready.cli`` skips SQLAlchemy."""

app = typer.Typer(
    name="store", help="Create or upgrade, inspect and prune the store.", no_args_is_help=True
)


@dataclass(frozen=True, kw_only=True)
class CliState:
    """What the root callback hands every command through ``ctx.obj``."""

    store: str | None = None
    source: str = "the default"
    """Where the store URL came from, for error messages: ``--store``, the env var, default."""


def open_store(ctx: typer.Context, *, migrate: bool = True, must_exist: bool = True) -> Store:
    """The store the user pointed at; exits 2 with a message naming the URL if it won't open.

    Args:
        migrate: bring the schema to the newest revision (as ``Store()`` does by default).
        must_exist: refuse a SQLite file that does not exist yet, rather than create an empty
            store and report nothing (a typo in ``--store`` would otherwise look like no data).
    """
    from prodready.cli._render import fail
    from prodready.store import (
        DatabaseError,
        Store,
        StoreError,
        redact_url,
        resolve_url,
        sqlite_path,
    )

    state = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
    url = resolve_url(state.store)
    where = f"store URL {redact_url(url)!r} (from {state.source})"
    store: Store | None = None
    try:
        path = sqlite_path(url)
        if must_exist and path is not None and not path.exists():
            fail(
                2,
                f"no store at {path}: the {where} names a file that does not exist; create it "
                f"with `prodready store migrate`, or point --store or ${URL_ENV} at a store",
            )
        store = Store(url, migrate=migrate)
        if not migrate:
            store.revision()  # connect now, so a bad URL fails here and not mid-command
    except (StoreError, DatabaseError, ValueError, OSError) as exc:
        if store is not None:
            store.close()
        reason = str(getattr(exc, "orig", None) or exc).replace(url, redact_url(url))
        fail(2, f"cannot open {where}: {reason}")
    return store


def display_url(store: Store) -> str:
    """The store's URL without its password."""
    return store.db.display_url


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create the schema in a blank database, or upgrade it to this version's newest revision."""
    from prodready.cli._render import stdout

    with open_store(ctx, migrate=False, must_exist=False) as store:
        before = store.db.revisions()
        after = store.db.migrate()
        url = display_url(store)
    # One migration branch per pillar: "store 0006 -> 0007, evaluation none -> evaluation_0002".
    moves = ", ".join(
        f"{label} {before.get(label) or 'none'} -> {revision or 'none'}"
        for label, revision in after.items()
    )
    note = "  (already up to date)" if before == after else ""
    # One line, however long: scripts read it, and a wrap would split a branch's move.
    stdout().print(f"{url}: {moves}{note}", markup=False, soft_wrap=True)


@app.command()
def info(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Where the store is, its schema revision, and how much it holds."""
    from prodready.cli._render import stdout

    with open_store(ctx, migrate=False) as store:
        result = _info(store)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        stdout().print(_info_grid(result))


def _info(store: Store) -> StoreInfo:
    return store.info()


def _info_grid(info: StoreInfo) -> Table:
    from rich.text import Text

    from prodready.cli._render import detail_grid, format_time

    # One line per migration branch: "store 0007 (head)", "evaluation none (head is ...)".
    revisions = Text()
    for label, head in info.heads.items():
        current = info.revisions.get(label)
        if revisions:
            revisions.append("\n")
        if current == head:
            revisions.append(f"{label} {current} (head)", style="green")
        else:
            revisions.append(
                f"{label} {current or 'none'} (head is {head}: run `prodready store migrate`)",
                style="yellow",
            )
    grid = detail_grid()
    grid.add_row("URL", Text(info.url))
    grid.add_row("Dialect", info.dialect)
    grid.add_row("Revision", revisions)
    grid.add_row("Traces", f"{info.trace_count:,}")
    grid.add_row("Spans", f"{info.span_count:,}")
    grid.add_row("Oldest", format_time(info.oldest_start_ns))
    grid.add_row("Newest", format_time(info.newest_start_ns))
    return grid


@app.command()
def prune(
    ctx: typer.Context,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Delete traces that started longer ago than this, e.g. 30d, 12h.",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Retention: delete old traces, with their spans."""
    from prodready.cli._render import fail, format_time, stdout
    from prodready.store import TraceQuery
    from prodready.store.filters import parse_duration

    try:
        age_ns = parse_duration(older_than)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--older-than'") from None
    now_ns = time.time_ns()
    cutoff_ns = now_ns - age_ns
    with open_store(ctx) as store:
        count = store.count_traces(TraceQuery(start_before_ns=cutoff_ns))
        if count == 0:
            stdout().print(f"No traces started before {format_time(cutoff_ns)}; nothing to delete.")
            return
        question = (
            f"Delete {count} traces started before {format_time(cutoff_ns)} "
            f"from {display_url(store)}?"
        )
        if not yes and not typer.confirm(question):
            fail(1, "aborted; nothing deleted")
        deleted = store.delete_older_than(age_ns / 86_400e9, now_ns=now_ns)
    stdout().print(f"Deleted {deleted} traces started before {format_time(cutoff_ns)}.")
