"""monitoring: alert rules, their states per group, events (firings and resolutions) and
webhook deliveries

Revision ID: monitoring_0001
Revises: (first of the monitoring branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "monitoring_0001"
down_revision = None
branch_labels = ("monitoring",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("updated_at_ns", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "alert_states",
        sa.Column("rule", sa.String(200), primary_key=True),
        sa.Column("group_key", sa.String(500), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("since_ns", sa.BigInteger, nullable=False),
        sa.Column("checked_at_ns", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(32)),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("group_key", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("dedup_key", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at_ns", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_alert_events_at", "alert_events", ["at_ns"])
    op.create_index("ix_alert_events_rule", "alert_events", ["rule", "at_ns"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("webhook", sa.String(200), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("at_ns", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_alert_deliveries_event", "alert_deliveries", ["event_id"])


def downgrade() -> None:
    for table in ("alert_deliveries", "alert_events", "alert_states", "alert_rules"):
        op.drop_table(table)
