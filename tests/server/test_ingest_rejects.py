"""POST /v1/traces: bad input gets a 4xx with a reason, stores nothing, and never a 500."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from google.rpc.status_pb2 import Status as RpcStatus
from httpx import Response

from prodready.server import create_app
from prodready.store import Store
from tests.server.builders import JSON, PROTOBUF, as_json, request, span, tree

LIMIT = 64 * 1024


@pytest.fixture
def small(store: Store) -> Iterator[TestClient]:
    """A client for an app that accepts at most LIMIT bytes."""
    with TestClient(create_app(store, max_body_bytes=LIMIT)) as c:
        yield c


@pytest.fixture(autouse=True)
def _nothing_stored(store: Store) -> Iterator[None]:
    yield
    assert store.info().span_count == 0


def rejected(resp: Response, status: int, reason: str) -> None:
    """The response has ``status`` and a google.rpc.Status body whose message has ``reason``."""
    assert resp.status_code == status, resp.content
    if resp.headers["content-type"] == "application/json":
        message = resp.json()["message"]
    else:
        message = RpcStatus.FromString(resp.content).message
    assert reason in message, message


def test_garbage_protobuf_is_400(client: TestClient) -> None:
    resp = client.post("/v1/traces", content=b"definitely not protobuf", headers=PROTOBUF)
    rejected(resp, 400, "invalid OTLP protobuf")
    assert resp.headers["content-type"] == "application/x-protobuf"


def test_truncated_protobuf_is_400(client: TestClient) -> None:
    body = tree().SerializeToString()
    rejected(client.post("/v1/traces", content=body[:-7], headers=PROTOBUF), 400, "protobuf")


def test_invalid_json_is_400_with_a_json_reason(client: TestClient) -> None:
    resp = client.post("/v1/traces", content=b'{"resourceSpans": [', headers=JSON)
    rejected(resp, 400, "invalid JSON")
    assert resp.json()["code"] == 3


def test_json_with_a_bad_hex_id_is_400_naming_the_field(client: TestClient) -> None:
    data = as_json(tree())
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][2]["spanId"] = "zz" * 8
    resp = client.post("/v1/traces", content=orjson.dumps(data), headers=JSON)
    rejected(resp, 400, "resourceSpans[0].scopeSpans[0].spans[2].spanId: 'zzzz")


def test_json_with_a_base64_id_is_400(client: TestClient) -> None:
    data = as_json(request(span()))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "CvdlGRbNQ92ESOshHIAxnA=="
    resp = client.post("/v1/traces", content=orjson.dumps(data), headers=JSON)
    rejected(resp, 400, "is not a 32-character hex id")


def test_json_of_the_wrong_shape_is_400(client: TestClient) -> None:
    for body in (
        b"[]",
        b'{"resourceSpans": {}}',
        b'{"resourceSpans": [{"scopeSpans": [1]}]}',
        b'{"resourceSpans": [{"resource": {"attributes": "x"}}]}',
    ):
        rejected(client.post("/v1/traces", content=body, headers=JSON), 400, "OTLP JSON")


def test_protobuf_span_id_of_the_wrong_length_is_400(client: TestClient) -> None:
    req = request(span())
    req.resource_spans[0].scope_spans[0].spans[0].span_id = b"\x01" * 7
    resp = client.post("/v1/traces", content=req.SerializeToString(), headers=PROTOBUF)
    rejected(resp, 400, "spanId: must be 8 bytes, got 7")


def test_all_zero_trace_id_is_400(client: TestClient) -> None:
    req = request(span(trace_id=bytes(16)))
    resp = client.post("/v1/traces", content=req.SerializeToString(), headers=PROTOBUF)
    rejected(resp, 400, "all-zero")


def test_span_ending_before_it_starts_is_400(client: TestClient) -> None:
    req = request(span(start_ms=10, end_ms=5))
    resp = client.post("/v1/traces", content=req.SerializeToString(), headers=PROTOBUF)
    rejected(resp, 400, "is before startTimeUnixNano")


def test_time_beyond_what_the_database_holds_is_400(client: TestClient) -> None:
    req = request(span())
    req.resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano = 2**64 - 1
    resp = client.post("/v1/traces", content=req.SerializeToString(), headers=PROTOBUF)
    rejected(resp, 400, "beyond year 2262")


def test_one_bad_span_rejects_the_whole_request(client: TestClient) -> None:
    req = tree()
    req.resource_spans[0].scope_spans[0].spans[1].parent_span_id = b"\x01"
    resp = client.post("/v1/traces", content=req.SerializeToString(), headers=PROTOBUF)
    rejected(resp, 400, "spans[1].parentSpanId")


def test_declared_oversized_body_is_413(small: TestClient) -> None:
    resp = small.post("/v1/traces", content=b"\x00" * (LIMIT + 1), headers=PROTOBUF)
    rejected(resp, 413, f"request body of {LIMIT + 1} bytes exceeds the server's limit")


def test_streamed_oversized_body_is_413(small: TestClient) -> None:
    chunks = (b"\x0a" * 8192 for _ in range(LIMIT // 8192 + 1))  # chunked: no Content-Length
    rejected(small.post("/v1/traces", content=chunks, headers=PROTOBUF), 413, "limit")


def test_gzip_bomb_is_413(small: TestClient) -> None:
    bomb = gzip.compress(b"\x00" * (100 * LIMIT))
    assert len(bomb) < LIMIT
    resp = small.post("/v1/traces", content=bomb, headers={**PROTOBUF, "content-encoding": "gzip"})
    rejected(resp, 413, "gzip-decompressed body exceeds")


def test_corrupt_and_truncated_gzip_are_400(client: TestClient) -> None:
    headers = {**PROTOBUF, "content-encoding": "gzip"}
    body = gzip.compress(tree().SerializeToString())
    rejected(client.post("/v1/traces", content=b"not gzip", headers=headers), 400, "invalid gzip")
    rejected(client.post("/v1/traces", content=body[:-9], headers=headers), 400, "truncated gzip")


def test_unsupported_content_type_is_415(client: TestClient) -> None:
    resp = client.post("/v1/traces", content=b"{}", headers={"content-type": "text/plain"})
    rejected(resp, 415, "application/x-protobuf or application/json")


def test_unsupported_content_encoding_is_415(client: TestClient) -> None:
    resp = client.post("/v1/traces", content=b"", headers={**PROTOBUF, "content-encoding": "br"})
    rejected(resp, 415, "Content-Encoding")


def test_unreachable_database_is_503_with_retry_after(down_store: Store) -> None:
    with TestClient(create_app(down_store)) as c:
        resp = c.post("/v1/traces", content=tree().SerializeToString(), headers=PROTOBUF)
    rejected(resp, 503, "unavailable")
    assert resp.headers["retry-after"] == "5"


def test_sqlite_file_gone_is_503(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/db/prodready.db")
    shutil.rmtree(tmp_path / "db")
    store.engine.dispose()  # drop pooled connections to the deleted file: reopening fails
    with TestClient(create_app(store)) as c:
        body = orjson.dumps(as_json(tree()))
        rejected(c.post("/v1/traces", content=body, headers=JSON), 503, "retry later")


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field: tag, varint length, payload."""
    length, size = b"", len(payload)
    while True:
        byte, size = size & 0x7F, size >> 7
        length += bytes([byte | (0x80 if size else 0)])
        if not size:
            return bytes([number << 3 | 2]) + length + payload


def test_deeply_nested_values_are_400_not_a_crash(client: TestClient) -> None:
    value = b"\x0a\x01x"  # AnyValue{string_value: "x"}
    for _ in range(200):
        value = _field(5, _field(1, value))  # AnyValue{array_value{values: [value]}}
    deep_span = span().SerializeToString() + _field(9, _field(1, b"deep") + _field(2, value))
    body = _field(1, _field(2, _field(2, deep_span)))  # request > resource_spans > scope_spans
    rejected(client.post("/v1/traces", content=body, headers=PROTOBUF), 400, "protobuf")
    ids = f'"traceId": "{"ab" * 16}", "spanId": "{"cd" * 8}"'
    nested = '{"arrayValue": {"values": [' * 200 + '{"stringValue": "x"}' + "]}}" * 200
    spans = f'[{{{ids}, "attributes": [{{"key": "deep", "value": {nested}}}]}}]'
    json_body = f'{{"resourceSpans": [{{"scopeSpans": [{{"spans": {spans}}}]}}]}}'
    rejected(client.post("/v1/traces", content=json_body, headers=JSON), 400, "OTLP JSON")


class ValidatingStore(Store):
    """A store whose own validation refuses the batch (as write_spans does for bad times)."""

    def write_spans(self, records):  # type: ignore[no-untyped-def]
        raise ValueError("span 01 of trace ab: times must satisfy 0 <= start_ns <= end_ns")


def test_store_validation_error_is_400_not_500() -> None:
    with TestClient(create_app(ValidatingStore("sqlite://"))) as c:
        resp = c.post("/v1/traces", content=tree().SerializeToString(), headers=PROTOBUF)
    rejected(resp, 400, "times must satisfy")
