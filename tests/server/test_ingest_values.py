"""POST /v1/traces: values OTLP allows but JSON or the databases cannot hold as sent.

Each is either stored faithfully or refused with a 400 naming the span and field; never a
200 that stores something else (issue 10, hardening 6).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from prodready.server.otlp import MAX_VALUE_DEPTH
from prodready.store import Store
from tests.server.builders import JSON, PROTOBUF, TRACE_ID, as_json, request, span
from tests.server.test_ingest_rejects import rejected

SPAN = "resourceSpans[0].scopeSpans[0].spans[0]"


def post(client: TestClient, body: Any, encoding: str) -> Any:
    if encoding == "json":
        content = body if isinstance(body, bytes) else orjson.dumps(as_json(body))
        return client.post("/v1/traces", content=content, headers=JSON)
    return client.post("/v1/traces", content=body.SerializeToString(), headers=PROTOBUF)


def stored_attributes(store: Store) -> dict[str, Any]:
    trace = store.get_trace(TRACE_ID.hex())
    assert trace is not None
    return trace.spans[0].attributes


def test_bytes_value_that_is_not_base64_is_400_naming_span_and_field(
    client: TestClient, store: Store
) -> None:
    data = as_json(request(span(attributes={"raw": b"\x00\xff"})))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]["value"] = {
        "bytesValue": "@@@@"
    }
    resp = post(client, orjson.dumps(data), "json")
    rejected(resp, 400, f"{SPAN}.attributes[0].value.bytesValue: '@@@@' is not base64")
    assert store.info().span_count == 0


@pytest.mark.parametrize("text", ["AP8=", "AP8", "AP-_"])
def test_bytes_value_in_standard_or_url_safe_base64_is_stored(
    client: TestClient, store: Store, text: str
) -> None:
    data = as_json(request(span(attributes={"raw": b""})))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]["value"] = {
        "bytesValue": text
    }
    assert post(client, orjson.dumps(data), "json").status_code == 200
    assert stored_attributes(store)["raw"] in ("AP8=", "AP+/")


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_event_time_beyond_what_the_database_holds_is_400(
    client: TestClient, store: Store, encoding: str
) -> None:
    s = span()
    s.events.add(name="retry", time_unix_nano=2**64 - 1)
    resp = post(client, request(s), encoding)
    rejected(resp, 400, f"{SPAN}.events[0].timeUnixNano: {2**64 - 1} is beyond year 2262")
    assert store.info().span_count == 0


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_missing_start_time_is_400_not_1970(
    client: TestClient, store: Store, encoding: str
) -> None:
    s = span()
    s.ClearField("start_time_unix_nano")
    rejected(post(client, request(s), encoding), 400, f"{SPAN}: startTimeUnixNano is missing")
    assert store.info().span_count == 0


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_non_finite_doubles_are_stored_by_name_not_as_null(
    client: TestClient, store: Store, encoding: str
) -> None:
    attrs = {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "half": 0.5}
    assert post(client, request(span(attributes=attrs)), encoding).status_code == 200
    stored = stored_attributes(store)
    assert {k: stored[k] for k in attrs} == {
        "nan": "NaN",
        "inf": "Infinity",
        "ninf": "-Infinity",
        "half": 0.5,
    }
    assert client.get("/api/traces", params={"attr": "nan:NaN"}).json()["total"] == 1


def nested(levels: int, container: str) -> Any:
    """A value ``levels`` deep: a string inside ``levels - 1`` arrays or key-value lists."""
    value: Any = "x"
    for _ in range(levels - 1):
        value = [value] if container == "array" else {"k": value}
    return value


@pytest.mark.parametrize("container", ["array", "kvlist"])
@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_values_nest_up_to_the_documented_limit_in_both_encodings(
    client: TestClient, store: Store, encoding: str, container: str
) -> None:
    deepest = nested(MAX_VALUE_DEPTH, container)
    assert post(client, request(span(attributes={"deep": deepest})), encoding).status_code == 200
    assert stored_attributes(store)["deep"] == deepest


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_values_nested_one_level_deeper_are_400_naming_the_attribute(
    client: TestClient, store: Store, encoding: str
) -> None:
    too_deep = request(span(attributes={"deep": nested(MAX_VALUE_DEPTH + 1, "array")}))
    reason = f"{SPAN}.attributes['deep']: values nest deeper than {MAX_VALUE_DEPTH} levels"
    rejected(post(client, too_deep, encoding), 400, reason)
    assert store.info().span_count == 0


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_key_value_lists_nested_one_level_deeper_are_400(
    client: TestClient, store: Store, encoding: str
) -> None:
    too_deep = request(span(attributes={"deep": nested(MAX_VALUE_DEPTH + 1, "kvlist")}))
    assert post(client, too_deep, encoding).status_code == 400
    assert store.info().span_count == 0


def test_documented_nesting_limit_is_the_enforced_one() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "server.md").read_text(encoding="utf-8")
    assert f"nested deeper than {MAX_VALUE_DEPTH} levels" in doc
