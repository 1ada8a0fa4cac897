"""evaluation: each result names the case body it ran (``eval_results.case_content``)

A run remembers its cases whatever they came from (a stored dataset, a file, a list): the
runner stores each case's full body in ``case_contents`` (deduplicated by hash, as dataset
versions do) and each result names it, so ``eval gate RUN`` and the review queue find the
cases a run used without being told. Results stored before this revision have no body; their
cases come from the run's dataset version when it is stored.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("eval_results", sa.Column("case_content", sa.String(80)))


def downgrade() -> None:
    with op.batch_alter_table("eval_results") as batch:
        batch.drop_column("case_content")
