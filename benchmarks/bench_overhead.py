"""Per-span overhead of tracing, caller side: prodready against OpenTelemetry, MLflow, Langfuse.

One trace = root -> child -> grandchild, each span with 5 attributes and 1 event. Every case
runs in fresh processes (global tracer providers cannot be reset), warms up, then times
``reps`` loops of ``n`` traces; the figure is the median over repetitions and processes.

    python benchmarks/bench_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    Report,
    Table,
    Timer,
    WorkerError,
    environment_line,
    failure,
    fmt,
    free_port,
    hard_exit,
    median,
    report_result,
    run_worker,
    verdict,
    versions,
    wait_for_port,
)

SCRIPT = Path(__file__).resolve()
SPANS_PER_TRACE = 3
QUESTION = "Where is my new card? It was supposed to arrive last week."
ANSWER = "Your card was posted on Monday; it should arrive within 3 working days."


def attributes(i: int) -> dict[str, Any]:
    """The 5 attributes every span carries (mixed types, like real agent metadata)."""
    return {
        "app.step": i,
        "app.user_tier": "gold",
        "app.region": "eu-west-1",
        "llm.temperature": 0.2,
        "app.cached": False,
    }


EVENT_NAME = "checkpoint"
EVENT_ATTRIBUTES = {"attempt": 1}


# --- cases: each returns a Case whose run() produces one 3-span trace ----------------------


@dataclass
class Case:
    run: Callable[[int], object]
    after_rep: Callable[[], dict[str, float]] = lambda: {}
    finish: Callable[[], dict[str, Any]] = lambda: {}
    versions: dict[str, str] = field(default_factory=dict)


def case_plain(_tmp: Path) -> Case:
    def grandchild(i: int) -> str:
        return ANSWER

    def child(i: int) -> str:
        return grandchild(i)

    def root(i: int) -> str:
        return child(i)

    return Case(run=root)


def _otel_trace(tracer: Any) -> Callable[[int], None]:
    def run(i: int) -> None:
        attrs = attributes(i)
        with tracer.start_as_current_span("root") as root:
            root.set_attributes(attrs)
            root.add_event(EVENT_NAME, EVENT_ATTRIBUTES)
            with tracer.start_as_current_span("child") as child:
                child.set_attributes(attrs)
                child.add_event(EVENT_NAME, EVENT_ATTRIBUTES)
                with tracer.start_as_current_span("grandchild") as grandchild:
                    grandchild.set_attributes(attrs)
                    grandchild.add_event(EVENT_NAME, EVENT_ATTRIBUTES)

    return run


def case_otel_noproc(_tmp: Path) -> Case:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    trace.set_tracer_provider(TracerProvider())
    return Case(
        run=_otel_trace(trace.get_tracer("bench")), versions=versions(["opentelemetry-sdk"])
    )


def case_otel_batch(_tmp: Path) -> Case:
    from collections.abc import Sequence

    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class NoOpExporter(SpanExporter):
        exported = 0

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            NoOpExporter.exported += len(spans)
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    processor = BatchSpanProcessor(NoOpExporter())
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)

    def after_rep() -> dict[str, float]:
        with Timer() as t:
            processor.force_flush()
        return {"flush_ms": t.seconds * 1000}

    return Case(
        run=_otel_trace(trace.get_tracer("bench")),
        after_rep=after_rep,
        finish=lambda: {"exported_spans": NoOpExporter.exported},
        versions=versions(["opentelemetry-sdk"]),
    )


SINK = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def case_otel_otlp(_tmp: Path) -> Case:
    """Raw OTel with a real exporter doing real work: OTLP/HTTP to a local sink process."""
    import subprocess

    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    wait_for_port(port)
    provider = TracerProvider()
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=10)
    processor = BatchSpanProcessor(exporter)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)

    def after_rep() -> dict[str, float]:
        with Timer() as t:
            processor.force_flush()
        return {"flush_ms": t.seconds * 1000}

    def finish() -> dict[str, Any]:
        sink.kill()
        return {}

    return Case(
        run=_otel_trace(trace.get_tracer("bench")),
        after_rep=after_rep,
        finish=finish,
        versions=versions(["opentelemetry-exporter-otlp-proto-http"]),
    )


def _prodready_setup(
    tmp: Path, **options: Any
) -> tuple[Callable[[], dict[str, float]], Callable[[], dict[str, Any]]]:
    import prodready

    prodready.configure(
        store=options.pop("store", f"sqlite:///{tmp}/b.db"), release="bench@1", **options
    )

    def after_rep() -> dict[str, float]:
        with Timer() as t:
            ok = prodready.flush(60)
        return {"flush_ms": t.seconds * 1000, "flush_ok": float(ok)}

    def finish() -> dict[str, Any]:
        prodready.flush(120)
        stats = prodready.tracing.stats()
        config = prodready.tracing.current()
        assert config is not None and config.store is not None
        return {
            "stored_spans": config.store.info().span_count,
            "dropped": stats.dropped,
            "dropped_by_reason": stats.dropped_by_reason,
            "write_failures": stats.write_failures,
        }

    return after_rep, finish


def case_prodready_span(
    tmp: Path, *, configure: bool = True, options: dict[str, Any] | None = None
) -> Case:
    import prodready

    after_rep, finish = (
        _prodready_setup(tmp, **(options or {})) if configure else (lambda: {}, lambda: {})
    )
    span = prodready.span

    def run(i: int) -> None:
        attrs = attributes(i)
        with span("root", kind="agent") as root:
            root.set(attrs)
            root.event(EVENT_NAME, EVENT_ATTRIBUTES)
            with span("child", kind="step") as child:
                child.set(attrs)
                child.event(EVENT_NAME, EVENT_ATTRIBUTES)
                with span("grandchild", kind="tool") as grandchild:
                    grandchild.set(attrs)
                    grandchild.event(EVENT_NAME, EVENT_ATTRIBUTES)

    return Case(run=run, after_rep=after_rep, finish=finish, versions=versions(["prodready"]))


def case_prodready_nostore(_tmp: Path) -> Case:
    import prodready

    prodready.configure(write_to_store=False, release="bench@1")
    case = case_prodready_span(_tmp, configure=False)
    return Case(run=case.run, versions=case.versions)


def case_prodready_paused(tmp: Path) -> Case:
    """Diagnostic: spans are snapshotted and queued, but the writer waits for flush()."""
    return case_prodready_span(tmp, options={"batch_size": 10**9, "flush_interval": 3600.0})


def case_prodready_nowrite(tmp: Path) -> Case:
    """Diagnostic: the writer converts every span but the store skips the database."""
    from collections.abc import Iterable

    from prodready.store import Store
    from prodready.store.writing import PreparedSpan

    class CountingStore(Store):
        # The SDK's writer calls write_prepared with a generator that converts each span as
        # it is read: consuming it is the conversion, without the database.
        def write_prepared(self, spans: Iterable[PreparedSpan]) -> int:
            n = sum(1 for _ in spans)
            self.counted = getattr(self, "counted", 0) + n
            return n

        def info(self) -> Any:  # the finish() check reads span_count
            from types import SimpleNamespace

            return SimpleNamespace(span_count=getattr(self, "counted", 0))

    return case_prodready_span(tmp, options={"store": CountingStore(f"sqlite:///{tmp}/c.db")})


def case_prodready_trace(tmp: Path) -> Case:
    import prodready
    from prodready.tracing import current_span

    after_rep, finish = _prodready_setup(tmp)

    def annotate(i: int) -> None:
        current_span().set(attributes(i)).event(EVENT_NAME, EVENT_ATTRIBUTES)

    @prodready.trace(kind="tool")
    def grandchild(question: str, i: int) -> str:
        annotate(i)
        return ANSWER

    @prodready.trace(kind="step")
    def child(question: str, i: int) -> str:
        annotate(i)
        return grandchild(question, i)

    @prodready.trace(kind="agent")
    def root(question: str, i: int) -> str:
        annotate(i)
        return child(question, i)

    return Case(
        run=lambda i: root(QUESTION, i),
        after_rep=after_rep,
        finish=finish,
        versions=versions(["prodready"]),
    )


def case_mlflow(tmp: Path) -> Case:
    import mlflow
    from mlflow.entities import SpanEvent
    from mlflow.tracing.export import async_export_queue

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    db = tmp / "mlflow.db"
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    experiment = mlflow.create_experiment("bench", artifact_location=(tmp / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment)
    counts = {"tasks": 0, "discarded": 0}
    original_put = async_export_queue.AsyncTraceExportQueue.put

    def counting_put(self: Any, task: Any) -> None:
        counts["tasks"] += 1
        if self._queue.full():
            counts["discarded"] += 1
        original_put(self, task)

    async_export_queue.AsyncTraceExportQueue.put = counting_put  # type: ignore[method-assign]

    def annotate(i: int) -> None:
        span = mlflow.get_current_active_span()
        span.set_attributes(attributes(i))
        span.add_event(SpanEvent(EVENT_NAME, attributes=EVENT_ATTRIBUTES))

    @mlflow.trace(span_type="TOOL")
    def grandchild(question: str, i: int) -> str:
        annotate(i)
        return ANSWER

    @mlflow.trace(span_type="CHAIN")
    def child(question: str, i: int) -> str:
        annotate(i)
        return grandchild(question, i)

    @mlflow.trace(span_type="AGENT")
    def root(question: str, i: int) -> str:
        annotate(i)
        return child(question, i)

    def finish() -> dict[str, Any]:
        time.sleep(2.0)  # let in-flight writes land; the rest of the queue is not awaited
        return {"mlflow_export_tasks": counts["tasks"], "mlflow_discarded": counts["discarded"]}

    return Case(
        run=lambda i: root(QUESTION, i),
        finish=finish,
        versions=versions(["mlflow-skinny", "numpy", "pandas"]),
    )


def case_langfuse(_tmp: Path) -> Case:
    os.environ.update(
        LANGFUSE_PUBLIC_KEY="pk-lf-bench",
        LANGFUSE_SECRET_KEY="sk-lf-bench",
        LANGFUSE_HOST="http://127.0.0.1:9",
        LANGFUSE_BASE_URL="http://127.0.0.1:9",
        LANGFUSE_TIMEOUT="2",
    )
    logging.getLogger("langfuse").setLevel(logging.CRITICAL)
    from langfuse import get_client, observe
    from opentelemetry import trace

    client = get_client()

    def annotate(i: int) -> None:
        client.update_current_span(metadata=attributes(i))
        trace.get_current_span().add_event(EVENT_NAME, EVENT_ATTRIBUTES)

    @observe
    def grandchild(question: str, i: int) -> str:
        annotate(i)
        return ANSWER

    @observe
    def child(question: str, i: int) -> str:
        annotate(i)
        return grandchild(question, i)

    @observe
    def root(question: str, i: int) -> str:
        annotate(i)
        return child(question, i)

    return Case(run=lambda i: root(QUESTION, i), versions=versions(["langfuse"]))


CASES: dict[str, Callable[[Path], Case]] = {
    "plain": case_plain,
    "otel_noproc": case_otel_noproc,
    "otel_batch": case_otel_batch,
    "otel_otlp": case_otel_otlp,
    "prodready_span": case_prodready_span,
    "prodready_trace": case_prodready_trace,
    "prodready_nostore": case_prodready_nostore,
    "prodready_paused": case_prodready_paused,
    "prodready_nowrite": case_prodready_nowrite,
    "mlflow": case_mlflow,
    "langfuse": case_langfuse,
}

LABELS = {
    "plain": "3 nested plain calls (floor)",
    "otel_noproc": "OpenTelemetry SDK, no processor",
    "otel_batch": "OpenTelemetry SDK, BatchSpanProcessor + no-op exporter",
    "otel_otlp": "OpenTelemetry SDK, BatchSpanProcessor + OTLP/HTTP to a local sink (info)",
    "prodready_span": "prodready `with span(...)` -> SQLite",
    "prodready_trace": "prodready `@trace` (capture_io on) -> SQLite",
    "prodready_nostore": "prodready `with span(...)`, store writer off (diagnostic)",
    "prodready_paused": "prodready `span`, spans queued, writer idle until flush (diagnostic)",
    "prodready_nowrite": "prodready `span`, writer converts, no database write (diagnostic)",
    "mlflow": "MLflow `@mlflow.trace` -> SQLite, async export",
    "langfuse": "Langfuse `@observe` -> dead endpoint",
}


# --- the worker: one case, one fresh process ------------------------------------------------


def worker(case_name: str, n: int, reps: int, warmup: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        case = CASES[case_name](Path(tmp))
        for i in range(warmup):
            case.run(i)
        case.after_rep()
        samples, extras = [], []
        for _ in range(reps):
            gc.collect()
            start = time.perf_counter_ns()
            for i in range(n):
                case.run(i)
            samples.append((time.perf_counter_ns() - start) / n / 1000)
            extras.append(case.after_rep())
        result = {
            "us_per_trace": samples,
            "after_rep": extras,
            "traces": warmup + n * reps,
            "n": n,
            "versions": case.versions,
        }
        result |= case.finish()
        report_result(result)
    hard_exit()


# --- the parent: run every case, aggregate, compare ---------------------------------------


@dataclass(frozen=True)
class Plan:
    processes: int
    reps: int
    n: dict[str, int]
    warmup: dict[str, int]


FULL = Plan(
    processes=3,
    reps=7,
    n={"plain": 200_000, "mlflow": 300, "langfuse": 500},
    warmup={"plain": 10_000, "mlflow": 200, "langfuse": 300},
)
QUICK = Plan(
    processes=1,
    reps=3,
    n={"plain": 50_000, "mlflow": 100, "langfuse": 200},
    warmup={"plain": 5_000, "mlflow": 50, "langfuse": 100},
)
DEFAULT_N = {"full": 3000, "quick": 1000}
DEFAULT_WARMUP = {"full": 1000, "quick": 300}


@dataclass
class CaseResult:
    name: str
    process_medians: list[float]
    runs: list[dict[str, Any]]
    error: str | None = None

    @property
    def us(self) -> float:
        return median(self.process_medians)

    @property
    def us_with_flush(self) -> float:
        """Caller time plus the flush after each loop, per trace: all the work, done or not
        while the caller ran (a writer that falls behind in the loop catches up in flush)."""
        flushes = [x["flush_ms"] for r in self.runs for x in r.get("after_rep", []) if x]
        if not flushes:
            return math.nan
        return self.us + median(flushes) * 1000 / self.runs[0]["n"]


def worker_args(name: str, plan: Plan, mode: str) -> list[str]:
    n = plan.n.get(name, DEFAULT_N[mode])
    warmup = plan.warmup.get(name, DEFAULT_WARMUP[mode])
    return [name, "--n", str(n), "--reps", str(plan.reps), "--warmup", str(warmup)]


def measure_all(names: list[str], plan: Plan, mode: str) -> dict[str, CaseResult]:
    """Rounds of one fresh process per case, interleaved so that load from other programs
    on the machine hits every case alike. A failing case is reported, not fatal."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    errors: dict[str, str] = {}
    for round_no in range(plan.processes):
        for name in names:
            print(f"  overhead round {round_no + 1}: {name}", file=sys.stderr, flush=True)
            try:
                runs[name].append(run_worker(SCRIPT, worker_args(name, plan, mode)))
            except WorkerError as exc:
                errors[name] = failure(exc)
    return {
        name: CaseResult(name, [median(r["us_per_trace"]) for r in rs], rs, errors.get(name))
        for name, rs in runs.items()
    }


def _note(result: CaseResult) -> str:
    runs = result.runs
    if not runs:
        return f"FAILED: {result.error}"
    if "stored_spans" in runs[0]:
        expected = sum(r["traces"] for r in runs) * SPANS_PER_TRACE
        stored = sum(r["stored_spans"] for r in runs)
        dropped = sum(r["dropped"] for r in runs)
        flush = median([x["flush_ms"] for r in runs for x in r["after_rep"]])
        return (
            f"stored {stored:,}/{expected:,} spans, dropped {dropped}; "
            f"flush() after each loop of {runs[0]['n']:,} traces: {fmt(flush)} ms (median)"
        )
    if result.name in ("otel_batch", "otel_otlp"):
        flush = median([x["flush_ms"] for r in runs for x in r["after_rep"]])
        return f"force_flush after each loop {fmt(flush)} ms"
    if result.name == "mlflow":
        tasks = sum(r["mlflow_export_tasks"] for r in runs)
        lost = sum(r["mlflow_discarded"] for r in runs)
        return f"export queue full: {lost:,} of {tasks:,} export tasks discarded"
    if result.name == "langfuse":
        return "endpoint refuses connections; export retried in background, never flushed"
    return ""


def results_table(results: dict[str, CaseResult]) -> Table:
    floor = results["plain"].us
    table = Table(
        ["case", "µs/trace", "process spread", "overhead µs/span", "µs/trace with flush", "notes"],
        title="Caller time per 3-span trace (median over processes x repetitions)",
    )
    for name, result in results.items():
        medians = result.process_medians or [math.nan]
        spread = f"{fmt(min(medians))} to {fmt(max(medians))}"
        over = (result.us - floor) / SPANS_PER_TRACE
        per_span = "n/a" if name == "plain" else fmt(over)
        with_flush = "" if math.isnan(result.us_with_flush) else fmt(result.us_with_flush, 2)
        table.add(LABELS[name], fmt(result.us, 2), spread, per_span, with_flush, _note(result))
    return table


RATIOS: list[tuple[str, str, float | None]] = [
    ("prodready_span", "otel_batch", 1.2),
    ("prodready_trace", "mlflow", 1 / 3),
    ("prodready_trace", "langfuse", 1 / 3),
    ("prodready_span", "mlflow", None),
    ("prodready_span", "langfuse", None),
    ("prodready_trace", "otel_batch", None),
    ("prodready_nostore", "otel_batch", None),
    ("prodready_paused", "otel_batch", None),
    ("prodready_nowrite", "otel_batch", None),
    ("prodready_span", "otel_otlp", None),
]
# The same pairs counting the flush after each loop (see CaseResult.us_with_flush).
FLUSHED_RATIOS = [("prodready_span", "otel_batch")]


def ratio_table(results: dict[str, CaseResult]) -> Table:
    table = Table(["comparison (µs/trace ratio)", "ratio", "target", "result"], title="Ratios")
    for ours, peer, target in RATIOS:
        if ours not in results or peer not in results:
            continue
        ratio = results[ours].us / results[peer].us
        label = f"{LABELS[ours]} / {LABELS[peer]}"
        if math.isnan(ratio):
            table.add(label, "n/a", "" if target is None else f"<= {target:.2f}", "not measured")
        elif target is None:
            table.add(label, f"{ratio:.3f}", "(info)", "")
        else:
            table.add(label, f"{ratio:.3f}", f"<= {target:.2f}", verdict(ratio <= target))
    for ours, peer in FLUSHED_RATIOS:
        if ours in results and peer in results:
            ratio = results[ours].us_with_flush / results[peer].us_with_flush
            if not math.isnan(ratio):
                label = f"{LABELS[ours]} / {LABELS[peer]}, each with its flush"
                table.add(label, f"{ratio:.3f}", "(info)", "")
    return table


def run(quick: bool = False, cases: list[str] | None = None) -> Report:
    started = time.perf_counter()
    plan, mode = (QUICK, "quick") if quick else (FULL, "full")
    results = measure_all(cases or list(CASES), plan, mode)
    peer_versions: dict[str, str] = {}
    for result in results.values():
        peer_versions |= result.runs[0]["versions"]
    report = Report("Tracing overhead (caller side)")
    if "plain" in results:
        report.tables.append(results_table(results))
    report.tables.append(ratio_table(results))
    report.notes += [
        environment_line(),
        "versions: " + ", ".join(f"{k} {v}" for k, v in sorted(peer_versions.items())),
        f"{plan.processes} fresh process(es) per case x {plan.reps} timed loops after warm-up; "
        "overhead/span = (µs/trace - floor) / 3.",
        "Target pairs compare like with like: manual spans vs raw OpenTelemetry spans, and "
        "decorators with input/output capture vs the peers' decorators (which capture too).",
    ]
    report.elapsed_s = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke run")
    parser.add_argument("--case", action="append", choices=list(CASES), help="only these")
    parser.add_argument("--worker", metavar="CASE", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=100, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.n, args.reps, args.warmup)
        return 0
    print(run(args.quick, args.case).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
