"""Fixtures for the dashboard: a seeded store per module (SQLite and PostgreSQL), a client,
and headless Chromium."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from prodready.server.app import create_app
from prodready.store import Store
from tests.conftest import PG_URL, pg_schema_url
from tests.dashboard.seed import seed_monitoring, seed_traces
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, Watched, browser_missing


class Seeded:
    """A store with the seeded traces, and what the tests look for in it."""

    def __init__(self, store: Store, ids: list[str], dialect: str) -> None:
        self.store = store
        self.ids = ids
        self.dialect = dialect


def _pg_schema() -> tuple[str, Any]:
    if os.environ.get("PRODREADY_TEST_SKIP_PG") == "1":
        pytest.skip("PRODREADY_TEST_SKIP_PG=1")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # a missing server is a failure, not a skip: CI starts it
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable ({exc})")
    return schema, admin


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """The seeded store, once per module on each database (the pages only read it, but for
    saved views, which tests delete after themselves)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("dash") / "prodready.db"
        store = Store(f"sqlite:///{path}")
        ids = seed_traces(store)
        seed_monitoring(store, ids)
        yield Seeded(store, ids, "sqlite")
        store.close()
        return
    schema, admin = _pg_schema()
    store = Store(pg_schema_url(schema))
    try:
        ids = seed_traces(store)
        seed_monitoring(store, ids)
        yield Seeded(store, ids, "postgresql")
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.store)) as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, once per module; in CI a missing browser fails
    rather than skips. Not session-wide: Playwright's sync API keeps an event loop running
    in the main thread while it is open, and every later test that runs its own loop
    (asyncio.run, anyio) would fail with "cannot be called from a running event loop"."""
    reason = browser_missing()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def tab(browser: Any, server: LiveServer) -> Iterator[Watched]:
    """A fresh browser context on the module's ``server`` (each browser module defines one),
    watched for console errors, page errors, dialogs and CSP reports."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watched = Watched(page, server)
    yield watched
    context.close()
    server.app.state.csp_reports.clear()
