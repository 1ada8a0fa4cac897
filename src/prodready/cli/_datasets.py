"""``prodready datasets``: versioned golden datasets and candidate cases from production.

Each command calls the function a user imports from ``prodready.evaluation.datasets``.
Exit codes: 0 done; 1 not found or refused (a candidate already reviewed, an input the
dataset already has); 2 bad input (a malformed file, a bad name, repeated ids or inputs, an
ambiguous candidate id prefix).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from prodready.cli._store import open_store

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from prodready.evaluation import Case, DatasetVersion, Expected
    from prodready.evaluation.datasets import (
        CandidateCase,
        DatasetDiff,
        DatasetInfo,
        DatasetVersionInfo,
    )
    from prodready.store import Store

app = typer.Typer(
    name="datasets",
    help="Versioned golden datasets: import, export, diff; candidate cases from production.",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="The dataset's name.", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
By = Annotated[
    str, typer.Option("--by", metavar="WHO", help="Who reviews (required).", show_default=False)
]
CandidateId = Annotated[
    str,
    typer.Argument(
        metavar="CANDIDATE_ID",
        help="The candidate's id, or a unique prefix of it.",
        show_default=False,
    ),
]
_CELL = 60


@app.command("list")
def list_(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every dataset with its latest version."""
    from prodready.cli._render import print_listing
    from prodready.evaluation.datasets import list_datasets

    with open_store(ctx) as store:
        rows = list_datasets(store)
    print_listing(rows, as_json=as_json, table=_datasets_table, noun="dataset")


@app.command()
def show(
    ctx: typer.Context,
    name: Name,
    version: Annotated[
        int | None, typer.Option(min=1, help="Version (default: latest).", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="Show at most this many cases; 0: all.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the version as JSON.")] = False,
) -> None:
    """One version of a dataset: its header, history, then its cases."""
    from prodready.evaluation.datasets import dataset_history

    with open_store(ctx) as store:
        loaded = _load(store, name, version)
        history = dataset_history(store, name)
    if as_json:
        typer.echo(loaded.model_dump_json(indent=2))
        return
    from prodready.cli._render import stdout

    console = stdout()
    console.print(_version_header(loaded, latest=history[-1].version))
    console.print()
    shown = loaded.cases[:limit] if limit else loaded.cases
    if shown:
        console.print(_cases_table(shown))
    if len(shown) < len(loaded.cases):
        console.print(f"… {len(loaded.cases) - len(shown)} more cases (see --limit)", style="dim")
    console.print()
    console.print(_history_table(history, shown=loaded.version))


@app.command("import")
def import_(
    ctx: typer.Context,
    name: Name,
    file: Annotated[
        Path, typer.Argument(help="A .jsonl or .csv file of cases.", show_default=False)
    ],
    message: Annotated[
        str | None, typer.Option(help="Why (recorded on the version).", show_default=False)
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", metavar="WHO", help="Who saves the version.")
    ] = None,
    description: Annotated[
        str | None, typer.Option(help="Set the dataset's description.", show_default=False)
    ] = None,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="Keep cases with the same input.")
    ] = False,
) -> None:
    """Save a file's cases as the dataset's next version.

    Every error in the file is reported with its line; a file with any error saves nothing.
    """
    from prodready.cli._render import fail, stdout
    from prodready.evaluation.datasets import (
        DatasetError,
        find_duplicates,
        load_dataset,
        read_cases,
        save_dataset,
    )

    try:
        cases = read_cases(file)
    except DatasetError as exc:
        fail(2, f"{file} was not imported:\n{exc}")
    except OSError as exc:
        fail(2, f"cannot read {file}: {exc.strerror or exc}")
    with open_store(ctx, must_exist=False) as store:
        before = _latest(store, name)
        try:
            saved = save_dataset(
                store,
                name,
                cases,
                created_by=by,
                message=message,
                description=description,
                allow_duplicates=allow_duplicates,
            )
        except DatasetError as exc:
            fail(2, str(exc))
        if before is not None and saved.version == before:
            stdout().print(f"No changes: {name} v{saved.version} already has these cases.")
            return
        previous = load_dataset(store, name, before) if before is not None else None
    console = stdout()
    console.print(f"Saved {name} v{saved.version}: {len(saved.cases)} cases ({saved.content_hash})")
    if previous is not None:
        from prodready.evaluation.datasets import diff_datasets

        d = diff_datasets(previous, saved)
        console.print(
            f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed "
            f"since v{previous.version}",
            style="dim",
        )
    for group in find_duplicates(cases):
        if group.kind == "near":
            ids = ", ".join(group.case_ids)
            console.print(
                f"warning: near-duplicate inputs ({group.similarity:.2f}): {ids}", style="yellow"
            )


@app.command()
def export(
    ctx: typer.Context,
    name: Name,
    file: Annotated[
        Path, typer.Argument(help="Where to write: .jsonl or .csv.", show_default=False)
    ],
    version: Annotated[
        int | None, typer.Option(min=1, help="Version (default: latest).", show_default=False)
    ] = None,
) -> None:
    """Write one version's cases to a JSONL or CSV file."""
    from prodready.cli._render import fail, stdout
    from prodready.evaluation.datasets import write_cases

    with open_store(ctx) as store:
        loaded = _load(store, name, version)
    try:
        write_cases(file, loaded.cases)
    except (ValueError, OSError) as exc:
        fail(2, f"cannot write {file}: {exc}")
    stdout().print(f"Wrote {len(loaded.cases)} cases of {name} v{loaded.version} to {file}")


@app.command()
def diff(
    ctx: typer.Context,
    name: Name,
    v1: Annotated[int, typer.Argument(min=1, help="The old version.", show_default=False)],
    v2: Annotated[int, typer.Argument(min=1, help="The new version.", show_default=False)],
    as_json: AsJson = False,
) -> None:
    """What changed from version V1 to V2: cases added, removed and changed, field by field."""
    from prodready.evaluation.datasets import diff_datasets

    with open_store(ctx) as store:
        result = diff_datasets(_load(store, name, v1), _load(store, name, v2))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    from prodready.cli._render import stdout

    stdout().print(_diff_text(result))


@app.command("add-trace")
def add_trace(
    ctx: typer.Context,
    name: Name,
    trace_id: Annotated[
        str, typer.Argument(help="Trace id, or a unique prefix of it.", show_default=False)
    ],
    by: Annotated[str, typer.Option("--by", metavar="WHO", help="Who proposes it (required).")],
    reason: Annotated[
        str, typer.Option(help="What the case guards against (required).", show_default=False)
    ],
    tag: Annotated[
        list[str] | None, typer.Option(help="A tag (repeatable).", show_default=False)
    ] = None,
) -> None:
    """Propose a production trace as a candidate case; it joins only when confirmed."""
    from prodready.cli._render import fail, stdout
    from prodready.cli._traces import resolve_trace_id
    from prodready.evaluation.datasets import DatasetError, DatasetNotFound, add_from_trace

    _person(by)
    with open_store(ctx) as store:
        full_id = resolve_trace_id(store, trace_id)
        try:
            candidate = add_from_trace(
                store, full_id, name, added_by=by, reason=reason, tags=tag or ()
            )
        except DatasetNotFound as exc:
            fail(1, str(exc))
        except LookupError:
            fail(1, f"no trace {full_id!r} in the store")
        except DatasetError as exc:
            fail(1, str(exc))
    console = stdout()
    console.print(f"Candidate {candidate.id} for {name} (pending review): {candidate.case.id}")
    console.print(_candidate_detail(candidate))


@app.command()
def candidates(
    ctx: typer.Context,
    dataset: Annotated[
        str | None, typer.Option(help="Only candidates for this dataset.", show_default=False)
    ] = None,
    status: Annotated[
        Literal["pending", "confirmed", "rejected", "all"], typer.Option(help="Which ones.")
    ] = "pending",
    as_json: AsJson = False,
) -> None:
    """Candidate cases proposed from production, oldest first."""
    from prodready.cli._render import print_listing
    from prodready.evaluation.datasets import list_candidates

    with open_store(ctx) as store:
        rows = list_candidates(store, dataset, None if status == "all" else status)
    which = "" if status == "all" else f"{status} "
    print_listing(rows, as_json=as_json, table=_candidates_table, noun="candidate", qualifier=which)


@app.command()
def confirm(
    ctx: typer.Context,
    candidate_id: CandidateId,
    by: By,
    reference: Annotated[
        str | None, typer.Option(help="The expected answer.", show_default=False)
    ] = None,
    fact: Annotated[
        list[str] | None,
        typer.Option(help="A fact the answer must state (repeatable).", show_default=False),
    ] = None,
    intent: Annotated[
        str | None, typer.Option(help="The expected intent.", show_default=False)
    ] = None,
    tool: Annotated[
        list[str] | None,
        typer.Option(help="A tool the agent should call (repeatable).", show_default=False),
    ] = None,
    no_tools: Annotated[
        bool, typer.Option("--no-tools", help="The agent should call no tool.")
    ] = False,
    escalation: Annotated[
        bool | None,
        typer.Option(
            "--escalation/--no-escalation",
            help="Whether the agent should hand over to a human.",
            show_default=False,
        ),
    ] = None,
    use_suggested: Annotated[
        bool,
        typer.Option(
            "--use-suggested", help="Start from the trace's output and intent as the answer."
        ),
    ] = False,
) -> None:
    """Confirm a candidate with its expected answer: it joins the dataset as a new version."""
    from prodready.cli._render import fail, stdout
    from prodready.evaluation import Expected
    from prodready.evaluation.datasets import (
        CandidateNotFound,
        DatasetError,
        confirm_candidate,
        get_candidate,
    )

    _person(by)
    if tool and no_tools:
        raise typer.BadParameter("give --tool or --no-tools, not both", param_hint="'--no-tools'")
    overrides: dict[str, Any] = {
        "reference": reference,
        "facts": fact or None,
        "intent": intent,
        "tools": [] if no_tools else (tool or None),
        "escalation": escalation,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    with open_store(ctx) as store:
        candidate_id = _candidate_id(store, candidate_id)
        try:
            candidate = get_candidate(store, candidate_id)
            expected = _expected(candidate, overrides, use_suggested=use_suggested)
            if (expected or candidate.case.expected) == Expected():
                fail(
                    1,
                    f"candidate {candidate_id} has no expected answer yet: give --reference, "
                    "--fact, --intent, --tool or --escalation, or --use-suggested to take the "
                    "trace's output and intent",
                )
            saved = confirm_candidate(store, candidate_id, reviewer=by, expected=expected)
        except CandidateNotFound as exc:
            fail(1, str(exc))
        except DatasetError as exc:
            fail(1, str(exc))
    stdout().print(
        f"Confirmed {candidate_id}: {saved.name} v{saved.version} now has "
        f"{len(saved.cases)} cases, including {candidate.case.id}"
    )


@app.command()
def reject(
    ctx: typer.Context,
    candidate_id: CandidateId,
    by: By,
    note: Annotated[
        str | None, typer.Option(help="Why it is rejected.", show_default=False)
    ] = None,
) -> None:
    """Reject a candidate: it never joins the dataset (and stays listed as rejected)."""
    from prodready.cli._render import fail, stdout
    from prodready.evaluation.datasets import CandidateNotFound, DatasetError, reject_candidate

    _person(by)
    with open_store(ctx) as store:
        candidate_id = _candidate_id(store, candidate_id)
        try:
            done = reject_candidate(store, candidate_id, reviewer=by, note=note)
        except CandidateNotFound as exc:
            fail(1, str(exc))
        except DatasetError as exc:
            fail(1, str(exc))
    stdout().print(f"Rejected {done.id} ({done.case.id} for {done.dataset}).")


# --- helpers ---------------------------------------------------------------------------------


def _person(by: str) -> None:
    if not by.strip():
        raise typer.BadParameter("must name a person", param_hint="'--by'")


def _candidate_id(store: Store, ref: str) -> str:
    """The id of the candidate ``ref`` names (its id or a unique prefix); else exit 1 or 2."""
    from prodready.cli._render import fail
    from prodready.evaluation.datasets import CandidateNotFound, find_candidate_id

    try:
        return find_candidate_id(store, ref)
    except CandidateNotFound as exc:
        fail(1, f"{exc}; see `prodready datasets candidates --status all`")
    except ValueError as exc:
        fail(2, str(exc))


def _load(store: Store, name: str, version: int | None) -> DatasetVersion:
    from prodready.cli._render import fail
    from prodready.evaluation.datasets import DatasetNotFound, load_dataset

    try:
        return load_dataset(store, name, version)
    except DatasetNotFound as exc:
        fail(1, str(exc))


def _latest(store: Store, name: str) -> int | None:
    from prodready.evaluation.datasets import DatasetNotFound, dataset_history

    try:
        return dataset_history(store, name)[-1].version
    except DatasetNotFound:
        return None


def _expected(
    candidate: CandidateCase, overrides: dict[str, Any], *, use_suggested: bool
) -> Expected | None:
    """The expected answer to confirm with; ``None`` keeps the proposed one."""
    from prodready.evaluation import Expected

    if not overrides and not use_suggested:
        return None
    base = candidate.suggested_expected() if use_suggested else candidate.case.expected
    return Expected.model_validate(base.model_dump() | overrides)


def _cell(value: Any, width: int = _CELL) -> str:
    from prodready.cli._render import format_value

    return "-" if value is None else format_value(value, width)


def _datasets_table(rows: list[DatasetInfo]) -> Table:
    from rich.table import Table
    from rich.text import Text

    from prodready.cli._render import format_time

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Dataset", "Version", "Cases", "Updated", "Created by", "Description"):
        table.add_column(header, justify="right" if header in ("Version", "Cases") else "left")
    for r in rows:
        table.add_row(
            Text(r.name),
            f"v{r.latest_version}",
            str(r.case_count),
            format_time(r.updated_at_ns),
            Text(r.created_by or "-"),
            Text(_cell(r.description)),
        )
    return table


def _version_header(v: DatasetVersion, *, latest: int) -> Table:
    from rich.text import Text

    from prodready.cli._render import detail_grid, format_time

    grid = detail_grid()
    label = f"v{v.version}" + (" (latest)" if v.version == latest else f" (latest is v{latest})")
    for key, value in (
        ("Dataset", v.name),
        ("Version", label),
        ("Hash", v.content_hash),
        ("Cases", str(len(v.cases))),
        ("Created", format_time(v.created_at_ns)),
        ("By", v.created_by or "-"),
        ("Message", v.message or "-"),
    ):
        grid.add_row(key, Text(value))
    return grid


def _history_table(history: list[DatasetVersionInfo], *, shown: int) -> Table:
    from rich.table import Table
    from rich.text import Text

    from prodready.cli._render import format_time

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Version", "Saved", "Cases", "By", "Message"):
        table.add_column(header, justify="right" if header in ("Version", "Cases") else "left")
    for h in reversed(history):
        table.add_row(
            f"v{h.version}",
            format_time(h.created_at_ns),
            str(h.case_count),
            Text(h.created_by or "-"),
            Text(h.message or "-"),
            style="bold" if h.version == shown else None,
        )
    return table


def _cases_table(cases: list[Case]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Case", "Split", "Tags", "Input", "Expected", "Provenance"):
        table.add_column(header, overflow="fold" if header == "Case" else "ellipsis")
    for c in cases:
        table.add_row(
            Text(c.id),
            c.split,
            Text(", ".join(c.tags) or "-"),
            Text(_cell(c.input, 50)),
            Text(_expected_summary(c.expected)),
            Text(c.provenance),
        )
    return table


def _expected_summary(e: Expected) -> str:
    from prodready.cli._render import plural

    parts = []
    if e.reference is not None:
        parts.append(_cell(e.reference, 40))
    if e.intent:
        parts.append(f"intent={e.intent}")
    if e.facts:
        parts.append(f"{len(e.facts)} {plural(len(e.facts), 'fact')}")
    if e.tools is not None:
        parts.append("tools=" + (",".join(e.tools) or "none"))
    if e.escalation is not None:
        parts.append(f"escalation={str(e.escalation).lower()}")
    return " · ".join(parts) or "-"


def _candidates_table(rows: list[CandidateCase]) -> Table:
    from rich.table import Table
    from rich.text import Text

    from prodready.cli._render import format_time

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in (
        "Candidate",
        "Dataset",
        "Status",
        "Input",
        "Suggested answer",
        "By",
        "Reason",
        "Proposed",
    ):
        table.add_column(header, no_wrap=header in ("Candidate", "Proposed"))
    for c in rows:
        table.add_row(
            c.id,
            Text(c.dataset),
            c.status,
            Text(_cell(c.case.input, 40)),
            Text(_cell(c.suggested.get("reference"), 40)),
            Text(c.created_by or "-"),
            Text(_cell(c.case.reason, 40)),
            format_time(c.created_at_ns),
        )
    return table


def _candidate_detail(c: CandidateCase) -> Table:
    from rich.text import Text

    from prodready.cli._render import detail_grid

    grid = detail_grid()
    label = "Arguments" if c.case.input_kind == "arguments" else "Input"  # as the target gets it
    grid.add_row(label, Text(_cell(c.case.input, 200)))
    grid.add_row("Provenance", Text(c.case.provenance))
    for key, value in c.suggested.items():
        grid.add_row(f"Suggested {key}", Text(_cell(value, 200)))
    return grid


def _diff_text(d: DatasetDiff) -> Text:
    from rich.text import Text

    styles = {"+": "green", "-": "red", "~": "yellow"}
    text = Text()
    for n, line in enumerate(d.render().splitlines()):
        style = "bold" if n == 0 else styles.get(line[:1], "dim" if line.startswith(" ") else "")
        text.append(line + "\n", style=style)
    text.rstrip()
    return text
