"""What differs between SQLite and PostgreSQL, in one place.

The bulk write path sends prepared SQL text at driver level rather than SQLAlchemy's compiled
inserts: it is the ingest hot path, and skipping per-row compilation roughly doubles
throughput. Everything else is SQLAlchemy Core.

On SQLite a batch goes as multi-row ``INSERT ... VALUES (...), (...)`` statements rather than
``executemany``: Python's sqlite3 module releases the GIL around every ``sqlite3_step``, so
``executemany`` hands the GIL back and forth once per row, and while the agent's thread is
busy each of those hand-overs costs it a thread switch (measured: with 512-row
``executemany`` batches the span writer cost a CPU-bound agent ~15 µs per 3-span trace for
1/18 of its spans; docs/performance.md). One statement per chunk is one hand-over.
PostgreSQL keeps ``executemany``, which psycopg pipelines.
"""

from __future__ import annotations

import functools
import itertools
import math
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, String, Text, and_, cast, false, func, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from prodready.store import _index, _rollups
from prodready.store.schema import spans

_SPAN_COLS = (
    "trace_id, span_id, parent_span_id, name, kind, otel_kind, start_ns, end_ns, duration_ns, "
    "status, status_message, attributes, events, links, scope"
)
_TRACE_COLS = (
    "trace_id, name, root_span_id, start_ns, end_ns, duration_ns, status, span_count, "
    "error_count, session_id, user_id, release, environment, service_name, resource, root_rank, "
    "kind_mask, llm_calls, input_tokens, output_tokens, cost_usd"
)

_UPSERT_SET = """
  name = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.name
              ELSE COALESCE(traces.name, excluded.name) END,
  root_span_id = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_span_id
                      ELSE traces.root_span_id END,
  root_rank = {greatest}(traces.root_rank, excluded.root_rank),
  kind_mask = traces.kind_mask | excluded.kind_mask,
  start_ns = {least}(traces.start_ns, excluded.start_ns),
  end_ns = {greatest}(traces.end_ns, excluded.end_ns),
  duration_ns = {greatest}(traces.end_ns, excluded.end_ns)
              - {least}(traces.start_ns, excluded.start_ns),
  status = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.status
                WHEN traces.root_rank > 0 THEN traces.status
                WHEN traces.error_count + excluded.error_count > 0 THEN 'error'
                ELSE 'ok' END,
  span_count = traces.span_count + excluded.span_count,
  error_count = traces.error_count + excluded.error_count,
  session_id = COALESCE(traces.session_id, excluded.session_id),
  user_id = COALESCE(traces.user_id, excluded.user_id),
  release = COALESCE(traces.release, excluded.release),
  environment = COALESCE(traces.environment, excluded.environment),
  service_name = COALESCE(traces.service_name, excluded.service_name),
  resource = COALESCE(traces.resource, excluded.resource),
  llm_calls = traces.llm_calls + excluded.llm_calls,
  input_tokens = CASE WHEN excluded.input_tokens IS NULL THEN traces.input_tokens
                      ELSE COALESCE(traces.input_tokens, 0) + excluded.input_tokens END,
  output_tokens = CASE WHEN excluded.output_tokens IS NULL THEN traces.output_tokens
                       ELSE COALESCE(traces.output_tokens, 0) + excluded.output_tokens END,
  cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN traces.cost_usd
                  ELSE COALESCE(traces.cost_usd, 0) + excluded.cost_usd END
"""
# The model-call totals add up: a batch carries the totals of a trace's model spans only when
# the trace had none stored before it; otherwise the writer recomputes them from every model
# span of the trace after the upsert (one call may be recorded by spans in two batches).

_SET_TOTALS = (
    "UPDATE traces SET llm_calls = {p}, input_tokens = {p}, output_tokens = {p}, cost_usd = {p} "
    "WHERE trace_id = {p}"
)

_RECOUNT = """
UPDATE traces SET
  span_count = (SELECT count(*) FROM spans WHERE trace_id = {p}),
  error_count = (SELECT count(*) FROM spans WHERE trace_id = {p} AND status = 'error'),
  start_ns = (SELECT min(start_ns) FROM spans WHERE trace_id = {p}),
  end_ns = (SELECT max(end_ns) FROM spans WHERE trace_id = {p}),
  duration_ns = (SELECT max(end_ns) - min(start_ns) FROM spans WHERE trace_id = {p}),
  status = COALESCE(
    (SELECT CASE WHEN s.status = 'error' THEN 'error' ELSE 'ok' END FROM spans s
      WHERE s.trace_id = traces.trace_id AND s.span_id = traces.root_span_id),
    CASE WHEN EXISTS (SELECT 1 FROM spans WHERE trace_id = {p} AND status = 'error')
         THEN 'error' ELSE 'ok' END)
WHERE trace_id = {p}
"""


@dataclass(frozen=True, slots=True)
class DialectSQL:
    insert_spans: str
    upsert_traces: str
    recount_trace: str
    recount_params: int
    postgres: bool
    set_totals: str = ""
    insert_index: str = ""
    upsert_rollups: str = ""

    def write_rows(
        self,
        conn: Connection,
        sql: str,
        rows: Sequence[tuple[Any, ...]],
        *,
        sized: tuple[int, ...] = (),
    ) -> int:
        """Run the one-row statement ``sql`` for every row; the number of rows it changed.

        ``sized``: indexes of text columns that can be large (span payloads). SQLite copies
        every bound value, so a multi-row statement also stops at ~4 MB of them: a batch of
        spans carrying big prompts must not double the writer's memory.

        Returns -1 when the driver cannot tell.
        """
        if self.postgres or len(rows) < 2:
            cur = conn.exec_driver_sql(sql, list(rows) if len(rows) != 1 else rows[0])
            return cur.rowcount if cur.rowcount is not None else -1
        per = max(1, _SQLITE_MAX_VARIABLES // len(rows[0]))
        changed = 0
        for chunk in _chunks(rows, per, sized):
            cur = conn.exec_driver_sql(
                _multi_row(sql, len(chunk)), tuple(itertools.chain.from_iterable(chunk))
            )
            if cur.rowcount is None or cur.rowcount < 0:
                return -1
            changed += cur.rowcount
        return changed

    def attr_equals(self, key: str, value: str | int | float | bool) -> ColumnElement[bool]:
        """A condition: the span's attribute ``key`` equals ``value``, type included.

        PostgreSQL: JSONB containment, answered by the GIN index of migration 0005 (numbers
        compare as numbers, so ``1`` matches ``1.0``; strings and booleans only themselves).
        SQLite: a substring test for ``"key":`` in the JSON text comes first (most spans lack
        the key, and finding that costs far less than parsing their JSON), then the typed
        comparison.
        """
        if isinstance(value, float) and not math.isfinite(value):
            return false()  # JSON has no NaN or infinity: no stored attribute equals one
        if isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
            # SQLite cannot bind it, and integers beyond 64 bits are stored as their
            # decimal text. (An unsigned value in [2**63, 2**64) stored as a number is not
            # found either; no attribute convention uses such values.)
            return false()
        if self.postgres:
            document = orjson.dumps({key: value}).decode()
            return spans.c.attributes.op("@>")(cast(literal(document, Text), postgresql.JSONB))
        return and_(self._has_key(key), self._typed_equals(key, value))

    def attr_values(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        """The values of attributes ``keys`` of a spans ``attributes`` column, as one JSON
        array (``null`` for an absent key), the attributes parsed once: on SQLite each
        ``json_extract`` parses the whole text, and model spans carry KBs of messages.
        Read it back with :meth:`decode_values`."""
        if self.postgres:
            return func.jsonb_build_array(*(column.op("->")(literal(k, Text)) for k in keys))
        for key in keys:
            if '"' in key:
                raise ValueError(f"attribute names cannot contain '\"': {key!r}")
        if len(keys) == 1:  # json_extract with one path gives the value, not an array
            return func.json_array(func.json_extract(column, f'$."{keys[0]}"'))
        return func.json_extract(column, *(f'$."{k}"' for k in keys))

    @staticmethod
    def decode_values(value: Any, n: int) -> tuple[Any, ...]:
        """:meth:`attr_values`' column as a tuple of ``n`` Python values."""
        if isinstance(value, str | bytes):
            value = orjson.loads(value)
        if not isinstance(value, list) or len(value) != n:
            return (None,) * n
        return tuple(value)

    @staticmethod
    def _has_key(key: str) -> ColumnElement[bool]:
        needle = orjson.dumps(key).decode() + ":"
        return func.instr(spans.c.attributes, needle) > 0

    @staticmethod
    def _typed_equals(key: str, value: str | int | float | bool) -> ColumnElement[bool]:
        if '"' in key:
            raise ValueError(f"attribute names cannot contain '\"': {key!r}")
        path = f'$."{key}"'
        extracted = func.json_extract(spans.c.attributes, path)
        typ = func.json_type(spans.c.attributes, path)
        if isinstance(value, bool):
            return typ == ("true" if value else "false")
        if isinstance(value, int | float):
            return and_(typ.in_(("integer", "real")), extracted == value)
        return and_(typ == "text", cast(extracted, String) == value)


def for_dialect(name: str) -> DialectSQL:
    """The SQL text for the ``sqlite`` or ``postgresql`` dialect."""
    if name == "sqlite":
        p = "?"
        return DialectSQL(
            insert_spans=f"INSERT OR IGNORE INTO spans ({_SPAN_COLS}) VALUES ({_marks(p, 15)})",
            upsert_traces=(
                f"INSERT INTO traces ({_TRACE_COLS}) VALUES ({_marks(p, 21)}) "
                "ON CONFLICT (trace_id) DO UPDATE SET "
                + _UPSERT_SET.format(least="min", greatest="max")
            ),
            recount_trace=_recount(p),
            recount_params=7,
            postgres=False,
            set_totals=_SET_TOTALS.format(p=p),
            insert_index=_index.insert_sql(postgres=False),
            upsert_rollups=_rollups.upsert_sql(postgres=False),
        )
    if name == "postgresql":
        p = "%s"
        return DialectSQL(
            insert_spans=(
                f"INSERT INTO spans ({_SPAN_COLS}) VALUES ({_marks(p, 11)}, %s::jsonb, "
                f"{_marks(p, 3)}) ON CONFLICT DO NOTHING"
            ),
            upsert_traces=(
                f"INSERT INTO traces ({_TRACE_COLS}) VALUES ({_marks(p, 21)}) "
                "ON CONFLICT (trace_id) DO UPDATE SET "
                + _UPSERT_SET.format(least="LEAST", greatest="GREATEST")
            ),
            recount_trace=_recount(p),
            recount_params=7,
            postgres=True,
            set_totals=_SET_TOTALS.format(p=p),
            insert_index=_index.insert_sql(postgres=True),
            upsert_rollups=_rollups.upsert_sql(postgres=True),
        )
    raise ValueError(f"unsupported database dialect {name!r}")


# SQLite's default limit on bound parameters per statement (999 before 3.32).
_SQLITE_MAX_VARIABLES = 32_766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


_INT64 = range(-(2**63), 2**63)

# Bound payload bytes per multi-row statement (see DialectSQL.write_rows).
_STATEMENT_BYTES = 4 * 1024 * 1024


def _chunks(
    rows: Sequence[tuple[Any, ...]], per: int, sized: tuple[int, ...]
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """``rows`` in runs of at most ``per`` rows and, over the ``sized`` columns, ~4 MB."""
    if not sized:
        for i in range(0, len(rows), per):
            yield rows[i : i + per]
        return
    start = size = 0
    for i, row in enumerate(rows):
        n = 0
        for column in sized:
            n += len(row[column])
        if i > start and (i - start >= per or size + n > _STATEMENT_BYTES):
            yield rows[start:i]
            start, size = i, 0
        size += n
    yield rows[start:]


@functools.lru_cache(maxsize=64)
def _multi_row(sql: str, n: int) -> str:
    """``sql``'s one ``VALUES (...)`` group repeated ``n`` times."""
    head, rest = sql.split(" VALUES ", 1)
    end = rest.index(")") + 1
    return f"{head} VALUES {', '.join([rest[:end]] * n)}{rest[end:]}"


def _marks(p: str, n: int) -> str:
    return ", ".join([p] * n)


def _recount(p: str) -> str:
    return _RECOUNT.format(p=p)


def percentile_columns(duration: Any, partition: Any) -> list[Any]:
    """Window columns for nearest-rank percentiles: row number and group size."""
    return [
        func.row_number().over(partition_by=partition, order_by=duration).label("rn"),
        func.count().over(partition_by=partition).label("cnt"),
    ]
