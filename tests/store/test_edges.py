"""What the store gives the modules at its edges (issue 11), so none of them imports SQLAlchemy
or touches the engine: ``Database.ping`` for readiness, ``DatabaseError`` and
``UNAVAILABLE_ERRORS`` for errors, ``sqlite_path`` and ``redact_url`` for URLs; and the span
writers' names, which left the public API for ``prodready.store.writing``."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import prodready.store
from prodready.store import (
    UNAVAILABLE_ERRORS,
    Database,
    DatabaseError,
    Store,
    StoreError,
    _traces,
    redact_url,
    sqlite_path,
    writing,
)
from tests.store.factories import agent_trace

MOVED = ["TRACE_ATTRIBUTE_KEYS", "PreparedSpan", "encode_json", "prepare_span"]


def test_ping_passes_when_the_database_answers(store: Store) -> None:
    store.db.ping()


def test_ping_raises_an_unavailable_database_error_when_nothing_listens() -> None:
    # Port 1 refuses at once; pool_pre_ping and the driver's retries do not hide it.
    db = Database("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")
    try:
        with pytest.raises(DatabaseError) as caught:
            db.ping()
    finally:
        db.close()
    assert Database.is_unavailable(caught.value)
    assert isinstance(caught.value, UNAVAILABLE_ERRORS)


def test_ping_fails_on_a_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    target = tmp_path / "store.db"
    target.mkdir()  # a directory where the database file should be
    db = Database(f"sqlite:///{target}")
    try:
        with pytest.raises(DatabaseError) as caught:
            db.ping()
    finally:
        db.close()
    assert Database.is_unavailable(caught.value)


def test_database_error_is_the_base_of_what_the_database_raises(store: Store) -> None:
    """A uniqueness clash is a DatabaseError too, but a conflict, not an outage."""
    from sqlalchemy import select

    from prodready.store.schema import traces

    store.write_spans(agent_trace())
    with store.db.connect() as conn:
        row = dict(conn.execute(select(traces)).mappings().one())
    with pytest.raises(DatabaseError) as caught, store.db.begin() as conn:
        conn.execute(traces.insert(), row)
    assert Database.is_conflict(caught.value)
    assert not Database.is_unavailable(caught.value)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/prodready.db", Path("data/prodready.db")),
        ("sqlite:////tmp/x/prodready.db", Path("/tmp/x/prodready.db")),
        ("sqlite:///~/prodready.db", Path("~/prodready.db").expanduser()),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:shared?mode=memory&uri=true", None),
        ("postgresql+psycopg://ann:secret@db/x", None),
    ],
)
def test_sqlite_path_names_the_file_behind_a_sqlite_url(url: str, path: Path | None) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/var/data/x.db", "'/var/data/x.db'"),
        ("postgresql://ann:secret@db:port/x", "'postgresql://***@db:port/x'"),
    ],
)
def test_sqlite_path_refuses_text_that_is_no_url_without_showing_a_password(
    url: str, shown: str
) -> None:
    with pytest.raises(StoreError, match="is not a URL") as caught:
        sqlite_path(url)
    assert shown in str(caught.value) and "secret" not in str(caught.value)


def test_redact_url_hides_the_password_of_a_url_that_does_not_parse() -> None:
    # A port that is no number made make_url raise ValueError, which escaped redact_url.
    assert redact_url("postgresql://ann:secret@db:port/x") == "postgresql://***@db:port/x"
    assert redact_url("not a url") == "not a url"


def test_display_url_hides_the_password() -> None:
    db = Database("postgresql://ann:secret@127.0.0.1:1/x")
    try:
        assert db.display_url == "postgresql+psycopg://ann:***@127.0.0.1:1/x"
    finally:
        db.close()


def test_the_span_writers_names_are_not_the_public_api() -> None:
    assert not set(MOVED) & set(prodready.store.__all__)
    assert set(writing.__all__) == set(MOVED)
    for name in MOVED:
        assert getattr(writing, name) is getattr(_traces, name), name


@pytest.mark.parametrize("name", MOVED)
def test_the_old_path_still_works_with_a_deprecation_warning(name: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"prodready\.store\.writing\.{name}"):
        value = getattr(prodready.store, name)
    assert value is getattr(writing, name)


def test_from_import_of_an_old_name_warns_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        from prodready.store import encode_json  # noqa: F401
    # importlib asks hasattr() before it reads the name: a warning each, both at this line
    assert seen and {w.category for w in seen} == {DeprecationWarning}
    assert {w.filename for w in seen} == {__file__}


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"prodready\.store.*no_such_name"):
        _ = prodready.store.no_such_name  # type: ignore[attr-defined]


def test_importing_the_public_api_warns_nothing() -> None:
    code = "import warnings; warnings.simplefilter('error'); from prodready.store import *"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_the_database_example_in_the_docs_runs_as_written(store: Store) -> None:
    """docs/store.md, "Database": the primitives a pillar's repository uses, on both databases."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

    doc = (Path(__file__).parents[2] / "docs" / "store.md").read_text(encoding="utf-8")
    section = doc.split("\n## Database\n", 1)[1].split("\n## ", 1)[0]
    example = re.search(r"^```python\n(.*?)^```$", section, re.M | re.S)
    assert example is not None
    table = Table(
        "doc_notes", MetaData(), Column("id", Integer, primary_key=True), Column("text", String)
    )
    with store.db.begin() as conn:
        table.metadata.create_all(conn)
    names = {
        "store": store,
        "table": table,
        "rows": [{"id": 1, "text": "a"}],
        "work": lambda conn: conn.execute(insert(table).values(id=2, text="b")),
        "select": select,
    }
    exec(compile(example[1], "docs/store.md", "exec"), names)
    with store.db.connect() as conn:
        assert conn.execute(select(table).order_by(table.c.id)).all() == [(1, "a"), (2, "b")]
