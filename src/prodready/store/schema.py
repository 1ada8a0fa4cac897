"""The relational schema, as SQLAlchemy Core tables (same on SQLite and PostgreSQL).

``metadata`` holds exactly the core ``store`` migration branch's tables (its revisions under
``migrations/versions`` create them; a test compares the two). Other pillars keep their tables
on their own ``MetaData``, created by their own branch (:mod:`prodready.store._migrations`).

Attribute, event and link payloads are JSON text (encoded with orjson), cheap to write in
bulk, except span attributes on PostgreSQL, which are JSONB (migration 0005) so attribute
filters are indexed containment queries; SQLite queries them with ``json_extract``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

traces = Table(
    "traces",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("name", Text),
    Column("root_span_id", String(16)),
    Column("start_ns", BigInteger, nullable=False),
    Column("end_ns", BigInteger, nullable=False),
    Column("duration_ns", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("span_count", Integer, nullable=False),
    Column("error_count", Integer, nullable=False),
    Column("session_id", Text),
    Column("user_id", Text),
    Column("release", Text),
    Column("environment", Text),
    Column("service_name", Text),
    Column("resource", Text),
    Column("root_rank", SmallInteger, nullable=False, server_default="0"),
    Column("kind_mask", BigInteger, nullable=False, server_default="0"),
    Column("llm_calls", Integer, nullable=False, server_default="0"),
    Column("input_tokens", BigInteger),
    Column("output_tokens", BigInteger),
    Column("cost_usd", Float),
    Index("ix_traces_start", "start_ns"),
    Index("ix_traces_session", "session_id", "start_ns"),
    Index("ix_traces_user", "user_id", "start_ns"),
    Index("ix_traces_release", "release", "start_ns"),
)

spans = Table(
    "spans",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("span_id", String(16), primary_key=True),
    Column("parent_span_id", String(16)),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("otel_kind", String(16), nullable=False),
    Column("start_ns", BigInteger, nullable=False),
    Column("end_ns", BigInteger, nullable=False),
    Column("duration_ns", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("status_message", Text),
    Column("attributes", Text().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("events", Text, nullable=False),
    Column("links", Text, nullable=False),
    Column("scope", Text),
    Index("ix_spans_start", "start_ns"),
    Index(
        "ix_spans_attributes",
        "attributes",
        postgresql_using="gin",
        postgresql_ops={"attributes": "jsonb_path_ops"},
        info={"dialects": ("postgresql",)},
    ).ddl_if(dialect="postgresql"),
)
"""Spans. On PostgreSQL only (migration 0005), ``attributes`` is JSONB with a GIN index;
an object whose ``info["dialects"]`` names dialects exists on those only."""

span_logs = Table(
    "span_logs",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("span_id", String(16), primary_key=True),
    Column("record_hash", String(80), primary_key=True),
    Column("time_ns", BigInteger, nullable=False),
    Column("observed_time_ns", BigInteger, nullable=False),
    Column("severity_number", SmallInteger, nullable=False),
    Column("severity_text", Text),
    Column("event_name", Text),
    Column("body", Text),
    Column("attributes", Text, nullable=False),
    Column("resource", Text, nullable=False),
    Column("scope", Text),
    Index("ix_span_logs_time", "time_ns"),
)
"""OTLP log records attached to a span by id (migration 0007). Kept apart from ``spans``
because a record may arrive before its span, or without it; reads merge them into their
span's events. ``body`` is NULL when the record has none."""

LATENCY_BINS = 64
"""Columns of ``trace_rollups``' latency histogram (``lat_00`` .. ``lat_63``; see
:mod:`prodready.store._rollups` for the bin edges)."""

trace_rollups = Table(
    "trace_rollups",
    metadata,
    Column("width_ns", BigInteger, primary_key=True),
    Column("start_ns", BigInteger, primary_key=True),
    Column("release", Text, primary_key=True),
    Column("environment", Text, primary_key=True),
    Column("traces", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("escalations", Integer, nullable=False),
    Column("llm_calls", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("cost_usd", Float, nullable=False),
    *(Column(f"lat_{i:02d}", Integer, nullable=False) for i in range(LATENCY_BINS)),
    sqlite_with_rowid=False,
)
"""Aggregates of the traces that started in ``[start_ns, start_ns + width_ns)``, by release
and environment (``''`` for none), at three widths (a minute, ten minutes, an hour), kept at
write time (migration 0008): what the overview's time series read instead of every trace.
A trace's later spans move its contribution (its duration, status, tokens change);
retention subtracts what it deletes."""

span_index = Table(
    "span_index",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("trace_id", String(32), primary_key=True),
    Column("span_id", String(16), primary_key=True),
    Index("ix_span_index_trace", "trace_id"),
    sqlite_with_rowid=False,
)
"""Attribute values of the conventions' keys (``INDEXED_KEYS``), one row per span and key,
written with the span (migration 0008): attribute filters on those keys read this index
rather than every span's JSON. Only text values up to ``MAX_INDEXED_CHARS`` are in it."""
