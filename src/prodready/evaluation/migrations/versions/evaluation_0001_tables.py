"""evaluation: datasets and versions, candidate cases, eval runs and results, scores, cache

The first revision of the ``evaluation`` branch. Core revision 0003 used to create these
tables (with ``review_tasks``, now the ``tasks`` branch's); a database it made has them, with
rows, so each table is created only if it is absent, and otherwise adopted: its columns are
checked (a missing one stops the upgrade, naming the table and the columns) and its missing
indexes created. Nothing is dropped or rewritten.

The tables are a frozen copy of what 0003 created: a migration must not change with the code
(``prodready.evaluation._tables`` is the code; the drift test compares the two after every
revision of the branch has run).

Revision ID: evaluation_0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "evaluation_0001"
down_revision = None
branch_labels = ("evaluation",)
depends_on = None

_frozen = sa.MetaData()

TABLES = (
    sa.Table(
        "datasets",
        _frozen,
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
    ),
    sa.Table(
        "dataset_versions",
        _frozen,
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("case_count", sa.Integer, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("message", sa.Text),
    ),
    sa.Table(
        "case_contents",
        _frozen,
        sa.Column("content_hash", sa.String(80), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    ),
    sa.Table(
        "dataset_cases",
        _frozen,
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    ),
    sa.Table(
        "candidate_cases",
        _frozen,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("reviewed_at_ns", sa.BigInteger),
        sa.Index("ix_candidates_dataset", "dataset", "status"),
    ),
    sa.Table(
        "eval_runs",
        _frozen,
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("dataset", sa.String(200)),
        sa.Column("dataset_version", sa.Integer),
        sa.Column("dataset_hash", sa.String(80)),
        sa.Column("release", sa.Text),
        sa.Column("criteria", sa.Text),
        sa.Column("config", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16)),
        sa.Column("started_at_ns", sa.BigInteger, nullable=False),
        sa.Column("finished_at_ns", sa.BigInteger),
        sa.Column("summary", sa.Text),
        sa.Index("ix_eval_runs_release", "release", "started_at_ns"),
    ),
    sa.Table(
        "eval_results",
        _frozen,
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("repeat", sa.Integer, primary_key=True),
        sa.Column("case_hash", sa.String(80), nullable=False),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("latency_ms", sa.Float),
        sa.Column("cost_usd", sa.Float),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cached", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("finished_at_ns", sa.BigInteger, nullable=False),
    ),
    sa.Table(
        "scores",
        _frozen,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("span_id", sa.String(16)),
        sa.Column("run_id", sa.String(64)),
        sa.Column("case_id", sa.String(200)),
        sa.Column("repeat", sa.Integer),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("scorer", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("args", sa.Text, nullable=False),
        sa.Column("layer", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("passed", sa.Boolean),
        sa.Column("rationale", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Index("ix_scores_trace", "trace_id"),
        sa.Index("ix_scores_run", "run_id", "case_id"),
        sa.Index("ix_scores_name", "name", "layer"),
    ),
    sa.Table(
        "eval_cache",
        _frozen,
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
    ),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        if not inspector.has_table(table.name):
            op.create_table(table.name, *(_fresh(column) for column in table.columns))
            present: set[str | None] = set()
        else:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in columns]
            if missing:
                raise RuntimeError(
                    f"evaluation_0001 cannot adopt the existing table {table.name!r}: it lacks "
                    f"the columns {missing} (expected the table core revision 0003 created)"
                )
            present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in present:
                op.create_index(index.name, table.name, [c.name for c in index.columns])


def _fresh(column: sa.Column[Any]) -> sa.Column[Any]:
    """A copy of a frozen column, for a new table (a column belongs to one table)."""
    default = column.server_default
    return sa.Column(
        column.name,
        column.type,
        primary_key=column.primary_key,
        nullable=column.nullable,
        server_default=getattr(default, "arg", None),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table.name)
