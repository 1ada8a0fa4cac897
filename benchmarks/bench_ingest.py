"""Ingest throughput (spans/s): raw executemany floors, the SDK, Store.write_spans, OTLP/HTTP.

Every case runs in a fresh process against a fresh database (a temp SQLite file, or a fresh
PostgreSQL schema dropped afterwards). Spans have the overhead benchmark's shape: 3 per trace,
5 attributes plus kind (and release/environment on the root), 1 event.

    python benchmarks/bench_ingest.py [--quick] [--no-pg]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from _common import (
    Report,
    Table,
    WorkerError,
    environment_line,
    failure,
    fmt,
    free_port,
    hard_exit,
    median,
    pg_available,
    pg_schema,
    report_result,
    run_worker,
    verdict,
    versions_text,
    wait_for_port,
)

SCRIPT = Path(__file__).resolve()
SPANS_PER_TRACE = 3
FLOOR_TXN_ROWS = 10_000
OTLP_BATCH = 512
TARGET_SDK_VS_FLOOR = 0.5
FLOOR_LABEL = "floor: executemany, spans + traces"
SPAN_NAMES = (("answer", "agent"), ("plan", "step"), ("lookup_card", "tool"))

_SPAN_COLS = (
    "trace_id, span_id, parent_span_id, name, kind, otel_kind, start_ns, end_ns, duration_ns, "
    "status, status_message, attributes, events, links, scope"
)
_TRACE_COLS = (
    "trace_id, name, root_span_id, start_ns, end_ns, duration_ns, status, span_count, "
    "error_count, session_id, user_id, release, environment, service_name, resource"
)


# --- the workload ---------------------------------------------------------------------------


def span_attributes(i: int, kind: str, root: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "prodready.span.kind": kind,
        "app.step": i,
        "app.user_tier": "gold",
        "app.region": "eu-west-1",
        "llm.temperature": 0.2,
        "app.cached": False,
    }
    if root:
        attrs |= {"deployment.environment.name": "dev", "prodready.release": "bench@1"}
    return attrs


def make_records(n_traces: int, seed: int = 1) -> list[Any]:
    """Prebuilt ``SpanRecord``s, 3 per trace, with fresh random ids."""
    from prodready.store import SpanRecord

    rng = random.Random(seed)
    now = time.time_ns()
    resource = {"service.name": "bench", "telemetry.sdk.language": "python"}
    out = []
    for t in range(n_traces):
        trace_id = f"{rng.getrandbits(128):032x}"
        parent = None
        start = now + t * 1_000_000
        for depth, (name, kind) in enumerate(SPAN_NAMES):
            span_id = f"{rng.getrandbits(64):016x}"
            out.append(
                SpanRecord(
                    trace_id=trace_id,
                    span_id=span_id,
                    parent_span_id=parent,
                    name=name,
                    kind=kind,
                    start_ns=start + depth * 1000,
                    end_ns=start + 500_000 - depth * 1000,
                    status="unset",
                    attributes=span_attributes(t, kind, parent is None),
                    events=[
                        {"name": "checkpoint", "time_ns": start + 2000, "attributes": {"n": 1}}
                    ],
                    resource=resource,
                    scope="prodready",
                )
            )
            parent = span_id
    return out


def span_row(r: Any) -> tuple[Any, ...]:
    return (
        r.trace_id,
        r.span_id,
        r.parent_span_id,
        r.name,
        r.kind,
        r.otel_kind,
        r.start_ns,
        r.end_ns,
        r.end_ns - r.start_ns,
        r.status,
        r.status_message,
        orjson.dumps(r.attributes).decode(),
        orjson.dumps(r.events).decode(),
        "[]",
        r.scope,
    )


def trace_rows(records: list[Any]) -> list[tuple[Any, ...]]:
    rows = []
    for k in range(0, len(records), SPANS_PER_TRACE):
        root = records[k]
        rows.append(
            (
                root.trace_id,
                root.name,
                root.span_id,
                root.start_ns,
                root.end_ns,
                root.end_ns - root.start_ns,
                "ok",
                SPANS_PER_TRACE,
                0,
                None,
                None,
                "bench@1",
                "dev",
                "bench",
                orjson.dumps(root.resource).decode(),
            )
        )
    return rows


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for k in range(0, len(items), size):
        yield items[k : k + size]


# --- worker cases: each returns {"spans": n, "seconds": s, ...} -----------------------------


def floor_sqlite(url: str, n_traces: int, with_traces: bool) -> dict[str, Any]:
    from prodready.store import Store

    store = Store(url)  # the store's schema and indexes
    records = make_records(n_traces)
    spans, traces = [span_row(r) for r in records], trace_rows(records)
    per_txn_traces = FLOOR_TXN_ROWS // SPANS_PER_TRACE
    conn = store.engine.raw_connection().driver_connection
    assert conn is not None
    started = time.perf_counter()
    for k, batch in enumerate(chunks(spans, FLOOR_TXN_ROWS)):
        with conn:
            conn.executemany(f"INSERT INTO spans ({_SPAN_COLS}) VALUES ({_qs(15)})", batch)
            if with_traces:
                t_batch = traces[k * per_txn_traces : (k + 1) * per_txn_traces]
                conn.executemany(f"INSERT INTO traces ({_TRACE_COLS}) VALUES ({_qs(15)})", t_batch)
    return {"spans": len(spans), "seconds": time.perf_counter() - started}


def floor_pg(url: str, n_traces: int, with_traces: bool) -> dict[str, Any]:
    import psycopg

    from prodready.store import Store

    Store(url).close()  # create the schema and indexes in the fresh schema
    records = make_records(n_traces)
    spans, traces = [span_row(r) for r in records], trace_rows(records)
    per_txn_traces = FLOOR_TXN_ROWS // SPANS_PER_TRACE
    span_sql = f"INSERT INTO spans ({_SPAN_COLS}) VALUES ({', '.join(['%s'] * 15)})"
    trace_sql = f"INSERT INTO traces ({_TRACE_COLS}) VALUES ({', '.join(['%s'] * 15)})"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        started = time.perf_counter()
        for k, batch in enumerate(chunks(spans, FLOOR_TXN_ROWS)):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(span_sql, batch)
                if with_traces:
                    cur.executemany(
                        trace_sql, traces[k * per_txn_traces : (k + 1) * per_txn_traces]
                    )
        seconds = time.perf_counter() - started
    return {"spans": len(spans), "seconds": seconds}


def _qs(n: int) -> str:
    return ", ".join(["?"] * n)


def write_spans(url: str, n_traces: int, batch: int) -> dict[str, Any]:
    from prodready.store import Store

    store = Store(url)
    records = make_records(n_traces)
    started = time.perf_counter()
    written = sum(store.write_spans(chunk) for chunk in chunks(records, batch))
    seconds = time.perf_counter() - started
    return {"spans": len(records), "seconds": seconds, "stored": written}


def one_trace(span: Callable[..., Any], i: int) -> None:
    """One trace of the SDK cases: 3 nested prodready spans of the benchmark's shape."""
    with span("answer", kind="agent") as root:
        root.set(span_attributes(i, "agent", False)).event("checkpoint", {"n": 1})
        with span("plan", kind="step") as child:
            child.set(span_attributes(i, "step", False)).event("checkpoint", {"n": 1})
            with span("lookup_card", kind="tool") as leaf:
                leaf.set(span_attributes(i, "tool", False)).event("checkpoint", {"n": 1})


def sdk(url: str, n_traces: int, write: bool = True) -> dict[str, Any]:
    import prodready

    prodready.configure(store=url, release="bench@1", write_to_store=write)
    one = partial(one_trace, prodready.span)
    warm = max(n_traces // 50, 50)

    for i in range(warm):
        one(i)
    prodready.flush(60)
    stats0 = prodready.tracing.stats()
    started = time.perf_counter()
    for i in range(n_traces):
        one(i)
    created = time.perf_counter()
    flushed = prodready.flush(600)
    done = time.perf_counter()
    stats = prodready.tracing.stats()
    result = {
        "spans": n_traces * SPANS_PER_TRACE,
        "seconds": done - started,
        "create_seconds": created - started,
        "flush_seconds": done - created,
        "flushed": flushed,
        "dropped": stats.dropped - stats0.dropped,
        "dropped_by_reason": stats.dropped_by_reason,
    }
    if write:
        config = prodready.tracing.current()
        assert config is not None and config.store is not None
        result["stored"] = stats.written - stats0.written
        result["in_db"] = config.store.info().span_count
        result["expected_in_db"] = (n_traces + warm) * SPANS_PER_TRACE
    return result


def sdk_writer(url: str, n_traces: int) -> dict[str, Any]:
    """The SDK's store pipeline alone: finished spans handed to the processor, then drained."""
    from prodready.store import Store
    from prodready.tracing import StoreSpanProcessor

    store = Store(url)
    spans = readable_spans(make_records(n_traces))
    processor = StoreSpanProcessor(store, max_queue_size=len(spans) + 1)
    started = time.perf_counter()
    for span in spans:
        processor.on_end(span)
    flushed = processor.force_flush(600_000)
    seconds = time.perf_counter() - started
    stats = processor.stats()
    processor.shutdown()
    return {
        "spans": len(spans),
        "seconds": seconds,
        "flushed": flushed,
        "dropped": stats.dropped,
        "in_db": store.info().span_count,
        "expected_in_db": len(spans),
    }


def otlp_client(endpoint: str, n_traces: int) -> dict[str, Any]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    spans = readable_spans(make_records(n_traces))
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=60)
    exporter.export(readable_spans(make_records(50, seed=2)))  # warm the connection
    failures = 0
    started = time.perf_counter()
    for chunk in chunks(spans, OTLP_BATCH):
        if exporter.export(chunk) is not SpanExportResult.SUCCESS:
            failures += 1
    seconds = time.perf_counter() - started
    exporter.shutdown()
    return {"spans": len(spans), "seconds": seconds, "failed_batches": failures}


def otlp_client_preencoded(endpoint: str, n_traces: int) -> dict[str, Any]:
    """Server-side throughput: bodies encoded by the official encoder before timing."""
    import requests
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    spans = readable_spans(make_records(n_traces))
    bodies = [encode_spans(chunk).SerializePartialToString() for chunk in chunks(spans, OTLP_BATCH)]
    session = requests.Session()
    session.headers["Content-Type"] = "application/x-protobuf"
    warm = encode_spans(readable_spans(make_records(50, seed=2))).SerializePartialToString()
    session.post(endpoint, data=warm, timeout=60).raise_for_status()
    failures = 0
    started = time.perf_counter()
    for body in bodies:
        if session.post(endpoint, data=body, timeout=60).status_code != 200:
            failures += 1
    seconds = time.perf_counter() - started
    return {"spans": len(spans), "seconds": seconds, "failed_batches": failures}


def readable_spans(records: list[Any]) -> list[Any]:
    """The records as finished SDK spans, what an OTLP exporter takes."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

    resource = Resource.create(records[0].resource)
    scope = InstrumentationScope("prodready")
    out = []
    for r in records:
        trace_id = int(r.trace_id, 16)
        ctx = SpanContext(trace_id, int(r.span_id, 16), False, TraceFlags(1))
        parent = (
            SpanContext(trace_id, int(r.parent_span_id, 16), False, TraceFlags(1))
            if r.parent_span_id
            else None
        )
        events = [Event(e["name"], e["attributes"], e["time_ns"]) for e in r.events]
        out.append(
            ReadableSpan(
                name=r.name,
                context=ctx,
                parent=parent,
                resource=resource,
                attributes=r.attributes,
                events=events,
                kind=SpanKind.INTERNAL,
                start_time=r.start_ns,
                end_time=r.end_ns,
                instrumentation_scope=scope,
            )
        )
    return out


def worker(case: str, url: str, n_traces: int) -> None:
    cases: dict[str, Callable[[], dict[str, Any]]] = {
        "floor_sqlite": lambda: floor_sqlite(url, n_traces, with_traces=True),
        "floor_sqlite_spans": lambda: floor_sqlite(url, n_traces, with_traces=False),
        "floor_pg": lambda: floor_pg(url, n_traces, with_traces=True),
        "floor_pg_spans": lambda: floor_pg(url, n_traces, with_traces=False),
        "write_spans_512": lambda: write_spans(url, n_traces, 512),
        "write_spans_10k": lambda: write_spans(url, n_traces, 10_000),
        "sdk": lambda: sdk(url, n_traces),
        "sdk_writer": lambda: sdk_writer(url, n_traces),
        "sdk_create_only": lambda: sdk(url, n_traces, write=False),
        "otlp_client": lambda: otlp_client(url, n_traces),
        "otlp_client_preencoded": lambda: otlp_client_preencoded(url, n_traces),
    }
    report_result(cases[case]())
    hard_exit()


# --- the parent -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    reps: int
    traces: dict[str, int]


FULL = Plan(
    reps=3,
    traces={"floor": 50_000, "write_spans": 30_000, "sdk": 10_000, "otlp": 15_000},
)
PG_SCALE = 0.5
"""PostgreSQL is 2-4x slower here: half the spans keep its runs as long as SQLite's."""
QUICK = Plan(reps=1, traces={"floor": 10_000, "write_spans": 5_000, "sdk": 3_000, "otlp": 3_000})


@dataclass
class Row:
    label: str
    backend: str
    runs: list[dict[str, Any]]
    error: str | None = None

    @property
    def rate(self) -> float:
        return median([r["spans"] / r["seconds"] for r in self.runs])


@dataclass
class Job:
    """One case on one database, run once per round; a failure is kept, not raised."""

    label: str
    backend: str
    run_once: Callable[[], dict[str, Any]]
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def row(self) -> Row:
        return Row(self.label, self.backend, self.runs, self.error)


def run_rounds(jobs: list[Job], reps: int) -> None:
    """``reps`` rounds over every job, interleaved so that load from other programs on the
    machine spreads over all cases instead of biasing one."""
    for round_no in range(reps):
        for job in jobs:
            if job.error is not None:
                continue
            print(f"  ingest round {round_no + 1}: {job.label} ({job.backend})", file=sys.stderr)
            try:
                job.runs.append(job.run_once())
            except (WorkerError, OSError, subprocess.SubprocessError) as exc:
                job.error = failure(exc)


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh database URL: a temp SQLite file or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            yield f"sqlite:///{tmp}/ingest.db"
    else:
        with pg_schema(prefix="bench_ingest") as (_schema, url):
            yield url


def measure_once(case: str, backend: str, n_traces: int) -> dict[str, Any]:
    with database(backend) as url:
        return run_worker(SCRIPT, [case, "--url", url, "--traces", str(n_traces)])


SERVER = """
import logging, sys, uvicorn
from prodready.server import create_app
uvicorn.run(create_app(store_url=sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False)
"""


def measure_otlp_once(client: str, backend: str, n_traces: int) -> dict[str, Any]:
    """Start ``prodready serve`` on a fresh database, run one client against it."""
    with database(backend) as url:
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)])
        try:
            wait_for_port(port, timeout=60, process=server)
            endpoint = f"http://127.0.0.1:{port}/v1/traces"
            run = run_worker(SCRIPT, [client, "--url", endpoint, "--traces", str(n_traces)])
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)
        run["in_db"] = _span_count(url)
        run["expected_in_db"] = (n_traces + 50) * SPANS_PER_TRACE
    return run


def _span_count(url: str) -> int:
    from prodready.store import Store

    with Store(url, migrate=False) as store:
        return store.info().span_count


def _notes(row: Row) -> str:
    if row.error or not row.runs:
        return f"FAILED: {row.error}"
    r = row.runs[-1]
    parts = []
    if "create_seconds" in r:
        create_rate = r["spans"] / r["create_seconds"]
        parts.append(
            f"creating {fmt(create_rate, 0)} spans/s, then flush {fmt(r['flush_seconds'], 2)} s"
        )
    if "dropped" in r:
        parts.append(f"dropped {sum(x['dropped'] for x in row.runs)}")
    if "in_db" in r:
        ok = all(x["in_db"] == x["expected_in_db"] for x in row.runs)
        parts.append(
            f"all stored: {'yes' if ok else 'NO'} ({r['in_db']:,}/{r['expected_in_db']:,})"
        )
    if "failed_batches" in r:
        parts.append(f"failed batches {sum(x['failed_batches'] for x in row.runs)}")
    return "; ".join(parts)


def build_report(rows: list[Row], quick: bool, started: float, notes: list[str]) -> Report:
    floors = {row.backend: row.rate for row in rows if row.label == FLOOR_LABEL and row.runs}
    table = Table(
        ["case", "db", "spans/s", "vs floor", "notes"],
        title="Ingest throughput (median of runs, spans/s)",
    )
    for row in rows:
        floor = floors.get(row.backend)
        ratio = f"{row.rate / floor:.0%}" if floor and row.runs else "n/a"
        table.add(row.label, row.backend, fmt(row.rate, 0), ratio, _notes(row))
    report = Report("Ingest throughput", tables=[table])
    sdk_rows = [r for r in rows if r.label.startswith("SDK:") and r.backend == "sqlite" and r.runs]
    if sdk_rows and "sqlite" in floors:
        ratio = sdk_rows[0].rate / floors["sqlite"]
        target = Table(["target", "measured", "result"], title="Target")
        target.add(
            "SDK -> SQLite >= 50% of the SQLite executemany floor",
            f"{ratio:.0%}",
            verdict(ratio >= TARGET_SDK_VS_FLOOR),
        )
        ceiling = [r for r in rows if r.backend == "none" and r.runs]
        if ceiling:
            target.add(
                "(info) span creation alone, no store, as % of the same floor",
                f"{ceiling[0].rate / floors['sqlite']:.0%}",
                "ceiling for the SDK row",
            )
        report.tables.append(target)
    report.notes += [
        environment_line(),
        "versions: "
        + versions_text(["psycopg", "uvicorn", "opentelemetry-exporter-otlp-proto-http"]),
        "floor = prebuilt row tuples, driver executemany, spans + their trace rows, "
        f"{FLOOR_TXN_ROWS:,}-row transactions, same schema and indexes as the store; "
        "'vs floor' compares with the floor of the same database.",
        "SDK = prodready spans created in a loop, timed from the first span until flush() "
        "returns (default batch 512, flush interval 0.5 s).",
        "OTLP = official OTLPSpanExporter (protobuf) posting prebuilt spans in batches of "
        f"{OTLP_BATCH}, one request at a time, into `prodready serve` (uvicorn, 1 process).",
        f"{'quick run: 1 run per case' if quick else 'medians of 3 fresh processes per case'}.",
        *notes,
    ]
    report.elapsed_s = time.perf_counter() - started
    return report


CASES: list[tuple[str, str, str]] = [
    # (label, worker case with {db} for the backend, size key)
    (FLOOR_LABEL, "floor_{db}", "floor"),
    ("floor: executemany, spans only", "floor_{db}_spans", "floor"),
    ("Store.write_spans, batches of 512", "write_spans_512", "write_spans"),
    ("Store.write_spans, batches of 10k", "write_spans_10k", "write_spans"),
    ("SDK: prodready spans -> store, until flushed", "sdk", "sdk"),
    ("SDK writer only: finished spans -> StoreSpanProcessor", "sdk_writer", "write_spans"),
]
OTLP_CASES: list[tuple[str, str]] = [
    ("OTLP/HTTP: OTLPSpanExporter -> prodready serve", "otlp_client"),
    ("OTLP/HTTP: pre-encoded bodies -> prodready serve (server only)", "otlp_client_preencoded"),
]


def backend_jobs(backend: str, plan: Plan, notes: list[str]) -> list[Job]:
    db = "sqlite" if backend == "sqlite" else "pg"
    scale = 1.0 if backend == "sqlite" else PG_SCALE
    sizes = {key: int(n * scale) for key, n in plan.traces.items()}
    jobs = [
        Job(label, backend, partial(measure_once, case.format(db=db), backend, sizes[size]))
        for label, case, size in CASES
    ]
    if not _server_importable():
        notes.append("OTLP/HTTP skipped: prodready.server is not importable")
        return jobs
    jobs += [
        Job(label, backend, partial(measure_otlp_once, client, backend, sizes["otlp"]))
        for label, client in OTLP_CASES
    ]
    return jobs


def run(quick: bool = False, pg: bool = True) -> Report:
    started = time.perf_counter()
    plan = QUICK if quick else FULL
    notes: list[str] = []
    backends = ["sqlite"]
    if pg:
        why = pg_available()
        if why is None:
            backends.append("postgresql")
        else:
            notes.append(f"PostgreSQL skipped: {why}")
    jobs = [job for backend in backends for job in backend_jobs(backend, plan, notes)]
    jobs.append(
        Job(
            "(diagnostic) SDK span creation only, store writer off",
            "none",
            partial(measure_once, "sdk_create_only", "sqlite", plan.traces["sdk"]),
        )
    )
    run_rounds(jobs, plan.reps)
    rows = [job.row() for job in jobs]
    return build_report(rows, quick, started, notes)


def _server_importable() -> bool:
    try:
        from prodready.server import create_app  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke run")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--worker", metavar="CASE", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--traces", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.url, args.traces)
        return 0
    print(run(args.quick, pg=not args.no_pg).markdown())
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
