"""One migration branch per pillar: a database built by the last single-chain release
upgrades without loss, each branch's models match its migrations, each branch goes down
and up again. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from prodready.evaluation.datasets import list_candidates, load_dataset
from prodready.evaluation.review import list_tasks
from prodready.evaluation.runner import load_run, load_run_cases
from prodready.evaluation.scorers import JudgeCache
from prodready.store import Store
from prodready.store._migrations import drift, migration_branches

LEGACY = Path(__file__).parent / "legacy_migrations"
ROWS: dict[str, list[dict[str, Any]]] = json.loads(
    (LEGACY / "rows_1dee490.json").read_text(encoding="utf-8")
)["tables"]
TRACE = "0af7651916cd43dd8448eb211c80319c"
JUDGE_KEY = "sha256:" + "1" * 64
# Primary keys of the release's tables, to read each row back.
KEYS = {
    "traces": ["trace_id"],
    "spans": ["trace_id", "span_id"],
    "span_logs": ["trace_id", "span_id", "record_hash"],
    "datasets": ["name"],
    "dataset_versions": ["dataset", "version"],
    "case_contents": ["content_hash"],
    "dataset_cases": ["dataset", "version", "case_id"],
    "candidate_cases": ["id"],
    "eval_runs": ["run_id"],
    "eval_results": ["run_id", "case_id", "repeat"],
    "scores": ["id"],
    "eval_cache": ["key"],
}


def legacy_database(url: str, revision: str = "0007") -> Store:
    """A database built by release 1dee490's migrations (one chain, every table in it), up to
    ``revision``; the store over it is not migrated."""
    store = Store(url, migrate=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(LEGACY))
    with store.db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return store


def insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    names = ", ".join(f'"{c}"' for c in rows[0])
    params = ", ".join(f":{c}" for c in rows[0])
    with store.db.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), rows)


def stored(store: Store, table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    with store.db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table}"))]
    return {tuple(r[k] for k in KEYS[table]): r for r in rows}


def same(expected: Any, found: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool):
        return bool(expected) == bool(found)
    if isinstance(expected, str) and isinstance(found, dict | list):  # JSONB on PostgreSQL
        return bool(json.loads(expected) == found)
    return bool(expected == found)


def test_a_database_built_by_the_last_release_upgrades_without_loss(store_url: str) -> None:
    old = legacy_database(store_url)
    assert old.db.revisions()["store"] == "0007"
    assert old.db.revisions()["evaluation"] is None  # the release knew one chain only
    for table, rows in ROWS.items():
        insert(old, table, rows)
    old.close()

    store = Store(store_url)  # today's code: every branch to its head

    assert store.db.revisions() == store.db.heads()
    assert set(store.db.heads()) >= {"store", "evaluation"}
    for table, key in KEYS.items():  # every row, every column, as the release wrote it
        found = stored(store, table)
        assert len(found) == len(ROWS[table]), table
        for row in ROWS[table]:
            got = found[tuple(row[k] for k in key)]
            wrong = {c: (v, got[c]) for c, v in row.items() if not same(v, got[c])}
            assert not wrong, (table, wrong)

    trace = store.get_trace(TRACE)  # and through the public API
    assert trace is not None
    assert [s.name for s in trace.spans] == ["answer", "chat"]
    [chat] = [s for s in trace.spans if s.name == "chat"]
    assert [e["name"] for e in chat.events] == ["gen_ai.client.inference.operation.details"]
    dataset = load_dataset(store, "support")
    assert (dataset.version, [c.id for c in dataset.cases]) == (1, ["c1", "c2"])
    assert dataset.cases[0].expected.facts == ["refunds"]
    run = load_run(store, "run_legacy")
    assert [(r.case_id, r.output, r.scores[0].passed) for r in run.results] == [
        ("c1", "yes", True),
        ("c2", "yes", True),
    ]
    cases = load_run_cases(store, "run_legacy")
    assert cases is not None and [c.id for c in cases] == ["c1", "c2"]
    [candidate] = list_candidates(store, "support")
    assert candidate.case.provenance == f"trace:{TRACE}"
    assert JudgeCache(store=store).get(JUDGE_KEY) == {"passed": True, "rationale": "ok"}
    [task] = list_tasks(store)
    assert (task.title, task.run_id, task.case_id, task.payload) == (
        "check c1",
        "run_legacy",
        "c1",
        {"why": "low"},
    )

    with store.db.connect() as conn:
        assert drift(conn) == {b.label: [] for b in migration_branches()}
    store.close()


def test_a_database_from_before_case_content_gets_the_column(store_url: str) -> None:
    # The release's 0003 made the evaluation tables, its 0006 added case_content: a database
    # at 0005 has the tables (adopted by evaluation_0001) but not the column.
    old = legacy_database(store_url, "0005")
    result = {k: v for k, v in ROWS["eval_results"][0].items() if k != "case_content"}
    insert(old, "eval_results", [result])
    old.close()
    with Store(store_url) as store:
        assert store.db.revisions() == store.db.heads()
        [row] = stored(store, "eval_results").values()
        assert (row["case_id"], row["case_content"]) == ("c1", None)
        with store.db.connect() as conn:
            assert drift(conn)["evaluation"] == []


def test_every_branch_matches_its_models_after_a_blank_upgrade(store: Store) -> None:
    assert store.db.revisions() == store.db.heads()
    with store.db.connect() as conn:
        differences = drift(conn)
    assert set(differences) == {b.label for b in migration_branches()}
    assert differences == {label: [] for label in differences}


def test_drift_is_seen(store: Store) -> None:
    # The comparison the test above relies on does find a difference when there is one.
    with store.db.begin() as conn:
        conn.execute(text("ALTER TABLE eval_cache ADD COLUMN extra INTEGER"))
        conn.execute(text("DROP INDEX ix_spans_start"))
    with store.db.connect() as conn:
        differences = drift(conn)
    assert [d[0] for d in differences["evaluation"]] == ["remove_column"]
    assert [(d[0], d[1].name) for d in differences["store"]] == [("add_index", "ix_spans_start")]


@pytest.mark.parametrize("label", [b.label for b in migration_branches()])
def test_each_branch_goes_down_to_base_and_up_again(store_url: str, label: str) -> None:
    with Store(store_url) as store:
        branch = next(b for b in migration_branches() if b.label == label)
        others = {k: v for k, v in store.db.heads().items() if k != label}
        after = store.db.downgrade(f"{label}@base")
        assert after[label] is None
        assert {k: v for k, v in after.items() if k != label} == others
        with store.db.connect() as conn:
            left = set(inspect(conn).get_table_names())
        assert not (set(branch.metadata.tables) & left)
        assert store.db.migrate() == store.db.heads()
        with store.db.connect() as conn:
            assert drift(conn)[label] == []


def test_opening_a_store_at_every_head_runs_no_migration(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(store_url).close()

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("Alembic's upgrade ran for a database at every head")

    monkeypatch.setattr(command, "upgrade", refuse)
    with Store(store_url) as store:
        assert store.revision() == store.head_revision()


def test_a_revision_from_a_newer_prodready_is_refused_by_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/newer.db"
    with Store(url) as store, store.db.begin() as conn:
        conn.execute(
            text(
                "UPDATE alembic_version SET version_num = 'evaluation_0099' "
                "WHERE version_num LIKE 'evaluation%'"
            )
        )
    from prodready.store import StoreError

    with pytest.raises(StoreError, match="evaluation_0099, which this version"):
        Store(url)
    with Store(url, migrate=False) as store:
        assert store.db.revisions()["evaluation"] == "evaluation_0099"


# --- where branches come from ------------------------------------------------------------


def _branches_with(monkeypatch: pytest.MonkeyPatch, eps: list[Any]) -> list[tuple[str, str]]:
    from prodready.store import _migrations

    monkeypatch.setattr(_migrations, "entry_points", lambda group: eps)
    _migrations.migration_branches.cache_clear()
    try:
        return [(b.label, b.module) for b in _migrations.migration_branches()]
    finally:
        _migrations.migration_branches.cache_clear()


def test_prodready_pillars_are_found_without_package_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stale editable install or a source tree on PYTHONPATH has no entry points of ours:
    # the pillars' tables must not silently go missing (they did, once: "no such table").
    assert _branches_with(monkeypatch, []) == [
        ("store", "prodready.store.migrations"),
        ("dashboard", "prodready.dashboard.migrations"),
        ("evaluation", "prodready.evaluation.migrations"),
        ("monitoring", "prodready.monitoring.migrations"),
        ("tasks", "prodready.tasks.migrations"),
    ]


def test_a_package_outside_prodready_adds_a_branch_by_entry_point(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from importlib.metadata import EntryPoint

    pkg = tmp_path / "acme_agent" / "migrations"
    (pkg / "versions").mkdir(parents=True)
    (tmp_path / "acme_agent" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from sqlalchemy import MetaData\nmetadata = MetaData()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = EntryPoint("acme", "acme_agent.migrations", "prodready.migrations")
    old = EntryPoint("tasks", "prodready.tasks.migrations", "prodready.migrations")
    found = _branches_with(monkeypatch, [ep, old])  # an older install's own entry: ignored
    assert found[-1] == ("acme", "acme_agent.migrations")
    assert [label for label, _ in found] == [
        "store",
        "dashboard",
        "evaluation",
        "monitoring",
        "tasks",
        "acme",
    ]


@pytest.mark.parametrize("label", ["store", "evaluation"])
def test_an_entry_point_cannot_take_a_pillars_label(
    monkeypatch: pytest.MonkeyPatch, label: str
) -> None:
    from importlib.metadata import EntryPoint

    from prodready.store import StoreError

    ep = EntryPoint(label, "somewhere_else.migrations", "prodready.migrations")
    with pytest.raises(StoreError, match=rf"label '{label}' is taken"):
        _branches_with(monkeypatch, [ep])
