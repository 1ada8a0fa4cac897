"""evaluation tables: now the evaluation branch's (an empty revision of the store branch)

Until the migration branches, this revision created the evaluation pillar's tables (datasets,
dataset_versions, case_contents, dataset_cases, candidate_cases, eval_runs, eval_results,
scores, eval_cache) and ``review_tasks``. They now belong to their pillars' branches, beside
their code: ``prodready/evaluation/migrations/versions/evaluation_0001_tables.py`` creates the
evaluation tables (or adopts them in a database this revision made), and the ``tasks``
branch (``prodready/tasks/migrations/versions/tasks_0001_*``) ``review_tasks``. The revision
stays, empty, so databases at 0003..0007 keep a known place in the store branch.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
