"""``prodready eval``: run a suite and gate it, re-gate a stored run, compare candidates.

Each command calls what a user imports: :func:`prodready.evaluation.suite.load_suite`,
:func:`~prodready.evaluation.runner.evaluate_sync`, :func:`~prodready.evaluation.suite.gate_run`,
:func:`~prodready.evaluation.suite.compare_stored`, the report writers.

Exit codes, which CI relies on: 0 the gate passed (or the command did its work); 1 success
criteria not met; 2 a usage or configuration error (a bad option, a missing or broken suite
file, a malformed criteria or dataset file, an unknown dataset or run); 130 interrupted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer

from prodready.cli._store import open_store

if TYPE_CHECKING:
    from rich.table import Table

    from prodready.evaluation import Case, CaseResult, DatasetVersion, Score
    from prodready.evaluation.criteria import Criteria
    from prodready.evaluation.gate import GateReport
    from prodready.evaluation.runner import DatasetRef, EvalRun, RunSummary
    from prodready.evaluation.suite import Suite
    from prodready.store import Store

app = typer.Typer(
    name="eval",
    help="Run evaluation suites, gate runs on success criteria, compare candidates.",
    no_args_is_help=True,
)

RunId = Annotated[
    str,
    typer.Argument(metavar="RUN_ID", help="Run id, or a unique prefix of it.", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Baseline = Annotated[
    str | None,
    typer.Option(
        metavar="RUN_ID",
        help="The run non_inferior metrics compare against.",
        show_default=False,
    ),
]
BaselineRelease = Annotated[
    str | None,
    typer.Option(
        metavar="RELEASE",
        help="Compare non_inferior metrics against the latest finished run of this release "
        "on the same cases.",
        show_default=False,
    ),
]
JUnit = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="Write a JUnit XML report here.", show_default=False),
]
Markdown = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE", help="Write a Markdown summary (for a PR comment).", show_default=False
    ),
]
Html = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE", help="Write a self-contained HTML report here.", show_default=False
    ),
]
TraceUrl = Annotated[
    str | None,
    typer.Option(
        metavar="TEMPLATE",
        help="Link failing cases to their traces, e.g. https://obs.example/traces/{trace_id}.",
        show_default=False,
    ),
]

_PASSED, _FAILED, _USAGE, _INTERRUPTED = 0, 1, 2, 130
_MAX_LISTED = 10
_CASE_METRICS = frozenset({"wrong_escalation", "false_positive_rate"})
"""Business metrics that read each case's expected escalation."""


@app.command()
def run(
    ctx: typer.Context,
    suite: Annotated[
        str,
        typer.Argument(
            metavar="SUITE", help="A suite file, path/to/suite.py[:name].", show_default=False
        ),
    ],
    release: Annotated[
        str | None,
        typer.Option(
            help="The release under test (default: the suite's, $PRODREADY_RELEASE, "
            "or git describe).",
            show_default=False,
        ),
    ] = None,
    subset: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Run N cases, stratified by tag (or --by intent).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        str, typer.Option(help="Which cases --subset draws; the same seed draws the same.")
    ] = "0",
    by: Annotated[
        Literal["tag", "intent"], typer.Option(help="What --subset stratifies on.")
    ] = "tag",
    split: Annotated[
        Literal["dev", "validation", "holdout"] | None,
        typer.Option(help="Only the cases of this split.", show_default=False),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, help="Target calls in flight (default: the suite's).", show_default=False
        ),
    ] = None,
    repeats: Annotated[
        int | None,
        typer.Option(min=1, help="Runs per case (default: the suite's).", show_default=False),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Recompute outputs and scores.")
    ] = False,
    resume: Annotated[
        str | None,
        typer.Option(
            metavar="RUN_ID",
            help="Resume an interrupted run: finished cases are not run again.",
            show_default=False,
        ),
    ] = None,
    junit: JUnit = None,
    markdown: Markdown = None,
    html: Html = None,
    trace_url: TraceUrl = None,
    baseline: Baseline = None,
    baseline_release: BaselineRelease = None,
    as_json: AsJson = False,
) -> None:
    """Run a suite, apply its success criteria, write the reports.

    Exits 0 when the gate passes, 1 when criteria are not met, 2 on a usage or configuration
    error. A suite without criteria is run and summarised, and exits 0.
    """
    _one_baseline(baseline, baseline_release)
    if subset is None:
        _unused_without_subset(ctx)
    loaded = _load_suite(suite)
    criteria = _suite_criteria(loaded)
    with open_store(ctx, must_exist=False) as store:
        data = _suite_cases(loaded, store, split=split, subset=subset, seed=seed, by=by)
        run_id = _find_run(store, resume).run_id if resume is not None else uuid.uuid4().hex
        given = _find_run(store, baseline) if baseline is not None else None  # before running
        chosen = release or loaded.release
        _note(f"run {run_id}: suite {loaded.name}, release {chosen or '(none)'}, "
              f"{len(_cases_of(data))} cases")  # fmt: skip
        result = _evaluate(loaded, data, store, run_id, chosen, concurrency, repeats, no_cache,
                           progress=not as_json)  # fmt: skip
        prior = given or _baseline(store, result, None, baseline_release)
        gate = _gate(store, result, criteria, data, prior)
    written = _Reports(junit, markdown, html, trace_url).write(result, gate, data, prior)
    _finish(result, gate, written, as_json=as_json)


@app.command()
def gate(
    ctx: typer.Context,
    run_id: RunId,
    criteria: Annotated[
        Path,
        typer.Option(metavar="FILE", help="The success criteria (YAML).", show_default=False),
    ],
    dataset: Annotated[
        str | None,
        typer.Option(
            metavar="NAME[@V]|FILE",
            help="The run's cases, for escalation metrics (default: the cases the run ran, "
            "which the store keeps).",
            show_default=False,
        ),
    ] = None,
    baseline: Baseline = None,
    baseline_release: BaselineRelease = None,
    junit: JUnit = None,
    markdown: Markdown = None,
    html: Html = None,
    trace_url: TraceUrl = None,
    as_json: AsJson = False,
) -> None:
    """Apply success criteria to a stored run; same exit codes as `eval run`."""
    _one_baseline(baseline, baseline_release)
    wanted = _read_criteria(criteria)
    with open_store(ctx) as store:
        stored = _find_run(store, run_id)
        if stored.status != "finished":
            _note(f"warning: run {stored.run_id} is {stored.status} "
                  f"({stored.totals.cases} cases so far)")  # fmt: skip
        data = _run_cases(store, stored, dataset)
        if data is None:
            _require_cases(wanted, stored)
        prior = _baseline(store, stored, baseline, baseline_release)
        report = _gate(store, stored, wanted, data, prior)
    written = _Reports(junit, markdown, html, trace_url).write(stored, report, data, prior)
    _finish(stored, report, written, as_json=as_json)


@app.command()
def compare(
    ctx: typer.Context,
    run_ids: Annotated[
        list[str],
        typer.Argument(help="Two or more run ids (or prefixes), one per candidate."),
    ],
    metric: Annotated[
        str,
        typer.Option(
            help="The score name to rank on (e.g. correctness), or business.<name>.",
            show_default=False,
        ),
    ],
    aggregate: Annotated[
        Literal["rate", "mean", "p50", "p95"],
        typer.Option(help="rate: share of cases passing; mean/p50/p95: of the score's value."),
    ] = "rate",
    better: Annotated[
        Literal["higher", "lower"] | None,
        typer.Option(
            help="Which way is better (default: a business metric's own way, else higher).",
            show_default=False,
        ),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            metavar="NAME[@V]|FILE",
            help="The runs' cases, for escalation metrics (default: the cases each run ran, "
            "which the store keeps).",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Rank candidates on the cases they share, with intervals and paired significance."""
    from prodready.cli._render import fail
    from prodready.evaluation.suite import compare_stored

    with open_store(ctx) as store:
        runs = [_find_run(store, r) for r in run_ids]
        data = _compare_cases(store, runs, metric, dataset)
        try:
            result = compare_stored(store, runs, metric=metric, aggregate=aggregate,
                                    better=better, cases=data)  # fmt: skip
        except ValueError as exc:
            fail(_USAGE, str(exc))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        typer.echo(result.render_text())


@app.command("list")
def list_(
    ctx: typer.Context,
    release: Annotated[
        str | None, typer.Option(help="Only runs of this release.", show_default=False)
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Only runs of this suite.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Stored runs, newest first."""
    from prodready.cli._render import print_listing
    from prodready.evaluation.runner import list_runs

    with open_store(ctx) as store:
        rows = list_runs(store, release=release, name=name, limit=limit)
    print_listing(rows, as_json=as_json, table=_runs_table, noun="run")


@app.command()
def show(ctx: typer.Context, run_id: RunId, as_json: AsJson = False) -> None:
    """One run: its header, each score's pass rate, human labels apart, then the cases that
    did not pass."""
    from prodready.evaluation.review import human_labels

    with open_store(ctx) as store:
        stored = _find_run(store, run_id)
        labels = [] if as_json else human_labels(store, run_id=stored.run_id)
    if as_json:
        typer.echo(stored.model_dump_json(indent=2))
        return
    from prodready.cli._render import stdout

    console = stdout()
    console.print(_run_header(stored))
    console.print()
    if stored.results:
        console.print(_scores_table(stored))
    if labels:
        console.print()
        console.print("Human labels (their own layer: not among the run's scores)", style="bold")
        console.print(_labels_table(stored, labels))
    failing = [r for r in stored.results if _failed(r)]
    if failing:
        console.print()
        console.print(_failures_table(failing[:_MAX_LISTED]))
    if len(failing) > _MAX_LISTED:
        console.print(
            f"… {len(failing) - _MAX_LISTED} more failing cases (see --json)", style="dim"
        )


# --- loading ---------------------------------------------------------------------------------


def _load_suite(spec: str) -> Suite:
    from prodready.cli._render import fail
    from prodready.evaluation.suite import SuiteError, load_suite

    try:
        return load_suite(spec)
    except SuiteError as exc:
        fail(_USAGE, str(exc))


def _suite_criteria(suite: Suite) -> Criteria | None:
    from prodready.evaluation.criteria import CriteriaError

    try:
        return suite.load_criteria()
    except CriteriaError as exc:
        _bad_criteria(exc)
    except OSError as exc:
        _unreadable("criteria file", exc)


def _read_criteria(path: Path) -> Criteria:
    from prodready.evaluation.criteria import CriteriaError, load_criteria

    try:
        return load_criteria(path)
    except CriteriaError as exc:
        _bad_criteria(exc)
    except OSError as exc:
        _unreadable("criteria file", exc)


def _bad_criteria(exc: Exception) -> NoReturn:
    from prodready.cli._render import fail

    fail(_USAGE, f"the success criteria cannot be used:\n{exc}")


def _unreadable(what: str, exc: OSError) -> NoReturn:
    from prodready.cli._render import fail

    fail(_USAGE, f"cannot read {what} {exc.filename}: {exc.strerror or exc}")


def _suite_cases(suite: Suite, store: Store, **options: Any) -> DatasetVersion | list[Case]:
    from prodready.cli._render import fail
    from prodready.evaluation.datasets import DatasetError

    try:
        return suite.load_cases(store, **options)
    except DatasetError as exc:  # a malformed file, an unknown dataset
        fail(_USAGE, f"suite {suite.name}: the dataset cannot be used:\n{exc}")
    except ValueError as exc:
        fail(_USAGE, str(exc))
    except OSError as exc:
        _unreadable("dataset file", exc)


def _run_cases(store: Store, run: EvalRun, spec: str | None) -> DatasetVersion | list[Case] | None:
    """The run's cases: from ``--dataset`` if given, else the cases the run remembers."""
    from prodready.evaluation import DatasetVersion
    from prodready.evaluation.datasets import DatasetError
    from prodready.evaluation.runner import load_run_cases
    from prodready.evaluation.suite import resolve_dataset

    try:
        if spec is None:
            return load_run_cases(store, run.run_id)
        data = resolve_dataset(spec, store)
        return data if isinstance(data, DatasetVersion) else list(data)
    except (DatasetError, ValueError) as exc:
        from prodready.cli._render import fail

        fail(_USAGE, f"the run's cases cannot be loaded:\n{exc}")
    except OSError as exc:
        _unreadable("dataset file", exc)


def _require_cases(criteria: Criteria, run: EvalRun) -> None:
    """Exit 2 naming ``--dataset`` if a metric needs cases the store does not hold."""
    needing = [n for n, m in criteria.metrics.items() if m.business in _CASE_METRICS]
    if needing:
        _no_cases(needing[0], run)


def _compare_cases(
    store: Store, runs: list[EvalRun], metric: str, spec: str | None
) -> DatasetVersion | list[Case] | dict[str, DatasetVersion | list[Case]] | None:
    """An escalation metric's cases: ``--dataset`` for every run, else each run's own."""
    if not metric.startswith("business.") or metric[9:] not in _CASE_METRICS:
        return None
    if spec is not None:
        return _run_cases(store, runs[0], spec)
    found: dict[str, DatasetVersion | list[Case]] = {}
    for r in runs:
        cases = _run_cases(store, r, None)
        if cases is None:
            _no_cases(metric, r)
        found[r.run_id] = cases
    return found


def _no_cases(metric: str, run: EvalRun) -> NoReturn:
    from prodready.cli._render import fail

    fail(
        _USAGE,
        f"metric {metric!r} needs the run's cases (their expected escalation), and the "
        f"store does not hold every case run {run.run_id} ran (it was stored before runs "
        "remembered their cases): pass --dataset NAME[@V]|FILE",
    )


def _find_run(store: Store, ref: str) -> EvalRun:
    """The run with id ``ref``, or the only one whose id starts with it; else exit 2."""
    from prodready.cli._render import fail
    from prodready.evaluation.runner import find_run_id, load_run

    try:
        return load_run(store, find_run_id(store, ref))
    except KeyError as exc:
        fail(_USAGE, f"{exc.args[0]}; see `prodready eval list`")
    except ValueError as exc:
        fail(_USAGE, str(exc))


def _cases_of(data: DatasetVersion | list[Case]) -> list[Case]:
    return data if isinstance(data, list) else list(data.cases)


# --- running and gating ----------------------------------------------------------------------


def _evaluate(
    suite: Suite,
    data: DatasetVersion | list[Case],
    store: Store,
    run_id: str,
    release: str | None,
    concurrency: int | None,
    repeats: int | None,
    no_cache: bool,
    *,
    progress: bool,
) -> EvalRun:
    from prodready.cli._render import fail
    from prodready.evaluation.runner import evaluate_sync

    try:
        return evaluate_sync(
            suite.target,
            data,
            suite.scorers,
            store=store,
            release=release,
            name=suite.name,
            run_id=run_id,
            concurrency=concurrency or suite.concurrency,
            timeout=suite.timeout,
            repeats=repeats or suite.repeats,
            cache=not no_cache,
            progress=progress,
            dataset_file=suite.dataset_file,
        )
    except ValueError as exc:
        fail(_USAGE, str(exc))
    except KeyboardInterrupt:
        fail(_INTERRUPTED, f"interrupted; resume with `prodready eval run ... --resume {run_id}`")


def _unused_without_subset(ctx: typer.Context) -> None:
    """Warn that ``--seed`` and ``--by`` were given but, with every case run, do nothing."""
    given = [f"--{name}" for name in ("seed", "by") if _given(ctx, name)]
    if given:
        verb = "chooses" if len(given) == 1 else "choose"
        _note(f"warning: {' and '.join(given)} only {verb} the cases of --subset N; "
              "without --subset every case runs")  # fmt: skip


def _given(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def _one_baseline(baseline: str | None, release: str | None) -> None:
    if baseline is not None and release is not None:
        raise typer.BadParameter(
            "give --baseline or --baseline-release, not both", param_hint="'--baseline'"
        )


def _baseline(
    store: Store, run: EvalRun, run_id: str | None, release: str | None
) -> EvalRun | None:
    from prodready.evaluation.suite import find_baseline

    if run_id is not None:
        return _find_run(store, run_id)
    if release is None:
        return None
    found = find_baseline(store, release, run)
    if found is None:
        _note(f"warning: no finished run of release {release!r} covers these cases; "
              "non_inferior metrics have no baseline")  # fmt: skip
    else:
        _note(f"baseline: run {found.run_id} of release {release!r}")
    return found


def _gate(
    store: Store,
    run: EvalRun,
    criteria: Criteria | None,
    data: DatasetVersion | list[Case] | None,
    baseline: EvalRun | None,
) -> GateReport | None:
    from prodready.evaluation.suite import gate_run

    if criteria is None:
        return None
    return gate_run(store, run, criteria, cases=data, baseline=baseline)


@dataclass(frozen=True, slots=True)
class _Reports:
    """The report options ``run`` and ``gate`` share."""

    junit: Path | None
    markdown: Path | None
    html: Path | None
    trace_url: str | None

    def write(
        self,
        run: EvalRun,
        gate: GateReport | None,
        cases: DatasetVersion | list[Case] | None,
        baseline: EvalRun | None,
    ) -> list[Path]:
        from prodready.cli._render import fail

        if self.junit is None and self.markdown is None and self.html is None:
            return []
        from prodready.evaluation.reports import write_reports

        try:
            return write_reports(run, gate, junit=self.junit, markdown=self.markdown,
                                 html=self.html, cases=cases, baseline=baseline,
                                 trace_url=self.trace_url)  # fmt: skip
        except OSError as exc:
            fail(_USAGE, f"cannot write report {exc.filename}: {exc.strerror or exc}")


def _finish(run: EvalRun, gate: GateReport | None, written: list[Path], *, as_json: bool) -> None:
    if as_json:
        summary = run.model_dump(mode="json", exclude={"results"})
        payload = {
            "run": summary,
            "gate": gate.model_dump(mode="json") if gate is not None else None,
            "reports": [str(p) for p in written],
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print_outcome(run, gate, written)
    raise typer.Exit(_PASSED if gate is None else gate.exit_code)


def _print_outcome(run: EvalRun, gate: GateReport | None, written: list[Path]) -> None:
    from prodready.cli._render import stdout

    console = stdout()
    t = run.totals
    console.print(
        f"run {run.run_id} ({run.status}): {t.cases} cases, {t.runs} runs, {t.errors} errors, "
        f"{t.cached} cached, ${t.cost_usd:.4f}, {t.wall_seconds:.1f}s",
        markup=False,
    )
    console.print()
    if gate is None:
        console.print(_scores_table(run))
        console.print("no success criteria: nothing was gated", style="dim")
    else:
        console.print(gate.render_text(), markup=False)
    for path in written:
        console.print(f"wrote {path}", style="dim", markup=False)


def _note(message: str) -> None:
    from prodready.cli._render import stderr

    stderr().print(message, markup=False, style="dim")


# --- tables ----------------------------------------------------------------------------------


def _runs_table(rows: list[RunSummary]) -> Table:
    from rich.table import Table

    from prodready.cli._render import format_time

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in ("Run", "Started", "Suite", "Release", "Dataset", "Status"):
        table.add_column(header, no_wrap=header in ("Run", "Started"))
    for header in ("Cases", "Errors", "Cached", "Cost"):
        table.add_column(header, justify="right")
    for r in rows:
        dataset = r.dataset.label if r.dataset else "-"
        table.add_row(
            r.run_id[:12],
            format_time(r.started_at_ns),
            r.name or "-",
            r.release or "-",
            dataset,
            r.status,
            str(r.totals.cases),
            str(r.totals.errors),
            str(r.totals.cached),
            f"${r.totals.cost_usd:.4f}",
        )
    return table


def _run_header(run: EvalRun) -> Table:

    from prodready.cli._render import detail_grid, format_time

    t = run.totals
    grid = detail_grid()
    dataset = _dataset_text(run.dataset) if run.dataset else "-"
    for key, value in (
        ("Run", run.run_id),
        ("Suite", run.name or "-"),
        ("Release", run.release or "-"),
        ("Dataset", dataset),
        ("Status", run.status),
        ("Started", format_time(run.started_at_ns)),
        ("Cases", f"{t.cases} ({t.runs} runs, {t.errors} errors, {t.cached} cached)"),
        ("Cost", f"${t.cost_usd:.4f} ({t.input_tokens:,} in / {t.output_tokens:,} out tokens)"),
        ("Time", f"{t.wall_seconds:.1f}s"),
    ):
        grid.add_row(key, value)
    return grid


def _dataset_text(d: DatasetRef) -> str:
    """``support@3 (30 cases, sha256:...)``, or for a file ``cases.jsonl (30 cases, ...)``."""
    from prodready.cli._render import plural

    count = "" if d.cases is None else f"{d.cases} {plural(d.cases, 'case')}, "
    return f"{d.label} ({count}{d.hash})"


def _scores_table(run: EvalRun) -> Table:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("Score")
    table.add_column("Layer")
    for header in ("Passed", "Rate", "Mean value", "Errors", "N/A"):
        table.add_column(header, justify="right")
    names = list(dict.fromkeys(s.name for r in run.results for s in r.scores))
    for name in names:
        scores = [s for r in run.results for s in r.scores if s.name == name]
        judged = [s for s in scores if not s.not_applicable]  # N/A: no pass, no failure
        passed = sum(s.passed is True for s in judged)
        values = [s.value for s in judged if s.value is not None]
        mean = f"{sum(values) / len(values):.3f}" if values else "-"
        errors = sum(s.error is not None for s in judged)
        rate = f"{passed / len(judged):.1%}" if judged else "-"
        counts, na = f"{passed}/{len(judged)}", len(scores) - len(judged)
        table.add_row(name, scores[0].layer, counts, rate, mean, str(errors), str(na))
    return table


def _labels_table(run: EvalRun, labels: list[Score]) -> Table:
    """Per score name: how many labels, how many passed, how many agree with the run."""
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("Score")
    for header in ("Labels", "Human pass", "Agrees with run"):
        table.add_column(header, justify="right")
    table.add_column("By")
    verdicts = {(r.case_id, r.repeat, s.name): s.passed for r in run.results for s in r.scores}

    def agrees(label: Score) -> bool:
        key = (str(label.metadata.get("case_id")), int(label.metadata.get("repeat") or 0))
        return verdicts.get((*key, label.name)) is label.passed

    for name in dict.fromkeys(s.name for s in labels):
        mine = [s for s in labels if s.name == name]
        passed = sum(s.passed is True for s in mine)
        agree = sum(agrees(s) for s in mine)
        by = ", ".join(sorted({s.author or "-" for s in mine}))
        n = len(mine)
        table.add_row(name, str(n), f"{passed}/{n}", f"{agree}/{n}", by)
    return table


def _failed(result: CaseResult) -> bool:
    return result.error is not None or any(
        s.passed is False or s.error is not None for s in result.scores
    )


def _failures_table(results: list[CaseResult]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False, title_justify="left")
    table.title = "Cases that did not pass"
    table.add_column("Case", no_wrap=True)
    table.add_column("Trace", no_wrap=True)
    table.add_column("Why")
    for r in results:
        why = r.error or "; ".join(
            f"{s.name}: {s.error or s.rationale or 'failed'}"
            for s in r.scores
            if s.passed is False or s.error is not None
        )
        label = f"{r.case_id} (repeat {r.repeat})" if r.repeat else r.case_id
        table.add_row(Text(label), Text(r.trace_id or "-"), Text(why))
    return table
