"""A prototype of the fix proposed for the slow trace filters, measured by ``bench_query``.

Nothing here changes prodready: the schema change is applied to a *copy* of the cached
benchmark database, and the query change is patched onto one ``Store`` instance in the
benchmark process. The real fix is a migration plus changes in ``prodready.store``; once it
has landed, set ``ENABLED = False`` (or delete this module and its two call sites).

1. ``kind`` filter: a per-trace bitmask of the span kinds it contains (``traces.kind_mask``,
   OR-merged by the trace upsert like ``error_count`` is summed), so the filter reads the
   trace row instead of probing every span of every candidate trace. Skipped when the store
   already has the column (migration 0004).
2. ``attributes`` filter (SQLite): the JSON path inlined as a SQL literal, a substring
   pre-check on the stored JSON (the store writes it with orjson, so an exact match contains
   ``"key":value`` verbatim) before ``json_extract``, and partial expression indexes on the
   hottest keys, led by ``trace_id`` so the writer's inserts stay grouped per trace.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

import orjson

ENABLED = True
HOT_ATTRIBUTE_KEYS = ("prodready.intent.name", "gen_ai.tool.name")


def kind_bits() -> dict[str, int]:
    """One bit per prodready span kind: the store's own bits once it has them."""
    from prodready.tracing import kinds

    native: dict[str, int] | None = getattr(kinds, "KIND_BITS", None)
    if native is not None:
        return dict(native)
    return {kind: 1 << i for i, kind in enumerate(sorted(kinds.SPAN_KINDS))}


def _json_path(key: str) -> str:
    return f"json_extract(attributes, '$.\"{key}\"')"


def index_ddl() -> list[str]:
    """The proposed CREATE INDEX statements (also what the report prints)."""
    return [
        f"CREATE INDEX IF NOT EXISTS ix_spans_attr_{key.replace('.', '_')} ON spans "
        f"(trace_id, {_json_path(key)}) WHERE {_json_path(key)} IS NOT NULL"
        for key in HOT_ATTRIBUTE_KEYS
    ]


KIND_MASK_DDL = "ALTER TABLE traces ADD COLUMN kind_mask BIGINT NOT NULL DEFAULT 0"


def native_kind_mask() -> bool:
    """True once the store itself keeps ``traces.kind_mask`` (the fix has landed)."""
    from prodready.store.schema import traces

    return "kind_mask" in traces.c


def apply_schema(path: str) -> None:
    """Add the proposed schema to a copy of a database already migrated to the newest
    revision: ``traces.kind_mask`` (backfilled) unless the store has it, and the indexes."""
    case = " ".join(f"WHEN '{kind}' THEN {bit}" for kind, bit in kind_bits().items())
    conn = sqlite3.connect(path)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(traces)")}
        if "kind_mask" not in columns:
            _add_kind_mask(conn, case)
        for ddl in index_ddl():
            conn.execute(ddl)
        conn.commit()
    finally:
        conn.close()


def _add_kind_mask(conn: sqlite3.Connection, case: str) -> None:
    conn.execute(KIND_MASK_DDL)
    conn.executescript(
        "CREATE TEMP TABLE masks (trace_id TEXT PRIMARY KEY, mask INTEGER) WITHOUT ROWID;"
        f"INSERT INTO masks SELECT trace_id, sum(DISTINCT CASE kind {case} ELSE 0 END) "
        "FROM spans GROUP BY trace_id;"
        "UPDATE traces SET kind_mask = "
        "(SELECT mask FROM masks WHERE masks.trace_id = traces.trace_id);"
    )


def patch_store(store: Any) -> None:
    """Make this store instance query with the proposed conditions (SQLite only)."""
    from sqlalchemy import and_, func, literal_column

    from prodready.store.schema import spans

    class ProposedSQL(type(store._sql)):  # type: ignore[misc]
        def attr_equals(self, key: str, value: Any) -> Any:
            if '"' in key:
                raise ValueError(f"attribute names cannot contain '\"': {key!r}")
            path = literal_column("'" + f'$."{key}"'.replace("'", "''") + "'")
            extracted = func.json_extract(spans.c.attributes, path)
            typ = func.json_type(spans.c.attributes, path)
            if isinstance(value, bool):
                needle = orjson.dumps(key).decode() + ":" + ("true" if value else "false")
                check = typ == ("true" if value else "false")
            elif isinstance(value, int | float):
                needle = orjson.dumps(key).decode() + ":"  # 1 and 1.0 must both match
                check = and_(extracted == value, typ.in_(("integer", "real")))
            else:
                needle = orjson.dumps(key).decode() + ":" + orjson.dumps(value).decode()
                check = and_(extracted == value, typ == "text")
            return and_(func.instr(spans.c.attributes, needle) > 0, check)

    fields = {f.name: getattr(store._sql, f.name) for f in dataclasses.fields(store._sql)}
    store._sql = ProposedSQL(**fields)
    if native_kind_mask():
        return
    original = store._trace_filters
    bits = kind_bits()

    def trace_filters(query: Any) -> list[Any]:
        where: list[Any] = original(query.model_copy(update={"kind": None}))
        if query.kind is not None:
            mask = literal_column("traces.kind_mask")
            where.append(mask.op("&")(bits.get(query.kind, 0)) != 0)
        return where

    store._trace_filters = trace_filters
