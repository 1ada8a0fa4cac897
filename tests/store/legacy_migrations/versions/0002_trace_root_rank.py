"""traces.root_rank: which span names the trace

A trace's name, root span and status come from its best root seen so far: a span with no
parent (rank 2) beats a local root whose parent is in another service (rank 1), which beats
any other span (rank 0). Without the rank, the last service to write a remote-parented root
into a shared store would rename the trace.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.add_column(
            sa.Column("root_rank", sa.SmallInteger, nullable=False, server_default="0")
        )
    op.execute("UPDATE traces SET root_rank = 2 WHERE root_span_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("root_rank")
