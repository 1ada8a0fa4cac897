"""Query latency at 1M spans: trace lists with each filter, trace detail, stats.

The dataset (see ``_dataset.py``) is generated once through ``Store.write_spans`` and cached
under ``benchmarks/.cache/`` keyed by ``DATASET_VERSION`` and size. Each measurement runs in a
fresh process: warm-up, then >= 50 timed runs per query with randomized parameters; p50/p95.
Rows that miss their target get their SQLite query plan printed; the proposed indexes are
measured on a copy of the database, side by side.

    python benchmarks/bench_query.py [--quick] [--pg]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _proposed
from _common import (
    CACHE_DIR,
    Report,
    Table,
    Timer,
    environment_line,
    fmt,
    hard_exit,
    percentile,
    pg_available,
    pg_schema,
    report_result,
    run_worker,
    verdict,
)
from _dataset import DAY_NS, DAYS, INTENTS, RELEASES, TOOLS, generate

SCRIPT = Path(__file__).resolve()
DATASET_VERSION = "v1"
WRITE_BATCH = 10_000
LIST_TARGET_MS = 50.0
DETAIL_TARGET_MS = 20.0
END_NS = 1_795_000_000 * 10**9  # fixed "now", so cached datasets are identical

# --- dataset -----------------------------------------------------------------------------


def generate_into(url: str, n_spans: int) -> dict[str, Any]:
    from prodready.store import Store

    store = Store(url)
    batch: list[Any] = []
    spans = traces = 0
    with Timer() as t:
        for trace in generate(n_spans, END_NS):
            batch += trace
            traces += 1
            if len(batch) >= WRITE_BATCH:
                spans += store.write_spans(batch)
                batch = []
        if batch:
            spans += store.write_spans(batch)
    store.close()
    return {"spans": spans, "traces": traces, "seconds": t.seconds}


def migrate(url: str) -> str | None:
    """Bring a (cached) database to the store's newest schema revision."""
    from prodready.store import Store

    with Store(url) as store:
        revision = store.revision()
    checkpoint(Path(url.split(":///", 1)[1]))  # a plain file copy must see every change
    return revision


def cached_sqlite(n_spans: int) -> tuple[Path, dict[str, Any] | None]:
    """The cached dataset file, generated (in a worker) if missing."""
    path = CACHE_DIR / f"query-{DATASET_VERSION}-{n_spans}.db"
    if path.exists():
        return path, None
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    for stale in CACHE_DIR.glob(tmp.name + "*"):
        stale.unlink()
    print(f"  query: generating {n_spans:,} spans into {path.name}", file=sys.stderr, flush=True)
    result = run_worker(SCRIPT, ["generate", "--url", f"sqlite:///{tmp}", "--spans", str(n_spans)])
    checkpoint(tmp)
    tmp.rename(path)
    return path, result


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the database is one self-contained file."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


# --- queries -----------------------------------------------------------------------------


@dataclass
class Sample:
    """Real values from the database to query with."""

    trace_ids: list[str]
    sessions: list[str]
    users: list[str]
    p90_ns: int
    p99_ns: int
    start_ns: int
    end_ns: int


def sample(store: Any, rng: random.Random) -> Sample:
    with store.engine.connect() as conn:

        def column(sql: str) -> list[Any]:
            return [row[0] for row in conn.exec_driver_sql(sql)]

        n = column("SELECT count(*) FROM traces")[0]
        trace_ids = column("SELECT trace_id FROM traces ORDER BY random() LIMIT 500")
        sessions = column("SELECT session_id FROM traces ORDER BY random() LIMIT 500")
        users = column("SELECT user_id FROM traces ORDER BY random() LIMIT 500")
        ordered = "SELECT duration_ns FROM traces ORDER BY duration_ns LIMIT 1 OFFSET {}"
        p90 = column(ordered.format(int(n * 0.90)))[0]
        p99 = column(ordered.format(int(n * 0.99)))[0]
        lo, hi = conn.exec_driver_sql("SELECT min(start_ns), max(start_ns) FROM traces").one()
    rng.shuffle(trace_ids)
    return Sample(trace_ids, sessions, users, p90, p99, lo, hi)


QueryFn = Callable[[random.Random], Any]


def list_queries(store: Any, s: Sample) -> dict[str, QueryFn]:
    from prodready.store import TraceQuery

    def q(**kw: Any) -> Any:
        return store.list_traces(TraceQuery(**kw))

    def day_window(rng: random.Random) -> Any:
        start = rng.randint(s.start_ns, s.end_ns - DAY_NS)
        return q(start_after_ns=start, start_before_ns=start + DAY_NS)

    common_kinds = ["tool", "retriever", "guardrail", "step"]
    return {
        "list, no filter": lambda rng: q(),
        "release": lambda rng: q(release=rng.choice(RELEASES)),
        "session": lambda rng: q(session_id=rng.choice(s.sessions)),
        "user": lambda rng: q(user_id=rng.choice(s.users)),
        "status = error (~3%)": lambda rng: q(status="error"),
        "has_error (~9%)": lambda rng: q(has_error=True),
        "kind (tool/retriever/guardrail/step)": lambda rng: q(kind=rng.choice(common_kinds)),
        "kind = escalation (rare, ~1%)": lambda rng: q(kind="escalation"),
        "attribute gen_ai.tool.name": lambda rng: q(
            attributes={"gen_ai.tool.name": rng.choice(TOOLS)}
        ),
        "attribute prodready.intent.name": lambda rng: q(
            attributes={"prodready.intent.name": rng.choice(INTENTS)}
        ),
        "min duration (p90)": lambda rng: q(min_duration_ns=s.p90_ns),
        "min duration (p99)": lambda rng: q(min_duration_ns=s.p99_ns),
        "time range (1 day)": day_window,
    }


@dataclass
class Timing:
    runs_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.runs_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.runs_ms, 95)


def time_interleaved(
    fns: dict[str, QueryFn], rng: random.Random, runs: int, budget_s: float
) -> dict[str, list[float]]:
    """``runs`` timed calls of each function (after 3 warm-ups), alternating between them
    with the same random parameters, fewer runs if they exceed ``budget_s`` in total."""
    for _ in range(3):
        for fn in fns.values():
            fn(rng)
    out: dict[str, list[float]] = {label: [] for label in fns}
    deadline = time.perf_counter() + budget_s
    for n in range(runs):
        seed = rng.random()
        for label, fn in fns.items():
            params = random.Random(seed)
            start = time.perf_counter()
            fn(params)
            out[label].append((time.perf_counter() - start) * 1000)
        if time.perf_counter() > deadline and n >= 4:
            break
    return out


def measure(
    url: str, fixed_url: str | None, runs: int, budget_s: float, with_stats: bool
) -> dict[str, Any]:
    """Time every query on the store at ``url`` and, interleaved, on ``fixed_url`` (a copy
    with the proposed schema change, queried with the proposed query change)."""
    from prodready.store import Store

    stores = {"current": Store(url)}
    if fixed_url:
        stores["fixed"] = Store(fixed_url)
        _proposed.patch_store(stores["fixed"])
    rng = random.Random(42)
    s = sample(stores["current"], rng)
    results: dict[str, dict[str, Any]] = {k: {"lists": {}, "plans": {}} for k in stores}
    queries = {label: list_queries(store, s) for label, store in stores.items()}
    for name in queries["current"]:
        timings = time_interleaved({k: q[name] for k, q in queries.items()}, rng, runs, budget_s)
        for label, store in stores.items():
            results[label]["lists"][name] = timings[label]
            if store.dialect == "sqlite":
                results[label]["plans"][name] = explain(store, queries[label][name], rng)
    details = {label: _detail_fn(store, s.trace_ids) for label, store in stores.items()}
    for label, runs_ms in time_interleaved(details, rng, runs, budget_s).items():
        results[label]["detail"] = runs_ms
    if with_stats:
        _time_stats(stores, results, budget_s)
    info = stores["current"].info()
    results["current"]["counts"] = {"spans": info.span_count, "traces": info.trace_count}
    return results


def _detail_fn(store: Any, trace_ids: list[str]) -> QueryFn:
    def detail(rng: random.Random) -> Any:
        return store.get_trace(rng.choice(trace_ids))

    return detail


def _time_stats(stores: dict[str, Any], results: dict[str, Any], budget_s: float) -> None:
    def overall(store: Any) -> QueryFn:
        return lambda rng: store.stats()

    def per_release(store: Any) -> QueryFn:
        return lambda rng: store.stats(_query(release=rng.choice(RELEASES)))

    rng = random.Random(7)
    for key, make in (("stats_all", overall), ("stats_release", per_release)):
        fns = {label: make(store) for label, store in stores.items()}
        for label, runs_ms in time_interleaved(fns, rng, 3, budget_s).items():
            results[label][key] = runs_ms


def _query(**kw: Any) -> Any:
    from prodready.store import TraceQuery

    return TraceQuery(**kw)


def explain(store: Any, fn: QueryFn, rng: random.Random) -> str:
    """SQLite's query plan for the SELECTs a store call runs (captured as it runs)."""
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        fn(rng)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    lines: list[str] = []
    raw = store.engine.raw_connection()
    try:
        for statement, params in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                rows = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, params)
                lines += [str(row[-1]) for row in rows]
    finally:
        raw.close()
    return " / ".join(lines)


def worker(case: str, args: argparse.Namespace) -> None:
    if case == "generate":
        report_result(generate_into(args.url, args.spans))
    elif case == "migrate":
        report_result({"revision": migrate(args.url)})
    else:
        report_result(measure(args.url, args.fixed_url, args.runs, args.budget, not args.no_stats))
    hard_exit()


# --- the parent --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    spans: int
    runs: int
    budget_s: float
    quick: bool = False


FULL = Plan(spans=1_000_000, runs=60, budget_s=20.0)
QUICK = Plan(spans=200_000, runs=10, budget_s=2.0, quick=True)


def measure_url(url: str, plan: Plan, fixed_url: str | None = None) -> dict[str, Any]:
    print(f"  query: measuring {url}", file=sys.stderr, flush=True)
    args = ["measure", "--url", url, "--runs", str(plan.runs), "--budget", str(plan.budget_s)]
    if plan.quick:
        args.append("--no-stats")
    if fixed_url:
        args += ["--fixed-url", fixed_url]
    return run_worker(SCRIPT, args, timeout=3600)


@dataclass
class FixInfo:
    index_seconds: float
    size_before: int
    size_after: int


def measure_sqlite(db: Path, plan: Plan) -> tuple[dict[str, Any], FixInfo | None]:
    """Measure the cached database and, interleaved, a copy with the proposed fix."""
    if not _proposed.ENABLED or plan.quick:
        return measure_url(f"sqlite:///{db}", plan), None
    run_worker(SCRIPT, ["migrate", "--url", f"sqlite:///{db}"])  # the copy starts at head
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        copy = Path(tmp) / db.name
        shutil.copyfile(db, copy)
        with Timer() as t:
            _proposed.apply_schema(str(copy))
        info = FixInfo(t.seconds, db.stat().st_size, copy.stat().st_size)
        return measure_url(f"sqlite:///{db}", plan, f"sqlite:///{copy}"), info


def latency_table(title: str, result: dict[str, Any], fixed: dict[str, Any] | None) -> Table:
    headers = ["query", "runs", "p50 ms", "p95 ms", "target p95", "result"]
    if fixed:
        headers += ["p95 ms, proposed fix", "result, proposed fix"]
    table = Table(headers, title=title)
    rows = [(name, runs, LIST_TARGET_MS) for name, runs in result["lists"].items()]
    rows.append(("trace detail (get_trace, random ids)", result["detail"], DETAIL_TARGET_MS))
    for name, runs, target in rows:
        t = Timing(runs)
        cells = [name, len(runs), fmt(t.p50, 2), fmt(t.p95, 2), f"<= {target:.0f} ms"]
        cells.append(verdict(t.p95 <= target))
        if fixed:
            f_runs = fixed["lists"].get(name) if name in fixed["lists"] else fixed["detail"]
            f = Timing(f_runs)
            cells += [fmt(f.p95, 2), verdict(f.p95 <= target)]
        table.add(*cells)
    for key, label in (("stats_all", "stats(), all traces"), ("stats_release", "stats(release)")):
        if key in result:
            t = Timing(result[key])
            cells = [label, len(result[key]), fmt(t.p50, 0), fmt(t.p95, 0), "(report)", ""]
            if fixed:
                cells += [fmt(Timing(fixed[key]).p95, 0) if key in fixed else "n/a", ""]
            table.add(*cells)
    return table


def plan_notes(result: dict[str, Any]) -> list[str]:
    slow = [
        name
        for name, runs in result["lists"].items()
        if Timing(runs).p95 > LIST_TARGET_MS and name in result["plans"]
    ]
    return [f"plan for '{name}': `{result['plans'][name]}`" for name in slow]


def run(quick: bool = False, pg: bool = False) -> Report:
    started = time.perf_counter()
    plan = QUICK if quick else FULL
    report = Report(f"Query latency at {plan.spans:,} spans")
    db, generated = cached_sqlite(plan.spans)
    results, fix = measure_sqlite(db, plan)
    result, fixed = results["current"], results.get("fixed")
    counts = result["counts"]
    report.tables.append(
        latency_table(
            f"SQLite: {counts['spans']:,} spans in {counts['traces']:,} traces", result, fixed
        )
    )
    report.notes.append(environment_line())
    report.notes.append(
        f"dataset {DATASET_VERSION}: {DAYS} days, {len(RELEASES)} releases, sessions of ~3 "
        "traces, ~9% of traces with a failed span, ~3% failed; cached at "
        f"benchmarks/.cache/{db.name}"
        + (f" (generated now in {generated['seconds']:.0f} s)" if generated else "")
    )
    report.notes.append(
        f"{plan.runs} runs per query after 3 warm-ups (fewer if a query exceeds "
        f"{plan.budget_s:.0f} s in total), random parameters per run, nearest-rank p50/p95."
    )
    if fix:
        ddl = _proposed.index_ddl()
        kind = "the store's own kind bitmask (migration 0004); "
        if not _proposed.native_kind_mask():
            ddl = [_proposed.KIND_MASK_DDL, *ddl]
            kind = "a per-trace bitmask of span kinds for the kind filter; "
        report.notes.append(
            "proposed fix (prototype in `benchmarks/_proposed.py`, measured on a copy of the "
            "database, interleaved with the current store, same parameters): "
            + kind
            + "for attribute filters a literal JSON path, a substring pre-check and indexes "
            "on the hottest keys: "
            + " ".join(f"`{statement};`" for statement in ddl)
            + f" (built in {fix.index_seconds:.1f} s, database "
            f"{fix.size_before / 1e6:.0f} -> {fix.size_after / 1e6:.0f} MB)."
        )
    report.notes += plan_notes(result)
    if pg:
        report.tables += pg_tables(plan, report.notes)
    report.elapsed_s = time.perf_counter() - started
    return report


def pg_tables(plan: Plan, notes: list[str]) -> list[Table]:
    why = pg_available()
    if why is not None:
        notes.append(f"PostgreSQL skipped: {why}")
        return []
    with pg_schema(prefix="bench_query") as (_schema, url):
        print(f"  query: generating {plan.spans:,} spans into PostgreSQL", file=sys.stderr)
        gen = run_worker(
            SCRIPT, ["generate", "--url", url, "--spans", str(plan.spans)], timeout=3600
        )
        _pg_analyze(url)
        result = measure_url(url, plan)["current"]
    notes.append(f"PostgreSQL dataset generated in {gen['seconds']:.0f} s (fresh schema, dropped).")
    counts = result["counts"]
    title = f"PostgreSQL: {counts['spans']:,} spans in {counts['traces']:,} traces"
    return [latency_table(title, result, None)]


def _pg_analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs per query")
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL (slow to load)")
    parser.add_argument("--worker", metavar="CASE", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--spans", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=20.0, help=argparse.SUPPRESS)
    parser.add_argument("--no-stats", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fixed-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args)
        return 0
    print(run(args.quick, args.pg).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
