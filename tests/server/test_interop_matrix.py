"""What real instrumentation sends, in every mode and both OTLP encodings, reads back whole.

The real ``openinference-instrumentation-openai`` and ``opentelemetry-instrumentation-openai-v2``
(content on the span, and content as events sent as OTLP log records) instrument the real
``openai`` client calling ``prodready.testing``'s model server: a tool-calling chat of two
calls and an embedding. The spans and log records they made are sent to a live server over
OTLP/HTTP in protobuf (by the official exporters) and in OTLP/JSON (the same requests, in the
JSON mapping with hex ids), logs before or after the spans. Then ``traces show`` and the read
API must show the model, every message, the tool call with its arguments, the tokens and a
cost from the price table.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from prodready.tracing.llm import LLMCall
from tests.server.conftest import LiveServer
from tests.server.test_api_llm_calls import TRANSCRIPT, run_agent, shown, transcript_of

pytest.importorskip("openai")

MODES = ["openinference", "genai-span", "genai-event"]


class Captured:
    """A mode's instrumentation, recording into memory: spans and log records."""

    def __init__(self) -> None:
        resource = Resource.create({"service.name": "bank-bot"})
        self.spans = InMemorySpanExporter()
        self.logs = InMemoryLogRecordExporter()
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.logger_provider = LoggerProvider(resource=resource)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))


@pytest.fixture
def captured(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    mode = request.param
    cap = Captured()
    if mode == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OI

        OI().instrument(tracer_provider=cap.tracer_provider)
        uninstrument = OI().uninstrument
    else:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2

        content = "SPAN_ONLY" if mode == "genai-span" else "EVENT_ONLY"
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", content)
        V2().instrument(tracer_provider=cap.tracer_provider, logger_provider=cap.logger_provider)
        uninstrument = V2().uninstrument
    try:
        yield cap
    finally:
        uninstrument()
        cap.tracer_provider.shutdown()
        cap.logger_provider.shutdown()


def send(server: LiveServer, cap: Captured, encoding: str, *, logs_first: bool) -> None:
    spans = cap.spans.get_finished_spans()
    logs = cap.logs.get_finished_logs()
    steps = [("logs", logs), ("spans", spans)] if logs_first else [("spans", spans), ("logs", logs)]
    for signal, items in steps:
        if not items:
            continue
        if encoding == "protobuf":
            exporter: Any = (
                OTLPSpanExporter(endpoint=f"{server.url}/v1/traces")
                if signal == "spans"
                else OTLPLogExporter(endpoint=f"{server.url}/v1/logs")
            )
            assert exporter.export(items).name == "SUCCESS"
            exporter.shutdown()
        else:
            request = encode_spans(items) if signal == "spans" else encode_logs(items)
            path = "/v1/traces" if signal == "spans" else "/v1/logs"
            answer = httpx.post(f"{server.url}{path}", json=otlp_json(request), timeout=10)
            assert answer.status_code == 200, answer.text


def otlp_json(request: Any) -> dict[str, Any]:
    """A protobuf request in the OTLP/JSON mapping: the protobuf JSON mapping, but trace and
    span ids as hex (the spec's one exception to it)."""
    data = json_format.MessageToDict(request)
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                    node[key] = base64.b64decode(value).hex()
                else:
                    stack.append(value)
    return data


def chats_of(server: LiveServer, trace_id: str) -> Sequence[LLMCall]:
    body = httpx.get(f"{server.url}/api/traces/{trace_id}").json()
    calls = [LLMCall.model_validate(c) for c in body["llm_calls"].values()]
    return sorted((c for c in calls if c.input_messages), key=lambda c: len(c.input_messages))


@pytest.mark.parametrize("captured", MODES, indirect=True)
@pytest.mark.parametrize("encoding", ["protobuf", "json"])
@pytest.mark.parametrize("logs_first", [False, True], ids=["spans-first", "logs-first"])
def test_every_mode_and_encoding_reads_back_whole(
    live_server: LiveServer, captured: Captured, encoding: str, logs_first: bool
) -> None:
    trace_id = run_agent(captured.tracer_provider)
    captured.logger_provider.force_flush()
    send(live_server, captured, encoding, logs_first=logs_first)

    chats = chats_of(live_server, trace_id)
    assert len(chats) == 2, chats
    first, second = chats
    assert (first.request_model, first.response_model) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert first.output_messages[0].parts[0].model_dump() == {
        "type": "tool_call",
        "id": "call_0_0",
        "name": "get_card",
        "arguments": {"card": "1234"},
    }
    assert [m.role for m in second.input_messages] == ["system", "user", "assistant", "tool"]
    assert (second.usage.input_tokens, second.usage.output_tokens) == (10, 4)
    # gpt-4o-mini is in the shipped price table: a cost although no instrumentation sent one.
    assert second.cost_usd is not None and second.cost_usd > 0

    out = shown(live_server, trace_id)
    # OpenInference names a chat span ChatCompletion; GenAI "{operation} {model}".
    node = "ChatCompletion [llm]" if "ChatCompletion [llm]" in out else "chat gpt-4o-mini [llm]"
    assert transcript_of(out, node, nth=1) == TRANSCRIPT
    assert "$" in out  # the trace's cost, in the header

    listed = httpx.get(f"{live_server.url}/api/traces").json()["traces"]
    assert [t["trace_id"] for t in listed] == [trace_id]
    assert listed[0]["llm_calls"] == 3 and listed[0]["input_tokens"] == 21
    assert listed[0]["cost_usd"] > 0
