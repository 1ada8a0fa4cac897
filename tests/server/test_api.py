"""The read API: /api/traces (filters), /api/traces/{id}, /api/stats, health checks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from prodready.server import create_app
from prodready.store import Store
from tests.store.factories import MS, T0, agent_trace, new_trace_id


@pytest.fixture
def seeded(store: Store) -> Store:
    """Three traces: ok on release 1.0 (dev), error on 1.0 (dev), ok on 2.0 (production)."""
    store.write_spans(agent_trace(start=T0))
    store.write_spans(agent_trace(start=T0 + 1000 * MS, error=True, session="sess-2"))
    store.write_spans(
        agent_trace(
            start=T0 + 2000 * MS,
            release="agent@2.0.0",
            environment="production",
            intent="lost_card",
        )
    )
    return store


def ids(client: TestClient, **params: object) -> list[str]:
    resp = client.get("/api/traces", params=params)  # type: ignore[arg-type]
    assert resp.status_code == 200, resp.text
    return [t["release"] + "/" + t["status"] for t in resp.json()["traces"]]


def test_traces_are_listed_newest_first_with_the_total(client: TestClient, seeded: Store) -> None:
    resp = client.get("/api/traces", params={"limit": 2}).json()
    assert resp["total"] == 3 and len(resp["traces"]) == 2
    assert [t["release"] for t in resp["traces"]] == ["agent@2.0.0", "agent@1.0.0"]


def test_trace_level_filters(client: TestClient, seeded: Store) -> None:
    assert ids(client, release="agent@1.0.0", status="error") == ["agent@1.0.0/error"]
    assert ids(client, environment="production") == ["agent@2.0.0/ok"]
    assert ids(client, session_id="sess-2", has_error="true") == ["agent@1.0.0/error"]
    assert ids(client, start_after_ns=T0 + 500 * MS, start_before_ns=T0 + 1500 * MS) == [
        "agent@1.0.0/error"
    ]


def test_span_filters_kind_and_min_duration(client: TestClient, seeded: Store) -> None:
    assert len(ids(client, kind="classifier")) == 3
    assert ids(client, kind="evaluator") == []
    assert len(ids(client, min_duration_ms=900)) == 3
    assert ids(client, min_duration_ms=900.5) == []


def test_attr_filters_are_typed_and_repeatable(client: TestClient, seeded: Store) -> None:
    assert ids(client, attr="prodready.intent.name:lost_card") == ["agent@2.0.0/ok"]
    assert ids(client, attr="prodready.intent.name=lost_card") == ["agent@2.0.0/ok"]
    both = [("attr", "prodready.tool.attempt:2"), ("attr", "gen_ai.tool.name:card_status")]
    assert len(client.get("/api/traces", params=both).json()["traces"]) == 3
    assert ids(client, attr='prodready.tool.attempt:"2"') == []  # the string "2" is not 2


def test_since_selects_recent_traces(client: TestClient, store: Store) -> None:
    now = time.time_ns()
    store.write_spans(agent_trace(start=now - 3_600 * 10**9))
    store.write_spans(agent_trace(start=now - 3 * 86_400 * 10**9))
    assert len(ids(client, since="2h")) == 1
    assert len(ids(client, since="7d")) == 2


@pytest.fixture
def utc_plus_12(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+12 (a POSIX TZ string: no time zone database needed)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix-only")
    monkeypatch.setenv("TZ", "XYZ-12")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_since_without_offset_is_utc_whatever_the_local_zone(
    client: TestClient, store: Store, utc_plus_12: None
) -> None:
    now = time.time_ns()
    store.write_spans(agent_trace(start=now - 3_600 * 10**9))
    store.write_spans(agent_trace(start=now - 5 * 3_600 * 10**9))
    two_hours_ago = datetime.fromtimestamp(now // 10**9 - 7_200, UTC).replace(tzinfo=None)
    assert len(ids(client, since=two_hours_ago.isoformat(timespec="seconds"))) == 1


def test_bad_filters_are_400_with_the_reason(client: TestClient) -> None:
    for params, reason in [
        ({"attr": "no-separator"}, "key:value"),
        ({"since": "yesterday"}, "since: invalid time 'yesterday'"),
        ({"since": "2 h"}, "since: invalid time '2 h'"),
        ({"kind": "robot"}, "unknown span kind"),
        ({"since": "1h", "start_after_ns": 1}, "not both"),
    ]:
        resp = client.get("/api/traces", params=params)
        assert resp.status_code == 400 and reason in resp.json()["detail"], resp.text


def test_repeated_attr_key_is_400_naming_the_key(client: TestClient, seeded: Store) -> None:
    params = [("attr", "prodready.tool.attempt:2"), ("attr", "prodready.tool.attempt=1")]
    resp = client.get("/api/traces", params=params)
    assert resp.status_code == 400
    assert "'prodready.tool.attempt' is given twice" in resp.json()["detail"]
    assert client.get("/api/stats", params=params).status_code == 400


def test_out_of_range_params_are_422(client: TestClient) -> None:
    for params in (
        {"limit": 0},
        {"limit": 10_001},
        {"offset": -1},
        {"status": "maybe"},
        {"min_duration_ms": "slow"},
    ):
        assert client.get("/api/traces", params=params).status_code == 422


def test_get_trace_returns_summary_resource_and_spans(client: TestClient, store: Store) -> None:
    tid = new_trace_id()
    store.write_spans(agent_trace(tid))
    body = client.get(f"/api/traces/{tid.upper()}").json()
    assert body["summary"]["trace_id"] == tid and body["resource"] == {"service.name": "northwind"}
    assert [s["kind"] for s in body["spans"]][:2] == ["agent", "classifier"]


def test_unknown_trace_is_404_and_malformed_id_is_400(client: TestClient) -> None:
    assert client.get(f"/api/traces/{'ab' * 16}").status_code == 404
    resp = client.get("/api/traces/not-a-trace-id")
    assert resp.status_code == 400 and "32 hex characters" in resp.json()["detail"]


def test_stats_apply_the_same_filters(client: TestClient, seeded: Store) -> None:
    all_stats = client.get("/api/stats").json()
    assert (all_stats["trace_count"], all_stats["error_count"]) == (3, 1)
    dev = client.get("/api/stats", params={"release": "agent@1.0.0"}).json()
    assert dev["trace_count"] == 2 and dev["error_rate"] == 0.5
    assert {(g["name"], g["kind"]) for g in dev["spans"]} >= {("answer", "agent")}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_read_api_answers_503_when_the_database_is_down(down_store: Store) -> None:
    with TestClient(create_app(down_store)) as c:
        for path in ("/api/traces", "/api/stats", "/readyz"):
            resp = c.get(path)
            assert resp.status_code == 503 and resp.headers["retry-after"] == "5", path
        assert c.get("/healthz").status_code == 200


def test_openapi_schema_documents_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) >= {
        "/v1/traces",
        "/api/traces",
        "/api/traces/{trace_id}",
        "/api/stats",
        "/healthz",
        "/readyz",
    }
    assert "application/x-protobuf" in paths["/v1/traces"]["post"]["requestBody"]["content"]


@pytest.fixture
def owned_app_client(tmp_path: object) -> Iterator[TestClient]:
    with TestClient(create_app(store_url=f"sqlite:///{tmp_path}/own.db")) as c:
        yield c


def test_app_opens_its_own_store_from_a_url(owned_app_client: TestClient) -> None:
    assert owned_app_client.get("/api/traces").json() == {"traces": [], "total": 0}


def test_values_beyond_what_the_store_holds_are_4xx_never_500(client: TestClient) -> None:
    huge = "9" * 30
    for params in [
        {"min_duration_ms": "1e400"},
        {"start_before_ns": huge},
        {"offset": huge},
        {"since": "9999-12-31"},
        {"since": "99999999d"},
    ]:
        resp = client.get("/api/traces", params=params)
        assert 400 <= resp.status_code < 500, (params, resp.text)
    # A number no stored attribute can hold (the store keeps such integers as text).
    for path in ("/api/traces", "/api/stats"):
        resp = client.get(path, params={"attr": f"x={huge}"})
        assert resp.status_code == 200, resp.text
