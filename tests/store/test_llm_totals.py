"""Per-trace model-call totals: one call recorded by two instrumentations counts once, and
the store's SQL gives what the Python rule gives (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from typing import Any

from prodready.store import SpanRecord, Store, TraceQuery, llm_totals
from tests.store.factories import MS, T0, new_trace_id

IN, OUT, COST = "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "prodready.llm.cost_usd"


def _span(
    tid: str,
    sid: int,
    parent: int | None,
    kind: str,
    at: int = 0,
    *,
    scope: str | None = None,
    length: int = 1,
    **attributes: Any,
) -> SpanRecord:
    return SpanRecord(
        scope=scope,
        trace_id=tid,
        span_id=f"{sid:016x}",
        parent_span_id=None if parent is None else f"{parent:016x}",
        name=f"{kind}-{sid}",
        kind=kind,
        start_ns=T0 + at * MS,
        end_ns=T0 + (at + length) * MS,
        attributes=attributes,
    )


def langchain_and_openai(tid: str) -> list[SpanRecord]:
    """Three model calls, each recorded twice: LangChain's llm span, the OpenAI client's
    llm span inside it (17 in / 9 out tokens each; only the inner one is priced)."""
    spans = [_span(tid, 1, None, "workflow")]
    for n in range(3):
        outer, inner = 10 + 2 * n, 11 + 2 * n
        spans.append(_span(tid, outer, 1, "llm", n, **{IN: 17, OUT: 9}))
        spans.append(_span(tid, inner, outer, "llm", n, **{IN: 17, OUT: 9, COST: 0.001}))
    return spans


def test_a_call_recorded_by_two_instrumentations_counts_once(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans(langchain_and_openai(tid))

    summary = store.list_traces()[0]
    assert (summary.llm_calls, summary.input_tokens, summary.output_tokens) == (3, 51, 27)
    assert summary.cost_usd is not None and abs(summary.cost_usd - 0.003) < 1e-12

    trace = store.get_trace(tid)
    assert trace is not None
    assert trace.summary.model_dump() == summary.model_dump()

    stats = store.stats()
    assert (stats.llm_calls, stats.input_tokens, stats.output_tokens) == (3, 51, 27)


def test_siblings_from_two_instrumentations_are_one_call(store: Store) -> None:
    """LangChain's span and the OpenAI client's are siblings (LangChain's callbacks do not
    make their span current): the client's lies within LangChain's, from another scope."""
    tid = new_trace_id()
    lc, oa = "openinference.instrumentation.langchain", "openinference.instrumentation.openai"
    spans = [_span(tid, 1, None, "agent", length=100)]
    for n in range(3):
        at = 10 * n
        spans.append(_span(tid, 10 + n, 1, "llm", at, scope=lc, length=8, **{IN: 17, OUT: 9}))
        spans.append(_span(tid, 20 + n, 1, "llm", at + 1, scope=oa, length=6, **{IN: 17, OUT: 9}))
    # Two concurrent calls from one instrumentation, one within the other's time: two calls.
    spans.append(_span(tid, 30, 1, "llm", 50, scope=oa, length=20, **{IN: 5}))
    spans.append(_span(tid, 31, 1, "llm", 55, scope=oa, length=2, **{IN: 5}))
    # Equal intervals from two scopes: one call, whichever is taken as the inner one.
    spans.append(_span(tid, 40, 1, "llm", 80, scope=lc, **{IN: 1, OUT: 1}))
    spans.append(_span(tid, 41, 1, "llm", 80, scope=oa, **{IN: 1, OUT: 1}))
    store.write_spans(spans)

    want = (6, 51 + 10 + 1, 27 + 1)
    summary = store.list_traces()[0]
    assert (summary.llm_calls, summary.input_tokens, summary.output_tokens) == want
    trace = store.get_trace(tid)
    assert trace is not None
    got = trace.summary
    assert (got.llm_calls, got.input_tokens, got.output_tokens) == want


def test_a_wrapper_counts_where_its_inner_span_reports_nothing() -> None:
    tid = new_trace_id()
    spans = [
        _span(tid, 1, None, "llm", **{IN: 40, OUT: 5, COST: 0.5}),
        _span(tid, 2, 1, "llm", **{IN: 40, OUT: 5}),  # the inner span has no cost
        _span(tid, 3, None, "embedding", **{IN: 8}),
        _span(tid, 4, None, "tool", **{IN: 1000}),  # not a model span: never counted
        _span(tid, 5, None, "llm", **{IN: True, OUT: "12"}),  # not numbers: ignored
    ]
    totals = llm_totals(_stored(spans))
    assert totals.calls == 3
    assert (totals.input_tokens, totals.output_tokens, totals.cost_usd) == (48, 5, 0.5)


def test_a_trace_without_model_calls_has_no_totals(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans([_span(tid, 1, None, "agent"), _span(tid, 2, 1, "tool", **{IN: 3})])
    summary = store.list_traces()[0]
    assert summary.llm_calls is None and summary.input_tokens is None
    assert summary.cost_usd is None
    stats = store.stats()
    assert stats.llm_calls == 0 and stats.input_tokens is None and stats.cost_usd is None


def test_sql_and_python_agree_on_random_trees(store: Store) -> None:
    rng = random.Random(20261204)
    expected: dict[str, Any] = {}
    for _ in range(40):
        tid = new_trace_id()
        spans: list[SpanRecord] = []
        for sid in range(1, rng.randint(2, 12)):
            parent = rng.randint(1, sid - 1) if sid > 1 and rng.random() < 0.9 else None
            kind = rng.choice(["llm", "llm", "embedding", "tool", "workflow"])
            attrs: dict[str, Any] = {}
            for key in (IN, OUT):
                if rng.random() < 0.7:
                    attrs[key] = rng.randint(0, 50)
            if rng.random() < 0.4:
                attrs[COST] = rng.choice([0.25, 0.5, 1.0])
            if rng.random() < 0.05:
                attrs[IN] = "not a number"
            at, length = rng.randint(0, 20), rng.randint(0, 20)
            scope = rng.choice(["a", "b", None])
            spans.append(_span(tid, sid, parent, kind, at, scope=scope, length=length, **attrs))
        store.write_spans(spans)
        expected[tid] = llm_totals(_stored(spans))

    listed = {s.trace_id: s for s in store.list_traces(TraceQuery(limit=100))}
    assert len(listed) == 40
    for tid, totals in expected.items():
        got = listed[tid]
        calls = totals.calls or None
        assert (got.llm_calls, got.input_tokens, got.output_tokens) == (
            calls,
            totals.input_tokens if calls else None,
            totals.output_tokens if calls else None,
        ), tid
        if calls and totals.cost_usd is not None:
            assert got.cost_usd is not None and abs(got.cost_usd - totals.cost_usd) < 1e-9
    stats = store.stats()
    assert stats.llm_calls == sum(t.calls for t in expected.values())
    assert stats.input_tokens == sum(t.input_tokens or 0 for t in expected.values())


def test_a_trace_whose_root_never_arrived_is_incomplete(store: Store) -> None:
    whole, orphaned = new_trace_id(), new_trace_id()
    store.write_spans([_span(whole, 1, None, "agent"), _span(whole, 2, 1, "tool")])
    # The root (span 1) was dropped: only its children were stored.
    store.write_spans([_span(orphaned, 2, 1, "tool"), _span(orphaned, 3, 1, "llm", 1)])

    flags = {s.trace_id: s.incomplete for s in store.list_traces()}
    assert flags == {whole: False, orphaned: True}
    trace = store.get_trace(orphaned)
    assert trace is not None and trace.summary.incomplete
    assert store.stats().incomplete_count == 1

    # The root arrives late (a long-running agent span ends last): complete from then on.
    store.write_spans([_span(orphaned, 1, None, "agent")])
    assert not any(s.incomplete for s in store.list_traces())


def _stored(records: list[SpanRecord]) -> list[Any]:
    """Records as the store returns them (``Span``), for the Python rule."""
    from prodready.store import Span

    return [
        Span(
            trace_id=r.trace_id,
            span_id=r.span_id,
            parent_span_id=r.parent_span_id,
            name=r.name,
            kind=r.kind,
            otel_kind=r.otel_kind,
            start_ns=r.start_ns,
            end_ns=r.end_ns,
            duration_ns=r.end_ns - r.start_ns,
            status=r.status,
            attributes=r.attributes,
            scope=r.scope,
        )
        for r in records
    ]
