"""The human-task table, as a SQLAlchemy Core object with its own ``MetaData``.

``metadata`` is the ``tasks`` migration branch's (``prodready.tasks.migrations``): the
branch's revisions create what is drawn here, and the store's drift test compares the two.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()
"""The tables of the ``tasks`` migration branch."""

human_tasks = Table(
    "human_tasks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("reason", Text),
    Column("score", Float),
    Column("trace_id", String(32)),
    Column("span_id", String(16)),
    Column("run_id", String(64)),
    Column("case_id", String(200)),
    Column("score_name", Text),
    Column("payload", Text, nullable=False),
    Column("decisions", Text),  # JSON list of allowed decisions; NULL: any
    Column("created_at_ns", BigInteger, nullable=False),
    Column("due_at_ns", BigInteger),
    Column("default_action", Text),
    Column("claimed_by", Text),
    Column("claimed_at_ns", BigInteger),
    Column("lease_expires_at_ns", BigInteger),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("decision", Text),
    Column("resolved_at_ns", BigInteger),
    Column("resolved_by", Text),
    Column("resolution", Text),
    # claim-next: the oldest open task of a kind; list by status and kind.
    Index("ix_human_tasks_queue", "status", "kind", "created_at_ns"),
    # expire_overdue: pending tasks whose deadline passed.
    Index("ix_human_tasks_due", "status", "due_at_ns"),
    Index("ix_human_tasks_run", "run_id"),
)
