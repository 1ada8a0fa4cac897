"""evaluation: each result names the case body it ran (``eval_results.case_content``)

A run remembers its cases whatever they came from (a stored dataset, a file, a list): the
runner stores each case's full body in ``case_contents`` (deduplicated by hash, as dataset
versions do) and each result names it, so ``eval gate RUN`` and the review queue find the
cases a run used without being told. Results stored before this revision have no body; their
cases come from the run's dataset version when it is stored.

Core revision 0006 used to add the column; a database it upgraded has it already, and keeps
it (and its values) as it is.

Revision ID: evaluation_0002
Revises: evaluation_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "evaluation_0002"
down_revision = "evaluation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("eval_results")}
    if "case_content" not in columns:
        op.add_column("eval_results", sa.Column("case_content", sa.String(80)))


def downgrade() -> None:
    with op.batch_alter_table("eval_results") as batch:
        batch.drop_column("case_content")
