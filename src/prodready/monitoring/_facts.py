"""What monitoring needs to know of a trace to group it: release, environment, intent, tools.

The store reads these (:meth:`~prodready.store.Store.trace_facts` and the ``window_*``
methods): the trace rows, and the intent and tools from its span index, never span payloads.
This module names the dimensions and adapts monitoring's filters to those methods; it touches
no table itself (docs/architecture.md: each table is read through its owner's repository).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal

from prodready.store import Store, TraceFacts, TraceQuery, TraceTotals

Dimension = Literal["release", "environment", "intent", "tool"]
"""What an alert rule or a summary may filter or group by."""

DIMENSIONS: Final[tuple[Dimension, ...]] = ("release", "environment", "intent", "tool")

WindowGroup = TraceTotals
"""Trace totals of one group of a window (the store's :class:`~prodready.store.TraceTotals`)."""

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "TraceFacts",
    "WindowGroup",
    "newest_trace_ns",
    "trace_facts",
    "window_durations",
    "window_facts",
    "window_totals",
]


def trace_facts(
    store: Store, trace_ids: Iterable[str], *, spans_needed: bool = True
) -> dict[str, TraceFacts]:
    """Facts of the given traces, by id; unknown ids are left out.

    ``spans_needed=False`` skips the intent and tools (the span index is not read).
    """
    return store.trace_facts(trace_ids, span_facts=spans_needed)


def window_facts(
    store: Store, since_ns: int, until_ns: int, *, spans_needed: bool = True
) -> list[TraceFacts]:
    """Facts of every trace that started in ``[since_ns, until_ns)``, oldest first."""
    return store.window_facts(since_ns, until_ns, span_facts=spans_needed)


def newest_trace_ns(store: Store) -> int | None:
    """When the newest stored trace started (an index lookup), or ``None`` when empty."""
    newest = store.list_traces(TraceQuery(limit=1))
    return newest[0].start_ns if newest else None


def window_totals(
    store: Store, since_ns: int, until_ns: int, group_by: Sequence[str], filters: dict[str, str]
) -> list[WindowGroup]:
    """Counts and sums of the traces that started in ``[since_ns, until_ns)``, per group of
    ``group_by``, in one ``GROUP BY`` (dimensions and filters: ``release``, ``environment``)."""
    return store.window_totals(
        since_ns,
        until_ns,
        group_by=group_by,
        release=filters.get("release"),
        environment=filters.get("environment"),
    )


def window_durations(
    store: Store, since_ns: int, until_ns: int, group_by: Sequence[str], filters: dict[str, str]
) -> dict[tuple[str | None, ...], list[int]]:
    """The durations of the traces that started in the window, sorted, per group."""
    return store.window_durations(
        since_ns,
        until_ns,
        group_by=group_by,
        release=filters.get("release"),
        environment=filters.get("environment"),
    )
