"""The store: the system of record every pillar reads and writes (SQLite or PostgreSQL).

>>> from prodready.store import Store, TraceQuery
>>> store = Store("sqlite://")          # in memory; default is .prodready/prodready.db
>>> store.list_traces(TraceQuery(has_error=True))
[]
"""

from __future__ import annotations

import warnings
from typing import Any

from prodready.store._database import (
    DEFAULT_URL,
    UNAVAILABLE_ERRORS,
    URL_ENV,
    Database,
    DatabaseError,
    StoreError,
    redact_url,
    resolve_url,
    sqlite_path,
)
from prodready.store._facts import TraceFacts, TraceTotals
from prodready.store._logs import SpanLog, SpanLogRecord
from prodready.store._rollups import Facets, Timeseries, TimeseriesBucket, TimeseriesQuery
from prodready.store._store import Store
from prodready.store.records import (
    MODEL_KINDS,
    LLMTotals,
    Span,
    SpanNode,
    SpanRecord,
    SpanStats,
    SpanStatus,
    StoreInfo,
    Trace,
    TraceQuery,
    TraceStats,
    TraceStatus,
    TraceSummary,
    llm_totals,
)

__all__ = [
    "DEFAULT_URL",
    "MODEL_KINDS",
    "UNAVAILABLE_ERRORS",
    "URL_ENV",
    "Database",
    "DatabaseError",
    "Facets",
    "LLMTotals",
    "Span",
    "SpanLog",
    "SpanLogRecord",
    "SpanNode",
    "SpanRecord",
    "SpanStats",
    "SpanStatus",
    "Store",
    "StoreError",
    "StoreInfo",
    "Timeseries",
    "TimeseriesBucket",
    "TimeseriesQuery",
    "Trace",
    "TraceFacts",
    "TraceQuery",
    "TraceStats",
    "TraceStatus",
    "TraceSummary",
    "TraceTotals",
    "llm_totals",
    "redact_url",
    "resolve_url",
    "sqlite_path",
]

_MOVED = frozenset({"TRACE_ATTRIBUTE_KEYS", "PreparedSpan", "encode_json", "prepare_span"})
"""The span writers' names that left the public API for :mod:`prodready.store.writing`."""


def __getattr__(name: str) -> Any:
    # PEP 562: the old paths keep working through 0.2, with a warning naming the new one.
    if name in _MOVED:
        from prodready.store import writing

        warnings.warn(
            f"prodready.store.{name} is deprecated and goes in 0.3: it is the span writers' "
            f"internal contract, now prodready.store.writing.{name} (applications write "
            "SpanRecords with Store.write_spans)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(writing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
