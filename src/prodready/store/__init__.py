"""The store: the system of record every pillar reads and writes (SQLite or PostgreSQL).

>>> from prodready.store import Store, TraceQuery
>>> store = Store("sqlite://")          # in memory; default is .prodready/prodready.db
>>> store.list_traces(TraceQuery(has_error=True))
[]
"""

from prodready.store._database import (
    DEFAULT_URL,
    UNAVAILABLE_ERRORS,
    URL_ENV,
    Database,
    StoreError,
    redact_url,
    resolve_url,
)
from prodready.store._logs import SpanLog, SpanLogRecord
from prodready.store._store import (
    TRACE_ATTRIBUTE_KEYS,
    PreparedSpan,
    Store,
    encode_json,
    prepare_span,
)
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
    "TRACE_ATTRIBUTE_KEYS",
    "UNAVAILABLE_ERRORS",
    "URL_ENV",
    "Database",
    "LLMTotals",
    "PreparedSpan",
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
    "Trace",
    "TraceQuery",
    "TraceStats",
    "TraceStatus",
    "TraceSummary",
    "encode_json",
    "llm_totals",
    "prepare_span",
    "redact_url",
    "resolve_url",
]
