"""The tasks migration branch: review_tasks as today's release made it becomes human_tasks
with every row, on SQLite and PostgreSQL; and back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import inspect, text

from prodready.evaluation.review import list_tasks
from prodready.store import Store
from prodready.tasks import SYSTEM, TaskQueue

S = 1_000_000_000
T0 = 1_800_000_000 * S


def _legacy_row(task_id: str, status: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": task_id, "kind": "score_review", "status": status, "title": f"task {task_id}",
        "trace_id": None, "span_id": None, "run_id": "run-1", "case_id": "c1",
        "score_name": "correctness", "payload": json.dumps({"origin": "low_score"}),
        "created_at_ns": T0, "due_at_ns": None, "default_action": None,
        "resolved_at_ns": None, "resolved_by": None, "resolution": None,
    }  # fmt: skip
    row.update(kw)
    if isinstance(row["resolution"], dict):
        row["resolution"] = json.dumps(row["resolution"])
    return row


LEGACY = [
    _legacy_row("a" * 32, "open", due_at_ns=T0 + 60 * S, default_action="keep"),
    _legacy_row("b" * 32, "done", resolved_by="ana", resolved_at_ns=T0 + S,
                resolution={"passed": False, "value": 0.0, "rationale": "wrong"}),
    _legacy_row("c" * 32, "done", kind="candidate_case", resolved_by="dee",
                resolution={"action": "confirmed", "note": "reviewed outside the review queue"}),
    _legacy_row("d" * 32, "done", kind="escalation", resolved_by="bo",
                resolution={"action": "approve"}),
    _legacy_row("e" * 32, "expired", kind="escalation", default_action="reject",
                due_at_ns=T0 + S, resolution={"action": "reject", "due": "2027-01-15T08:00:01"}),
    _legacy_row("f" * 32, "done", kind="escalation", resolved_by="cy", resolution={}),
]  # fmt: skip
COLUMNS = list(LEGACY[0])


def _at_tasks_0001(url: str) -> Store:
    store = Store(url, migrate=False)
    store.db.migrate("tasks_0001")
    with store.db.begin() as conn:
        insert = f"INSERT INTO review_tasks ({', '.join(COLUMNS)}) VALUES "
        conn.execute(text(insert + f"({', '.join(':' + c for c in COLUMNS)})"), LEGACY)
    return store


def test_review_tasks_of_todays_release_become_human_tasks(store_url: str) -> None:
    with _at_tasks_0001(store_url) as old:
        assert old.db.revisions()["tasks"] == "tasks_0001"
    with Store(store_url) as store:  # opening migrates to every head
        assert store.db.revisions() == store.db.heads()
        with store.db.connect() as conn:
            names = set(inspect(conn).get_table_names())
            key = inspect(conn).get_pk_constraint("human_tasks")
        assert key["constrained_columns"] == ["id"]
        if store.db.dialect == "postgresql":  # named after the table, which was renamed
            assert key["name"] == "human_tasks_pkey"
        assert "human_tasks" in names and "review_tasks" not in names
        queue = TaskQueue(store)
        tasks = {t.id[0]: t for t in queue.list()}
        assert sorted(tasks) == list("abcdef")
        for legacy in LEGACY:
            task = tasks[legacy["id"][0]]
            assert (task.kind, task.status, task.title, task.run_id, task.resolved_by or None) == (
                legacy["kind"], legacy["status"], legacy["title"], legacy["run_id"],
                legacy["resolved_by"] or (SYSTEM if legacy["status"] == "expired" else None),
            )  # fmt: skip
            assert (task.attempts, task.claimed_by, task.decisions) == (0, None, None)
            assert task.resolution == (json.loads(legacy["resolution"]) if legacy["resolution"]
                                       else None)  # fmt: skip
        assert {k: t.decision for k, t in tasks.items()} == {
            "a": None, "b": "fail", "c": "confirm", "d": "approve", "e": "reject", "f": None,
        }  # fmt: skip
        # the open one works as any new task: review lists it, a worker claims and decides it
        assert [t.id for t in list_tasks(store)] == ["a" * 32]
        claimed = queue.claim_next("ana", now_ns=T0 + 2 * S)
        assert claimed is not None and claimed.id == "a" * 32
        done = queue.resolve(claimed.id, "keep", by="ana", now_ns=T0 + 3 * S)
        assert (done.status, done.decision) == ("done", "keep")


def test_the_branch_goes_down_and_up_again_keeping_rows(store_url: str) -> None:
    with _at_tasks_0001(store_url) as old:
        old.db.migrate()
        queue = TaskQueue(old)
        queue.claim("a" * 32, "ana", now_ns=T0)
        old.db.downgrade("tasks_0001")
        with old.db.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, status FROM review_tasks")).all())
        assert rows["a" * 32] == "open" and len(rows) == len(LEGACY)  # a claim is undone
        old.db.migrate()
        assert len(queue.list()) == len(LEGACY)
        old.db.downgrade("tasks@base")
        assert old.db.revisions()["tasks"] is None
        old.db.migrate()
        assert queue.list() == []


def test_a_foreign_review_tasks_table_is_not_adopted(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/foreign.db"
    with Store(url, migrate=False) as store:
        with store.db.begin() as conn:
            conn.execute(text("CREATE TABLE review_tasks (id TEXT PRIMARY KEY, note TEXT)"))
        with pytest.raises(RuntimeError, match=r"cannot adopt the existing table review_tasks"):
            store.db.migrate()
