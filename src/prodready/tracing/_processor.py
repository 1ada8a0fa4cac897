"""The store span processor: the agent hands spans over, a background thread writes them.

Contract (DESIGN.md, "Tracing"): the agent is never blocked and never sees an exception.
``on_end`` only takes a snapshot of the span's fields (about a microsecond; see
``_convert``) and appends it to a bounded deque; conversion, redaction and the database
write happen on one writer thread. When the store is down the writer keeps its batch and retries
with backoff while new spans queue up; only a full queue drops spans, and every drop is
counted by reason (``prodready.tracing.stats()``, exactly: under a lock that only a drop
takes) with a rate-limited warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SDKSpan
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_when_event_set,
    wait_exponential_jitter,
)

from prodready.store import Database, Store
from prodready.tracing._convert import (
    Redactor,
    Snapshot,
    prepared_from,
    readable_from,
    record_from,
    redacted_copy,
    snapshot,
)

log = logging.getLogger("prodready.tracing")

T = TypeVar("T")

WARN_EVERY_S = 60.0

YIELD_EVERY = 64
"""While a batch waits, every this many spans the agent may yield the GIL (see
:meth:`StoreSpanProcessor.enqueue`) ..."""
YIELD_INTERVAL_S = 0.001
"""... if it has not done so in this many seconds."""

_sleep = time.sleep
_clock = time.monotonic


@dataclass(frozen=True, kw_only=True)
class TracingStats:
    """Counters of the span pipeline since ``configure()``."""

    queued: int
    """Spans waiting to be written now."""
    written: int
    """Spans the store accepted."""
    dropped: int
    """Spans that will never reach the store (sum of ``dropped_by_reason``)."""
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    """``queue_full``, ``rejected`` (the store refused the span), ``conversion``,
    ``redaction``, ``shutdown``."""
    write_failures: int = 0
    """Failed write attempts (each retried)."""
    last_error: str | None = None


class _FlushMarker(threading.Event):
    """Queued by ``force_flush``; set by the writer once every span before it is handled."""


def _forwarded(snap: Snapshot, redact: Redactor | None, resource: Resource) -> ReadableSpan:
    """The span to hand an exporter: the SDK's own, or one built from a native snapshot."""
    span = snap[15]
    if span is None:
        return readable_from(snap, resource=resource, redact=redact)
    return span if redact is None else redacted_copy(span, redact)


def _transient(exc: BaseException) -> bool:
    """Errors worth retrying: the database is unreachable, locked or restarting (as the
    store tells), or the network or disk under it failed."""
    return Database.is_unavailable(exc) or isinstance(exc, OSError)


class StoreSpanProcessor(SpanProcessor):
    """Writes finished spans to a :class:`~prodready.store.Store` in background batches.

    Args:
        store: where spans go.
        max_queue_size: spans held while the store is slow or down; beyond it, spans drop.
        batch_size: queued spans that wake the writer; it writes at least this many per
            transaction when they are there.
        max_batch_size: most spans per transaction (default ``8 * batch_size``). A writer
            that fell behind catches up in larger transactions: a commit costs about as
            much as writing 150 spans, so fewer commits is where throughput comes from
            (``benchmarks/bench_ingest.py``).
        flush_interval: seconds between writes when fewer than ``batch_size`` spans wait.
        redact: applied to attributes before a span is stored or forwarded.
        resource: resource attributes to store with each span (default: the span's).
        forward: a processor (e.g. a ``BatchSpanProcessor`` around an OTLP exporter) that
            receives each span after redaction, for dual export.
        max_backoff: longest wait between retries of a failed write, in seconds.
        migrate: bring the store's schema up to date before the first write (for a store
            that was unreachable when it was opened); retried like a write.
    """

    def __init__(
        self,
        store: Store,
        *,
        max_queue_size: int = 100_000,
        batch_size: int = 512,
        max_batch_size: int | None = None,
        flush_interval: float = 0.5,
        redact: Redactor | None = None,
        resource: Mapping[str, Any] | None = None,
        forward: SpanProcessor | None = None,
        max_backoff: float = 2.0,
        migrate: bool = False,
    ) -> None:
        self.store = store
        self._migrate = migrate
        # Spans go to the store converted while it writes them (write_prepared), unless a
        # subclass overrides write_spans: it gets its records, as before.
        self._streams = type(store).write_spans is Store.write_spans
        self._max = max_queue_size
        self._batch_size = batch_size
        self._max_batch = max(batch_size, max_batch_size or 8 * batch_size)
        self._interval = flush_interval
        self._redact = redact
        self._resource = dict(resource) if resource is not None else None
        self._otel_resource = Resource(self._resource or {})  # for spans forwarded
        self._forward = forward
        self._max_backoff = max_backoff
        self._queue: deque[Snapshot | _FlushMarker] = deque()
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._last_yield = 0.0  # when the agent last yielded the GIL to the writer
        self._stopped = False  # _stop.is_set(), read without a call on every span
        self._flush_wanted = False
        self._inflight = 0
        self._written = 0
        self._failures = 0
        self._dropped: Counter[str] = Counter()
        # Drops are counted from agent threads and the writer at once: a read-modify-write
        # of the counter must not lose one. Only a drop takes this lock, never a span queued.
        self._drop_lock = threading.Lock()
        self._last_error: str | None = None
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="prodready-span-writer", daemon=True)
        self._thread.start()

    # --- the agent's side: must stay cheap and never raise ----------------------------------

    def on_start(self, span: SDKSpan, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if len(self._queue) >= self._max or self._stopped:  # spare the snapshot
            self._drop("shutdown" if self._stopped else "queue_full", 1)
            return
        try:
            snap = snapshot(
                span, keep_resource=self._resource is None, keep_span=self._forward is not None
            )
        except Exception as exc:  # never the agent's problem
            self._drop("conversion", 1)
            self._note_error(exc)
            return
        self.enqueue(snap)

    def enqueue(self, snap: Snapshot) -> None:
        """Take a finished span as a snapshot (prodready's own spans end as one).

        Once a batch is waiting, the agent yields the GIL (``time.sleep(0)``, one system call) at
        most once a millisecond, checked every :data:`YIELD_EVERY` spans. The writer spends
        most of a batch in SQLite, outside the GIL, but needs it back after each statement:
        with an agent that never waits on I/O, that takes the interpreter's whole switch
        interval (5 ms) each time, so the writer falls behind and the queue grows. Yielding
        hands it the GIL sooner, and its database work overlaps the agent's:
        ``benchmarks/diag_ingest.py yield`` (5 runs each, interleaved) gave 58,772 ->
        74,779 spans/s (median) for spans made and stored, 54,729 -> 57,132 for prebuilt
        spans handed to the writer. Spans still to store when the agent's loop ends went
        from 17-21k of 30,600 to 6-8k (``benchmarks/diag_ingest.py contention``). The
        millisecond floor is for agents whose spans cost almost nothing
        (the second case): yielding every 64 of those, with no floor, lost more to GIL
        hand-overs than it gained, and that case got slower than not yielding at all.
        """
        queue = self._queue
        if len(queue) >= self._max or self._stopped:
            self._drop("shutdown" if self._stopped else "queue_full", 1)
            return
        queue.append(snap)
        n = len(queue)
        if n == self._batch_size:
            with self._wake:
                self._wake.notify()
        elif n > self._batch_size and not n % YIELD_EVERY:
            now = _clock()
            if now - self._last_yield >= YIELD_INTERVAL_S:
                self._last_yield = now
                _sleep(0)

    # --- lifecycle -------------------------------------------------------------------------

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Write every span ended before this call; ``False`` if that did not finish in time.

        A marker goes into the queue behind those spans and the writer sets it once it has
        handled everything before it, so spans other threads end meanwhile never delay it.
        """
        if not self._thread.is_alive():
            return not self._queue
        marker = _FlushMarker()
        self._queue.append(marker)
        with self._wake:
            self._flush_wanted = True
            self._wake.notify()
        return marker.wait(timeout_millis / 1000)

    def shutdown(self, timeout_millis: int = 5_000) -> None:
        """Flush within ``timeout_millis``, stop the writer, count what is left as dropped."""
        if self._stop.is_set():
            return
        self.force_flush(timeout_millis)
        self._stopped = True
        self._stop.set()
        with self._wake:
            self._wake.notify()
        self._thread.join(timeout=max(timeout_millis / 1000, 0.1))
        leftover = [self._queue.popleft() for _ in range(len(self._queue))]
        markers = [item for item in leftover if isinstance(item, _FlushMarker)]
        for marker in markers:
            marker.set()  # whoever waits learns at once; the spans are counted as dropped
        if len(leftover) > len(markers):
            self._drop("shutdown", len(leftover) - len(markers))
        if self._forward is not None:
            self._forward.shutdown()

    def stats(self) -> TracingStats:
        """A snapshot of the pipeline's counters."""
        with self._drop_lock:
            dropped = dict(self._dropped)
        return TracingStats(
            queued=len(self._queue) + self._inflight,
            written=self._written,
            dropped=sum(dropped.values()),
            dropped_by_reason=dropped,
            write_failures=self._failures,
            last_error=self._last_error,
        )

    # --- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                if len(self._queue) < self._batch_size and not self._flush_wanted:
                    self._wake.wait(self._interval)
                self._flush_wanted = False
            while self._queue and not self._stop.is_set():
                self._write_batch()

    def _take(self) -> tuple[list[Snapshot], list[_FlushMarker]]:
        queue = self._queue
        n = min(len(queue), self._max_batch)
        self._inflight = n
        spans: list[Snapshot] = []
        markers: list[_FlushMarker] = []
        for _ in range(n):
            item = queue.popleft()
            (markers if isinstance(item, _FlushMarker) else spans).append(item)  # type: ignore[arg-type]
        return spans, markers

    def _write_batch(self) -> None:
        batch, markers = self._take()
        try:
            if self._forward is not None:
                self._forward_all(batch)
            if batch:
                self._write(batch)
        except Exception as exc:  # the writer must survive anything
            self._drop("rejected", len(batch))
            self._note_error(exc)
        finally:
            self._inflight = 0
            for marker in markers:  # everything queued before each marker is handled
                marker.set()

    def _converted(
        self, batch: list[Snapshot], failed: set[int], convert: Callable[..., T]
    ) -> Iterator[T]:
        """Convert the batch as the store reads it; nothing converted outlives its row.

        A span that cannot be converted (or whose redaction fails) is counted as dropped
        once and skipped when a retry reads the batch again (``failed`` remembers it).
        """
        redact = self._redact
        resource = self._resource
        for i, snap in enumerate(batch):
            if i in failed:
                continue
            try:
                converted = convert(snap, resource=resource, redact=redact)
            except Exception as exc:
                failed.add(i)
                self._drop("redaction" if redact is not None else "conversion", 1)
                self._note_error(exc)
                continue
            yield converted

    def _forward_all(self, batch: list[Snapshot]) -> None:
        forward, redact = self._forward, self._redact
        assert forward is not None
        for snap in batch:
            try:
                forward.on_end(_forwarded(snap, redact, self._otel_resource))
            except Exception as exc:
                self._note_error(exc)

    def _write(self, batch: list[Snapshot]) -> None:
        failed: set[int] = set()
        retrying = Retrying(
            retry=retry_if_exception(_transient),
            wait=wait_exponential_jitter(multiplier=0.05, max=self._max_backoff, jitter=0.05),
            stop=stop_when_event_set(self._stop),
            sleep=self._sleep,
            before_sleep=lambda state: self._on_retry(state.outcome),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if self._migrate:
                        self.store.migrate()
                        self._migrate = False
                        log.warning("prodready tracing: the store is reachable; writing spans")
                    if self._streams:
                        prepared = self._converted(batch, failed, prepared_from)
                        self._written += self.store.write_prepared(prepared)
                    else:
                        records = list(self._converted(batch, failed, record_from))
                        self._written += self.store.write_spans(records)
        except RetryError:
            self._drop("shutdown", len(batch) - len(failed))
        except Exception as exc:
            # Not the database being away: some span is unstorable. Keep the others.
            self._note_error(exc)
            self._write_one_by_one(batch, failed)

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)  # shutdown interrupts a backoff at once

    def _write_one_by_one(self, batch: list[Snapshot], failed: set[int]) -> None:
        for record in self._converted(batch, failed, record_from):
            try:
                self._written += self.store.write_spans([record])
            except Exception as exc:
                self._drop("rejected", 1)
                self._note_error(exc)

    def _on_retry(self, outcome: Any) -> None:
        self._failures += 1
        exc = outcome.exception() if outcome is not None else None
        if exc is not None:
            self._note_error(exc)

    def _drop(self, reason: str, n: int) -> None:
        with self._drop_lock:
            self._dropped[reason] += n
        self._warn()

    def _note_error(self, exc: BaseException) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"[:500]
        log.debug("span writer error", exc_info=exc)
        self._warn()

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._last_warning < WARN_EVERY_S:
            return
        self._last_warning = now
        s = self.stats()
        log.warning(
            "prodready tracing degraded: %d spans dropped %s, %d write failures, "
            "%d queued; last error: %s",
            s.dropped,
            s.dropped_by_reason,
            s.write_failures,
            s.queued,
            s.last_error,
        )
