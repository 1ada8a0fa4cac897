"""Drop counting is exact under concurrent overload: every span an agent thread ends is
either written or counted as dropped, never lost from the counters.

Under CPython's GIL a thread rarely loses the interpreter between reading a counter and
writing it back, so a short test would rarely see a lost update. The agent threads here
therefore trace their own calls of ``StoreSpanProcessor._drop`` opcode by opcode and yield
the GIL after each opcode: the other threads run in every gap a read-modify-write leaves.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable
from types import FrameType
from typing import Any

import prodready
from prodready import tracing
from prodready.store import Store
from prodready.testing import capture
from prodready.tracing._processor import StoreSpanProcessor

THREADS = 8
SPANS_PER_THREAD = 200
_DROP = StoreSpanProcessor._drop.__code__


class GatedStore(Store):
    """A store whose writes wait until the test opens the gate: the writer is stuck."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = threading.Event()

    def write_prepared(self, spans: Iterable[Any]) -> int:
        self.gate.wait(30)
        return super().write_prepared(spans)


def _yield_every_opcode(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "opcode":
        time.sleep(0)  # hand the GIL to another thread between any two opcodes
    return _yield_every_opcode


def _trace_drops(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "call" and frame.f_code is _DROP:
        frame.f_trace_opcodes = True
        return _yield_every_opcode
    return None


def test_dropped_plus_written_is_exactly_what_was_produced() -> None:
    store = GatedStore("sqlite://")
    with capture(store=store, max_queue_size=4, batch_size=2, flush_interval=0.001):
        start = threading.Barrier(THREADS)

        def agent() -> None:
            sys.settrace(_trace_drops)  # this thread only
            start.wait()
            for _ in range(SPANS_PER_THREAD):
                with prodready.span("step"):
                    pass
            sys.settrace(None)

        threads = [threading.Thread(target=agent) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        store.gate.set()
        assert tracing.flush(30)
        stats = tracing.stats()
    produced = THREADS * SPANS_PER_THREAD
    assert stats.written + stats.dropped == produced, (stats.written, stats.dropped)
    assert stats.written == store.info().span_count
    assert stats.dropped_by_reason.keys() == {"queue_full"}
    assert stats.dropped > produced // 2  # overloaded: most spans had no room
    assert stats.queued == 0


class _CountingLock:
    def __init__(self) -> None:
        self.inner = threading.Lock()
        self.taken = 0

    def __enter__(self) -> None:
        self.taken += 1
        self.inner.acquire()

    def __exit__(self, *exc: object) -> None:
        self.inner.release()


def test_a_span_that_is_queued_takes_no_lock() -> None:
    """The agent's hot path stays as cheap as it was: only a drop takes the counter's lock."""
    with capture(max_queue_size=10_000) as cap:
        processor = tracing.current().processor  # type: ignore[union-attr]
        assert processor is not None
        lock = _CountingLock()
        processor._drop_lock = lock  # type: ignore[assignment]
        for _ in range(1_000):
            with prodready.span("step"):
                pass
        assert lock.taken == 0
        processor._max = 0  # now every span is dropped
        with prodready.span("dropped"):
            pass
        assert lock.taken >= 1 and tracing.stats().dropped_by_reason == {"queue_full": 1}
        assert tracing.flush(10) and cap.store.info().span_count == 1_000
