"""Overview rollups, the span index and model-call totals on the trace row

- ``traces.llm_calls``, ``input_tokens``, ``output_tokens``, ``cost_usd``: a trace's model
  calls and usage (``prodready.store.llm_totals``' rule), kept at write time instead of
  read from every model span's JSON when a list or stats is shown; backfilled here.
- ``trace_rollups``: per minute (and ten minutes, and hour), release and environment,
  counts, sums and a log-scale latency histogram of the traces that started then (the
  overview's time series); backfilled from ``traces``.
- ``span_index``: text values of the conventions' keys (tool, model, intent, ...), one row
  per span and key, so attribute filters on them do not read span JSON; backfilled from
  ``spans``.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import math
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen copies, as of this revision: a migration must not change with the code.
_INDEXED_KEYS = (
    "gen_ai.tool.name", "tool.name", "gen_ai.request.model", "gen_ai.response.model",
    "llm.model_name", "gen_ai.provider.name", "gen_ai.agent.name",
    "gen_ai.workflow.name", "prodready.intent.name", "prodready.tool.outcome",
    "prodready.guardrail.name", "prodready.guardrail.verdict", "prodready.prompt.version",
    "prodready.case.id", "prodready.eval.run_id", "openinference.span.kind",
)  # fmt: skip
_MAX_INDEXED_CHARS = 256
_LATENCY_BINS = 64
_MINUTE_NS = 60_000_000_000
_WIDTHS = (_MINUTE_NS, 10 * _MINUTE_NS, 60 * _MINUTE_NS)
_ESCALATION_BIT = 1 << 12
_USAGE_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "prodready.llm.cost_usd")
_CHUNK = 2_000


def upgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.add_column(sa.Column("llm_calls", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("input_tokens", sa.BigInteger))
        batch.add_column(sa.Column("output_tokens", sa.BigInteger))
        batch.add_column(sa.Column("cost_usd", sa.Float))
    op.create_table(
        "trace_rollups",
        sa.Column("width_ns", sa.BigInteger, primary_key=True),
        sa.Column("start_ns", sa.BigInteger, primary_key=True),
        sa.Column("release", sa.Text, primary_key=True),
        sa.Column("environment", sa.Text, primary_key=True),
        sa.Column("traces", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("escalations", sa.Integer, nullable=False),
        sa.Column("llm_calls", sa.BigInteger, nullable=False),
        sa.Column("input_tokens", sa.BigInteger, nullable=False),
        sa.Column("output_tokens", sa.BigInteger, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        *(sa.Column(f"lat_{i:02d}", sa.Integer, nullable=False) for i in range(_LATENCY_BINS)),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "span_index",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, primary_key=True),
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("span_id", sa.String(16), primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_span_index_trace", "span_index", ["trace_id"])
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    _backfill_index(conn, postgres)
    _backfill_totals(conn, postgres)
    _backfill_rollups(conn)


def downgrade() -> None:
    op.drop_index("ix_span_index_trace", table_name="span_index")
    op.drop_table("span_index")
    op.drop_table("trace_rollups")
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("cost_usd")
        batch.drop_column("output_tokens")
        batch.drop_column("input_tokens")
        batch.drop_column("llm_calls")


def _backfill_index(conn: Any, postgres: bool) -> None:
    """One pass over the spans, each span's attributes parsed once (``json_each``): with
    KBs of messages per span, one scan per key would read the table once per key."""
    keys = ", ".join(f"'{k}'" for k in _INDEXED_KEYS)  # constants of this file
    if postgres:
        statement = (
            "INSERT INTO span_index (key, value, trace_id, span_id) "
            "SELECT e.key, e.value #>> '{}', s.trace_id, s.span_id "
            "FROM spans s CROSS JOIN LATERAL jsonb_each(s.attributes) AS e "
            f"WHERE e.key IN ({keys}) AND jsonb_typeof(e.value) = 'string' "
            f"AND length(e.value #>> '{{}}') <= {_MAX_INDEXED_CHARS} ON CONFLICT DO NOTHING"
        )
    else:
        statement = (
            "INSERT OR IGNORE INTO span_index (key, value, trace_id, span_id) "
            "SELECT e.key, e.value, s.trace_id, s.span_id FROM spans s, json_each(s.attributes) e "
            f"WHERE e.key IN ({keys}) AND e.type = 'text' "
            f"AND length(e.value) <= {_MAX_INDEXED_CHARS}"
        )
    conn.execute(sa.text(statement))


def _backfill_totals(conn: Any, postgres: bool) -> None:
    """Each trace's model calls, tokens and cost, by the rule of
    ``prodready.store.records.model_sums`` (a pure function of the model spans)."""
    from prodready.store.records import ModelSpan, model_sums

    if postgres:
        usage = "jsonb_build_array(" + ", ".join(f"attributes -> '{k}'" for k in _USAGE_KEYS) + ")"
    else:
        usage = "json_extract(attributes, " + ", ".join(f"'$.\"{k}\"'" for k in _USAGE_KEYS) + ")"
    rows = conn.execute(
        sa.text(
            f"SELECT trace_id, span_id, parent_span_id, scope, start_ns, end_ns, {usage} "
            "FROM spans WHERE kind IN ('llm', 'embedding') ORDER BY trace_id"
        )
    )
    updates: list[dict[str, Any]] = []
    current: str | None = None
    found: list[Any] = []

    def flush() -> None:
        calls, tokens_in, tokens_out, cost = model_sums(found)
        updates.append(
            {
                "tid": current,
                "calls": calls,
                "tin": None if tokens_in is None else int(tokens_in),
                "tout": None if tokens_out is None else int(tokens_out),
                "cost": cost,
            }
        )

    for tid, sid, parent, scope, start, end, raw in rows:
        values = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        if not isinstance(values, list) or len(values) != 3:
            values = [None, None, None]
        if tid != current and found:
            flush()
            found = []
        current = tid
        found.append(ModelSpan(sid, parent, scope, start, end, tuple(values)))
    if found:
        flush()
    statement = sa.text(
        "UPDATE traces SET llm_calls = :calls, input_tokens = :tin, output_tokens = :tout, "
        "cost_usd = :cost WHERE trace_id = :tid"
    )
    for i in range(0, len(updates), _CHUNK):
        conn.execute(statement, updates[i : i + _CHUNK])


def _bin(duration_ns: int) -> int:
    ms = duration_ns / 1e6
    if ms < 1.0:
        return 0
    return min(_LATENCY_BINS - 1, 1 + int(math.log2(ms) * 3))


def _backfill_rollups(conn: Any) -> None:
    sums: dict[tuple[int, int, str, str], list[Any]] = {}
    rows = conn.execute(
        sa.text(
            "SELECT start_ns, duration_ns, status, release, environment, kind_mask, llm_calls, "
            "input_tokens, output_tokens, cost_usd FROM traces"
        )
    )
    for start, duration, status, release, env, mask, calls, tin, tout, cost in rows:
        for width in _WIDTHS:
            key = (width, start - start % width, release or "", env or "")
            row = sums.get(key)
            if row is None:
                row = sums[key] = [0, 0, 0, 0, 0, 0, 0.0] + [0] * _LATENCY_BINS
            row[0] += 1
            row[1] += status == "error"
            row[2] += bool(mask & _ESCALATION_BIT)
            row[3] += calls or 0
            row[4] += tin or 0
            row[5] += tout or 0
            row[6] += cost or 0.0
            row[7 + _bin(duration)] += 1
    names = [
        "traces", "errors", "escalations", "llm_calls", "input_tokens", "output_tokens",
        "cost_usd", *(f"lat_{i:02d}" for i in range(_LATENCY_BINS)),
    ]  # fmt: skip
    statement = sa.text(
        "INSERT INTO trace_rollups (width_ns, start_ns, release, environment, "
        + ", ".join(names)
        + ") VALUES (:width_ns, :start_ns, :release, :environment, "
        + ", ".join(f":{n}" for n in names)
        + ")"
    )
    params = [
        {
            "width_ns": k[0],
            "start_ns": k[1],
            "release": k[2],
            "environment": k[3],
            **dict(zip(names, v, strict=True)),
        }
        for k, v in sums.items()
    ]
    for i in range(0, len(params), _CHUNK):
        conn.execute(statement, params[i : i + _CHUNK])
