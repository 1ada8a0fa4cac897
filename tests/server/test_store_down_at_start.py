"""``prodready serve`` started while its database is unreachable (issue 10, hardening 4)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from prodready.store import Store
from prodready.testing import TcpProxy
from tests.conftest import PG_URL
from tests.server.builders import PROTOBUF, TRACE_ID, request, span

SERVE = "from prodready.cli import main; main()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(store_url: str) -> Iterator[str]:
    """``prodready serve`` in a subprocess; yields its base URL once it answers."""
    port = free_port()
    argv = [sys.executable, "-c", SERVE, "--store", store_url, "serve", "--port", str(port)]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{url}/healthz").status_code == 200, server)
        yield url
    finally:
        server.terminate()
        server.communicate(timeout=10)


def wait_for(check: object, server: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server is None or server.poll() is None, server.communicate()
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.postgres
def test_serve_starts_with_the_database_down_and_recovers_when_it_returns(pg_url: str) -> None:
    target = urlsplit(PG_URL)
    port = target.port or 5432
    body = request(span("answer")).SerializeToString()
    with TcpProxy((target.hostname or "127.0.0.1", port)) as proxy:
        proxy.down()
        with serving(pg_url.replace(f":{port}/", f":{proxy.port}/")) as url:
            ready = httpx.get(f"{url}/readyz")
            assert ready.status_code == 503 and "Retry-After" in ready.headers
            assert httpx.post(f"{url}/v1/traces", content=body, headers=PROTOBUF).status_code == 503
            proxy.up()
            wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 200)
            assert httpx.post(f"{url}/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    with Store(pg_url) as store:
        assert store.get_trace(TRACE_ID.hex()) is not None


def test_serve_with_a_store_url_that_can_never_work_exits_2_in_one_line() -> None:
    argv = [sys.executable, "-c", SERVE, "--store", "mysql://nowhere/db", "serve"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unsupported store URL" in done.stderr and "Traceback" not in done.stderr
