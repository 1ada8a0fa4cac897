"""eval_results.case_content: now the evaluation branch's (an empty revision of the store
branch)

Until the migration branches, this revision added ``eval_results.case_content`` (the hash of
the case body each result ran). The column now belongs to the evaluation branch:
``prodready/evaluation/migrations/versions/evaluation_0002_case_content.py`` adds it, unless
this revision already did. The revision stays, empty, so databases at 0006 and 0007 keep a
known place in the store branch.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
