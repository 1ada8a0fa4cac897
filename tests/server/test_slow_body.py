"""Slow and stalled OTLP bodies are answered 408 and closed; the server keeps serving.

Issue 10, hardening 3: 400 uploads declaring 1000 bytes and sending 3 were all still open
after 10 s. Loopback only, a few seconds in all.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from prodready.server import create_app
from prodready.store import Store
from tests.server.builders import PROTOBUF, request, span
from tests.server.test_ingest_limits import answer, running, start_upload
from tests.server.test_store_down_at_start import SERVE, free_port, wait_for

STALLED = b"\x0a" + bytes(999)  # declares 1000 bytes; 3 are sent


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/logs", "/v1/metrics"])
def test_stalled_uploads_get_408_and_are_closed_while_other_requests_are_served(
    store: Store, path: str
) -> None:
    app = create_app(store, body_idle_timeout=0.5, body_timeout=30)
    with running(app) as url:
        started = time.monotonic()
        stalled = [start_upload(url, STALLED, sent=3, path=path) for _ in range(100)]
        assert httpx.get(f"{url}/healthz").status_code == 200
        data = request(span()).SerializeToString()
        assert httpx.post(f"{url}/v1/traces", content=data, headers=PROTOBUF).status_code == 200
        answers = [answer(sock) for sock in stalled]
        elapsed = time.monotonic() - started
        closed = [sock.recv(1) == b"" for sock in stalled]
    assert {status for status, _, _ in answers} == {408}
    _, headers, text = answers[0]
    assert headers["connection"] == "close" and all(closed)
    assert b"no request body data for 0.5 s" in text
    assert elapsed < 10  # all within the 0.5 s timeout, give or take a loaded machine
    assert app.state.ingest_budget.held == 0


def test_a_dripping_body_gets_408_at_the_whole_body_deadline(store: Store) -> None:
    app = create_app(store, body_idle_timeout=1, body_timeout=1.5)
    with running(app) as url:
        sock = start_upload(url, STALLED, sent=1)
        stop = threading.Event()

        def drip() -> None:  # one byte every 0.2 s: never idle for 1 s
            for i in range(1, 40):
                if stop.wait(0.2):
                    return
                with contextlib.suppress(OSError):
                    sock.sendall(STALLED[i : i + 1])

        dripper = threading.Thread(target=drip)
        dripper.start()
        started = time.monotonic()
        try:
            status, _, text = answer(sock)
        finally:
            stop.set()
            dripper.join()
    assert status == 408 and b"the request body took more than 1.5 s" in text
    assert time.monotonic() - started < 6


def test_prodready_serve_times_out_stalled_bodies_and_limits_connections(
    tmp_path: object,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-c", SERVE, "--store", f"sqlite:///{tmp_path}/p.db", "serve"]
    argv += ["--port", str(port), "--body-idle-timeout", "0.5", "--limit-concurrency", "4"]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: httpx.get(f"{url}/healthz").status_code == 200, server)
        stalled = start_upload(url, STALLED, sent=3)
        assert answer(stalled)[0] == 408 and stalled.recv(1) == b""
        # Connections that send nothing: uvicorn has no timeout for them, only the limit.
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        wait_for(lambda: httpx.get(f"{url}/healthz").status_code == 503)
        for sock in idle:
            sock.close()
        wait_for(lambda: httpx.get(f"{url}/healthz").status_code == 200)
    finally:
        server.terminate()
        server.communicate(timeout=10)
