"""``POST /v1/logs``: OTLP log records become events of their spans.

The real clients: ``opentelemetry-instrumentation-openai-v2`` capturing content as events
(a ``gen_ai.client.inference.operation.details`` log record per call) with the ``openai``
client against the scripted model server, exported by the official OTLP/HTTP exporters to a
live server, logs before spans and after. Then hand-built OTLP/JSON and protobuf, and bad
input, which stores nothing."""

from __future__ import annotations

import gzip
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from prodready.server import create_app
from prodready.store import Store
from prodready.testing import ScriptedModelServer
from prodready.testing._model_server import ScriptedReply
from tests.server import builders
from tests.server.conftest import LiveServer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

DETAILS = "gen_ai.client.inference.operation.details"
TRACE, SPAN = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
JSON = {"content-type": "application/json"}
PROTOBUF = {"content-type": "application/x-protobuf"}


@dataclass
class Instrumented:
    spans: TracerProvider
    logs: LoggerProvider


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server over SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/prodready.db"
    else:
        url = str(request.getfixturevalue("pg_url"))
    with Store(url) as store, LiveServer(store) as live:
        yield live


@pytest.fixture
def instrumented(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instrumented]:
    """openai-v2 with content as events only, batching both signals until flushed."""
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    resource = Resource.create({"service.name": "chat-app"})
    spans = TracerProvider(resource=resource)
    spans.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{server.url}/v1/traces"), schedule_delay_millis=60_000
        )
    )
    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(
        BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=f"{server.url}/v1/logs"), schedule_delay_millis=60_000
        )
    )
    OpenAIInstrumentor().instrument(tracer_provider=spans, logger_provider=logs)
    try:
        yield Instrumented(spans, logs)
    finally:
        OpenAIInstrumentor().uninstrument()
        spans.shutdown()
        logs.shutdown()


def chat_with_a_tool_call(provider: TracerProvider) -> str:
    """Two chat calls (a tool call, then the answer) under one root span; the trace id."""
    import openai

    replies = [
        ScriptedReply(content="", tool_calls=[{"name": "get_card", "arguments": {"card": "1234"}}]),
        ScriptedReply(content="Your card is active."),
    ]
    ask = [{"role": "user", "content": "Is my card 1234 active?"}]
    with (
        ScriptedModelServer(replies) as model,
        provider.get_tracer("t").start_as_current_span("agent") as root,
    ):
        client = openai.OpenAI(base_url=model.base_url, api_key="sk-test")
        first = client.chat.completions.create(model="gpt-4o-mini", messages=ask)  # type: ignore[arg-type]
        call = first.choices[0].message
        tool = {"role": "tool", "tool_call_id": call.tool_calls[0].id, "content": "active"}  # type: ignore[index]
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[*ask, call.model_dump(exclude_none=True), tool],  # type: ignore[list-item]
        )
    return format(root.get_span_context().trace_id, "032x")


def chat_events(store: Store, trace_id: str) -> list[dict[str, Any]]:
    """The DETAILS event of each chat span, in start order."""
    trace = store.get_trace(trace_id)
    assert trace is not None
    chats = [s for s in trace.spans if s.name.startswith("chat")]
    assert len(chats) == 2
    found = [[e for e in s.events if e["name"] == DETAILS] for s in chats]
    assert [len(events) for events in found] == [1, 1]
    return [events[0] for events in found]


@pytest.mark.parametrize("logs_first", [True, False], ids=["logs-first", "spans-first"])
def test_genai_events_sent_as_logs_land_on_their_chat_spans(
    server: LiveServer, instrumented: Instrumented, logs_first: bool
) -> None:
    trace_id = chat_with_a_tool_call(instrumented.spans)
    flush = [instrumented.logs.force_flush, instrumented.spans.force_flush]
    for step in flush if logs_first else flush[::-1]:
        assert step()
    asked, answered = chat_events(server.store, trace_id)
    assert asked["source"] == "log" and asked["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"
    assert asked["attributes"]["gen_ai.input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "Is my card 1234 active?"}]}
    ]
    [requested] = asked["attributes"]["gen_ai.output.messages"][0]["parts"]
    assert (requested["type"], requested["name"], requested["arguments"]) == (
        "tool_call",
        "get_card",
        {"card": "1234"},
    )
    [reply] = answered["attributes"]["gen_ai.output.messages"]
    assert reply["parts"] == [{"type": "text", "content": "Your card is active."}]
    assert [m["role"] for m in answered["attributes"]["gen_ai.input.messages"]] == [
        "user",
        "assistant",
        "tool",
    ]


def test_an_exporter_retry_stores_each_record_once(
    server: LiveServer, instrumented: Instrumented
) -> None:
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    memory = InMemoryLogRecordExporter()
    instrumented.logs.add_log_record_processor(SimpleLogRecordProcessor(memory))
    trace_id = chat_with_a_tool_call(instrumented.spans)
    assert instrumented.spans.force_flush() and instrumented.logs.force_flush()
    records = memory.get_finished_logs()
    assert len(records) == 2
    # The batch again, as an exporter resends one whose answer it never saw.
    again = OTLPLogExporter(endpoint=f"{server.url}/v1/logs").export(records)
    assert again.name == "SUCCESS"
    chat_events(server.store, trace_id)  # still one event per chat span
    assert len(server.store.list_logs(trace_id)) == 2


# --- hand-built requests ------------------------------------------------------------------------


def json_request(*records: dict[str, Any]) -> dict[str, Any]:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "js-app"}}]}
    scope = {"scope": {"name": "manual"}, "logRecords": list(records)}
    return {"resourceLogs": [{"resource": resource, "scopeLogs": [scope]}]}


def json_record(**fields: Any) -> dict[str, Any]:
    record = {
        "timeUnixNano": "1700000000000000500",
        "observedTimeUnixNano": 1700000000000000600,
        "traceId": TRACE,
        "spanId": SPAN,
        "severityNumber": "SEVERITY_NUMBER_INFO",
        "eventName": DETAILS,
        "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}}],
        "body": {"kvlistValue": {"values": [{"key": "n", "value": {"intValue": "2"}}]}},
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def test_a_json_record_is_stored_with_its_fields(client: TestClient, store: Store) -> None:
    resp = client.post("/v1/logs", content=orjson.dumps(json_request(json_record())), headers=JSON)
    assert (resp.status_code, resp.json()) == (200, {})
    [log] = store.list_logs(TRACE)
    assert (log.span_id, log.time_ns, log.observed_time_ns) == (
        SPAN,
        1700000000000000500,
        1700000000000000600,
    )
    assert (log.event_name, log.severity(), log.body) == (DETAILS, "INFO", {"n": 2})
    assert (log.attributes, log.resource, log.scope) == (
        {"gen_ai.request.model": "gpt-4o"},
        {"service.name": "js-app"},
        "manual",
    )
    assert not log.attached


def test_the_older_event_name_attribute_names_the_event(client: TestClient, store: Store) -> None:
    old = json_record(
        eventName=None,
        attributes=[{"key": "event.name", "value": {"stringValue": "gen_ai.choice"}}],
    )
    client.post("/v1/logs", content=orjson.dumps(json_request(old)), headers=JSON)
    assert store.list_logs(TRACE)[0].event()["name"] == "gen_ai.choice"


def test_a_gzipped_protobuf_request_is_stored(client: TestClient, store: Store) -> None:
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.trace_id, record.span_id = bytes.fromhex(TRACE), bytes.fromhex(SPAN)
    record.time_unix_nano, record.event_name = 7, DETAILS
    record.body.string_value = "hello"
    resp = client.post(
        "/v1/logs",
        content=gzip.compress(request.SerializeToString()),
        headers={**PROTOBUF, "content-encoding": "gzip"},
    )
    assert resp.status_code == 200
    assert ExportLogsServiceResponse.FromString(resp.content) == ExportLogsServiceResponse()
    [log] = store.list_logs(TRACE)
    assert (log.time_ns, log.event_name, log.body) == (7, DETAILS, "hello")


def test_records_without_a_span_are_dropped_with_a_partial_success(
    client: TestClient, store: Store
) -> None:
    records = [
        json_record(),
        json_record(traceId=None, spanId=None),  # logged outside any span
        json_record(spanId=""),  # a trace but no span: nothing to attach to
        json_record(traceId="0" * 32, spanId="0" * 16),  # the SDKs' invalid span context
    ]
    resp = client.post("/v1/logs", content=orjson.dumps(json_request(*records)), headers=JSON)
    assert resp.status_code == 200
    partial = resp.json()["partialSuccess"]
    assert int(partial["rejectedLogRecords"]) == 3
    assert "without a trace and span id" in partial["errorMessage"]
    assert len(store.list_logs()) == 1


def test_the_partial_success_comes_in_protobuf_for_a_protobuf_request(
    client: TestClient, store: Store
) -> None:
    request = ExportLogsServiceRequest()
    request.resource_logs.add().scope_logs.add().log_records.add().body.string_value = "stray"
    resp = client.post("/v1/logs", content=request.SerializeToString(), headers=PROTOBUF)
    answer = ExportLogsServiceResponse.FromString(resp.content)
    assert (resp.status_code, answer.partial_success.rejected_log_records) == (200, 1)
    assert store.list_logs() == []


def test_a_record_arriving_after_its_span_shows_in_the_read_api(
    client: TestClient, store: Store
) -> None:
    chat = builders.span("chat", span_id=int(SPAN, 16), trace_id=bytes.fromhex(TRACE))
    traces = builders.request(chat).SerializeToString()
    assert client.post("/v1/traces", content=traces, headers=PROTOBUF).status_code == 200
    client.post("/v1/logs", content=orjson.dumps(json_request(json_record())), headers=JSON)
    [span] = client.get(f"/api/traces/{TRACE}").json()["spans"]
    assert span["events"] == [
        {
            "name": DETAILS,
            "time_ns": 1700000000000000500,
            "attributes": {"gen_ai.request.model": "gpt-4o"},
            "body": {"n": 2},
            "severity": "INFO",
            "source": "log",
        }
    ]


# --- bad input ----------------------------------------------------------------------------------

WHERE = "resourceLogs[0].scopeLogs[0].logRecords[0]"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            json_record(spanId="zz" * 8),
            f"{WHERE}.spanId: 'zzzzzzzzzzzzzzzz' is not a 16-character hex id",
        ),
        (json_record(traceId="ab"), f"{WHERE}.traceId: 'ab' is not a 32-character hex id"),
        (
            json_record(timeUnixNano=str(2**64 - 1)),
            f"{WHERE}.timeUnixNano: {2**64 - 1} is beyond year 2262",
        ),
        (json_record(severityNumber=99), f"{WHERE}.severityNumber: 99 is not a severity (0 to 24)"),
        (
            json_record(body={"bytesValue": "@@@@"}),
            f"{WHERE}.body.bytesValue: '@@@@' is not base64",
        ),
        (json_record(attributes=[{"key": "k", "value": {"intValue": "x"}}]), "invalid OTLP JSON"),
    ],
    ids=["span-id", "trace-id", "time", "severity", "bytes", "int"],
)
def test_a_bad_json_record_is_a_400_naming_it_and_nothing_is_stored(
    client: TestClient, store: Store, record: dict[str, Any], message: str
) -> None:
    good = json_record(spanId="a" * 16)
    body = orjson.dumps(json_request(record, good))
    # A bad record anywhere refuses the request: put it first so WHERE names it.
    resp = client.post("/v1/logs", content=body, headers=JSON)
    assert resp.status_code == 400, resp.text
    assert message in resp.json()["message"]
    assert store.list_logs() == []


def test_a_record_with_a_short_span_id_in_protobuf_is_a_400(
    client: TestClient, store: Store
) -> None:
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.trace_id, record.span_id = bytes.fromhex(TRACE), b"\x01\x02\x03"
    resp = client.post("/v1/logs", content=request.SerializeToString(), headers=PROTOBUF)
    assert resp.status_code == 400
    assert f"{WHERE}.spanId: must be 8 bytes, got 3".encode() in resp.content
    assert store.list_logs() == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x0a\xff", PROTOBUF, 400),
        (b"{not json", JSON, 400),
        (b'{"resourceLogs": {}}', JSON, 400),
        (b"{}", {"content-type": "text/plain"}, 415),
    ],
    ids=["truncated-protobuf", "malformed-json", "wrong-shape", "content-type"],
)
def test_malformed_requests_are_refused(
    client: TestClient, store: Store, body: bytes, headers: dict[str, str], status: int
) -> None:
    assert client.post("/v1/logs", content=body, headers=headers).status_code == status
    assert store.list_logs() == []


def test_a_body_over_the_limit_is_a_413(store: Store) -> None:
    with TestClient(create_app(store, max_body_bytes=1000)) as small:
        big = orjson.dumps(json_request(json_record(body={"stringValue": "x" * 2000})))
        resp = small.post("/v1/logs", content=big, headers=JSON)
    assert resp.status_code == 413 and "exceeds the server's limit of 1000 bytes" in resp.text
    assert store.list_logs() == []


def test_the_store_being_down_is_a_503_with_retry_after(down_store: Store) -> None:
    with TestClient(create_app(down_store)) as down:
        resp = down.post(
            "/v1/logs", content=orjson.dumps(json_request(json_record())), headers=JSON
        )
    assert resp.status_code == 503 and resp.headers["retry-after"]


@pytest.mark.postgres
def test_records_reach_their_spans_on_postgresql(pg_url: str) -> None:
    with Store(pg_url) as store, TestClient(create_app(store)) as pg:
        resp = pg.post("/v1/logs", content=orjson.dumps(json_request(json_record())), headers=JSON)
        assert resp.status_code == 200
        assert [(log.trace_id, log.body) for log in store.list_logs()] == [(TRACE, {"n": 2})]


def test_the_log_exporter_setup_in_the_docs_runs_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import opentelemetry._logs

    doc = (Path(__file__).parents[2] / "docs" / "server.md").read_text(encoding="utf-8")
    [setup] = [
        code
        for code in re.findall(r"^```python\n(.*?)^```$", doc, re.M | re.S)
        if code.startswith("from opentelemetry._logs")
    ]
    installed: list[LoggerProvider] = []
    monkeypatch.setattr(opentelemetry._logs, "set_logger_provider", installed.append)
    names: dict[str, Any] = {}
    exec(compile(setup, "docs/server.md", "exec"), names)
    names["logs"].shutdown()  # nothing was sent: the example only sets the exporter up
    assert installed == [names["logs"]]
