"""PostgreSQL: span attributes as JSONB, with a GIN index, for attribute-equality filters

``traces list --attr key=value`` parsed every candidate span's JSON text on PostgreSQL:
~100 ms p95 at 200k spans, ~0.5 s at 1M. Stored as JSONB, the filter is containment
(``attributes @> '{"key": value}'``): the GIN index (``jsonb_path_ops``, the smallest opclass,
containment only) finds rare values, and checking a trace's own spans needs no parsing for
common ones. Measured at 1M spans: 24 ms for a value on 0.2% of spans, 1.5 ms for one on
5.5% (``benchmarks/bench_query.py --pg``; an expression index over ``attributes::jsonb``
on the text column was tried first: the planner probes spans per trace for both, and each
probe parses text, 300 ms for the rare value).

SQLite keeps text (its JSON functions parse text anyway) and its substring pre-check.
Upgrading rewrites the spans table on PostgreSQL: minutes for tens of millions of spans.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "ix_spans_attributes"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE spans ALTER COLUMN attributes TYPE jsonb USING attributes::jsonb")
    op.execute(f"CREATE INDEX {INDEX} ON spans USING gin (attributes jsonb_path_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX {INDEX}")
    op.execute("ALTER TABLE spans ALTER COLUMN attributes TYPE text USING attributes::text")
