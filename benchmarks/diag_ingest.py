"""Diagnostic: where an SDK span's time goes on its way into SQLite (not part of `make bench`).

Two measurements, each in this one process:

- ``parts``: each stage timed alone on 4,096 queued spans (the ingest benchmark's shape), the
  garbage collector off, best of 7: span creation in the agent's thread (without and with
  the early JSON encoding), the writer's conversion, its trace-row aggregation, and the
  SQLite write (insert, trace upsert, commit).
- ``contention``: the SDK ingest loop of ``bench_ingest.py`` with thread CPU read from
  ``/proc`` (Linux): the agent's and the writer's CPU per span while both run, and the
  writer's after the loop, when it runs alone.
- ``empty``: µs per empty ``prodready.span`` (three nested, writer idle, GC off, best of
  7 timeit runs): what starting, making current and ending a span costs the agent.
- ``yield``: the SDK and writer-only cases of ``bench_ingest.py`` with the agent yielding
  the GIL to a busy writer (the default, ``_processor.YIELD_EVERY``) and without, 5 rounds
  interleaved, each run in a fresh process on a fresh SQLite file.

    python benchmarks/diag_ingest.py [parts|contention|empty|yield]
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench_ingest import one_trace as _one_trace

SPANS = 4096


def _best_us(run: Callable[[], object], per: int, reps: int = 7) -> float:
    best = float("inf")
    for _ in range(reps):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best / per * 1e6


def parts() -> None:
    import prodready
    from prodready.store import Store, _store
    from prodready.tracing import _config
    from prodready.tracing._convert import prepared_from

    tmp = tempfile.mkdtemp()
    traces = SPANS // 3 + 1

    def queued_spans(**options: Any) -> tuple[list[Any], Any]:
        prodready.configure(
            store=f"sqlite:///{tmp}/parts.db",
            release="bench@1",
            batch_size=10**9,
            flush_interval=3600.0,
            max_queue_size=10**7,
            **options,
        )
        processor = _config._state.router.target
        assert processor is not None
        return processor._queue, processor  # type: ignore[union-attr]

    gc.disable()
    figures: dict[str, float] = {}
    for label, options in (("creation, no early JSON", {"redact": lambda a: a}), ("creation", {})):
        queue, _ = queued_spans(**options)

        def create(queue: Any = queue) -> None:
            queue.clear()
            for i in range(traces):
                _one_trace(prodready.span, i)

        figures[label] = _best_us(create, traces * 3)
    queue, processor = queued_spans()
    create_all = [_one_trace(prodready.span, i) for i in range(traces)]
    del create_all
    snaps = list(queue)[:SPANS]
    resource = processor._resource
    figures["writer: conversion"] = _best_us(
        lambda: [prepared_from(s, resource=resource) for s in snaps], len(snaps)
    )
    prepared = [prepared_from(s, resource=resource) for s in snaps]
    figures["writer: trace-row aggregation"] = _best_us(lambda: _store._rows(prepared), len(snaps))
    rows, trace_rows = _store._rows(prepared)
    store = Store(f"sqlite:///{tmp}/write.db")
    sql = store._sql

    def write() -> None:
        with store.engine.begin() as conn:
            sql.write_rows(conn, sql.insert_spans, rows, sized=_store._SPAN_PAYLOADS)
            sql.write_rows(conn, sql.upsert_traces, trace_rows)
        with store.engine.begin() as conn:  # the next repetition inserts the same rows
            conn.exec_driver_sql("DELETE FROM spans")
            conn.exec_driver_sql("DELETE FROM traces")

    figures["writer: SQLite (insert, upsert, commit; incl. the delete between runs)"] = _best_us(
        write, len(snaps)
    )
    gc.enable()
    print(f"µs per span, each part alone on {len(snaps):,} spans, GC off, best of 7:")
    for label, value in figures.items():
        print(f"  {label:<72} {value:6.2f}")


def _thread_cpu(native_id: int) -> float:
    with open(f"/proc/self/task/{native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def contention(n_traces: int = 10_200) -> None:
    import prodready
    from prodready.tracing import _config

    prodready.configure(store=f"sqlite:///{tempfile.mkdtemp()}/c.db", release="bench@1")
    for i in range(200):
        _one_trace(prodready.span, i)
    prodready.flush(60)
    processor = _config._state.router.target
    writer = processor._thread.native_id  # type: ignore[union-attr]
    spans = n_traces * 3
    written0 = processor._written  # type: ignore[union-attr]
    w0, a0, c0 = time.perf_counter(), time.thread_time(), _thread_cpu(writer)
    for i in range(n_traces):
        _one_trace(prodready.span, i)
    w1, a1, c1 = time.perf_counter(), time.thread_time(), _thread_cpu(writer)
    during = processor._written - written0  # type: ignore[union-attr]
    prodready.flush(600)
    w2, c2 = time.perf_counter(), _thread_cpu(writer)
    after = spans - during
    print(f"{spans:,} spans in {w2 - w0:.3f} s ({spans / (w2 - w0):,.0f} spans/s)")
    print(f"  loop {w1 - w0:.3f} s: agent CPU {(a1 - a0) / spans * 1e6:.1f} µs per span")
    print(
        f"  writer while the loop ran: {during:,} spans, "
        f"{(c1 - c0) / max(during, 1) * 1e6:.1f} µs CPU per span"
    )
    print(
        f"  writer after the loop (flush {w2 - w1:.3f} s): {after:,} spans, "
        f"{(c2 - c1) / max(after, 1) * 1e6:.1f} µs CPU per span"
    )
    print("  (thread CPU from /proc in clock ticks: ~10 ms resolution)")


def empty_spans(loops: int = 20_000) -> None:
    import timeit

    import prodready
    from prodready.tracing import _config

    prodready.configure(
        store=f"sqlite:///{tempfile.mkdtemp()}/empty.db",
        batch_size=10**9,
        flush_interval=3600.0,
        max_queue_size=10**8,
    )
    queue = _config._state.router.target._queue  # type: ignore[union-attr]

    def nested() -> None:
        with prodready.span("a", kind="agent"), prodready.span("b"), prodready.span("c"):
            pass

    gc.disable()
    best = float("inf")
    for _ in range(7):
        best = min(best, timeit.timeit(nested, number=loops))
        queue.clear()
    gc.enable()
    print(f"{best / (3 * loops) * 1e6:.2f} µs per empty span (3 nested, writer idle, GC off)")


def yielding(rounds: int = 5) -> None:
    runs: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for case in ("sdk", "sdk_writer"):
            for mode in ("yield", "no yield"):
                out = subprocess.run(
                    [sys.executable, __file__, "_yield_worker", case, mode],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                runs.setdefault((case, mode), []).append(float(out.split()[-1]))
    print(f"spans/s, {rounds} fresh processes each, interleaved:")
    for (case, mode), rates in runs.items():
        print(
            f"  {case:<10} {mode:<8} median {statistics.median(rates):8,.0f}  "
            f"({min(rates):,.0f} to {max(rates):,.0f})"
        )


def _yield_worker(case: str, mode: str) -> None:
    import bench_ingest

    from prodready.tracing import _processor

    if mode == "no yield":
        _processor.YIELD_EVERY = 2**62
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/y.db"
        run = (
            bench_ingest.sdk(url, 10_000) if case == "sdk" else bench_ingest.sdk_writer(url, 30_000)
        )
    print(run["spans"] / run["seconds"])


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "parts"
    if mode == "_yield_worker":
        _yield_worker(sys.argv[2], sys.argv[3])
    else:
        {"parts": parts, "contention": contention, "empty": empty_spans, "yield": yielding}[mode]()
