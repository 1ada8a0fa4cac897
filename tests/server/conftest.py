"""Fixtures: an in-memory store, a TestClient over the app, and a real uvicorn server."""

from __future__ import annotations

import socket
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from prodready.server import create_app
from prodready.store import Store
from tests.live import LiveServer

with warnings.catch_warnings():
    # Starlette nudges towards httpx2 on import; the suite uses the installed httpx.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store("sqlite://")
    yield s
    s.close()


@pytest.fixture
def down_store() -> Iterator[Store]:
    """A store whose database is unreachable: PostgreSQL on a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = Store(f"postgresql://prodready@127.0.0.1:{port}/none", migrate=False)
    yield down
    down.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real HTTP server over a SQLite file (shared by the server's worker threads)."""
    store = Store(f"sqlite:///{tmp_path}/prodready.db")
    with LiveServer(store) as server:
        yield server
    store.close()
