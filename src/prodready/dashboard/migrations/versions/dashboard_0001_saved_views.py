"""dashboard: saved views of the dashboard's pages

Revision ID: dashboard_0001
Revises: (first of the dashboard branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dashboard_0001"
down_revision = None
branch_labels = ("dashboard",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("page", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
    )
    op.create_index("ux_saved_views_page_name", "saved_views", ["page", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_saved_views_page_name", table_name="saved_views")
    op.drop_table("saved_views")
