"""Bounded ingest: request bytes in progress past the budget get 503 with Retry-After at once.

Issue 10, hardening 3: four concurrent 16 MiB bodies took 21-28 s each and 350 MB more.
Uploads held open mid-body keep their hold, so these tests count admissions, not time.
"""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from prodready.server import create_app
from prodready.server.ingest import IngestBudget
from prodready.store import Store
from tests.server.builders import PROTOBUF, request, span

PAD = 100_000


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in a thread; yields its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_until(check: Callable[[], object], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def body(trace: int) -> bytes:
    """A valid protobuf request of about PAD bytes, one trace per ``trace``."""
    padded = span(trace_id=trace.to_bytes(16, "big"), attributes={"pad": "x" * PAD})
    return request(padded).SerializeToString()


def start_upload(
    url: str, data: bytes, sent: int, *, path: str = "/v1/traces", extra: str = ""
) -> socket.socket:
    """POST ``data`` to ``path`` over a raw socket, sending only its first ``sent`` bytes."""
    where = urlsplit(url)
    sock = socket.create_connection((where.hostname, where.port), timeout=20)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\n"
        f"Content-Type: application/x-protobuf\r\nContent-Length: {len(data)}\r\n{extra}\r\n"
    )
    sock.sendall(head.encode() + data[:sent])
    return sock


def answer(sock: socket.socket) -> tuple[int, http.client.HTTPMessage, bytes]:
    """The status, headers and body of the response on ``sock``."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, response.msg, response.read()


def test_requests_past_the_budget_get_503_and_retry_after_and_only_the_admitted_are_stored(
    store: Store,
) -> None:
    bodies = [body(i) for i in range(1, 9)]
    app = create_app(store, max_body_bytes=2 * PAD, max_inflight_bytes=3 * len(bodies[0]) + 99)
    budget: IngestBudget = app.state.ingest_budget
    with running(app) as url:
        held = [start_upload(url, b, sent=len(b) // 2) for b in bodies[:3]]
        wait_until(lambda: budget.held == sum(map(len, bodies[:3])))
        refused = [httpx.post(f"{url}/v1/traces", content=b, headers=PROTOBUF) for b in bodies[3:]]
        assert budget.held <= budget.capacity
        for sock, b in zip(held, bodies, strict=False):
            sock.sendall(b[len(b) // 2 :])
        admitted = [answer(sock)[0] for sock in held]
    assert admitted == [200] * 3
    assert [(r.status_code, r.headers.get("retry-after")) for r in refused] == [(503, "1")] * 5
    assert b"request bytes in progress" in refused[0].content
    stored = {i for i in range(1, 9) if store.get_trace(f"{i:032x}") is not None}
    assert stored == {1, 2, 3} and budget.held == 0


@pytest.mark.parametrize("path", ["/v1/logs", "/v1/metrics"])
def test_every_otlp_route_shares_the_budget(store: Store, path: str) -> None:
    held = body(1)
    app = create_app(store, max_body_bytes=2 * PAD, max_inflight_bytes=len(held) + 1000)
    with running(app) as url:
        sock = start_upload(url, held, sent=10)
        wait_until(lambda: app.state.ingest_budget.held == len(held))
        refused = httpx.post(f"{url}{path}", content=bytes(5000), headers=PROTOBUF)
        sock.sendall(held[10:])
        assert answer(sock)[0] == 200
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"


def test_a_client_expecting_100_continue_is_refused_without_sending_its_body(
    store: Store,
) -> None:
    first, second = body(1), body(2)
    app = create_app(store, max_body_bytes=2 * PAD, max_inflight_bytes=len(first) + 1000)
    with running(app) as url:
        sock = start_upload(url, first, sent=10)
        wait_until(lambda: app.state.ingest_budget.held == len(first))
        waiting = start_upload(url, second, sent=0, extra="Expect: 100-continue\r\n")
        status, headers, _ = answer(waiting)  # no 100 Continue, and nothing drained
        sock.sendall(first[10:])
        assert answer(sock)[0] == 200
    assert (status, headers["retry-after"]) == (503, "1")


def test_a_large_refused_body_gets_its_503_not_a_reset_connection(store: Store) -> None:
    first = body(1)
    app = create_app(store, max_inflight_bytes=len(first) + 1000)
    with running(app) as url:
        sock = start_upload(url, first, sent=10)
        wait_until(lambda: app.state.ingest_budget.held == len(first))
        # requests (the OTLP exporter's transport) reads the answer once it has sent 8 MiB
        refused = requests.post(f"{url}/v1/traces", data=bytes(8 << 20), headers=PROTOBUF)
        sock.sendall(first[10:])
        assert answer(sock)[0] == 200
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"


def test_a_chunked_body_holds_each_chunk_as_it_arrives(store: Store) -> None:
    first, second = body(1), body(2)
    app = create_app(store, max_body_bytes=2 * PAD, max_inflight_bytes=len(first) + 1000)
    with running(app) as url:
        sock = start_upload(url, first, sent=10)
        wait_until(lambda: app.state.ingest_budget.held == len(first))
        chunks = (second[i : i + 4096] for i in range(0, len(second), 4096))  # no length
        refused = httpx.post(f"{url}/v1/traces", content=chunks, headers=PROTOBUF)
        sock.sendall(first[10:])
        assert answer(sock)[0] == 200
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert store.get_trace(f"{2:032x}") is None


def test_decompressed_bytes_count_against_the_budget(store: Store) -> None:
    plain, packed = body(1), gzip.compress(body(2))
    assert len(packed) < 1000  # the padding compresses to almost nothing
    app = create_app(store, max_body_bytes=2 * PAD, max_inflight_bytes=len(plain) + 5000)
    with running(app) as url:
        sock = start_upload(url, plain, sent=10)
        wait_until(lambda: app.state.ingest_budget.held == len(plain))
        headers = {**PROTOBUF, "content-encoding": "gzip"}
        refused = httpx.post(f"{url}/v1/traces", content=packed, headers=headers)
        sock.sendall(plain[10:])
        assert answer(sock)[0] == 200
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"


def test_a_body_larger_than_the_budget_is_admitted_when_nothing_else_is_held(
    store: Store,
) -> None:
    with TestClient(create_app(store, max_inflight_bytes=1)) as client:
        assert client.post("/v1/traces", content=body(1), headers=PROTOBUF).status_code == 200
        assert client.app.state.ingest_budget.held == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"\xff\xff", PROTOBUF, 400),
        (b"x" * 2000, PROTOBUF, 413),
        (gzip.compress(b"\0" * 5000), {**PROTOBUF, "content-encoding": "gzip"}, 413),
        (b"{}", {"content-type": "text/plain"}, 415),
        (b"", PROTOBUF, 200),
    ],
)
def test_every_answer_gives_its_hold_back(
    store: Store, content: bytes, headers: dict[str, str], status: int
) -> None:
    with TestClient(create_app(store, max_body_bytes=1000)) as client:
        assert client.post("/v1/traces", content=content, headers=headers).status_code == status
        assert client.app.state.ingest_budget.held == 0  # type: ignore[attr-defined]


def test_budget_admits_one_request_alone_and_refuses_past_capacity() -> None:
    budget = IngestBudget(100)
    assert budget.take(150)  # alone: admitted, though larger than the budget
    assert not budget.take(1)  # another request: refused while 150 are held
    assert budget.take(10, own=150)  # the same request's decompressed copy
    budget.give_back(160)
    assert budget.take(60) and budget.take(40) and not budget.take(1)


def test_create_app_rejects_a_non_positive_budget_or_timeout(store: Store) -> None:
    with pytest.raises(ValueError, match="max_inflight_bytes must be positive"):
        create_app(store, max_inflight_bytes=0)
    with pytest.raises(ValueError, match="body_idle_timeout must be a positive"):
        create_app(store, body_idle_timeout=0)
    with pytest.raises(ValueError, match="body_timeout must be a positive"):
        create_app(store, body_timeout=float("nan"))
