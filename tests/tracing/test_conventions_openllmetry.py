"""OpenLLMetry (Traceloop) spans -> prodready kinds and the canonical LLM call.

LL_CHAT is what ``opentelemetry-instrumentation-openai`` 0.62.4 (OpenLLMetry, semantic
conventions AI 0.5.1) really sent for ``openai`` calls against
``prodready.testing.ScriptedModelServer``: GenAI names only. The Traceloop SDK's decorator
spans and the older (pre-0.5) keys are built from OpenLLMetry's source
(``opentelemetry.semconv_ai.SpanAttributes``, ``traceloop/sdk/decorators/base.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from prodready.server.otlp import decode
from prodready.tracing import attributes as attrs
from prodready.tracing import prices
from prodready.tracing.conventions import translate
from tests.tracing.test_conventions_llm import otlp_protobuf

LL_CHAT: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.is_streaming": False,
    "gen_ai.openai.api_base": "http://127.0.0.1:39355/v1/",
    "gen_ai.input.messages": '[{"role": "system", "parts": [{"content": "You are a bank.", "type": "text"}]}, {"role": "user", "parts": [{"content": "Is my card 1234 active?", "type": "text"}]}]',  # noqa: E501
    "gen_ai.tool.definitions": '[{"type": "function", "name": "get_card", "description": "card status", "parameters": {"type": "object", "properties": {"card": {"type": "string"}}}}]',  # noqa: E501
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-0",
    "gen_ai.response.finish_reasons": ["tool_call"],
    "gen_ai.usage.total_tokens": 9,
    "gen_ai.usage.output_tokens": 0,
    "gen_ai.usage.input_tokens": 9,
    "gen_ai.usage.cache_read.input_tokens": 3,
    "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "tool_call", "name": "get_card", "id": "call_0_0", "arguments": {"card": "1234"}}], "finish_reason": "tool_call"}]',  # noqa: E501
}
LL_EMBEDDING: dict[str, Any] = {
    "gen_ai.operation.name": "embeddings",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "text-embedding-3-small",
    "gen_ai.is_streaming": False,
    "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hello world"}]}]',  # noqa: E501
    "gen_ai.openai.api_base": "http://127.0.0.1:39355/v1/",
    "gen_ai.response.model": "text-embedding-3-small",
    "gen_ai.usage.total_tokens": 2,
    "gen_ai.usage.input_tokens": 2,
    "gen_ai.usage.cache_read.input_tokens": 0,
}
# What the Traceloop SDK's @tool / @workflow / @task / @agent decorators set.
TOOL: dict[str, Any] = {
    "traceloop.span.kind": "tool",
    "traceloop.entity.name": "get_card",
    "traceloop.entity.path": "answer.get_card",
    "traceloop.workflow.name": "support",
    "traceloop.entity.input": '{"args": [], "kwargs": {"card": "1234"}}',
    "traceloop.entity.output": '"active"',
    "traceloop.association.properties.session_id": "s-42",
    "traceloop.association.properties.user_id": "u-7",
}
# An OpenLLMetry instrumentation before semantic-conventions-ai 0.5 (llm.* and old gen_ai.*).
OLD_CHAT: dict[str, Any] = {
    "llm.request.type": "chat",
    "gen_ai.system": "OpenAI",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.prompt.0.role": "user",
    "gen_ai.prompt.0.content": "Is my card 1234 active?",
    "gen_ai.completion.0.role": "assistant",
    "gen_ai.completion.0.content": "Yes.",
    "gen_ai.completion.0.finish_reason": "stop",
    "llm.usage.total_tokens": 14,
    "gen_ai.usage.prompt_tokens": 10,
    "gen_ai.usage.completion_tokens": 4,
    "gen_ai.usage.cache_read_input_tokens": 2,
    "llm.is_streaming": False,
}


@pytest.fixture(autouse=True)
def _shipped_prices() -> None:
    prices.use(None)


def tr(attributes: dict[str, Any], name: str = "span") -> tuple[str, dict[str, Any]]:
    return translate(attributes, name=name, otel_kind="internal")


def added(attributes: dict[str, Any], name: str = "span") -> dict[str, Any]:
    out = tr(attributes, name)[1]
    assert out.items() >= attributes.items()
    return {key: out[key] for key in out.keys() - attributes.keys()}


@pytest.mark.parametrize(
    ("value", "kind"),
    [("workflow", "workflow"), ("task", "step"), ("agent", "agent"), ("tool", "tool")],
)
def test_traceloop_span_kinds(value: str, kind: str) -> None:
    assert tr({"traceloop.span.kind": value, "traceloop.entity.name": "x"})[0] == kind


def test_an_unknown_traceloop_kind_falls_through_to_the_other_conventions() -> None:
    span = {"traceloop.span.kind": "unknown", "gen_ai.operation.name": "chat"}
    assert tr(span)[0] == "llm"
    assert tr({"traceloop.span.kind": "unknown"})[0] == "unknown"


@pytest.mark.parametrize(
    ("request_type", "kind", "operation"),
    [
        ("chat", "llm", "chat"),
        ("completion", "llm", "text_completion"),
        ("embedding", "embedding", "embeddings"),
        ("rerank", "reranker", None),
    ],
)
def test_llm_request_types(request_type: str, kind: str, operation: str | None) -> None:
    out_kind, out = tr({"llm.request.type": request_type})
    assert (out_kind, out.get(attrs.GEN_AI_OPERATION)) == (kind, operation)


def test_a_tool_span_carries_its_name_arguments_result_and_the_association_ids() -> None:
    assert added(TOOL, "get_card.tool") == {
        attrs.GEN_AI_TOOL_NAME: "get_card",
        attrs.TOOL_ARGUMENTS: '{"args": [], "kwargs": {"card": "1234"}}',
        attrs.TOOL_RESULT: '"active"',
        attrs.INPUT: '{"args": [], "kwargs": {"card": "1234"}}',
        attrs.OUTPUT: '"active"',
        attrs.SESSION_ID: "s-42",
        attrs.USER_ID: "u-7",
    }


def test_the_entity_name_names_the_agent_or_the_workflow() -> None:
    agent = {"traceloop.span.kind": "agent", "traceloop.entity.name": "support"}
    assert added(agent)[attrs.GEN_AI_AGENT_NAME] == "support"
    workflow = {"traceloop.span.kind": "workflow", "traceloop.entity.name": "nightly"}
    assert added(workflow)[attrs.GEN_AI_WORKFLOW_NAME] == "nightly"


def test_a_current_openllmetry_chat_is_priced_with_its_cached_tokens() -> None:
    kind, out = tr(LL_CHAT, "openai.chat")
    mini = prices.shipped()["gpt-4o-mini"]
    assert mini.cached_input is not None
    assert kind == "llm" and out[attrs.LLM_COST_SOURCE] == "price_table"
    assert out[attrs.LLM_COST] == pytest.approx((6 * mini.input + 3 * mini.cached_input) / 1e6)


def test_a_current_openllmetry_embedding_is_an_embedding_call() -> None:
    kind, out = tr(LL_EMBEDDING, "openai.embeddings")
    assert kind == "embedding" and out[attrs.LLM_COST] == pytest.approx(2 * 0.02 / 1e6)


def test_an_older_openllmetry_chat_reads_as_the_current_names() -> None:
    kind, extra = tr(OLD_CHAT, "openai.chat")[0], added(OLD_CHAT, "openai.chat")
    assert kind == "llm"
    assert extra[attrs.GEN_AI_OPERATION] == "chat"
    assert extra[attrs.GEN_AI_SYSTEM] == "OpenAI"
    assert (extra[attrs.GEN_AI_INPUT_TOKENS], extra[attrs.GEN_AI_OUTPUT_TOKENS]) == (10, 4)
    assert extra[attrs.GEN_AI_CACHE_READ_TOKENS] == 2
    assert extra[attrs.GEN_AI_TOTAL_TOKENS] == 14
    assert extra[attrs.LLM_COST_SOURCE] == "price_table"


def test_openllmetry_spans_through_otlp_protobuf() -> None:
    body = otlp_protobuf(("get_card.tool", TOOL), ("openai.chat", LL_CHAT))
    records = {r.name: r for r in decode(body, "protobuf")}
    tool, chat = records["get_card.tool"], records["openai.chat"]
    assert (tool.kind, tool.attributes[attrs.GEN_AI_TOOL_NAME]) == ("tool", "get_card")
    assert tool.attributes[attrs.SESSION_ID] == "s-42"
    assert chat.kind == "llm" and chat.attributes[attrs.LLM_COST] > 0


# Run in a child process: uninstrument() leaves OpenLLMetry's wrappers on the openai client
# classes, which would add spans to every later test of the session.
_LIVE = """
import json
import openai
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prodready.testing import ScriptedModelServer, ScriptedReply

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
OpenAIInstrumentor().instrument(tracer_provider=provider)
reply = ScriptedReply(content="Active.", model="gpt-4o-mini-2024-07-18", cached_tokens=3)
with ScriptedModelServer([reply]) as server:
    openai.OpenAI(base_url=server.base_url, api_key="x").chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Is my card 1234 active?"}],
        temperature=0.2,
    )
(span,) = exporter.get_finished_spans()
print(json.dumps({"name": span.name, "attributes": dict(span.attributes)}))
"""


def test_what_the_real_openllmetry_openai_instrumentation_sends_is_normalised() -> None:
    """Runs ``opentelemetry-instrumentation-openai`` (OpenLLMetry) when it is installed."""
    pytest.importorskip("opentelemetry.instrumentation.openai")
    pytest.importorskip("openai")
    done = subprocess.run(
        [sys.executable, "-c", _LIVE], capture_output=True, text=True, timeout=60, check=True
    )
    span = json.loads(done.stdout.strip().splitlines()[-1])
    kind, out = translate(span["attributes"], name=span["name"], otel_kind="client")
    assert kind == "llm"
    assert out[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert out[attrs.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert out[attrs.GEN_AI_CACHE_READ_TOKENS] == 3
    assert out[attrs.LLM_COST_SOURCE] == "price_table" and out[attrs.LLM_COST] > 0
