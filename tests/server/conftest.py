"""Fixtures: an in-memory store, a TestClient over the app, and a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from prodready.server import create_app
from prodready.store import Store

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


class LiveServer:
    """A uvicorn server on a free 127.0.0.1 port, running in a background thread."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(store), log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real HTTP server over a SQLite file (shared by the server's worker threads)."""
    store = Store(f"sqlite:///{tmp_path}/prodready.db")
    with LiveServer(store) as server:
        yield server
    store.close()
