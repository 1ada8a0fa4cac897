"""`prodready store migrate|info|prune`, and how every command opens the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from prodready.store import Store
from tests.cli.conftest import Invoke, Seeded
from tests.cli.factories import T1, T2

HEADS = Store("sqlite://", migrate=False).db.heads()  # one migration branch per pillar
HEAD = HEADS["store"]


def test_migrate_creates_a_blank_store(cli: Invoke, tmp_path: Path) -> None:
    result = cli("--store", f"sqlite:///{tmp_path}/new.db", "store", "migrate")
    assert result.exit_code == 0, result.output
    moves = ", ".join(f"{label} none -> {head}" for label, head in HEADS.items())
    assert f"new.db: {moves}\n" in result.stdout
    assert Store(f"sqlite:///{tmp_path}/new.db", migrate=False).db.revisions() == HEADS


def test_migrate_twice_says_already_up_to_date(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "migrate")
    moves = ", ".join(f"{label} {head} -> {head}" for label, head in HEADS.items())
    assert result.exit_code == 0 and f"{moves}  (already up to date)" in result.stdout


def test_migrate_names_each_branch_it_moves(cli: Invoke, seeded: Seeded) -> None:
    with Store(seeded.url, migrate=False) as store:
        store.db.downgrade("evaluation_0001")
    result = cli("--store", seeded.url, "store", "migrate")
    assert result.exit_code == 0, result.output
    assert f"evaluation evaluation_0001 -> {HEADS['evaluation']}" in result.stdout
    assert f"store {HEAD} -> {HEAD}, dashboard" in result.stdout
    assert "already up to date" not in result.stdout


def test_info_shows_url_revision_and_counts(cli: Invoke, seeded: Seeded) -> None:
    out = cli("--store", seeded.url, "store", "info").stdout
    assert f"URL       {seeded.url}" in out and "Dialect   sqlite" in out
    lines = [f"store {HEAD} (head)"] + [
        f"          {label} {head} (head)" for label, head in HEADS.items() if label != "store"
    ]
    assert "Revision  " + "\n".join(lines) + "\n" in out
    assert "Traces    3" in out and "Spans     19" in out


def test_info_json_is_store_info(cli: Invoke, seeded: Seeded) -> None:
    info = json.loads(cli("--store", seeded.url, "store", "info", "--json").stdout)
    assert (info["trace_count"], info["span_count"], info["revision"]) == (3, 19, HEAD)
    assert info["revisions"] == info["heads"] == HEADS
    assert info["oldest_start_ns"] < info["newest_start_ns"] <= seeded.now_ns


def test_info_on_blank_database_reports_no_revision_without_migrating(
    cli: Invoke, tmp_path: Path
) -> None:
    sqlite3.connect(tmp_path / "blank.db").close()
    url = f"sqlite:///{tmp_path}/blank.db"
    result = cli("--store", url, "store", "info")
    assert result.exit_code == 0, result.output
    for label, head in HEADS.items():
        assert f"{label} none (head is {head}: run `prodready store migrate`)" in result.stdout
    assert Store(url, migrate=False).revision() is None


def test_prune_with_yes_deletes_old_traces(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "prune", "--older-than", "7d", "--yes")
    assert result.exit_code == 0, result.output
    assert "Deleted 1 traces" in result.stdout
    with Store(seeded.url) as store:
        assert {t.trace_id for t in store.list_traces()} == {T1, T2}


def test_prune_asks_and_keeps_everything_on_no(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "prune", "--older-than", "1h", input="n\n")
    assert result.exit_code == 1
    assert "Delete 2 traces" in result.stdout and "nothing deleted" in result.stderr
    with Store(seeded.url) as store:
        assert store.count_traces() == 3


def test_prune_deletes_after_yes_answer(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "prune", "--older-than", "1h", input="y\n")
    assert result.exit_code == 0 and "Deleted 2 traces" in result.stdout


def test_prune_with_nothing_old_does_not_ask(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "prune", "--older-than", "30d")
    assert result.exit_code == 0 and "nothing to delete" in result.stdout


def test_prune_bad_older_than_exits_2(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "prune", "--older-than", "month", "--yes")
    assert result.exit_code == 2 and "--older-than" in result.stderr and "month" in result.stderr


def test_prune_requires_older_than(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "store", "prune", "--yes")
    assert result.exit_code == 2 and "--older-than" in result.stderr


def test_missing_sqlite_file_exits_2_without_creating_it(cli: Invoke, tmp_path: Path) -> None:
    result = cli("--store", f"sqlite:///{tmp_path}/typo.db", "traces", "list")
    assert result.exit_code == 2
    assert f"no store at {tmp_path}/typo.db" in result.stderr and "--store" in result.stderr
    assert not (tmp_path / "typo.db").exists()


def test_unsupported_store_url_exits_2_naming_it(cli: Invoke) -> None:
    result = cli("--store", "mysql://db/x", "traces", "list")
    assert result.exit_code == 2
    assert "cannot open store URL 'mysql://db/x' (from --store)" in result.stderr
    assert "Traceback" not in result.output


def test_unparseable_store_url_exits_2(cli: Invoke) -> None:
    result = cli("--store", "not a url", "store", "info")
    assert result.exit_code == 2 and "'not a url'" in result.stderr


def test_file_that_is_not_a_database_exits_2(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello " * 1000)
    result = cli("--store", f"sqlite:///{tmp_path}/notes.txt", "store", "info")
    assert result.exit_code == 2 and "not a database" in result.stderr


def test_bad_url_from_environment_says_so(cli: Invoke) -> None:
    result = cli("traces", "list", env={"PRODREADY_STORE_URL": "mysql://db/x"})
    assert result.exit_code == 2 and "(from $PRODREADY_STORE_URL)" in result.stderr


def test_password_is_hidden_in_errors(cli: Invoke) -> None:
    result = cli("--store", "mysql://me:s3cret@db/x", "traces", "list")
    assert result.exit_code == 2 and "s3cret" not in result.output
