"""traces and spans

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("root_span_id", sa.String(16)),
        sa.Column("start_ns", sa.BigInteger, nullable=False),
        sa.Column("end_ns", sa.BigInteger, nullable=False),
        sa.Column("duration_ns", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("span_count", sa.Integer, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Text),
        sa.Column("user_id", sa.Text),
        sa.Column("release", sa.Text),
        sa.Column("environment", sa.Text),
        sa.Column("service_name", sa.Text),
        sa.Column("resource", sa.Text),
    )
    op.create_index("ix_traces_start", "traces", ["start_ns"])
    op.create_index("ix_traces_session", "traces", ["session_id", "start_ns"])
    op.create_index("ix_traces_user", "traces", ["user_id", "start_ns"])
    op.create_index("ix_traces_release", "traces", ["release", "start_ns"])
    op.create_table(
        "spans",
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("span_id", sa.String(16), primary_key=True),
        sa.Column("parent_span_id", sa.String(16)),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("otel_kind", sa.String(16), nullable=False),
        sa.Column("start_ns", sa.BigInteger, nullable=False),
        sa.Column("end_ns", sa.BigInteger, nullable=False),
        sa.Column("duration_ns", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("links", sa.Text, nullable=False),
        sa.Column("scope", sa.Text),
    )
    op.create_index("ix_spans_start", "spans", ["start_ns"])


def downgrade() -> None:
    op.drop_table("spans")
    op.drop_table("traces")
