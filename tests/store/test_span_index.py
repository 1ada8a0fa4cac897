"""Attribute filters on the conventions' keys read the span index, and find exactly what the
span-JSON path finds (randomized, SQLite and PostgreSQL); retention empties the index, and
an upgrade from 0007 fills it."""

from __future__ import annotations

import random
from typing import Any

import pytest

from prodready.store import SpanRecord, Store, TraceQuery, _traces
from prodready.store import _index as index_module
from prodready.store._index import INDEXED_KEYS, MAX_INDEXED_CHARS
from prodready.store.schema import span_index
from tests.store.factories import MS, T0, new_trace_id, write_before_0008

# Indexed keys, and one that is not (session.id), so filters mix the two paths.
KEYS = [
    "gen_ai.tool.name",
    "tool.name",
    "prodready.intent.name",
    "gen_ai.request.model",
    "session.id",
]
# Texts, near-misses of other types, NUL, a lone surrogate, a value too long to index.
VALUES: list[Any] = [
    "block_card", "refund", "Refund", "refund ", "42", 42, True, "true", "a\x00b", "x\ud800y",
    "é", "z" * (MAX_INDEXED_CHARS + 1), "z" * MAX_INDEXED_CHARS,
]  # fmt: skip


def random_spans(rng: random.Random, n_traces: int) -> list[SpanRecord]:
    out = []
    for _ in range(n_traces):
        tid = new_trace_id()
        for i in range(rng.randint(1, 4)):
            attrs: dict[str, Any] = {"prodready.input": "x" * rng.randint(0, 2000)}
            for key in rng.sample(KEYS, rng.randint(0, 2)):
                attrs[key] = rng.choice(VALUES)
            out.append(
                SpanRecord(
                    trace_id=tid,
                    span_id=f"{i + 1:016x}",
                    parent_span_id=None if i == 0 else f"{1:016x}",
                    name="s",
                    kind=rng.choice(["agent", "tool", "llm", "classifier"]),
                    start_ns=T0 + rng.randint(0, 10**6) * MS,
                    end_ns=T0 + 10**7 * MS,
                    attributes=attrs,
                )
            )
    return out


def matches(span: SpanRecord, key: str, value: Any) -> bool:
    """The filter's meaning: the attribute is there, of the value's type, and equal (the
    store keeps NUL as U+FFFD and a lone surrogate as '?': a filter for the value as sent
    finds what was stored for it)."""
    found = span.attributes.get(key)
    return type(found) is type(value) and stored(found) == stored(value)


def stored(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def by_json(monkeypatch: pytest.MonkeyPatch, store: Store, q: TraceQuery) -> list[str]:
    with monkeypatch.context() as m:
        m.setattr(index_module, "indexed", lambda key, value: False)
        return [t.trace_id for t in store.list_traces(q)]


def test_index_filters_find_what_the_json_path_finds(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(2026)
    spans = random_spans(rng, 150)
    store.write_spans(spans)
    traces: dict[str, list[SpanRecord]] = {}
    for s in spans:
        traces.setdefault(s.trace_id, []).append(s)
    for trial in range(60):
        # Alternate the two ways an index filter runs: IN (rare value) and EXISTS (common).
        monkeypatch.setattr(_traces, "_COMMON_SPANS", 0 if trial % 2 else 10**9)
        filters = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randint(1, 2))}
        q = TraceQuery(attributes=filters, limit=10_000)
        got = [t.trace_id for t in store.list_traces(q)]
        assert got == by_json(monkeypatch, store, q), filters
        assert store.count_traces(q) == len(got)
        expected = {
            s.trace_id
            for s in spans
            if all(any(matches(o, k, v) for o in traces[s.trace_id]) for k, v in filters.items())
        }
        assert set(got) == expected, filters


def test_an_indexed_filter_does_not_read_span_json(store: Store) -> None:
    store.write_spans(random_spans(random.Random(1), 20))
    q = TraceQuery(attributes={"gen_ai.tool.name": "refund"})
    where = store._trace_filters(q)
    compiled = " ".join(str(w.compile(store.engine)) for w in where)
    assert "span_index" in compiled and "attributes" not in compiled


def test_retention_deletes_the_index_rows_of_its_traces(store: Store) -> None:
    old, new = new_trace_id(), new_trace_id()
    for tid, start in ((old, T0), (new, T0 + 10**9 * 3600 * 48)):
        store.write_spans(
            [
                SpanRecord(
                    trace_id=tid,
                    span_id="0" * 15 + "1",
                    parent_span_id=None,
                    name="t",
                    kind="tool",
                    start_ns=start,
                    end_ns=start + MS,
                    attributes={"gen_ai.tool.name": "refund", "tool.name": "refund"},
                )
            ]
        )
    assert store.delete_older_than(1, now_ns=T0 + 10**9 * 3600 * 48) == 1
    with store.db.connect() as conn:
        left = {r.trace_id for r in conn.execute(span_index.select())}
    assert left == {new}
    q = TraceQuery(attributes={"tool.name": "refund"})
    assert [t.trace_id for t in store.list_traces(q)] == [new]


def test_an_upgrade_from_0007_fills_the_index(store_url: str) -> None:
    spans = random_spans(random.Random(9), 40)
    old = Store(store_url, migrate=False)
    old.migrate("store@0007")
    write_before_0008(old, spans)
    old.migrate()
    with old.db.connect() as conn:
        rows = {tuple(r) for r in conn.execute(span_index.select())}
    expected = {
        (k, v, s.trace_id, s.span_id)
        for s in spans
        for k, v in s.attributes.items()
        if k in INDEXED_KEYS and type(v) is str and len(v) <= MAX_INDEXED_CHARS
    }
    assert rows == {(k, stored(v), t, s) for k, v, t, s in expected}
    old.close()
