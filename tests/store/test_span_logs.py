"""Log records attached to spans (``span_logs``): stored in any order with their spans, shown
among the span's events, idempotent, reachable without their span, and kept by retention
only as long as their traces (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from prodready.store import SpanLogRecord, SpanRecord, Store
from tests.store.factories import MS, T0, new_trace_id, write_before_0008

CHAT = "c" * 16


def chat_span(
    trace_id: str, *, start: int = T0, events: list[dict[str, Any]] | None = None
) -> SpanRecord:
    return SpanRecord(
        trace_id=trace_id,
        span_id=CHAT,
        parent_span_id=None,
        name="chat gpt-4o-mini",
        kind="llm",
        start_ns=start,
        end_ns=start + 10 * MS,
        events=events or [],
    )


def details(trace_id: str, *, time_ns: int = T0 + 5 * MS, **fields: Any) -> SpanLogRecord:
    """The GenAI instrumentation's event: the messages in attributes, no body."""
    attributes = {
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
        "gen_ai.output.messages": [{"role": "assistant", "parts": []}],
    }
    return SpanLogRecord(
        trace_id=trace_id,
        span_id=CHAT,
        time_ns=time_ns,
        observed_time_ns=time_ns + 1,
        event_name="gen_ai.client.inference.operation.details",
        attributes=attributes,
        resource={"service.name": "chat-app"},
        scope="opentelemetry.instrumentation.openai_v2",
        **fields,
    )


def events(store: Store, trace_id: str) -> list[dict[str, Any]]:
    trace = store.get_trace(trace_id)
    assert trace is not None
    return trace.spans[0].events


EXPECTED_EVENT = {
    "name": "gen_ai.client.inference.operation.details",
    "time_ns": T0 + 5 * MS,
    "attributes": details("0").attributes,
    "source": "log",
}


def test_a_record_written_before_its_span_shows_among_the_span_events(store: Store) -> None:
    tid = new_trace_id()
    assert store.write_logs([details(tid)]) == 1
    store.write_spans([chat_span(tid)])
    assert events(store, tid) == [EXPECTED_EVENT]


def test_a_record_written_after_its_span_shows_among_the_span_events(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans([chat_span(tid)])
    store.write_logs([details(tid)])
    assert events(store, tid) == [EXPECTED_EVENT]


def test_records_and_span_events_merge_in_time_order(store: Store) -> None:
    tid = new_trace_id()
    own = [{"name": f"e{t}", "time_ns": T0 + t * MS, "attributes": {}} for t in (2, 6)]
    store.write_spans([chat_span(tid, events=own)])
    store.write_logs([details(tid, time_ns=T0 + 8 * MS), details(tid, time_ns=T0 + 4 * MS)])
    assert [e["time_ns"] for e in events(store, tid)] == [T0 + t * MS for t in (2, 4, 6, 8)]
    assert [e.get("source") for e in events(store, tid)] == [None, "log", None, "log"]


def test_writing_a_batch_again_stores_each_record_once(store: Store) -> None:
    tid = new_trace_id()
    batch = [details(tid), details(tid, time_ns=T0 + 6 * MS)]
    assert store.write_logs(batch) == 2
    assert store.write_logs(batch) == 0  # an exporter's retry
    store.write_spans([chat_span(tid)])
    assert len(events(store, tid)) == 2


def test_name_body_and_severity_appear_only_as_given(store: Store) -> None:
    tid = new_trace_id()
    old_style = SpanLogRecord(
        trace_id=tid,
        span_id=CHAT,
        time_ns=T0 + MS,
        attributes={"event.name": "gen_ai.user.message"},
        body={"content": "hi"},
        severity_number=9,
    )
    plain = SpanLogRecord(trace_id=tid, span_id=CHAT, time_ns=T0 + 2 * MS, severity_text="oops")
    store.write_logs([old_style, plain])
    store.write_spans([chat_span(tid)])
    assert events(store, tid) == [
        {
            "name": "gen_ai.user.message",
            "time_ns": T0 + MS,
            "attributes": {"event.name": "gen_ai.user.message"},
            "body": {"content": "hi"},
            "severity": "INFO",
            "source": "log",
        },
        {
            "name": "log",
            "time_ns": T0 + 2 * MS,
            "attributes": {},
            "severity": "oops",
            "source": "log",
        },
    ]


def test_a_record_without_time_takes_its_observed_time(store: Store) -> None:
    tid = new_trace_id()
    store.write_logs([details(tid, time_ns=0)])
    store.write_spans([chat_span(tid)])
    assert events(store, tid)[0]["time_ns"] == 1


def test_a_record_without_any_time_takes_the_time_it_is_written(store: Store) -> None:
    tid = new_trace_id()
    before = time.time_ns()
    store.write_logs([SpanLogRecord(trace_id=tid, span_id=CHAT)])
    [log] = store.list_logs(tid)
    assert before <= log.time_ns <= time.time_ns() and log.observed_time_ns == 0


def test_records_whose_span_is_not_stored_are_listed_as_unattached(store: Store) -> None:
    tid, lost = new_trace_id(), new_trace_id()
    store.write_logs([details(tid), details(lost)])
    assert {(log.trace_id, log.attached) for log in store.list_logs()} == {
        (tid, False),
        (lost, False),
    }
    store.write_spans([chat_span(tid)])
    [orphan] = store.list_logs(unattached=True)
    assert (orphan.trace_id, orphan.event_name, orphan.resource) == (
        lost,
        "gen_ai.client.inference.operation.details",
        {"service.name": "chat-app"},
    )
    assert orphan.event() == {**EXPECTED_EVENT}
    [attached] = store.list_logs(tid.upper())
    assert attached.attached and attached.scope == "opentelemetry.instrumentation.openai_v2"


def test_get_traces_puts_each_trace_records_on_its_own_spans(store: Store) -> None:
    a, b = new_trace_id(), new_trace_id()
    store.write_spans([chat_span(a), chat_span(b)])
    store.write_logs([details(a), details(b, time_ns=T0 + 7 * MS)])
    traces = store.get_traces([a, b])
    assert [e["time_ns"] for e in traces[a].spans[0].events] == [T0 + 5 * MS]
    assert [e["time_ns"] for e in traces[b].spans[0].events] == [T0 + 7 * MS]


def test_retention_deletes_records_of_old_traces_and_old_unattached_ones(store: Store) -> None:
    day = 86_400 * 10**9
    old, new, old_orphan, new_orphan = (new_trace_id() for _ in range(4))
    store.write_spans([chat_span(old), chat_span(new, start=T0 + 10 * day)])
    store.write_logs(
        [
            details(old, time_ns=T0 + 10 * day),  # a late record of an old trace goes with it
            details(new, time_ns=T0 + 10 * day),
            details(old_orphan),
            details(new_orphan, time_ns=T0 + 10 * day),
        ]
    )
    assert store.delete_older_than(5, now_ns=T0 + 10 * day) == 1
    assert sorted(log.trace_id for log in store.list_logs()) == sorted([new, new_orphan])


def test_text_the_databases_refuse_is_cleaned(store: Store) -> None:
    tid = new_trace_id()
    store.write_logs(
        [SpanLogRecord(trace_id=tid, span_id=CHAT, time_ns=T0, event_name="a\x00b", body="c\x00d")]
    )
    [log] = store.list_logs(tid)
    assert (log.event_name, log.body) == ("a\ufffdb", "c\ufffdd")


def test_upgrade_from_0006_adds_the_table_and_keeps_traces(store_url: str) -> None:
    old = Store(store_url, migrate=False)
    old.migrate("store@0006")
    tid = new_trace_id()
    write_before_0008(old, [chat_span(tid)])
    assert old.migrate() == old.head_revision()
    old.write_logs([details(tid)])
    assert events(old, tid) == [EXPECTED_EVENT]
    old.close()


def test_the_log_records_example_in_the_docs_runs_as_written(store: Store) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "store.md").read_text(encoding="utf-8")
    section = doc.split("## Log records", 1)[1]
    example = re.search(r"^```python\n(.*?)^```$", section, re.M | re.S)
    assert example is not None
    tid = new_trace_id()
    names = {"store": store, "trace_id": tid, "span_id": CHAT, "t0": T0}
    exec(compile(example[1], "docs/store.md", "exec"), names)
    [log] = store.list_logs(tid)
    assert log.event()["name"] == "gen_ai.client.inference.operation.details"
