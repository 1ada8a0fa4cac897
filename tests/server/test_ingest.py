"""POST /v1/traces: what an accepted OTLP request becomes in the store."""

from __future__ import annotations

import gzip
import zlib

import orjson
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from prodready.store import Store
from tests.server.builders import JSON, MS, PROTOBUF, T0, TRACE_ID, as_json, request, span, tree

TID = TRACE_ID.hex()


def post_pb(client: TestClient, req: object, **headers: str) -> object:
    return client.post(
        "/v1/traces", content=req.SerializeToString(), headers={**PROTOBUF, **headers}
    )  # type: ignore[attr-defined]


def test_protobuf_request_is_stored_with_parents_kinds_and_status(
    client: TestClient, store: Store
) -> None:
    resp = client.post("/v1/traces", content=tree().SerializeToString(), headers=PROTOBUF)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/x-protobuf"
    ExportTraceServiceResponse.FromString(resp.content)  # a valid (empty) response
    trace = store.get_trace(TID)
    assert trace is not None
    got = {(s.name, s.kind, s.parent_span_id, s.status) for s in trace.spans}
    assert got == {
        ("agent run", "agent", None, "unset"),
        ("ChatCompletion", "llm", "0000000000000001", "unset"),
        ("execute_tool card_status", "tool", "0000000000000001", "error"),
    }


def test_json_request_is_stored_like_the_same_protobuf_request(
    client: TestClient, store: Store
) -> None:
    resp = client.post("/v1/traces", content=orjson.dumps(as_json(tree())), headers=JSON)
    assert resp.status_code == 200 and resp.json() == {}
    [summary] = store.list_traces()
    assert (summary.trace_id, summary.name, summary.span_count, summary.error_count) == (
        TID,
        "agent run",
        3,
        1,
    )


def test_span_fields_are_mapped_from_otlp(client: TestClient, store: Store) -> None:
    req = tree()
    client.post("/v1/traces", content=req.SerializeToString(), headers=PROTOBUF)
    llm = store.get_trace(TID).find(name="ChatCompletion")[0]  # type: ignore[union-attr]
    assert (llm.span_id, llm.otel_kind, llm.scope) == ("0000000000000002", "client", "tests")
    assert (llm.start_ns, llm.end_ns) == (T0 + 5 * MS, T0 + 50 * MS)
    assert llm.attributes["gen_ai.request.model"] == "gpt-4o"
    assert llm.attributes["gen_ai.usage.input_tokens"] == 120
    tool = store.get_trace(TID).find(kind="tool")[0]  # type: ignore[union-attr]
    assert tool.status_message == "timeout"


def test_release_and_old_environment_name_are_inherited_from_the_resource(
    client: TestClient, store: Store
) -> None:
    client.post("/v1/traces", content=tree().SerializeToString(), headers=PROTOBUF)
    [summary] = store.list_traces()
    assert (summary.release, summary.environment, summary.service_name) == (
        "agent@1.2.0",
        "staging",
        "northwind",
    )
    trace = store.get_trace(TID)
    assert trace is not None and trace.resource["deployment.environment"] == "staging"


def test_any_values_are_flattened_to_json(client: TestClient, store: Store) -> None:
    attrs = {
        "s": "x",
        "b": True,
        "i": 7,
        "d": 0.5,
        "a": [1, "two"],
        "kv": {"k": [False]},
        "raw": b"\x00\xff",
    }
    post_pb(client, request(span(attributes=attrs)))
    stored = store.get_trace(TID).spans[0].attributes  # type: ignore[union-attr]
    assert {k: stored[k] for k in attrs} == {**attrs, "raw": "AP8="}


def test_events_and_links_are_stored(client: TestClient, store: Store) -> None:
    s = span()
    s.events.add(name="retry", time_unix_nano=T0 + MS).attributes.add(
        key="attempt"
    ).value.int_value = 2
    s.links.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8)
    post_pb(client, request(s))
    stored = store.get_trace(TID).spans[0]  # type: ignore[union-attr]
    assert stored.events == [{"name": "retry", "time_ns": T0 + MS, "attributes": {"attempt": 2}}]
    assert stored.links == [{"trace_id": "01" * 16, "span_id": "02" * 8, "attributes": {}}]


def test_gzip_and_deflate_bodies_are_decompressed(client: TestClient, store: Store) -> None:
    body = request(span(span_id=1), span("b", span_id=2, parent=1)).SerializeToString()
    assert (
        client.post(
            "/v1/traces",
            content=gzip.compress(body),
            headers={**PROTOBUF, "content-encoding": "gzip"},
        ).status_code
        == 200
    )
    other = request(span(trace_id=b"\x02" * 16)).SerializeToString()
    assert (
        client.post(
            "/v1/traces",
            content=zlib.compress(other),
            headers={**PROTOBUF, "content-encoding": "deflate"},
        ).status_code
        == 200
    )
    assert store.count_traces() == 2


def test_hand_written_otlp_json_with_int_enums_and_string_times(
    client: TestClient, store: Store
) -> None:
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "js-app"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "manual"},
                        "spans": [
                            {
                                "traceId": TID.upper(),
                                "spanId": "00f067aa0ba902b7",
                                "parentSpanId": "",
                                "name": "chat gpt-4o",
                                "kind": 3,
                                "startTimeUnixNano": str(T0),
                                "endTimeUnixNano": str(T0 + 5 * MS),
                                "status": {"code": "STATUS_CODE_OK"},
                                "attributes": [
                                    {
                                        "key": "gen_ai.operation.name",
                                        "value": {"stringValue": "chat"},
                                    },
                                    {
                                        "key": "gen_ai.usage.input_tokens",
                                        "value": {"intValue": "42"},
                                    },
                                ],
                                "futureField": {"ignored": True},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    assert client.post("/v1/traces", content=orjson.dumps(body), headers=JSON).status_code == 200
    [s] = store.get_trace(TID).spans  # type: ignore[union-attr]
    assert (s.kind, s.otel_kind, s.status, s.attributes["gen_ai.usage.input_tokens"]) == (
        "llm",
        "client",
        "ok",
        42,
    )


def test_content_type_parameters_are_ignored(client: TestClient, store: Store) -> None:
    body = orjson.dumps(as_json(request(span())))
    headers = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/v1/traces", content=body, headers=headers).status_code == 200
    assert store.count_traces() == 1


def test_resending_a_batch_does_not_duplicate_spans(client: TestClient, store: Store) -> None:
    body = tree().SerializeToString()
    for _ in range(2):
        assert client.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    assert store.list_traces()[0].span_count == 3


def test_empty_request_is_accepted_and_stores_nothing(client: TestClient, store: Store) -> None:
    assert client.post("/v1/traces", content=b"", headers=PROTOBUF).status_code == 200
    assert client.post("/v1/traces", content=b"{}", headers=JSON).status_code == 200
    assert store.count_traces() == 0


def test_server_span_kind_and_child_of_missing_parent(client: TestClient, store: Store) -> None:
    post_pb(client, request(span("GET /", span_id=5, parent=9, kind=Span.SPAN_KIND_SERVER)))
    [s] = store.get_trace(TID).spans  # type: ignore[union-attr]
    assert (s.otel_kind, s.kind, s.parent_span_id) == ("server", "unknown", "0000000000000009")
