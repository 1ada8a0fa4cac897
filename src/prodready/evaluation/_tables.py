"""The evaluation pillar's tables, as SQLAlchemy Core objects.

``metadata`` holds exactly the tables of the ``evaluation`` migration branch
(``prodready/evaluation/migrations``: ``evaluation_0001`` creates them, ``evaluation_0002``
adds ``eval_results.case_content``); a test compares it with what the branch's migrations
build (tests/store/test_migrations_branches.py), so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
)

from prodready.evaluation._types import Score

metadata = MetaData()
"""The evaluation branch's tables."""

datasets = Table(
    "datasets",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("description", Text),
    Column("created_at_ns", BigInteger, nullable=False),
    Column("created_by", Text),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("dataset", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_hash", String(80), nullable=False),
    Column("case_count", Integer, nullable=False),
    Column("created_at_ns", BigInteger, nullable=False),
    Column("created_by", Text),
    Column("message", Text),
)

case_contents = Table(
    "case_contents",
    metadata,
    Column("content_hash", String(80), primary_key=True),
    Column("body", Text, nullable=False),
)

dataset_cases = Table(
    "dataset_cases",
    metadata,
    Column("dataset", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("case_id", String(200), primary_key=True),
    Column("content_hash", String(80), nullable=False),
    Column("position", Integer, nullable=False),
)

candidate_cases = Table(
    "candidate_cases",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("dataset", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("provenance", Text, nullable=False),
    Column("created_at_ns", BigInteger, nullable=False),
    Column("created_by", Text),
    Column("reason", Text),
    Column("reviewed_by", Text),
    Column("reviewed_at_ns", BigInteger),
    Index("ix_candidates_dataset", "dataset", "status"),
)

eval_runs = Table(
    "eval_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("name", Text),
    Column("dataset", String(200)),
    Column("dataset_version", Integer),
    Column("dataset_hash", String(80)),
    Column("release", Text),
    Column("criteria", Text),
    Column("config", Text),
    Column("status", String(16), nullable=False),
    Column("verdict", String(16)),
    Column("started_at_ns", BigInteger, nullable=False),
    Column("finished_at_ns", BigInteger),
    Column("summary", Text),
    Index("ix_eval_runs_release", "release", "started_at_ns"),
)

eval_results = Table(
    "eval_results",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("case_id", String(200), primary_key=True),
    Column("repeat", Integer, primary_key=True),
    Column("case_hash", String(80), nullable=False),
    Column("case_content", String(80)),
    Column("trace_id", String(32)),
    Column("output", Text),
    Column("error", Text),
    Column("latency_ms", Float),
    Column("cost_usd", Float),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("cached", Boolean, nullable=False, server_default="0"),
    Column("finished_at_ns", BigInteger, nullable=False),
)

scores = Table(
    "scores",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("trace_id", String(32)),
    Column("span_id", String(16)),
    Column("run_id", String(64)),
    Column("case_id", String(200)),
    Column("repeat", Integer),
    Column("name", Text, nullable=False),
    Column("scorer", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("args", Text, nullable=False),
    Column("layer", String(16), nullable=False),
    Column("value", Float),
    Column("passed", Boolean),
    Column("rationale", Text),
    Column("error", Text),
    Column("author", Text),
    Column("metadata", Text, nullable=False),
    Column("created_at_ns", BigInteger, nullable=False),
    Index("ix_scores_trace", "trace_id"),
    Index("ix_scores_run", "run_id", "case_id"),
    Index("ix_scores_name", "name", "layer"),
)

eval_cache = Table(
    "eval_cache",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("value", Text, nullable=False),
    Column("created_at_ns", BigInteger, nullable=False),
)


def score_from_row(row: Row[Any]) -> Score:
    """The :class:`Score` stored in a ``scores`` row."""
    return Score(
        name=row.name,
        value=row.value,
        passed=row.passed,
        rationale=row.rationale,
        layer=row.layer,
        scorer=row.scorer,
        version=row.version,
        args=orjson.loads(row.args),
        error=row.error,
        metadata=orjson.loads(row.metadata),
        author=row.author,
    )
