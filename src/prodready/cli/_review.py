"""``prodready review``: the human review queue (``prodready.evaluation.review``).

Exit codes: 0 done; 1 not found or refused (a task already done, a candidate that cannot be
confirmed, no label to calibrate with); 2 bad input (no verdict, an unreadable or invalid
expected-answer file, an ambiguous id prefix).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from prodready.cli._store import open_store

if TYPE_CHECKING:
    from rich.table import Table

    from prodready.evaluation import Expected
    from prodready.evaluation.calibration import Calibration
    from prodready.evaluation.review import ReviewTask
    from prodready.store import Store

app = typer.Typer(
    name="review",
    help="The human review queue: low scores and candidate cases to label.",
    no_args_is_help=True,
)

TaskId = Annotated[
    str,
    typer.Argument(help="Task id, or a unique prefix of it (6+ characters).", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_ID = 12
_PAYLOAD_ORDER = ("input", "expected", "output", "score", "suggested")
_IN_HEADER = frozenset({"reason", "origin", "repeat", "release", "run_name"})


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Option(help="Only this kind: score_review, candidate_case, escalation, ..."),
    ] = None,
    status: Annotated[
        Literal["open", "claimed", "done", "expired", "all"],
        typer.Option(help="Which tasks (open: not decided yet, claimed ones included)."),
    ] = "open",
    run: Annotated[
        str | None,
        typer.Option(
            help="Only tasks about this eval run (id or unique prefix).", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    as_json: AsJson = False,
) -> None:
    """Review tasks, oldest first."""
    from prodready.cli._render import print_listing
    from prodready.evaluation.review import list_tasks

    with open_store(ctx) as store:
        run_id = _run_id(store, run) if run is not None else None
        rows = list_tasks(
            store, status=None if status == "all" else status, kind=kind, run_id=run_id, limit=limit
        )
    which = "" if status == "all" else f"{status} "
    print_listing(rows, as_json=as_json, table=_tasks_table, noun="task", qualifier=which)


@app.command()
def show(ctx: typer.Context, task_id: TaskId, as_json: AsJson = False) -> None:
    """One task: what it is about, what the reviewer needs to decide, how it ended."""
    with open_store(ctx) as store:
        task = _get(store, task_id)
    if as_json:
        typer.echo(task.model_dump_json(indent=2))
        return
    from prodready.cli._render import stdout

    console = stdout()
    console.print(_task_header(task))
    for key in sorted(task.payload, key=_payload_rank):
        value = task.payload[key]
        if key in _IN_HEADER or value is None or value in ({}, []):
            continue
        console.print()
        console.print(key.replace("_", " ").capitalize(), style="bold")
        text = _score_text(value) if key == "score" and isinstance(value, dict) else _block(value)
        console.print(text, soft_wrap=True, markup=False, highlight=False)


@app.command("label")
def label_(
    ctx: typer.Context,
    task_id: TaskId,
    by: Annotated[
        str, typer.Option("--by", metavar="WHO", help="Who labels (required).", show_default=False)
    ],
    passed: Annotated[
        bool | None,
        typer.Option("--pass/--fail", help="The verdict (required).", show_default=False),
    ] = None,
    value: Annotated[
        float | None,
        typer.Option(help="The score (default 1 for --pass, 0 for --fail).", show_default=False),
    ] = None,
    why: Annotated[str | None, typer.Option(help="Why.", show_default=False)] = None,
    expected_file: Annotated[
        Path | None,
        typer.Option(
            help="For a candidate case: its expected answer, a JSON or YAML object of "
            "Expected fields (reference, facts, intent, tools, escalation, custom).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Label a task; a candidate case is confirmed (--pass) or rejected (--fail)."""
    from prodready.cli._render import fail, stdout
    from prodready.evaluation.review import ReviewError, label

    if passed is None:
        raise typer.BadParameter("give the verdict: --pass or --fail", param_hint="'--pass'")
    if not by.strip():
        raise typer.BadParameter("must name a person", param_hint="'--by'")
    expected = _read_expected(expected_file) if expected_file is not None else None
    with open_store(ctx) as store:
        task = _get(store, task_id)
        try:
            score = label(store, task.id, passed=passed, value=value, rationale=why,
                          author=by, expected=expected)  # fmt: skip
        except ReviewError as exc:
            fail(1, str(exc))
    verdict = "pass" if passed else "fail"
    outcome = score.metadata
    if outcome.get("action") == "confirmed":
        after = f": candidate confirmed, {outcome['dataset']} v{outcome['dataset_version']}"
    elif outcome.get("action") == "rejected":
        after = ": candidate rejected"
    else:
        after = ""
    stdout().print(
        f"Labelled {task.id[:_ID]} {score.name} {verdict} ({score.value:g}) by {by.strip()}{after}"
    )


@app.command()
def queue(
    ctx: typer.Context,
    run_id: Annotated[
        str, typer.Argument(help="The eval run's id, or a unique prefix of it.", show_default=False)
    ],
    threshold: Annotated[
        float | None,
        typer.Option(help="Also queue scores whose value is below this.", show_default=False),
    ] = None,
    name: Annotated[
        list[str] | None,
        typer.Option(help="Only scores with this name (repeatable).", show_default=False),
    ] = None,
    sample: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also queue a random sample of this many verdicts of each --name, "
            "pass or fail, to calibrate its judge.",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the --sample.")] = 0,
) -> None:
    """Queue a run's failed and low scores (and a calibration sample) for human review."""
    from prodready.cli._render import plural, stdout
    from prodready.evaluation.review import queue_calibration_sample, queue_low_scores
    from prodready.evaluation.runner import load_run

    if sample and not name:
        raise typer.BadParameter(
            "--sample needs the score --name to sample", param_hint="'--sample'"
        )
    with open_store(ctx) as store:
        run = load_run(store, _run_id(store, run_id))
        added = queue_low_scores(store, run, threshold=threshold, names=name)
        for score_name in name or []:
            if sample:
                added += queue_calibration_sample(store, run, score_name, n=sample, seed=seed)
    console = stdout()
    if added:
        console.print(_tasks_table(added))
    console.print(f"Queued {len(added)} {plural(len(added), 'task')} from run {run.run_id}")


@app.command()
def candidates(
    ctx: typer.Context,
    dataset: Annotated[
        str | None, typer.Option(help="Only candidates for this dataset.", show_default=False)
    ] = None,
) -> None:
    """Queue every pending candidate case for review (and close tasks reviewed elsewhere)."""
    from prodready.cli._render import plural, stdout
    from prodready.evaluation.review import queue_candidates

    with open_store(ctx) as store:
        added = queue_candidates(store, dataset)
    console = stdout()
    if added:
        console.print(_tasks_table(added))
    console.print(f"Queued {len(added)} candidate {plural(len(added), 'case')}")


@app.command()
def agreement(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The judge's score name.", show_default=False)],
    judge: Annotated[
        str | None,
        typer.Option(help="The judge identity (default: the newest).", show_default=False),
    ] = None,
    sample_only: Annotated[
        bool, typer.Option("--sample-only", help="Only labels of calibration-sample tasks.")
    ] = False,
    save: Annotated[
        bool, typer.Option("--save", help="Store it: gates read the latest calibration.")
    ] = False,
    floor: Annotated[
        float, typer.Option(min=0, max=1, help="The kappa a judge needs to gate.")
    ] = 0.6,  # calibration.DEFAULT_KAPPA_FLOOR, not imported so `prodready --help` stays quick
) -> None:
    """How well a judge agrees with the human labels of its scores (Cohen's kappa)."""
    from prodready.cli._render import fail, stdout
    from prodready.evaluation.review import judge_agreement

    with open_store(ctx) as store:
        try:
            cal = judge_agreement(store, name, judge=judge, sample_only=sample_only, save=save)
        except ValueError as exc:
            fail(1, str(exc))
    stdout().print(_calibration_text(cal, floor=floor, saved=save))


@app.command()
def expire(ctx: typer.Context) -> None:
    """Expire open tasks past their due time, taking each one's default action."""
    from prodready.cli._render import plural, stdout
    from prodready.evaluation.review import expire_overdue

    with open_store(ctx) as store:
        expired = expire_overdue(store)
    console = stdout()
    if expired:
        console.print(_tasks_table(expired))
    console.print(f"Expired {len(expired)} {plural(len(expired), 'task')}")


# --- helpers ---------------------------------------------------------------------------------


def _get(store: Store, task_id: str) -> ReviewTask:
    from prodready.cli._render import fail
    from prodready.evaluation.review import ReviewError, TaskNotFound, get_task

    try:
        return get_task(store, task_id)
    except TaskNotFound as exc:
        fail(1, str(exc))
    except ReviewError as exc:
        fail(2, str(exc))


def _run_id(store: Store, ref: str) -> str:
    """The id of the eval run ``ref`` names (its id or a unique prefix); else exit 1 or 2."""
    from prodready.cli._render import fail
    from prodready.evaluation.runner import find_run_id

    try:
        return find_run_id(store, ref)
    except KeyError as exc:
        fail(1, str(exc.args[0]))
    except ValueError as exc:
        fail(2, str(exc))


def _read_expected(path: Path) -> Expected:
    import yaml
    from pydantic import ValidationError

    from prodready.cli._render import fail
    from prodready.evaluation import Expected

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(2, f"cannot read {path}: {exc.strerror or exc}")
    except yaml.YAMLError as exc:
        fail(2, f"{path} is not JSON or YAML: {exc}")
    if not isinstance(data, dict):
        fail(2, f'{path} must hold an object of Expected fields, e.g. {{"reference": "..."}}')
    try:
        return Expected.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        fail(2, f"{path} is not a valid expected answer:\n{problems}")


def _payload_rank(key: str) -> tuple[int, str]:
    order = _PAYLOAD_ORDER
    return (order.index(key) if key in order else len(order), key)


def _block(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _score_text(score: dict[str, Any]) -> str:
    """``value 0.2 · failed · correctness v2 (judge ...)`` then the rationale or error."""
    verdict = {True: "passed", False: "failed", None: "no verdict"}[score.get("passed")]
    value = score.get("value")
    head = [f"value {value:g}" if isinstance(value, int | float) else "no value", verdict]
    who = f"{score.get('scorer')} v{score.get('version')} ({score.get('layer')})"
    if score.get("judge"):
        who += f", judge {score['judge']}"
    lines = [" · ".join([*head, who])]
    lines += [str(score[k]) for k in ("rationale", "error") if score.get(k)]
    return "\n".join(lines)


def _tasks_table(rows: list[ReviewTask]) -> Table:
    from rich.table import Table
    from rich.text import Text

    from prodready.cli._render import format_time, format_value

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Task", "Kind", "Status", "Title", "Case", "Created", "Due"):
        table.add_column(header, no_wrap=header in ("Task", "Created", "Due"))
    for t in rows:
        table.add_row(
            t.id[:_ID],
            t.kind,
            t.status,
            Text(format_value(t.title, 80)),
            Text(t.case_id or "-"),
            format_time(t.created_at_ns),
            format_time(t.due_at_ns),
        )
    return table


def _task_header(t: ReviewTask) -> Table:
    from rich.text import Text

    from prodready.cli._render import detail_grid, format_time

    grid = detail_grid()
    rows: list[tuple[str, str | None]] = [
        ("Task", t.id),
        ("Kind", t.kind),
        ("Status", t.status),
        ("Title", t.title),
        ("Reason", _optional_text(t.payload.get("reason"))),
        ("Score", t.score_name),
        ("Case", t.case_id),
        ("Repeat", str(t.payload["repeat"]) if t.payload.get("repeat") else None),
        ("Run", t.run_id),
        ("Release", _optional_text(t.payload.get("release"))),
        ("Trace", t.trace_id),
        ("Created", format_time(t.created_at_ns)),
        ("Due", format_time(t.due_at_ns) if t.due_at_ns else None),
        ("Default action", t.default_action),
        ("Decisions", ", ".join(t.decisions) if t.decisions else None),
        ("Claimed by", _claim_text(t) if t.claimed_by and t.is_pending else None),
        ("Decision", t.decision),
        ("Resolved", format_time(t.resolved_at_ns) if t.resolved_at_ns else None),
        ("By", t.resolved_by),
        ("Resolution", json.dumps(t.resolution, default=str) if t.resolution else None),
    ]
    for key, value in rows:
        if value is not None:
            grid.add_row(key, Text(value))
    return grid


def _claim_text(t: ReviewTask) -> str:
    from prodready.cli._render import format_time

    return f"{t.claimed_by} until {format_time(t.lease_expires_at_ns)}"


def _calibration_text(cal: Calibration, *, floor: float, saved: bool) -> str:
    kappa = "undefined" if cal.kappa is None else f"{cal.kappa:.3f}"
    may = "may gate" if cal.passes(floor) else "may NOT gate"
    lines = [
        f"{cal.name}: judge {cal.judge or '(unnamed)'}",
        f"pairs {cal.n} (skipped {cal.skipped})   agreement {cal.agreement:.3f}   kappa {kappa}",
        "              human pass  human fail",
        f"judge pass    {cal.tp:>10}  {cal.fp:>10}",
        f"judge fail    {cal.fn:>10}  {cal.tn:>10}",
        f"kappa floor {floor:g}: the judge {may}" + (" (saved)" if saved else " (not saved)"),
    ]
    if cal.kappa is None:
        lines.insert(-1, f"{cal.describe()}: label cases of both outcomes (review queue --sample)")
    return "\n".join(lines)
