"""Opening stores: URLs, defaults, migrations, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from prodready.store import Store, StoreError, resolve_url


def test_default_url_is_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
    assert resolve_url() == "sqlite:///.prodready/prodready.db"


def test_env_var_overrides_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODREADY_STORE_URL", "sqlite:///x.db")
    assert resolve_url() == "sqlite:///x.db"


def test_postgres_urls_use_psycopg3() -> None:
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="unsupported store URL 'mysql://x'"):
        Store("mysql://x")


def test_sqlite_file_and_parent_directory_are_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "p.db"
    with Store(f"sqlite:///{path}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert path.exists()


def test_migrate_false_leaves_a_blank_database_blank(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/b.db", migrate=False)
    assert store.revision() is None
    assert store.migrate() == store.head_revision()
    assert {"traces", "spans", "alembic_version"} <= set(inspect(store.engine).get_table_names())


def test_migrate_is_idempotent(store: Store) -> None:
    assert store.migrate() == store.migrate() == store.head_revision()


def test_errors_never_show_the_password() -> None:
    with pytest.raises(StoreError) as err:
        Store("mysql://me:s3cret@db/x")
    assert "s3cret" not in str(err.value)


def test_ephemeral_store_is_a_temp_file_removed_on_close() -> None:
    store = Store("sqlite://")
    path = Path(store.url.removeprefix("sqlite:///"))
    assert path.exists() and store.url != "sqlite://"
    store.close()
    assert not path.exists()


def test_ephemeral_store_keeps_concurrent_writers_isolated() -> None:
    import threading

    from prodready.store import SpanRecord

    store = Store("sqlite://")

    def write(t: int) -> None:
        for i in range(30):
            store.write_spans(
                [
                    SpanRecord(
                        trace_id=f"{t:02x}{i:030x}",
                        span_id="1" * 16,
                        parent_span_id=None,
                        name="s",
                        kind="step",
                        start_ns=1,
                        end_ns=2,
                    )
                ]
            )

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.info().trace_count == 120
    store.close()


def test_redact_url_hides_the_password_and_passes_other_text_through() -> None:
    from prodready.store import redact_url

    assert redact_url("postgresql://ann:secret@db/x") == "postgresql://ann:***@db/x"
    assert redact_url("not a url") == "not a url"
