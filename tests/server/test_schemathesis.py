"""The OpenAPI schema says what the server answers (issue 10, hardening 7), and schemathesis
holds the server to it on SQLite and PostgreSQL: no 5xx, every status code, content type,
header and body as documented. Seeded (derandomized) and bounded in examples."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from prodready.server import create_app
from prodready.server.api import SINCE_PATTERN
from prodready.store import Store
from prodready.store.filters import parse_time
from prodready.tracing.kinds import SPAN_KINDS
from tests.cli.factories import MIN, T1, T2, support_trace

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 40  # per operation and generation mode: about 30 s on both databases together


@pytest.fixture
def openapi() -> dict[str, Any]:
    return create_app(store_url="sqlite://").openapi()


@pytest.fixture
def api_schema(store_url: str) -> Iterator[Any]:
    """The live schema of an app over two stored traces, on SQLite or PostgreSQL."""
    with Store(store_url) as store:
        store.write_spans(support_trace(T1, time.time_ns() - 10 * MIN))
        store.write_spans(support_trace(T2, time.time_ns() - 180 * MIN, escalate=True))
        yield schemathesis.openapi.from_asgi("/openapi.json", create_app(store))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_one_the_schema_documents(api_schema: Any, mode: GenerationMode) -> None:
    # By hand rather than schemathesis.pytest.from_fixture, whose reporting needs an
    # attribute pytest 9 no longer has (Function._nodeid).
    for operation in (result.ok() for result in api_schema.get_all_operations()):
        if mode is GenerationMode.NEGATIVE and not (
            operation.query or operation.path_parameters or operation.body
        ):
            continue  # nothing to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        answers_as_documented()


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/logs", "/v1/metrics"])
def test_ingest_routes_document_their_errors_as_google_rpc_status(
    openapi: dict[str, Any], path: str
) -> None:
    answers = openapi["paths"][path]["post"]["responses"]
    assert set(answers) == {"200", "400", "408", "413", "415", "503"}
    for status in ("400", "408", "413", "415", "503"):
        body = answers[status]["content"]["application/json"]["schema"]
        assert body["title"] == "google.rpc.Status" and body["required"] == ["code", "message"]
        assert "application/x-protobuf" in answers[status]["content"]
    assert "Retry-After" in answers["503"]["headers"]


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/api/traces", {"200", "400", "422", "503"}),
        ("/api/stats", {"200", "400", "422", "503"}),
        ("/api/traces/{trace_id}", {"200", "400", "404", "422", "503"}),
    ],
)
def test_api_routes_document_their_errors_as_detail(
    openapi: dict[str, Any], path: str, statuses: set[str]
) -> None:
    answers = openapi["paths"][path]["get"]["responses"]
    assert set(answers) == statuses
    for status in statuses - {"200", "422"}:
        ref = answers[status]["content"]["application/json"]["schema"]["$ref"]
        assert openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"] == ["detail"]
    assert "Retry-After" in answers["503"]["headers"]


def test_parameters_document_their_constraints(openapi: dict[str, Any]) -> None:
    listed = {p["name"]: p["schema"] for p in openapi["paths"]["/api/traces"]["get"]["parameters"]}
    (trace_id,) = openapi["paths"]["/api/traces/{trace_id}"]["get"]["parameters"]
    assert trace_id["schema"]["pattern"] == "^[0-9a-fA-F]{32}$"
    assert listed["kind"]["enum"] == sorted(SPAN_KINDS) and listed["kind"]["type"] == "string"
    assert listed["since"]["pattern"] == SINCE_PATTERN
    assert (listed["limit"]["minimum"], listed["limit"]["maximum"]) == (1, 10_000)
    assert listed["offset"]["minimum"] == 0
    assert openapi["paths"]["/readyz"]["get"]["responses"]["503"]["headers"]


@pytest.mark.parametrize(
    "since",
    ["15m", " 1h30m ", "1h 30M", "1.5s", "500MS", "2us", "3µs", "1w", "2024-05-01",
     "2024-05-01T12:00:00+02:00", "2024-05-01T12:00Z", "20240501"],
)  # fmt: skip
def test_the_since_pattern_admits_every_value_the_server_accepts(since: str) -> None:
    parse_time(since)  # accepted
    assert re.fullmatch(SINCE_PATTERN, since)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/api/traces?kind=robot", "unknown span kind 'robot'; one of agent, "),
        ("/api/traces?since=yesterday", "since: invalid time 'yesterday'"),
        ("/api/stats?kind=robot", "unknown span kind 'robot'"),
        ("/api/traces/xyz", "invalid trace id 'xyz': expected 32 hex characters"),
    ],
)
def test_documented_constraints_still_answer_400_naming_the_parameter(
    store: Store, path: str, reason: str
) -> None:
    with TestClient(create_app(store)) as client:
        answer = client.get(path)
    assert answer.status_code == 400 and answer.json()["detail"].startswith(reason)
