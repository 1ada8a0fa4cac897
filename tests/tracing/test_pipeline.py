"""The background writer: the agent is never blocked, and nothing is lost silently."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import prodready
from prodready import tracing
from prodready.store import SpanRecord, Store
from prodready.testing import TcpProxy, capture
from tests.conftest import PG_URL


@contextmanager
def sqlite_locked(path: Path) -> Iterator[None]:
    """Another process-like connection holds the write lock: writers get 'database is locked'."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def spans_in(store: Store) -> int:
    return store.info().span_count


def test_sqlite_locked_then_released_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = Store(f"sqlite:///{path}?timeout=0.2")
    with capture(store=store, flush_interval=0.02) as cap:
        with sqlite_locked(path):
            for i in range(50):
                with prodready.span(f"s{i}"):
                    pass
            time.sleep(0.5)
            assert tracing.stats().write_failures >= 1
        assert tracing.flush(10)
        assert spans_in(cap.store) == 50 and tracing.stats().dropped == 0


@pytest.mark.postgres
def test_postgres_connection_cut_then_restored_loses_nothing(pg_url: str) -> None:
    target = urlsplit(PG_URL)
    with TcpProxy((target.hostname or "127.0.0.1", target.port or 5432)) as proxy:
        url = pg_url.replace(f":{target.port or 5432}/", f":{proxy.port}/")
        store = Store(url)
        with capture(store=store, flush_interval=0.02):
            proxy.down()
            for i in range(100):
                with prodready.span(f"s{i}"):
                    pass
            time.sleep(0.5)
            assert spans_in(Store(pg_url, migrate=False)) == 0
            proxy.up()
            assert tracing.flush(20)
            assert tracing.stats().dropped == 0
        assert spans_in(Store(pg_url, migrate=False)) == 100


def test_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = Store(f"sqlite:///{path}?timeout=0.1")
    with capture(store=store, max_queue_size=10, batch_size=5, flush_interval=0.01):
        with sqlite_locked(path):
            for i in range(60):
                with prodready.span(f"s{i}"):
                    pass
            stats = tracing.stats()
        assert tracing.flush(10)
        assert stats.dropped_by_reason["queue_full"] >= 40
        assert spans_in(store) + tracing.stats().dropped == 60


class RefusingStore(Store):
    """A store that refuses spans named 'poison' the way a database refuses bad data."""

    def write_spans(self, records: Sequence[SpanRecord]) -> int:
        if any(r.name == "poison" for r in records):
            raise ValueError("value out of range")
        return super().write_spans(records)


def test_an_unstorable_span_is_dropped_alone() -> None:
    with capture(store=RefusingStore("sqlite://")) as cap:
        for name in ("a", "poison", "b"):
            with prodready.span(name):
                pass
        assert tracing.flush(5)
        assert tracing.stats().dropped_by_reason == {"rejected": 1}
        assert sorted(s.name for s in cap.spans()) == ["a", "b"]


class ExplodingStore(Store):
    def write_spans(self, records: Sequence[SpanRecord]) -> int:
        raise RuntimeError("kaboom")


def test_agent_never_sees_store_exceptions() -> None:
    with capture(store=ExplodingStore("sqlite://")):
        with prodready.span("a") as s:
            s.set("k", "v")
        tracing.flush(5)
        assert tracing.stats().dropped_by_reason["rejected"] == 1
        assert "kaboom" in (tracing.stats().last_error or "")


def test_drop_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="prodready.tracing")
    with capture(store=ExplodingStore("sqlite://"), batch_size=1):
        for i in range(20):
            with prodready.span(f"s{i}"):
                pass
        tracing.flush(5)
    warnings = [r for r in caplog.records if "degraded" in r.getMessage()]
    assert len(warnings) == 1


def test_shutdown_with_store_down_is_bounded_and_counts_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = Store(f"sqlite:///{path}?timeout=0.1")
    tracing.configure(store=store, flush_interval=0.01)
    processor = tracing.current().processor  # type: ignore[union-attr]
    with sqlite_locked(path):
        for i in range(10):
            with prodready.span(f"s{i}"):
                pass
        started = time.monotonic()
        tracing.shutdown(timeout=0.5)
        assert time.monotonic() - started < 3
    assert processor is not None and processor.stats().dropped == 10


def test_redaction_runs_before_storage_on_attributes_and_events() -> None:
    def redact(attrs: dict[str, object]) -> dict[str, object]:
        return {k: ("[REDACTED]" if k == "card" else v) for k, v in attrs.items()}

    with capture(redact=redact) as cap, prodready.span("s") as s:
        s.set("card", "4111111111111111").event("e", {"card": "4111"})
    span = cap.trace().spans[0]
    assert span.attributes["card"] == "[REDACTED]"
    assert span.events[0]["attributes"]["card"] == "[REDACTED]"


def test_failing_redaction_drops_the_span_instead_of_leaking_it() -> None:
    def redact(attrs: dict[str, object]) -> dict[str, object]:
        raise RuntimeError("pii engine down")

    with capture(redact=redact) as cap:
        with prodready.span("s"):
            pass
        assert cap.traces() == []
        assert tracing.stats().dropped_by_reason == {"redaction": 1}


def test_a_redact_hook_that_returns_nothing_drops_the_span_and_says_why() -> None:
    def redact(attrs: dict[str, object]) -> None:
        attrs.pop("secret", None)  # edits in place, forgets to return

    with capture(redact=redact) as cap:  # type: ignore[arg-type]
        with prodready.span("s") as s:
            s.set("secret", "1")
        assert cap.traces() == []
        assert tracing.stats().dropped_by_reason == {"redaction": 1}
        assert "redact hook returned NoneType" in (tracing.stats().last_error or "")


def test_sample_rate_zero_keeps_nothing_and_one_keeps_all() -> None:
    with capture(sample_rate=0.0) as cap:
        with prodready.span("a"), prodready.span("b"):
            pass
        assert cap.traces() == []
    with capture(sample_rate=1.0) as cap:
        with prodready.span("a"), prodready.span("b"):
            pass
        assert len(cap.trace().spans) == 2


def test_sampling_keeps_or_drops_whole_traces() -> None:
    with capture(sample_rate=0.5) as cap:
        for _ in range(200):
            with prodready.span("root"), prodready.span("child"):
                pass
        traces = cap.traces(prodready.store.TraceQuery(limit=1000))
    assert 40 < len(traces) < 160
    assert all(t.span_count == 2 for t in traces)


def test_invalid_sample_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="sample_rate must be between 0 and 1"):
        tracing.configure(store="sqlite://", sample_rate=1.5)


def test_reconfigure_flushes_the_old_store_and_uses_the_new() -> None:
    first, second = Store("sqlite://"), Store("sqlite://")
    tracing.configure(store=first)
    with prodready.span("one"):
        pass
    tracing.configure(store=second)
    with prodready.span("two"):
        pass
    tracing.flush()
    assert [t.name for t in first.list_traces()] == ["one"]
    assert [t.name for t in second.list_traces()] == ["two"]


def test_flush_returns_while_other_threads_keep_producing_spans() -> None:
    import threading

    stop = threading.Event()

    def producer() -> None:
        while not stop.is_set():
            with prodready.span("background"):
                pass

    with capture(flush_interval=0.01) as cap:
        with prodready.span("mine") as mine:
            pass
        thread = threading.Thread(target=producer)
        thread.start()
        try:
            started = time.monotonic()
            assert tracing.flush(timeout=20)  # waits for spans ended before the call only
            assert time.monotonic() - started < 10
            assert cap.store.get_trace(mine.trace_id) is not None
        finally:
            stop.set()
            thread.join()


def test_an_sdk_span_that_cannot_be_snapshotted_is_counted_and_the_agent_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry import trace as otel_trace

    from prodready.tracing import _processor

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("snapshot failed")

    with capture() as cap:
        monkeypatch.setattr(_processor, "snapshot", broken)
        # Another library's tracer: its spans are the SDK's, snapshotted by the processor.
        with otel_trace.get_tracer("other.library").start_as_current_span("lost"):
            pass
        monkeypatch.undo()
        with prodready.span("kept"):
            pass
        assert tracing.flush(5)
        assert tracing.stats().dropped_by_reason == {"conversion": 1}
        assert [s.name for s in cap.spans()] == ["kept"]


class GatedStore(Store):
    """Records each batch's size; the first write waits until the test opens the gate."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        import threading

        self.gate = threading.Event()
        self.batches: list[int] = []

    def write_spans(self, records: Sequence[SpanRecord]) -> int:
        self.gate.wait(10)
        self.batches.append(len(records))
        return super().write_spans(records)


def test_a_writer_that_fell_behind_catches_up_in_larger_transactions() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    from prodready.tracing._processor import StoreSpanProcessor

    store = GatedStore("sqlite://")
    processor = StoreSpanProcessor(store, batch_size=4, max_batch_size=16, flush_interval=60)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    for i in range(4):  # wakes the writer, which blocks in its first write
        with tracer.start_as_current_span(f"s{i}"):
            pass
    deadline = time.monotonic() + 5
    while processor._inflight != 4 and time.monotonic() < deadline:  # first batch taken
        time.sleep(0.01)
    for i in range(40):
        with tracer.start_as_current_span(f"t{i}"):
            pass
    store.gate.set()
    assert processor.force_flush(5000)
    assert store.batches == [4, 16, 16, 8]
    assert spans_in(store) == 44
    processor.shutdown()


def test_the_agent_yields_the_gil_while_a_batch_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Up to a batch nothing yields; beyond it (the writer is busy, here held at the gate),
    # every YIELD_EVERY-th span queued yields with a time.sleep(0) in the agent, unless it
    # yielded less than YIELD_INTERVAL_S ago. The clock moves 0.6 intervals per check.
    from prodready.tracing import _processor

    store = GatedStore("sqlite://")
    processor = _processor.StoreSpanProcessor(store, batch_size=100, flush_interval=60)
    at: list[tuple[float, int]] = []
    monkeypatch.setattr(_processor, "_sleep", lambda s: at.append((s, len(processor._queue))))
    ticks = iter(range(1, 100))
    monkeypatch.setattr(
        _processor, "_clock", lambda: next(ticks) * 0.6 * _processor.YIELD_INTERVAL_S
    )
    try:
        for i in range(100):
            processor.enqueue(_snap(i))
        deadline = time.monotonic() + 5
        while processor._inflight != 100 and time.monotonic() < deadline:  # writer at the gate
            time.sleep(0.01)
        assert at == []
        every = _processor.YIELD_EVERY
        for i in range(100, 100 + 5 * every):
            processor.enqueue(_snap(i))
        checks = [n for n in range(101, 5 * every + 1) if n % every == 0]
        # Checks at clock 0.6, 1.2, 1.8, 2.4 (x the interval) after a last yield at 0: yields
        # at 1.2 and 2.4, the second and fourth checks.
        assert len(checks) == 4
        assert at == [(0, checks[1]), (0, checks[3])]
        store.gate.set()
        assert processor.force_flush(5000)
        assert spans_in(store) == 100 + 5 * every
    finally:
        store.gate.set()
        processor.shutdown()


def _snap(i: int) -> tuple[object, ...]:
    """A finished span as prodready's own spans hand it over (see _convert.Snapshot)."""
    start = time.time_ns()
    return (
        f"s{i}", 7, i + 1, None, True, 0, start, start + 1, 0, None,
        {"prodready.span.kind": "step"}, (), (), "t", None, None, None, None,
    )  # fmt: skip
