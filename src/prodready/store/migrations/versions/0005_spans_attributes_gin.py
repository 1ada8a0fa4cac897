"""PostgreSQL: a GIN index over span attributes as JSONB, for attribute-equality filters

``traces list --attr key=value`` parsed every span's JSON text on PostgreSQL: ~100 ms p95 at
200k spans, growing linearly (``benchmarks/bench_query.py --pg``). The filter now asks
``attributes::jsonb @> '{"key": value}'``, which this expression index answers
(``jsonb_path_ops``: containment only, the smallest GIN opclass). The column stays text, so
reads and the SQLite store are unchanged; SQLite keeps its substring pre-check.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "ix_spans_attributes_jsonb"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX {INDEX} ON spans USING gin ((attributes::jsonb) jsonb_path_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX {INDEX}")
