"""GET /api/traces/{id} returns each LLM call normalised (``llm_calls``), and real
instrumentation exported to a live server reads back as a transcript in ``traces show``.

End to end: the ``openai`` client against prodready.testing's model server, instrumented by
openinference-instrumentation-openai or opentelemetry-instrumentation-openai-v2 (content on
the span), exported by the official OTLP/HTTP exporter to ``prodready serve``'s app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from typer.testing import CliRunner

from prodready.cli import app
from prodready.store import SpanRecord, Store
from prodready.testing import ScriptedModelServer
from prodready.testing._model_server import ScriptedReply
from prodready.tracing.conventions import translate
from prodready.tracing.llm import LLMCall
from tests.server.conftest import LiveServer
from tests.tracing.test_llm_call import OI_TOOL_CALL

pytest.importorskip("openai")

TRACE = "7a" * 16


def write_call(store: Store, attributes: dict[str, Any]) -> None:
    kind, translated = translate(attributes, name="ChatCompletion", otel_kind="internal")
    store.write_spans(
        [
            SpanRecord(
                trace_id=TRACE,
                span_id="1" * 16,
                parent_span_id=None,
                name="ChatCompletion",
                kind=kind,
                start_ns=1_790_000_000_000_000_000,
                end_ns=1_790_000_000_500_000_000,
                attributes=translated,
            )
        ]
    )


def test_trace_has_its_llm_calls_by_span_id(client: TestClient, store: Store) -> None:
    write_call(store, OI_TOOL_CALL)
    body = client.get(f"/api/traces/{TRACE}").json()
    call = LLMCall.model_validate(body["llm_calls"]["1" * 16])
    assert [m.role for m in call.input_messages] == ["system", "user"]
    assert call.output_messages[0].parts[0].type == "tool_call"
    # every field of the stored trace is still there, raw attributes included
    assert set(body) == {"summary", "resource", "spans", "llm_calls"}
    assert body["spans"][0]["attributes"]["llm.input_messages.1.message.role"] == "user"


def test_a_trace_without_model_calls_has_none(client: TestClient, store: Store) -> None:
    write_call(store, {"openinference.span.kind": "TOOL", "tool.name": "lookup"})
    assert client.get(f"/api/traces/{TRACE}").json()["llm_calls"] == {}


def test_openapi_schema_describes_the_normalised_call(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/api/traces/{trace_id}"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/TraceDetail")
    models = schema["components"]["schemas"]
    assert models["TraceDetail"]["properties"]["llm_calls"]["additionalProperties"]["$ref"] == (
        "#/components/schemas/LLMCall"
    )
    parts = models["Message"]["properties"]["parts"]["items"]["oneOf"]
    assert {p["$ref"].rsplit("/", 1)[1] for p in parts} == {
        "TextPart",
        "ToolCallPart",
        "ToolCallResponsePart",
        "GenericPart",
    }
    assert {"usage", "input_messages", "tool_definitions", "sources"} <= set(
        models["LLMCall"]["properties"]
    )


# --- end to end ------------------------------------------------------------------------------

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_card",
            "description": "card status",
            "parameters": {"type": "object", "properties": {"card": {"type": "string"}}},
        },
    }
]
ASK = [
    {"role": "system", "content": "You are a bank."},
    {"role": "user", "content": "Is my card 1234 active?"},
]


def run_agent(provider: TracerProvider) -> str:
    """A tool-calling chat of two calls and an embedding under one root span; its trace id."""
    import openai

    replies = [
        ScriptedReply(
            content="",
            tool_calls=[{"name": "get_card", "arguments": {"card": "1234"}}],
            model="gpt-4o-mini-2024-07-18",
            cached_tokens=3,
        ),
        ScriptedReply(content="Your card is active.", model="gpt-4o-mini-2024-07-18"),
    ]
    tracer = provider.get_tracer("tests.llm_calls")
    with ScriptedModelServer(replies) as model, tracer.start_as_current_span("agent") as root:
        client = openai.OpenAI(base_url=model.base_url, api_key="sk-test")
        first = client.chat.completions.create(
            model="gpt-4o-mini", messages=ASK, tools=TOOLS, temperature=0.2
        )  # type: ignore[call-overload]
        asked = first.choices[0].message
        call_id = asked.tool_calls[0].id  # type: ignore[index]
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                *ASK,
                asked.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call_id, "content": "active"},
            ],
            tools=TOOLS,
        )  # type: ignore[call-overload]
        client.embeddings.create(model="text-embedding-3-small", input=["hello world"])
    provider.force_flush()
    return format(root.get_span_context().trace_id, "032x")


def exporting_to(server: LiveServer) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "bank-bot"}))
    exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def openinference(live_server: LiveServer) -> Iterator[TracerProvider]:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    provider = exporting_to(live_server)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    try:
        yield provider
    finally:
        OpenAIInstrumentor().uninstrument()
        provider.shutdown()


@pytest.fixture
def genai_v2(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[TracerProvider]:
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    provider = exporting_to(live_server)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    try:
        yield provider
    finally:
        OpenAIInstrumentor().uninstrument()
        provider.shutdown()


@pytest.fixture
def genai_v2_events(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TracerProvider]:
    """Content as events: OTLP log records to /v1/logs, the span keeps only the scalars."""
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    provider = exporting_to(live_server)
    logs = LoggerProvider()
    logs.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{live_server.url}/v1/logs"))
    )
    OpenAIInstrumentor().instrument(tracer_provider=provider, logger_provider=logs)
    try:
        yield provider
    finally:
        OpenAIInstrumentor().uninstrument()
        provider.shutdown()
        logs.shutdown()


def shown(server: LiveServer, trace_id: str) -> str:
    result = CliRunner().invoke(
        app,
        ["--store", str(server.store.url), "traces", "show", trace_id],
        env={"COLUMNS": None, "PRODREADY_STORE_URL": None},
    )
    assert result.exit_code == 0, result.output
    return result.stdout


TRANSCRIPT = [
    "system    You are a bank.",
    "user      Is my card 1234 active?",
    'assistant → get_card({"card": "1234"}) [call_0_0]',
    "tool      [call_0_0] active",
    "assistant Your card is active.  [stop]",
]


def transcript_of(out: str, node: str, *, nth: int) -> list[str]:
    """The transcript lines under the ``nth`` span line containing ``node``."""
    lines = out.splitlines()
    at = [i for i, line in enumerate(lines) if node in line and "── " in line][nth]
    rest = []
    for line in lines[at + 1 :]:
        if "── " in line:
            break
        rest.append(line.lstrip("│ "))
    return [line for line in rest if not line.startswith(("tools offered", "params"))]


def test_openinference_calls_read_back_as_a_transcript(
    live_server: LiveServer, openinference: TracerProvider
) -> None:
    trace_id = run_agent(openinference)
    out = shown(live_server, trace_id)
    assert "LLM calls  3 · 21 in / 4 out tokens" in out
    first = "gpt-4o-mini (gpt-4o-mini-2024-07-18) · 9 in (3 cached) / 0 out tokens"
    assert "ChatCompletion [llm]" in out and first in out
    assert transcript_of(out, "ChatCompletion [llm]", nth=0) == [
        *TRANSCRIPT[:2],
        'assistant → get_card({"card": "1234"}) [call_0_0]  [tool_calls]',
    ]
    assert transcript_of(out, "ChatCompletion [llm]", nth=1) == TRANSCRIPT
    assert (
        "CreateEmbeddings [embedding]" in out
        and "text-embedding-3-small · 1 input · 2 tokens" in out
    )

    body = httpx.get(f"{live_server.url}/api/traces/{trace_id}").json()
    calls = [LLMCall.model_validate(c) for c in body["llm_calls"].values()]
    chats = sorted((c for c in calls if c.input_messages), key=lambda c: len(c.input_messages))
    assert [c.sources for c in chats] == [["openinference"], ["openinference"]]
    assert chats[0].output_messages[0].parts[0].model_dump() == {
        "type": "tool_call",
        "id": "call_0_0",
        "name": "get_card",
        "arguments": {"card": "1234"},
    }
    assert (chats[0].request_model, chats[0].usage.cached_input_tokens) == ("gpt-4o-mini", 3)
    assert [t.name for t in chats[0].tool_definitions] == ["get_card"]


def test_genai_v2_calls_read_back_as_a_transcript(
    live_server: LiveServer, genai_v2: TracerProvider
) -> None:
    trace_id = run_agent(genai_v2)
    out = shown(live_server, trace_id)
    assert "chat gpt-4o-mini [llm]" in out
    assert "gpt-4o-mini (gpt-4o-mini-2024-07-18) · 9 in / 0 out tokens" in out
    assert transcript_of(out, "chat gpt-4o-mini [llm]", nth=1) == TRANSCRIPT
    assert "params: temperature=0.2" in out

    body = httpx.get(f"{live_server.url}/api/traces/{trace_id}").json()
    calls = [LLMCall.model_validate(c) for c in body["llm_calls"].values()]
    chats = sorted((c for c in calls if c.input_messages), key=lambda c: len(c.input_messages))
    assert [c.sources for c in chats] == [["genai"], ["genai"]]
    assert chats[1].input_messages[3].parts[0].model_dump() == {
        "type": "tool_call_response",
        "id": "call_0_0",
        "response": "active",
    }
    assert chats[0].finish_reasons == ["tool_calls"] and chats[0].parameters == {"temperature": 0.2}


def test_genai_v2_event_mode_reads_back_from_the_log_records(
    live_server: LiveServer, genai_v2_events: TracerProvider
) -> None:
    trace_id = run_agent(genai_v2_events)
    out = shown(live_server, trace_id)
    assert transcript_of(out, "chat gpt-4o-mini [llm]", nth=1) == TRANSCRIPT
    assert "gen_ai.client.inference.operation.details" not in out  # fed the transcript

    body = httpx.get(f"{live_server.url}/api/traces/{trace_id}").json()
    calls = [LLMCall.model_validate(c) for c in body["llm_calls"].values()]
    assert sorted(len(c.input_messages) for c in calls) == [0, 2, 4]  # and the embedding
    assert {tuple(c.sources) for c in calls if c.input_messages} == {("genai_events",)}
