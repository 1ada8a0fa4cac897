"""span_logs: OTLP log records (GenAI events) kept apart from spans, joined when read

OpenTelemetry's GenAI instrumentations send a model call's messages as log records
(``gen_ai.client.inference.operation.details``) carrying the trace and span id of the call,
to ``/v1/logs``, apart from the span. A record may arrive before or after its span (or its
span may never arrive), so records are not folded into ``spans.events`` at write time: they
live in their own table and the read side merges them into their span's events.

The primary key starts with the span's ids, so reading a trace's records is a range of it;
``record_hash`` (a hash of the record as sent) makes an exporter's retry of a batch store
nothing twice. ``time_ns`` is indexed for retention of records whose trace never arrived.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "span_logs",
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("span_id", sa.String(16), primary_key=True),
        sa.Column("record_hash", sa.String(80), primary_key=True),
        sa.Column("time_ns", sa.BigInteger, nullable=False),
        sa.Column("observed_time_ns", sa.BigInteger, nullable=False),
        sa.Column("severity_number", sa.SmallInteger, nullable=False),
        sa.Column("severity_text", sa.Text),
        sa.Column("event_name", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("resource", sa.Text, nullable=False),
        sa.Column("scope", sa.Text),
    )
    op.create_index("ix_span_logs_time", "span_logs", ["time_ns"])


def downgrade() -> None:
    op.drop_table("span_logs")
