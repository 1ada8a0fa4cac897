"""Store.write_prepared: the SDK writer's path, with attributes as dicts or as JSON text."""

from __future__ import annotations

import pytest

from prodready.store import SpanRecord, Store, TraceQuery
from prodready.store.writing import TRACE_ATTRIBUTE_KEYS, encode_json, prepare_span
from tests.store.factories import T0, new_trace_id


def _prepared(tid: str, attributes: dict[str, object] | str, **trace: object) -> tuple:  # type: ignore[type-arg]
    return prepare_span(
        tid,
        "1" * 16,
        None,
        "answer",
        "agent",
        "internal",
        T0,
        T0 + 5,
        "ok",
        None,
        attributes,
        [{"name": "checkpoint", "time_ns": T0 + 1, "attributes": {"n": 1}}],
        [],
        "prodready",
        True,
        {"service.name": "svc"},
        dict(trace) or None,
    )


def test_json_text_and_dict_attributes_store_the_same_span_and_trace(store: Store) -> None:
    attributes = {"session.id": "s-1", "note": "caf\u00e9 \x00", "big": 2**70, "tags": ["a"]}
    from_dict, from_text = new_trace_id(), new_trace_id()
    written = store.write_prepared(
        [
            _prepared(from_dict, dict(attributes)),
            _prepared(from_text, encode_json(attributes), **{"session.id": "s-1"}),
        ]
    )
    assert written == 2
    a, b = (store.get_trace(t) for t in (from_dict, from_text))
    assert a is not None and b is not None
    assert a.spans[0].attributes == b.spans[0].attributes
    assert a.spans[0].attributes["note"] == "caf\u00e9 \ufffd"  # NUL replaced on both
    assert a.spans[0].attributes["big"] == str(2**70)
    assert a.spans[0].events == b.spans[0].events
    summaries = {s.trace_id: s for s in store.list_traces(TraceQuery(session_id="s-1"))}
    assert set(summaries) == {from_dict, from_text}
    assert summaries[from_text].service_name == "svc"


def test_write_prepared_reads_a_generator_once(store: Store) -> None:
    tid = new_trace_id()
    reads: list[int] = []

    def spans():  # type: ignore[no-untyped-def]
        for n in range(3):
            reads.append(n)
            yield prepare_span(
                tid, f"{n:016x}", None if n == 0 else f"{0:016x}", f"s{n}", "step",
                "internal", T0 + n, T0 + n + 1, "ok", None, {}, [], [], None, None, {},
            )  # fmt: skip

    assert store.write_prepared(spans()) == 3
    assert reads == [0, 1, 2]
    summary = store.list_traces(TraceQuery())[0]
    assert (summary.trace_id, summary.span_count, summary.name) == (tid, 3, "s0")


def test_write_spans_takes_any_iterable_of_records(store: Store) -> None:
    tid = new_trace_id()
    records = (
        SpanRecord(
            trace_id=tid,
            span_id=f"{n:016x}",
            parent_span_id=None,
            name="x",
            kind="step",
            start_ns=T0,
            end_ns=T0 + 1,
        )
        for n in range(2)
    )
    assert store.write_spans(records) == 2


def test_bad_times_in_a_prepared_span_are_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match="0 <= start_ns <= end_ns"):
        prepare_span(
            "a" * 32, "b" * 16, None, "x", "step", "internal", 5, 4,
            "ok", None, {}, [], [], None, None, {},
        )  # fmt: skip


def test_trace_attribute_keys_name_what_the_trace_row_reads() -> None:
    assert {"session.id", "user.id", "prodready.release"} <= set(TRACE_ATTRIBUTE_KEYS)
