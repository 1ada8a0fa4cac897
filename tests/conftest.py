"""Shared fixtures: stores on SQLite and PostgreSQL, and tracing that is always shut down."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from prodready.store import Store
from prodready.tracing import _config

PG_URL = os.environ.get("PRODREADY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_schema_url(schema: str, base: str = PG_URL) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if os.environ.get("PRODREADY_TEST_SKIP_PG") == "1":
        pytest.skip("PRODREADY_TEST_SKIP_PG=1")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # a missing server is a failure, not a skip: CI starts it
        pytest.fail(
            f"PostgreSQL at {PG_URL} is not reachable ({exc}); start it or set "
            "PRODREADY_TEST_SKIP_PG=1"
        )
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Each test using it runs once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/prodready.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _no_tracing_leaks() -> Iterator[None]:
    """Every test starts and ends with tracing unconfigured."""
    yield
    _config.shutdown(timeout=5)
