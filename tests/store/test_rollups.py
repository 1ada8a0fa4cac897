"""The overview's time series (Store.timeseries) against a brute-force computation over the
spans written, with spans of a trace arriving in later batches, batches written twice,
retention, a store upgraded from 0007, and concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from typing import Any

import pytest
from pydantic import ValidationError

from prodready.store import SpanRecord, Store, TimeseriesQuery, TraceQuery
from prodready.store._rollups import MINUTE_NS, latency_bin, percentile_ms
from tests.store.factories import MS, T0, new_trace_id, write_before_0008
from tests.store.test_llm_totals import langchain_and_openai

IN, OUT, COST = "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "prodready.llm.cost_usd"
HOUR = 60 * MINUTE_NS
BASE = T0 - T0 % HOUR  # a whole hour, so buckets line up with the window


def random_trace(rng: random.Random, start: int) -> list[SpanRecord]:
    """A root (release/environment on it, sometimes failing), then 1-4 children: model calls
    with usage, tools, sometimes an escalation; a child may start before the root."""
    tid = new_trace_id()
    duration = int(10 ** rng.uniform(-1.0, 4.5) * MS)  # 0.1 ms .. 30 s
    root_attrs: dict[str, Any] = {}
    if (release := rng.choice(["agent@1", "agent@2", None])) is not None:
        root_attrs["prodready.release"] = release
    if (env := rng.choice(["prod", "staging", None])) is not None:
        root_attrs["deployment.environment.name"] = env
    spans = [
        SpanRecord(
            trace_id=tid,
            span_id=f"{1:016x}",
            parent_span_id=None,
            name="answer",
            kind="agent",
            start_ns=start,
            end_ns=start + duration,
            status="error" if rng.random() < 0.25 else "ok",
            attributes=root_attrs,
        )
    ]
    for i in range(rng.randint(1, 4)):
        kind = rng.choice(["llm", "llm", "tool", "escalation", "retriever"])
        attrs: dict[str, Any] = {}
        if kind == "llm":
            attrs = {IN: rng.randint(1, 900), OUT: rng.randint(1, 300)}
            if rng.random() < 0.7:
                attrs[COST] = rng.randint(1, 1000) / 1e5
        early = rng.random() < 0.1  # starts before the root: moves the trace's start
        t0 = start - rng.randint(1, 5 * 60_000) * MS if early else start + rng.randint(0, duration)
        spans.append(
            SpanRecord(
                trace_id=tid,
                span_id=f"{i + 2:016x}",
                parent_span_id=f"{1:016x}",
                name=kind,
                kind=kind,
                start_ns=t0,
                end_ns=t0 + rng.randint(0, duration + 1),
                status="error" if rng.random() < 0.1 else "ok",
                attributes=attrs,
            )
        )
    return spans


def write_shuffled(store: Store, traces: list[list[SpanRecord]], rng: random.Random) -> None:
    """Every span, in random order and random batches (a trace's spans, its root included,
    land in several batches), some batches written twice."""
    spans = [s for t in traces for s in t]
    rng.shuffle(spans)
    i = 0
    while i < len(spans):
        batch = spans[i : i + rng.randint(1, 25)]
        store.write_spans(batch)
        if rng.random() < 0.15:
            store.write_spans(batch[: rng.randint(1, len(batch))])  # a retried batch
        i += len(batch)


def expected(
    store: Store, traces: list[list[SpanRecord]], q: TimeseriesQuery
) -> dict[tuple[int, str | None], dict[str, Any]]:
    """The buckets computed from the spans themselves (tokens: llm_totals of each trace)."""
    width = q.width()
    lo = q.since_ns - q.since_ns % width
    hi = q.until_ns + (-q.until_ns % width)
    details = store.get_traces([t[0].trace_id for t in traces])
    out: dict[tuple[int, str | None], dict[str, Any]] = defaultdict(
        lambda: {
            "traces": 0,
            "errors": 0,
            "escalations": 0,
            "durations": [],
            "calls": 0,
            "in": 0,
            "out": 0,
            "cost": 0.0,
        }
    )
    for spans in traces:
        tid = spans[0].trace_id
        if tid not in details:  # deleted by retention
            continue
        start = min(s.start_ns for s in spans)
        root = spans[0]
        release = root.attributes.get("prodready.release")
        env = root.attributes.get("deployment.environment.name")
        if (
            not lo <= start < hi
            or q.release not in (None, release)
            or q.environment
            not in (
                None,
                env,
            )
        ):
            continue
        group = {"release": release, "environment": env, None: None}[q.group_by]
        b = out[(lo + (start - lo) // width * width, group)]
        b["traces"] += 1
        b["errors"] += root.status == "error"
        b["escalations"] += any(s.kind == "escalation" for s in spans)
        b["durations"].append(max(s.end_ns for s in spans) - start)
        summary = details[tid].summary
        b["calls"] += summary.llm_calls or 0
        b["in"] += summary.input_tokens or 0
        b["out"] += summary.output_tokens or 0
        b["cost"] += summary.cost_usd or 0.0
    return out


def check(store: Store, traces: list[list[SpanRecord]], q: TimeseriesQuery) -> None:
    series = store.timeseries(q)
    want = expected(store, traces, q)
    n = (series.until_ns - series.since_ns) // series.bucket_ns
    assert len(series.buckets) == n * len(series.groups)  # empty buckets are there
    assert {g for _, g in want} <= set(series.groups)
    for b in series.buckets:
        e = want.get((b.start_ns, b.group))
        if e is None:
            assert (b.traces, b.latency_p50_ms, b.cost_usd) == (0, None, 0.0), b
            continue
        histogram = [0] * 64
        for d in e["durations"]:
            histogram[latency_bin(d)] += 1
        assert (b.traces, b.errors, b.escalations) == (e["traces"], e["errors"], e["escalations"])
        assert (b.llm_calls, b.input_tokens, b.output_tokens) == (e["calls"], e["in"], e["out"])
        assert math.isclose(b.cost_usd, e["cost"], rel_tol=1e-9, abs_tol=1e-12)
        assert b.error_rate == e["errors"] / e["traces"]
        assert b.latency_p50_ms == percentile_ms(histogram, 0.5)
        assert b.latency_p95_ms == percentile_ms(histogram, 0.95)


QUERIES = [
    TimeseriesQuery(since_ns=BASE, until_ns=BASE + 6 * HOUR, bucket_ns=15 * MINUTE_NS),
    TimeseriesQuery(since_ns=BASE + 7 * MINUTE_NS, until_ns=BASE + 5 * HOUR, group_by="release"),
    TimeseriesQuery(
        since_ns=BASE, until_ns=BASE + 6 * HOUR, group_by="environment", release="agent@2"
    ),
    TimeseriesQuery(since_ns=BASE, until_ns=BASE + 3 * HOUR, environment="prod"),
]


def test_timeseries_equal_a_brute_force_count_with_late_spans_and_retention(store: Store) -> None:
    rng = random.Random(12)
    traces = [random_trace(rng, BASE + rng.randrange(6 * HOUR)) for _ in range(120)]
    write_shuffled(store, traces, rng)
    for q in QUERIES:
        check(store, traces, q)

    deleted = store.delete_older_than(0, now_ns=BASE + 3 * HOUR)  # the first three hours
    assert 0 < deleted < len(traces)
    for q in QUERIES:
        check(store, traces, q)
    facets = store.facets(BASE, BASE + 6 * HOUR)
    assert facets.model_dump() == {
        "releases": ["agent@1", "agent@2"],
        "environments": ["prod", "staging"],
    }
    assert store.facets(BASE, BASE + 2 * HOUR).releases == []  # deleted: gone from the facets


def test_stats_and_lists_read_the_totals_kept_on_the_trace_row(store: Store) -> None:
    rng = random.Random(7)
    traces = [random_trace(rng, BASE + rng.randrange(HOUR)) for _ in range(40)]
    write_shuffled(store, traces, rng)
    details = store.get_traces([t[0].trace_id for t in traces])  # llm_totals of the spans
    listed = {s.trace_id: s for s in store.list_traces(TraceQuery(limit=100))}
    assert {tid: t.summary for tid, t in details.items()} == listed
    stats = store.stats()
    assert stats.llm_calls == sum(s.llm_calls or 0 for s in listed.values())
    assert stats.input_tokens == sum(s.input_tokens or 0 for s in listed.values())


def test_a_call_recorded_twice_counts_once_when_its_records_come_in_two_batches(
    store: Store,
) -> None:
    # LangChain's span and the OpenAI client's inside it: one call. The inner one ends
    # first, so the SDK may well write it in an earlier batch than its wrapper.
    tid = new_trace_id()
    spans = langchain_and_openai(tid)  # workflow, then (wrapper, inner) x 3
    inner, rest = spans[2::2], [spans[0], *spans[1::2]]
    store.write_spans(inner)
    store.write_spans(rest)
    [summary] = store.list_traces()
    assert (summary.llm_calls, summary.input_tokens, summary.output_tokens) == (3, 51, 27)
    [bucket] = [
        b
        for b in store.timeseries(TimeseriesQuery(since_ns=BASE, until_ns=BASE + HOUR)).buckets
        if b.traces
    ]
    assert (bucket.llm_calls, bucket.input_tokens, bucket.output_tokens) == (3, 51, 27)


def test_a_store_upgraded_from_0007_gets_its_rollups_and_totals(store_url: str) -> None:
    rng = random.Random(3)
    traces = [random_trace(rng, BASE + rng.randrange(6 * HOUR)) for _ in range(40)]
    old = Store(store_url, migrate=False)
    old.migrate("store@0007")
    write_before_0008(old, [s for t in traces for s in t])
    old.migrate()
    for q in QUERIES:
        check(old, traces, q)
    details = old.get_traces([t[0].trace_id for t in traces])
    assert {s.trace_id: s for s in old.list_traces(TraceQuery(limit=100))} == {
        tid: t.summary for tid, t in details.items()
    }
    old.close()


@pytest.mark.postgres
def test_concurrent_writers_of_the_same_traces_keep_the_rollups_right(pg_url: str) -> None:
    store = Store(pg_url)
    rng = random.Random(5)
    traces = [random_trace(rng, BASE + rng.randrange(2 * HOUR)) for _ in range(60)]
    spans = [s for t in traces for s in t]
    rng.shuffle(spans)
    shares = [spans[i::4] for i in range(4)]  # each trace's spans spread over four writers

    def write(share: list[SpanRecord]) -> None:
        for i in range(0, len(share), 3):
            store.write_spans(share[i : i + 3])

    threads = [threading.Thread(target=write, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(store, traces, QUERIES[0])
    store.close()


def test_the_histogram_percentile_is_within_its_bin_of_the_exact_one() -> None:
    rng = random.Random(1)
    for _ in range(200):
        durations = sorted(int(10 ** rng.uniform(0, 6) * MS) for _ in range(rng.randint(1, 50)))
        histogram = [0] * 64
        for d in durations:
            histogram[latency_bin(d)] += 1
        for p in (0.5, 0.95):
            exact_ms = durations[max(1, math.ceil(len(durations) * p)) - 1] / 1e6
            estimate = percentile_ms(histogram, p)
            assert estimate is not None
            assert abs(math.log2(estimate / exact_ms)) <= 1 / 6 + 1e-9  # half a bin: ±12 %


def test_an_automatic_bucket_gives_about_sixty_points(store: Store) -> None:
    day = TimeseriesQuery(since_ns=BASE, until_ns=BASE + 24 * HOUR)
    week = TimeseriesQuery(since_ns=BASE, until_ns=BASE + 7 * 24 * HOUR)
    assert (day.width(), week.width()) == (30 * MINUTE_NS, 3 * HOUR)
    series = store.timeseries(day)
    assert [b.start_ns for b in series.buckets][:2] == [BASE, BASE + 30 * MINUTE_NS]
    assert len(series.buckets) == 48 and series.groups == [None]
    assert all(b.traces == 0 for b in series.buckets)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"since_ns": 10, "until_ns": 10}, "until_ns"),
        ({"since_ns": 0, "until_ns": HOUR, "bucket_ns": MINUTE_NS + 1}, "bucket_ns"),
        ({"since_ns": 0, "until_ns": 365 * 24 * HOUR, "bucket_ns": MINUTE_NS}, "bucket_ns"),
        ({"since_ns": 0, "until_ns": HOUR, "group_by": "intent"}, "group_by"),
    ],
)
def test_a_bad_query_is_refused_naming_the_field(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        TimeseriesQuery(**fields)
