"""NUL in a read-API text filter finds what ingest stored for it (U+FFFD), on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from prodready.server import create_app
from prodready.store import SpanRecord, Store, TraceQuery
from tests.store.factories import T0, new_trace_id

NUL_ATTRS = {
    "session.id": "s\x001",
    "user.id": "u\x001",
    "prodready.release": "r\x001",
    "deployment.environment.name": "e\x001",
    "k\x00ey": "v\x00al",
}


@pytest.fixture
def nul_client(store_url: str) -> Iterator[TestClient]:
    """A client over SQLite and PostgreSQL, holding one trace whose text has NUL bytes."""
    store = Store(store_url)
    root = SpanRecord(
        trace_id=new_trace_id(),
        span_id="1" * 16,
        parent_span_id=None,
        name="a\x00b",
        kind="agent",
        start_ns=T0,
        end_ns=T0 + 1000,
        status="ok",
        attributes=dict(NUL_ATTRS),
    )
    store.write_spans([root])
    with TestClient(create_app(store)) as c:
        yield c
    store.close()


@pytest.mark.parametrize(
    "params",
    [
        {"name": "a\x00b"},
        {"release": "r\x001"},
        {"environment": "e\x001"},
        {"session_id": "s\x001"},
        {"user_id": "u\x001"},
        {"attr": "k\x00ey=v\x00al"},
        {"attr": "session.id:s\x001"},
    ],
)
def test_a_nul_in_a_text_filter_finds_the_trace_ingest_stored(
    nul_client: TestClient, params: dict[str, str]
) -> None:
    traces = nul_client.get("/api/traces", params=params)
    stats = nul_client.get("/api/stats", params=params)
    assert traces.status_code == 200, traces.text
    assert traces.json()["total"] == 1
    assert stats.status_code == 200, stats.text
    assert stats.json()["trace_count"] == 1


def test_a_nul_in_a_kind_filter_is_an_unknown_kind_not_a_500(nul_client: TestClient) -> None:
    for path in ("/api/traces", "/api/stats"):
        assert nul_client.get(path, params={"kind": "ll\x00m"}).status_code == 400


def test_the_store_query_cleans_nul_for_every_caller(store_url: str) -> None:
    """The CLI's `traces list` builds the same TraceQuery and calls the same store methods."""
    store = Store(store_url)
    assert store.list_traces(TraceQuery(name="x\x00", kind="to\x00ol")) == []
    assert store.count_traces(TraceQuery(attributes={"a\x00": "b\x00"})) == 0
    assert store.stats(TraceQuery(user_id="\x00")).trace_count == 0
    store.close()
