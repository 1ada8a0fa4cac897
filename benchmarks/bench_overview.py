"""The overview and filters at scale: time series, stats, attribute filters, list, detail.

Builds a store of N realistic spans (4 per trace: an agent root with a 1-4 KB input and
output, an intent classifier, a tool call with 1 KB arguments and result, a model call with
1-4 KB of messages, tokens and cost; 3 releases, 3 environments, 8 intents, tools at 95 %,
5 % and 0.1 % of traces, 3 % of traces escalated; over 7 days, in time order) through the
store's write path (``write_prepared``, which also keeps the rollups and the span index), on SQLite
and PostgreSQL (PRODREADY_BENCH_PG_URL or the test database, in a fresh schema dropped
afterwards), then prints p50/p95 in ms of:

- ``Store.timeseries`` over 24 h and 7 d (one series, and one per release), and the same
  aggregate computed from the ``traces`` table (the alternative to rollups: an indexed
  range scan, percentiles from the fetched durations);
- ``Store.stats()`` over every trace;
- attribute filters on ``gen_ai.tool.name`` at 95 %, 5 % and 0.1 % of traces, through the
  span index and through the span-JSON path (what every filter did before migration 0008);
- the newest-50 trace list and a trace's detail.

    python benchmarks/bench_overview.py [--spans 1000000] [--db sqlite|postgresql|both]
        [--runs 20] [--sqlite-path FILE]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import PG_URL, fmt, percentile, pg_available, pg_schema, text_pool

from prodready.store import Store, TraceQuery
from prodready.store.writing import prepare_span

DAY_NS = 86_400 * 10**9
MS = 10**6
SPANS_PER_TRACE = 4
RELEASES = ["support-agent@1.4.0", "support-agent@1.5.0", "support-agent@1.6.0"]
ENVIRONMENTS = ["production", "staging", "dev"]
INTENTS = ["card_arrival", "refund", "block_card", "change_pin", "dispute", "fees", "kyc", "other"]
COMMON_TOOL, RARE_TOOL, RAREST_TOOL = "lookup_order", "block_card", "close_account"
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku"]
WORDS = [
    "the",
    "customer",
    "card",
    "order",
    "refund",
    "policy",
    "account",
    "balance",
    "payment",
    "transfer",
    "fee",
    "delivery",
    "address",
    "branch",
    "limit",
    "statement",
    "pin",
    "dispute",
    "merchant",
    "charge",
    "pending",
    "approved",
    "declined",
    "please",
    "could",
    "you",
    "help",
    "me",
    "with",
    "my",
    "when",
    "will",
    "it",
    "arrive",
    "thank",
    "you",
    "very",
    "much",
]


def generate(n_spans: int, end_ns: int, seed: int = 12) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of prepared spans (500 traces each) over 7 days, in time order give or take
    a minute, as live ingest writes them."""
    rng = random.Random(seed)
    texts = text_pool(rng, WORDS)
    n_traces = n_spans // SPANS_PER_TRACE
    resource = {"service.name": "support-agent"}
    batch: list[tuple[Any, ...]] = []
    for i in range(n_traces):
        start = end_ns - 7 * DAY_NS + (7 * DAY_NS * i) // n_traces + rng.randrange(60 * 10**9)
        tid = f"{rng.getrandbits(128):032x}"
        ids = [f"{rng.getrandbits(64):016x}" for _ in range(SPANS_PER_TRACE)]
        duration = int(rng.lognormvariate(math.log(1500), 0.8) * MS)
        roll = rng.random()
        tool = RAREST_TOOL if roll < 0.001 else RARE_TOOL if roll < 0.051 else COMMON_TOOL
        error = rng.random() < 0.04
        escalated = rng.random() < 0.03
        intent = rng.choice(INTENTS)
        model = rng.choice(MODELS)
        root_attrs = {
            "prodready.release": rng.choice(RELEASES),
            "deployment.environment.name": rng.choices(ENVIRONMENTS, (8, 1, 1))[0],
            "session.id": f"s-{i // 3}",
            "user.id": f"u-{i % 5000}",
            "prodready.input": rng.choice(texts),
            "prodready.output": rng.choice(texts),
        }
        t_tool = start + duration // 10
        t_llm = start + duration // 2
        specs = [
            (ids[0], None, "support turn", "agent", start, start + duration, root_attrs, error),
            (
                ids[1],
                ids[0],
                "escalate" if escalated else "classify intent",
                "escalation" if escalated else "classifier",
                start + MS,
                start + duration // 10,
                {"prodready.intent.name": intent, "prodready.intent.confidence": 0.9},
                False,
            ),
            (
                ids[2],
                ids[0],
                f"execute_tool {tool}",
                "tool",
                t_tool,
                t_tool + duration // 5,
                {
                    "gen_ai.tool.name": tool,
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.call.arguments": rng.choice(texts)[:1024],
                    "gen_ai.tool.call.result": rng.choice(texts)[:1024],
                },
                error,
            ),
            (
                ids[3],
                ids[0],
                f"chat {model}",
                "llm",
                t_llm,
                t_llm + duration // 3,
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": model,
                    "gen_ai.usage.input_tokens": rng.randint(200, 3000),
                    "gen_ai.usage.output_tokens": rng.randint(20, 600),
                    "prodready.llm.cost_usd": rng.randint(1, 500) / 1e5,
                    "gen_ai.input.messages": rng.choice(texts),
                    "gen_ai.output.messages": rng.choice(texts)[:2048],
                },
                False,
            ),
        ]
        for sid, parent, name, kind, t0, t1, attrs, failed in specs:
            batch.append(
                prepare_span(
                    tid,
                    sid,
                    parent,
                    name,
                    kind,
                    "internal",
                    t0,
                    t1,
                    "error" if failed else "ok",
                    None,
                    attrs,
                    [],
                    [],
                    "bench",
                    None,
                    resource,
                )
            )
        if len(batch) >= 500 * SPANS_PER_TRACE:
            yield batch
            batch = []
    if batch:
        yield batch


def build(store: Store, n_spans: int, end_ns: int) -> float:
    """Write the dataset; returns spans per second of the store's write path."""
    written, spent = 0, 0.0
    for batch in generate(n_spans, end_ns):
        t = time.perf_counter()
        written += store.write_prepared(batch)
        spent += time.perf_counter() - t
        if written % 100_000 < len(batch):
            print(f"  {written:,} spans written", file=sys.stderr, flush=True)
    return written / spent


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), percentile(times, 95)


def from_traces(store: Store, since_ns: int, until_ns: int, bucket_ns: int) -> dict[Any, Any]:
    """The alternative to rollups: the time series aggregated from ``traces`` at read time
    (an index range scan on start_ns; durations fetched for the percentiles)."""
    sql = (
        "SELECT (start_ns - :lo) / :w, release, status, kind_mask, duration_ns, input_tokens, "
        "output_tokens, cost_usd FROM traces WHERE start_ns >= :lo AND start_ns < :hi"
    )
    from sqlalchemy import text

    buckets: dict[Any, list[Any]] = {}
    with store.db.connect() as conn:
        for b, _rel, status, mask, dur, tin, tout, cost in conn.execute(
            text(sql), {"lo": since_ns, "hi": until_ns, "w": bucket_ns}
        ):
            row = buckets.get(b)
            if row is None:
                row = buckets[b] = [0, 0, 0, 0, 0, 0.0, []]
            row[0] += 1
            row[1] += status == "error"
            row[2] += bool(mask & 4096)
            row[3] += tin or 0
            row[4] += tout or 0
            row[5] += cost or 0.0
            row[6].append(dur)
    for row in buckets.values():
        durations = sorted(row.pop())
        row.append(durations[len(durations) // 2])
        row.append(durations[max(0, math.ceil(len(durations) * 0.95) - 1)])
    return buckets


def json_path(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` with the span index switched off: every attribute filter reads span JSON."""

    from prodready.store import _index as span_index

    def run() -> Any:
        saved = span_index.indexed
        span_index.indexed = lambda key, value: False  # type: ignore[assignment]
        try:
            return fn()
        finally:
            span_index.indexed = saved

    return run


def measure(store: Store, end_ns: int, runs: int) -> list[tuple[str, float, float]]:
    # Imported here: --write-only runs on checkouts from before the overview API.
    from prodready.store import TimeseriesQuery

    day = TimeseriesQuery(since_ns=end_ns - DAY_NS, until_ns=end_ns)
    week = TimeseriesQuery(since_ns=end_ns - 7 * DAY_NS, until_ns=end_ns)
    by_release = week.model_copy(update={"group_by": "release"})
    rng = random.Random(3)
    with store.db.connect() as conn:
        from sqlalchemy import text

        ids = list(conn.execute(text("SELECT trace_id FROM traces LIMIT 2000")).scalars())

    def tool(name: str) -> Callable[[], Any]:
        return lambda: store.list_traces(TraceQuery(attributes={"gen_ai.tool.name": name}))

    few = max(3, runs // 4)
    cases: list[tuple[str, Callable[[], Any], int]] = [
        ("timeseries 24 h (48 buckets)", lambda: store.timeseries(day), runs),
        ("timeseries 7 d (56 buckets)", lambda: store.timeseries(week), runs),
        ("timeseries 7 d by release", lambda: store.timeseries(by_release), runs),
        ("facets 7 d", lambda: store.facets(week.since_ns, week.until_ns), runs),
        (
            "alternative: 24 h from traces",
            lambda: from_traces(store, day.since_ns, day.until_ns, day.width()),
            few,
        ),
        (
            "alternative: 7 d from traces",
            lambda: from_traces(store, week.since_ns, week.until_ns, week.width()),
            few,
        ),
        ("stats() over every trace", store.stats, few),
        (f"filter tool 95 % ({COMMON_TOOL}), index", tool(COMMON_TOOL), runs),
        (f"filter tool 95 % ({COMMON_TOOL}), JSON", json_path(tool(COMMON_TOOL)), few),
        (f"filter tool 5 % ({RARE_TOOL}), index", tool(RARE_TOOL), runs),
        (f"filter tool 5 % ({RARE_TOOL}), JSON", json_path(tool(RARE_TOOL)), few),
        (f"filter tool 0.1 % ({RAREST_TOOL}), index", tool(RAREST_TOOL), runs),
        (f"filter tool 0.1 % ({RAREST_TOOL}), JSON", json_path(tool(RAREST_TOOL)), few),
        (
            "count tool 5 %, index",
            lambda: store.count_traces(TraceQuery(attributes={"gen_ai.tool.name": RARE_TOOL})),
            few,
        ),
        ("newest-50 list", lambda: store.list_traces(TraceQuery(limit=50)), runs),
        ("trace detail", lambda: store.get_trace(rng.choice(ids)), runs),
    ]
    out = []
    for name, fn, n in cases:
        p50, p95 = timed(fn, n)
        out.append((name, p50, p95))
        print(f"  {name:<44} {fmt(p50):>9} {fmt(p95):>9}", file=sys.stderr, flush=True)
    return out


def run(url: str, label: str, n_spans: int, runs: int) -> list[tuple[str, float, float]]:
    end_ns = time.time_ns()
    store = Store(url)
    print(f"{label}: writing {n_spans:,} spans", file=sys.stderr, flush=True)
    rate = build(store, n_spans, end_ns)
    if store.dialect == "postgresql":
        with store.db.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    print(f"{label}: {rate:,.0f} spans/s through write_prepared", file=sys.stderr)
    results = [("write_prepared (spans/s)", rate, math.nan)]
    if runs:
        results += measure(store, end_ns, runs)
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sqlite-path", type=Path, default=None)
    parser.add_argument(
        "--write-only",
        action="store_true",
        help="only build the store and print the write rate (runs on older checkouts too: "
        "PYTHONPATH=OTHER/src python benchmarks/bench_overview.py --write-only)",
    )
    args = parser.parse_args()
    tables: dict[str, list[tuple[str, float, float]]] = {}
    runs = 0 if args.write_only else args.runs
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-overview-") as tmp:
            path = args.sqlite_path or Path(tmp) / "overview.db"
            tables["SQLite"] = run(f"sqlite:///{path}", "SQLite", args.spans, runs)
    if args.db in ("postgresql", "both"):
        why = pg_available(PG_URL)
        if why is not None:
            print(f"PostgreSQL skipped: {why}", file=sys.stderr)
        else:
            with pg_schema(PG_URL, prefix="bench_overview") as (_, url):
                tables["PostgreSQL"] = run(url, "PostgreSQL", args.spans, runs)
    print(f"\n{args.spans:,} spans ({args.spans // SPANS_PER_TRACE:,} traces) over 7 days\n")
    print("| query | " + " | ".join(f"{db} p50 ms | {db} p95 ms" for db in tables) + " |")
    print("|---|" + "---:|---:|" * len(tables))
    names = [name for name, _, _ in next(iter(tables.values()))]
    for i, name in enumerate(names):
        cells = []
        for rows in tables.values():
            _, p50, p95 = rows[i]
            cells += [fmt(p50, 1), fmt(p95, 1)]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
