"""Store.trace_facts and the window_* methods give what reading every span of the traces
gives (randomized, SQLite and PostgreSQL), and the index query keeps its plan by trace."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from prodready.store import Span, SpanRecord, Store, Trace, TraceFacts, TraceQuery
from prodready.store import _facts as facts_module
from prodready.store._index import MAX_INDEXED_CHARS
from prodready.vocabulary import attributes as attrs
from tests.store.factories import MS, T0, new_trace_id

INTENT = attrs.INTENT_NAME
TOOL_KEYS = (attrs.GEN_AI_TOOL_NAME, "tool.name")
# Texts (ties, case, unicode, the longest indexed), and what the index leaves out: a value
# too long, or not text.
INTENTS: list[Any] = ["block_card", "refund", "Refund", "é", "", "i" * MAX_INDEXED_CHARS,
                      "i" * (MAX_INDEXED_CHARS + 1), 7]  # fmt: skip
TOOLS: list[Any] = [
    "block_card",
    "card_status",
    "refund_order",
    "",
    "t" * (MAX_INDEXED_CHARS + 1),
    3,
]


def random_traces(rng: random.Random, n: int) -> list[SpanRecord]:
    out = []
    for t in range(n):
        tid = new_trace_id()
        base = T0 + t * 1000 * MS
        for i in range(rng.randint(1, 6)):
            a: dict[str, Any] = {"prodready.input": "x" * rng.randint(0, 1500)}
            if i == 0:
                a |= {attrs.RELEASE: rng.choice(["r1", "r2"]), attrs.ENVIRONMENT: "prod"}
                if rng.random() < 0.5:
                    a[attrs.SESSION_ID] = f"s{t % 3}"
            kind = rng.choice(["agent", "classifier", "tool", "llm", "escalation", "step"])
            if rng.random() < 0.6:
                a[INTENT] = rng.choice(INTENTS)
            for key in TOOL_KEYS:
                if rng.random() < 0.3:
                    a[key] = rng.choice(TOOLS)
            if kind == "llm":
                a |= {attrs.GEN_AI_INPUT_TOKENS: rng.randint(1, 9), attrs.LLM_COST: 0.5}
            out.append(
                SpanRecord(
                    trace_id=tid,
                    span_id=f"{i + 1:016x}",
                    parent_span_id=None if i == 0 else f"{1:016x}",
                    name="s",
                    kind=kind,
                    # Ties on start time: the span id decides.
                    start_ns=base + rng.randint(0, 3) * MS,
                    end_ns=base + rng.randint(4, 900) * MS,
                    status="error" if rng.random() < 0.2 else "ok",
                    attributes=a,
                )
            )
    return out


def indexed(value: Any) -> bool:
    return type(value) is str and len(value) <= MAX_INDEXED_CHARS


def intent_spans(trace: Trace) -> list[Span]:
    """The spans whose intent the index holds, by start time, then span id."""
    spans = sorted(trace.spans, key=lambda s: (s.start_ns, s.span_id))
    return [s for s in spans if indexed(s.attributes.get(INTENT))]


def brute_force(trace: Trace) -> TraceFacts:
    """The documented rule, from every span's attributes."""
    spans = trace.spans
    with_intent = intent_spans(trace)
    classified = [s for s in with_intent if s.kind == "classifier"]
    chosen = (classified or with_intent or [None])[0]  # type: ignore[list-item]
    tools = set()
    for s in spans:
        names = [s.attributes.get(k) for k in TOOL_KEYS]
        name = next((v for v in names if indexed(v) and v), None)
        if name:
            tools.add(name)
    t = trace.summary
    return TraceFacts(
        trace_id=t.trace_id,
        start_ns=t.start_ns,
        duration_ns=t.duration_ns,
        status=t.status,
        release=t.release,
        environment=t.environment,
        session_id=t.session_id,
        escalated=any(s.kind == "escalation" for s in spans),
        tokens=(t.input_tokens or 0) + (t.output_tokens or 0),
        cost_usd=t.cost_usd or 0.0,
        intent=chosen.attributes[INTENT] if chosen is not None else None,
        tools=tuple(sorted(tools)),
    )


@pytest.fixture
def filled(store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, TraceFacts]:
    """A store of 60 random traces, read 7 traces per query (chunk edges); the expected facts."""
    monkeypatch.setattr(facts_module, "CHUNK", 7)
    store.write_spans(random_traces(random.Random(12), 60))
    ids = [t.trace_id for t in store.list_traces(TraceQuery(limit=1000))]
    return {tid: brute_force(trace) for tid, trace in store.get_traces(ids).items()}


def test_trace_facts_equal_a_read_of_every_span(
    store: Store, filled: dict[str, TraceFacts]
) -> None:
    assert len(filled) == 60
    # The random traces have what the rule must decide: conflicting intents, a classifier
    # after another span, tool names only under tool.name, values the index leaves out.
    ids = list(filled)
    carriers = [intent_spans(t) for t in store.get_traces(ids).values()]
    conflicting = [c for c in carriers if len({s.attributes[INTENT] for s in c}) > 1]
    assert len(conflicting) >= 5
    assert any(c[0].kind != "classifier" and any(s.kind == "classifier" for s in c)
               for c in conflicting)  # fmt: skip
    assert sum(len(f.tools) > 1 for f in filled.values()) > 3
    asked = [tid.upper() for tid in ids[:5]] + ids + ["f" * 32, ""]
    assert store.trace_facts(asked) == filled
    assert store.trace_facts(ids[:3], span_facts=False) == {
        tid: replace(filled[tid], intent=None, tools=()) for tid in ids[:3]
    }
    assert store.trace_facts([]) == {}


def test_window_facts_totals_and_durations_agree(
    store: Store, filled: dict[str, TraceFacts]
) -> None:
    since, until = T0 + 10_000 * MS, T0 + 40_000 * MS  # traces 10..39
    inside = sorted(
        (f for f in filled.values() if since <= f.start_ns < until),
        key=lambda f: (f.start_ns, f.trace_id),
    )
    assert len(inside) == 30
    assert store.window_facts(since, until) == inside
    r1 = [f for f in inside if f.release == "r1"]
    assert store.window_facts(since, until, release="r1", environment="prod") == r1
    assert store.window_facts(since, until, environment="nowhere") == []

    totals = {t.key: t for t in store.window_totals(since, until, group_by=["release"])}
    for release in ("r1", "r2"):
        group = [f for f in inside if f.release == release]
        got = totals[(release,)]
        assert (got.traces, got.errors, got.escalations, got.tokens) == (
            len(group),
            sum(f.status == "error" for f in group),
            sum(f.escalated for f in group),
            sum(f.tokens for f in group),
        )
        assert math.isclose(got.cost_usd, sum(f.cost_usd for f in group))
    assert store.window_totals(since, since) == []
    (everything,) = store.window_totals(since, until, release="r1")
    assert everything.key == () and everything.traces == len(r1)

    durations = store.window_durations(since, until, group_by=["environment", "release"])
    assert durations[("prod", "r1")] == sorted(f.duration_ns for f in r1)
    with pytest.raises(ValueError, match="'intent'"):
        store.window_totals(since, until, group_by=["intent"])


def test_facts_values_per_dimension() -> None:
    f = TraceFacts(trace_id="a" * 32, start_ns=0, duration_ns=1, status="ok", release="r1",
                   environment=None, session_id=None, escalated=False,
                   tools=("x", "y"))  # fmt: skip
    assert [f.values(d) for d in ("release", "environment", "intent", "tool")] == [
        ("r1",), (None,), (None,), ("x", "y")
    ]  # fmt: skip
    with pytest.raises(ValueError, match="'session'"):
        f.values("session")


def test_sqlite_reads_the_index_by_trace_not_by_key(tmp_path: Any) -> None:
    """The primary key starts with ``key``: SQLite, without statistics, preferred walking
    every intent and tool row of the store per 500 traces (50 s for a window of 20,000
    traces on a large store). The index on ``trace_id`` must drive the query."""
    store = Store(f"sqlite:///{tmp_path}/p.db")
    try:
        with store.db.connect() as conn:
            stmt = facts_module._index_query(conn, [new_trace_id() for _ in range(500)])
            sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_span_index_trace (trace_id=?)" in plan, plan
    finally:
        store.close()
