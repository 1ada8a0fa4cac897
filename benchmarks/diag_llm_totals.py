"""What the per-trace model-call totals cost the store's reads (docs/store.md's figures).

Uses bench_query.py's cached SQLite dataset (generated there on first use) and prints, for
a page of 50 traces and for every trace, the time of ``Store._llm_totals`` alone and of the
read it is part of (``list_traces``, ``stats``): median and p95 over the runs.

    python benchmarks/diag_llm_totals.py [--spans 200000] [--runs 30]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from bench_query import cached_sqlite

from prodready.store import Store, TraceQuery


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median and p95 wall time of ``fn`` in ms, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path, _ = cached_sqlite(args.spans)
    store = Store(f"sqlite:///{path}")
    page = [t.trace_id for t in store.list_traces(TraceQuery(limit=50))]
    with store.engine.connect() as conn:
        model_spans = conn.exec_driver_sql(
            "SELECT count(*) FROM spans WHERE kind IN ('llm', 'embedding')"
        ).scalar_one()
        few = max(3, args.runs // 10)
        rows = [
            ("list_traces, 50 traces", lambda: store.list_traces(TraceQuery(limit=50)), args.runs),
            ("  of which the totals", lambda: store._llm_totals(conn, page), args.runs),
            ("stats, every trace", store.stats, few),
            ("  of which the totals", lambda: store._llm_totals(conn, None, []), few),
        ]
        print(f"{args.spans:,} spans, {model_spans:,} of them llm/embedding ({path.name})")
        print(f"{'read':<26}{'p50 ms':>10}{'p95 ms':>10}")
        for label, fn, runs in rows:
            p50, p95 = timed(fn, runs)
            print(f"{label:<26}{p50:>10.1f}{p95:>10.1f}")
    store.close()


if __name__ == "__main__":
    main()
