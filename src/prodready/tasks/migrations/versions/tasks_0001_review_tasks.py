"""tasks: the review queue's table, ``review_tasks``, created or adopted

Until the tasks branch existed, core revision 0003 created ``review_tasks`` along with the
evaluation tables. A database built then already has it (with its rows): this revision adopts
it as it is, after checking its columns. A blank database gets it here, exactly as 0003 made
it; ``tasks_0002`` then turns it into ``human_tasks``.

Revision ID: tasks_0001
Revises: (first of the tasks branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tasks_0001"
down_revision = None
branch_labels = ("tasks",)
depends_on = None

TABLE = "review_tasks"
COLUMNS = frozenset(
    {
        "id", "kind", "status", "title", "trace_id", "span_id", "run_id", "case_id",
        "score_name", "payload", "created_at_ns", "due_at_ns", "default_action",
        "resolved_at_ns", "resolved_by", "resolution",
    }
)  # fmt: skip


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if inspector.has_table(TABLE):
        found = {c["name"] for c in inspector.get_columns(TABLE)}
        missing = sorted(COLUMNS - found)
        if missing:
            raise RuntimeError(
                f"cannot adopt the existing table {TABLE}: it lacks columns {missing} "
                "(it was not made by prodready's migration 0003)"
            )
        if "ix_review_status" not in {ix["name"] for ix in inspector.get_indexes(TABLE)}:
            op.create_index("ix_review_status", TABLE, ["status", "kind", "created_at_ns"])
        return
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("span_id", sa.String(16)),
        sa.Column("run_id", sa.String(64)),
        sa.Column("case_id", sa.String(200)),
        sa.Column("score_name", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("due_at_ns", sa.BigInteger),
        sa.Column("default_action", sa.Text),
        sa.Column("resolved_at_ns", sa.BigInteger),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolution", sa.Text),
    )
    op.create_index("ix_review_status", TABLE, ["status", "kind", "created_at_ns"])


def downgrade() -> None:
    op.drop_table(TABLE)
