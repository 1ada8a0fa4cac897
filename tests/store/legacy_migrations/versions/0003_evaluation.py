"""evaluation: datasets and versions, candidate cases, eval runs and results, scores, cache,
review tasks

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("case_count", sa.Integer, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("message", sa.Text),
    )
    op.create_table(
        "case_contents",
        sa.Column("content_hash", sa.String(80), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "dataset_cases",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "candidate_cases",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("reviewed_at_ns", sa.BigInteger),
    )
    op.create_index("ix_candidates_dataset", "candidate_cases", ["dataset", "status"])
    op.create_table(
        "eval_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("dataset", sa.String(200)),
        sa.Column("dataset_version", sa.Integer),
        sa.Column("dataset_hash", sa.String(80)),
        sa.Column("release", sa.Text),
        sa.Column("criteria", sa.Text),
        sa.Column("config", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16)),
        sa.Column("started_at_ns", sa.BigInteger, nullable=False),
        sa.Column("finished_at_ns", sa.BigInteger),
        sa.Column("summary", sa.Text),
    )
    op.create_index("ix_eval_runs_release", "eval_runs", ["release", "started_at_ns"])
    op.create_table(
        "eval_results",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("repeat", sa.Integer, primary_key=True),
        sa.Column("case_hash", sa.String(80), nullable=False),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("latency_ms", sa.Float),
        sa.Column("cost_usd", sa.Float),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cached", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("finished_at_ns", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("span_id", sa.String(16)),
        sa.Column("run_id", sa.String(64)),
        sa.Column("case_id", sa.String(200)),
        sa.Column("repeat", sa.Integer),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("scorer", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("args", sa.Text, nullable=False),
        sa.Column("layer", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("passed", sa.Boolean),
        sa.Column("rationale", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_scores_trace", "scores", ["trace_id"])
    op.create_index("ix_scores_run", "scores", ["run_id", "case_id"])
    op.create_index("ix_scores_name", "scores", ["name", "layer"])
    op.create_table(
        "eval_cache",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at_ns", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "review_tasks",
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
    op.create_index("ix_review_status", "review_tasks", ["status", "kind", "created_at_ns"])


def downgrade() -> None:
    for table in (
        "review_tasks",
        "eval_cache",
        "scores",
        "eval_results",
        "eval_runs",
        "candidate_cases",
        "dataset_cases",
        "case_contents",
        "dataset_versions",
        "datasets",
    ):
        op.drop_table(table)
