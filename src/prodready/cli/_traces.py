"""``prodready traces``: list, show and summarise stored traces (``Store.list_traces`` & co.)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import typer

from prodready.cli._store import open_store

if TYPE_CHECKING:
    from prodready.store import Store, TraceQuery

T = TypeVar("T")
V = TypeVar("V")

app = typer.Typer(
    name="traces", help="List, show and summarise stored traces.", no_args_is_help=True
)

# The filters `list` and `stats` share, declared once.
Since = Annotated[
    str | None,
    typer.Option(
        metavar="WHEN",
        help="Only traces started at or after this: a duration ago (15m, 2h, 7d) "
        "or an ISO date/time (local unless it has an offset).",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        metavar="WHEN",
        help="Only traces started before this (same forms as --since).",
        show_default=False,
    ),
]
Name = Annotated[str | None, typer.Option(help="Only traces with this name.", show_default=False)]
Status = Annotated[
    Literal["ok", "error"] | None,
    typer.Option(
        help="Only traces with this outcome (the root span's status).", show_default=False
    ),
]
Errors = Annotated[
    bool,
    typer.Option("--errors", help="Only traces with a failed span (a retried tool call counts)."),
]
Kind = Annotated[
    str | None,
    typer.Option(
        help="Only traces with a span of this kind (agent, llm, tool, retriever, ...).",
        show_default=False,
    ),
]
Release = Annotated[str | None, typer.Option(help="Only this release.", show_default=False)]
Session = Annotated[str | None, typer.Option(help="Only this session id.", show_default=False)]
User = Annotated[str | None, typer.Option(help="Only this user id.", show_default=False)]
Env = Annotated[
    str | None, typer.Option(help="Only this deployment environment.", show_default=False)
]
Attr = Annotated[
    list[str] | None,
    typer.Option(
        metavar="KEY=VALUE",
        help="Only traces with a span whose attribute KEY equals VALUE; KEY:VALUE works too. "
        "Repeatable, each KEY once. true/false and numbers are typed; quote to force a "
        "string: 'k=\"2\"'.",
        show_default=False,
    ),
]
MinDuration = Annotated[
    str | None,
    typer.Option(
        metavar="DURATION",
        help="Only traces at least this long, e.g. 250ms, 2s.",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_HEX = re.compile(r"[0-9a-f]+")
_MIN_PREFIX = 6
_MAX_CANDIDATES = 10


@app.command("list")
def list_(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    name: Name = None,
    status: Status = None,
    errors: Errors = False,
    kind: Kind = None,
    release: Release = None,
    session: Session = None,
    user: User = None,
    env: Env = None,
    attr: Attr = None,
    min_duration: MinDuration = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Show at most this many.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    full_ids: Annotated[bool, typer.Option("--full-ids", help="Show 32-character ids.")] = False,
    as_json: AsJson = False,
) -> None:
    """Traces, newest first."""
    query = _query(
        since=since, until=until, name=name, status=status, errors=errors, kind=kind,
        release=release, session=session, user=user, env=env, attr=attr,
        min_duration=min_duration, limit=limit, offset=offset,
    )  # fmt: skip
    with open_store(ctx) as store:
        rows = store.list_traces(query)
        total = store.count_traces(query) if not as_json else 0
    if as_json:
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    from prodready.cli._render import stdout, traces_table

    console = stdout()
    if rows:
        console.print(traces_table(rows, full_ids=full_ids))
    skipped = f" (after skipping {offset})" if offset else ""
    console.print(f"{len(rows)} of {total} traces{skipped}", style="dim")


@app.command()
def show(
    ctx: typer.Context,
    trace_id: Annotated[
        str,
        typer.Argument(
            help="Trace id, or a unique prefix of it (at least 6 hex characters).",
            show_default=False,
        ),
    ],
    attrs: Annotated[
        bool, typer.Option("--attrs", help="Show every attribute (values cut at 200 chars).")
    ] = False,
    max_depth: Annotated[
        int | None,
        typer.Option(
            min=0, help="Show spans down to this depth (the root is 0).", show_default=False
        ),
    ] = None,
    limit_spans: Annotated[
        int, typer.Option(min=0, help="Show at most this many spans; 0 shows all.")
    ] = 1000,
    messages: Annotated[
        bool,
        typer.Option(
            "--messages/--no-messages",
            help="Show each LLM call's messages (a transcript) under its span.",
        ),
    ] = True,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Show messages, tool arguments, status messages and events whole, uncut.",
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the trace as JSON, with each LLM call normalised (llm_calls)."
        ),
    ] = False,
) -> None:
    """One trace: a header with its model-call totals, then its span tree with LLM transcripts."""
    with open_store(ctx) as store:
        trace = store.get_trace(resolve_trace_id(store, trace_id))
    if trace is None:
        from prodready.cli._render import fail

        fail(1, f"no trace {trace_id.strip().lower()!r} in the store")
    if as_json:
        from prodready.tracing.llm import TraceDetail

        typer.echo(TraceDetail.of(trace).model_dump_json(indent=2))
        return
    from prodready.cli._render import stdout, trace_header, trace_tree

    console = stdout()
    console.print(trace_header(trace))
    console.print()
    console.print(
        trace_tree(
            trace,
            max_depth=max_depth,
            limit_spans=limit_spans or None,
            show_attrs=attrs,
            messages=messages,
            full=full,
        )
    )


@app.command()
def stats(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    name: Name = None,
    status: Status = None,
    errors: Errors = False,
    kind: Kind = None,
    release: Release = None,
    session: Session = None,
    user: User = None,
    env: Env = None,
    attr: Attr = None,
    min_duration: MinDuration = None,
    as_json: AsJson = False,
) -> None:
    """Trace count, error rate and latency percentiles, then the same per span name and kind."""
    query = _query(
        since=since, until=until, name=name, status=status, errors=errors, kind=kind,
        release=release, session=session, user=user, env=env, attr=attr,
        min_duration=min_duration,
    )  # fmt: skip
    with open_store(ctx) as store:
        result = store.stats(query)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    from prodready.cli._render import stats_summary, stats_table, stdout

    console = stdout()
    console.print(stats_summary(result))
    if result.spans:
        console.print()
        console.print(stats_table(result))


def resolve_trace_id(store: Store, ref: str) -> str:
    """The full id for ``ref``: a whole trace id, or a prefix matching exactly one stored trace.

    Exits 2 if ``ref`` is not hex, too short or ambiguous, and 1 if no trace id starts with it.
    """

    from prodready.cli._render import fail

    ref = ref.strip().lower()
    if not _HEX.fullmatch(ref) or len(ref) > 32:
        raise typer.BadParameter(
            f"{ref!r} is not a trace id: expected up to 32 hex characters", param_hint="TRACE_ID"
        )
    if len(ref) == 32:
        return ref
    if len(ref) < _MIN_PREFIX:
        raise typer.BadParameter(
            f"prefix {ref!r} is too short: give at least {_MIN_PREFIX} hex characters",
            param_hint="TRACE_ID",
        )
    ids = store.find_trace_ids(ref, limit=_MAX_CANDIDATES + 1)
    if not ids:
        fail(1, f"no trace id starts with {ref!r}")
    if len(ids) > 1:
        listing = "".join(f"\n  {i}" for i in ids[:_MAX_CANDIDATES])
        more = "\n  …" if len(ids) > _MAX_CANDIDATES else ""
        fail(
            2,
            f"trace id prefix {ref!r} is ambiguous; give more characters. "
            f"It matches:{listing}{more}",
        )
    return ids[0]


def _query(
    *,
    since: str | None,
    until: str | None,
    name: str | None,
    status: Literal["ok", "error"] | None,
    errors: bool,
    kind: str | None,
    release: str | None,
    session: str | None,
    user: str | None,
    env: str | None,
    attr: list[str] | None,
    min_duration: str | None,
    limit: int = 50,
    offset: int = 0,
) -> TraceQuery:
    """The store query for the shared filter options; bad values exit 2 naming the option."""
    from pydantic import ValidationError

    from prodready.store import TraceQuery
    from prodready.store.filters import parse_attrs, parse_duration, parse_time
    from prodready.tracing.kinds import check_kind

    now_ns = time.time_ns()

    def when(text: str) -> int:  # the CLI shows local times, so a naive time is local too
        return parse_time(text, now_ns=now_ns, naive="local")

    fields = dict(
        start_after_ns=_optional("--since", when, since),
        start_before_ns=_optional("--until", when, until),
        name=name,
        status=status,
        has_error=True if errors else None,
        kind=_optional("--kind", check_kind, kind),
        release=release,
        session_id=session,
        user_id=user,
        environment=env,
        min_duration_ns=_optional("--min-duration", parse_duration, min_duration),
        attributes=_convert("--attr", parse_attrs, attr or []),
        limit=limit,
        offset=offset,
    )
    try:
        return TraceQuery(**fields)
    except ValidationError as exc:  # a value beyond what the store holds (e.g. --since 1e9d)
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        raise typer.BadParameter(
            f"{error['msg'].lower()} ({field})", param_hint=f"'{_OPTION_OF.get(field, field)}'"
        ) from None


_OPTION_OF = {
    "start_after_ns": "--since",
    "start_before_ns": "--until",
    "min_duration_ns": "--min-duration",
    "offset": "--offset",
    "limit": "--limit",
}


def _optional(option: str, parse: Callable[[str], T], value: str | None) -> T | None:
    return None if value is None else _convert(option, parse, value)


def _convert(option: str, parse: Callable[[V], T], value: V) -> T:
    try:
        return parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None
