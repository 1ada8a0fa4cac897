"""tasks: ``review_tasks`` becomes ``human_tasks``, with claims, leases and decisions

The review queue's table becomes the core human-task table that review and escalations share
(``prodready.tasks``). Every row is kept. New columns, all nullable or defaulted:

- ``reason``, ``score``: why a human is needed, and the score that asked for one;
- ``decisions``: the decisions a human may take (a JSON list; NULL: any);
- ``claimed_by``, ``claimed_at_ns``, ``lease_expires_at_ns``, ``attempts``: who works on the
  task, until when, and how many times it was claimed;
- ``decision``: the decision taken (the resolution keeps its detail).

Rows resolved before this revision get the decision their resolution records: a label's
verdict (``pass``/``fail``), a candidate's fate (``confirm``/``reject``), a ``decision`` or
``action`` the caller gave; expired rows get their default action, taken by ``system``.
Indexes: ``ix_review_status`` becomes ``ix_human_tasks_queue`` (claim-next and listing),
plus ``ix_human_tasks_due`` (overdue tasks) and ``ix_human_tasks_run`` (a run's tasks).

Revision ID: tasks_0002
Revises: tasks_0001
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "tasks_0002"
down_revision = "tasks_0001"
branch_labels = None
depends_on = None

OLD, NEW = "review_tasks", "human_tasks"
NEW_COLUMNS = ("reason", "score", "decisions", "claimed_by", "claimed_at_ns",
               "lease_expires_at_ns", "attempts", "decision")  # fmt: skip
SYSTEM = "system"


def upgrade() -> None:
    op.drop_index("ix_review_status", table_name=OLD)
    op.rename_table(OLD, NEW)
    _rename_primary_key(OLD, NEW)
    for column in _new_columns():
        op.add_column(NEW, column)
    _backfill_decisions()
    op.create_index("ix_human_tasks_queue", NEW, ["status", "kind", "created_at_ns"])
    op.create_index("ix_human_tasks_due", NEW, ["status", "due_at_ns"])
    op.create_index("ix_human_tasks_run", NEW, ["run_id"])


def downgrade() -> None:
    for name in ("ix_human_tasks_run", "ix_human_tasks_due", "ix_human_tasks_queue"):
        op.drop_index(name, table_name=NEW)
    # Tasks claimed meanwhile are open again for the old code, which knows no claims.
    op.execute(sa.text(f"UPDATE {NEW} SET status = 'open' WHERE status = 'claimed'"))
    with op.batch_alter_table(NEW) as batch:
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
    op.rename_table(NEW, OLD)
    _rename_primary_key(NEW, OLD)
    op.create_index("ix_review_status", OLD, ["status", "kind", "created_at_ns"])


def _new_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("reason", sa.Text),
        sa.Column("score", sa.Float),
        sa.Column("decisions", sa.Text),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_at_ns", sa.BigInteger),
        sa.Column("lease_expires_at_ns", sa.BigInteger),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decision", sa.Text),
    ]


def _rename_primary_key(old: str, new: str) -> None:
    """PostgreSQL names the key after the table (``review_tasks_pkey``): follow the rename."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    name = sa.inspect(bind).get_pk_constraint(new).get("name")
    if name == f"{old}_pkey":
        op.execute(sa.text(f'ALTER TABLE {new} RENAME CONSTRAINT "{name}" TO "{new}_pkey"'))


def _backfill_decisions() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text(
            f"UPDATE {NEW} SET decision = default_action, "
            f"resolved_by = COALESCE(resolved_by, '{SYSTEM}') WHERE status = 'expired'"
        )
    )
    done = bind.execute(
        sa.text(f"SELECT id, resolution FROM {NEW} WHERE status = 'done' AND decision IS NULL")
    ).all()
    for task_id, resolution in done:
        decision = _decision(resolution)
        if decision is not None:
            bind.execute(
                sa.text(f"UPDATE {NEW} SET decision = :decision WHERE id = :id"),
                {"decision": decision, "id": task_id},
            )


def _decision(resolution: str | None) -> str | None:
    """The decision a resolution written before this revision records, if any."""
    try:
        detail: Any = json.loads(resolution) if resolution else None
    except ValueError:
        return None
    if not isinstance(detail, dict):
        return None
    action = detail.get("action")
    if action in ("confirmed", "rejected"):
        return "confirm" if action == "confirmed" else "reject"
    if isinstance(detail.get("passed"), bool):
        return "pass" if detail["passed"] else "fail"
    for key in ("decision", "action"):
        if isinstance(detail.get(key), str) and detail[key]:
            return str(detail[key])
    return None
