"""Database's primitives on SQLite and PostgreSQL: the retrying transaction, insert_ignore,
upsert and the error classes, on a table of the test's own (as a pillar's repository uses them)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from prodready.store import Database, StoreError

_meta = MetaData()
_items = Table(
    "test_db_items",
    _meta,
    Column("id", String(20), primary_key=True),
    Column("name", Text, nullable=False),
    Column("hits", Integer, nullable=False),
)
_unkeyed = Table("test_db_unkeyed", _meta, Column("name", Text))


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = Database(store_url)
    _meta.create_all(database.engine)
    yield database
    _meta.drop_all(database.engine)
    database.close()


def _rows(db: Database) -> dict[str, tuple[str, int]]:
    with db.connect() as conn:
        return {r.id: (r.name, r.hits) for r in conn.execute(select(_items))}


def test_insert_ignore_keeps_the_stored_row_and_adds_the_new(db: Database) -> None:
    with db.begin() as conn:
        db.insert_ignore(conn, _items, [{"id": "a", "name": "first", "hits": 1}])
    with db.begin() as conn:
        db.insert_ignore(
            conn,
            _items,
            [{"id": "a", "name": "second", "hits": 2}, {"id": "b", "name": "new", "hits": 1}],
        )
        db.insert_ignore(conn, _items, [])  # nothing to do is not an error
    assert _rows(db) == {"a": ("first", 1), "b": ("new", 1)}


def test_upsert_updates_the_other_columns_by_primary_key(db: Database) -> None:
    with db.begin() as conn:
        db.upsert(conn, _items, [{"id": "a", "name": "first", "hits": 1}])
        db.upsert(conn, _items, [{"id": "a", "name": "renamed", "hits": 5}])
    assert _rows(db) == {"a": ("renamed", 5)}


def test_upsert_updates_only_the_named_columns(db: Database) -> None:
    with db.begin() as conn:
        db.upsert(conn, _items, [{"id": "a", "name": "first", "hits": 1}])
        db.upsert(conn, _items, [{"id": "a", "name": "ignored", "hits": 7}], update=["hits"])
        db.upsert(conn, _items, [{"id": "a", "name": "ignored", "hits": 9}], update=[])
    assert _rows(db) == {"a": ("first", 7)}  # update=[]: insert if new, else leave it


def test_upsert_without_a_key_is_refused_by_name(db: Database) -> None:
    with db.begin() as conn, pytest.raises(StoreError, match="test_db_unkeyed"):
        db.upsert(conn, _unkeyed, [{"name": "x"}])


def test_transaction_runs_again_after_a_key_clash_and_commits_once(db: Database) -> None:
    attempts = 0

    def work(conn: Connection) -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:  # as if a concurrent writer took the key between read and write
            with db.begin() as other:
                other.execute(_items.insert(), {"id": "a", "name": "theirs", "hits": 1})
        taken = conn.execute(select(_items.c.id)).scalars().all()
        new_id = "b" if "a" in taken else "a"
        if attempts == 1:
            new_id = "a"  # decided before the clash was visible: fails with IntegrityError
        conn.execute(_items.insert(), {"id": new_id, "name": "ours", "hits": attempts})
        return new_id

    assert db.transaction(work, retry_on_conflict=3) == "b"
    assert attempts == 2
    assert _rows(db) == {"a": ("theirs", 1), "b": ("ours", 2)}


def test_transaction_gives_up_after_its_retries_and_writes_nothing(db: Database) -> None:
    with db.begin() as conn:
        conn.execute(_items.insert(), {"id": "a", "name": "stored", "hits": 1})
    attempts = 0

    def clash(conn: Connection) -> None:
        nonlocal attempts
        attempts += 1
        conn.execute(_items.insert(), {"id": f"new{attempts}", "name": "partial", "hits": 0})
        conn.execute(_items.insert(), {"id": "a", "name": "again", "hits": 0})

    with pytest.raises(IntegrityError) as caught:
        db.transaction(clash, retry_on_conflict=2)
    assert attempts == 3
    assert Database.is_conflict(caught.value) and not Database.is_unavailable(caught.value)
    assert _rows(db) == {"a": ("stored", 1)}  # every attempt rolled back whole


def test_transaction_does_not_retry_other_errors(db: Database) -> None:
    attempts = 0

    def broken(conn: Connection) -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        db.transaction(broken, retry_on_conflict=5)
    assert attempts == 1


def test_concurrent_insert_ignore_of_one_key_never_fails(store_url: str) -> None:
    setup = Database(store_url)
    _meta.create_all(setup.engine)
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def writer(n: int) -> None:
        db = Database(store_url)
        try:
            barrier.wait()
            for i in range(20):
                with db.begin() as conn:
                    db.insert_ignore(conn, _items, [{"id": f"k{i}", "name": f"w{n}", "hits": n}])
        except BaseException as exc:  # the test reports every failure
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert sorted(_rows(setup)) == sorted(f"k{i}" for i in range(20))
    finally:
        _meta.drop_all(setup.engine)
        setup.close()


def test_an_unreachable_database_is_unavailable_not_a_conflict() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        with pytest.raises(OperationalError) as caught, db.connect():
            pass
        assert Database.is_unavailable(caught.value)
        assert not Database.is_conflict(caught.value)
    finally:
        db.close()
