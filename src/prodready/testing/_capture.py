"""Tracing into an in-memory store for the length of a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prodready.store import Span, Store, Trace, TraceQuery, TraceSummary
from prodready.tracing import _config


def memory_store() -> Store:
    """A fresh, migrated SQLite store that lives in memory."""
    return Store("sqlite://")


class Capture:
    """What a :func:`capture` block traced. Reading flushes pending spans first."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def traces(self, query: TraceQuery | None = None) -> list[TraceSummary]:
        """Trace summaries, newest first."""
        _config.flush()
        return self.store.list_traces(query)

    def trace(self, trace_id: str | None = None) -> Trace:
        """One trace with its spans (the only, or the newest, one if no id is given)."""
        _config.flush()
        if trace_id is None:
            summaries = self.store.list_traces(TraceQuery(limit=1))
            if not summaries:
                raise AssertionError("no trace was recorded")
            trace_id = summaries[0].trace_id
        found = self.store.get_trace(trace_id)
        if found is None:
            raise AssertionError(f"no trace {trace_id}")
        return found

    def spans(self, *, name: str | None = None, kind: str | None = None) -> list[Span]:
        """Every span of every trace, oldest first, filtered by name and kind."""
        out: list[Span] = []
        for summary in reversed(self.traces(TraceQuery(limit=10_000))):
            out.extend(self.trace(summary.trace_id).find(name=name, kind=kind))
        return out


@contextmanager
def capture(**configure: Any) -> Iterator[Capture]:
    """Configure tracing into a fresh in-memory store for the block, then shut it down.

    Keyword arguments go to ``prodready.configure`` (``release``, ``clock``, ``redact``...).
    Nothing is exported over OTLP unless ``otlp_endpoint`` is given: a test suite run with
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` set does not send its spans there.

    >>> with capture() as cap:
    ...     run_agent()
    >>> assert_tree(cap.trace(), "answer [agent]")
    """
    store = configure.pop("store", None) or memory_store()
    configure.setdefault("flush_interval", 0.05)
    configure.setdefault("otlp_endpoint", False)
    _config.configure(store=store, **configure)
    try:
        yield Capture(store)
    finally:
        _config.shutdown()
