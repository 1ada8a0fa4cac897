"""traces.kind_mask: which span kinds a trace contains, one bit per kind

"Traces with an escalation" was an EXISTS over spans for every candidate trace: fine for
common kinds, ~50 ms at 1M spans for rare ones. A bitmask on the trace row answers it from
the row itself. Bits: ``prodready.vocabulary.kinds.KIND_BITS`` (the ``SpanKind`` order).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copy of KIND_BITS at this revision: a migration must not change with the code.
_KINDS = (
    "agent", "llm", "tool", "retriever", "embedding", "reranker", "classifier", "guardrail",
    "evaluator", "workflow", "step", "compensation", "escalation", "message", "unknown",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.add_column(sa.Column("kind_mask", sa.BigInteger, nullable=False, server_default="0"))
    for bit, kind in enumerate(_KINDS):
        op.execute(
            sa.text(
                "UPDATE traces SET kind_mask = kind_mask | :bit "
                "WHERE trace_id IN (SELECT trace_id FROM spans WHERE kind = :kind)"
            ).bindparams(bit=1 << bit, kind=kind)
        )


def downgrade() -> None:
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("kind_mask")
