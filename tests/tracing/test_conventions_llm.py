"""The canonical LLM call at ingest, on the attribute sets real instrumentations send.

OI_* and V2_* are copied whole from what ``openinference-instrumentation-openai`` 0.1.66 and
``opentelemetry-instrumentation-openai-v2`` 2.4b0 sent for real ``openai`` calls against
``prodready.testing.ScriptedModelServer`` (a tool call answered with 3 cached prompt tokens,
then the final answer, then an embedding).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import prodready
from prodready import tracing
from prodready.evaluation import Case, CaseResult
from prodready.evaluation.scorers import cost_budget
from prodready.server.otlp import decode
from prodready.store import Store, TraceQuery
from prodready.testing import capture
from prodready.tracing import attributes as attrs
from prodready.tracing import prices
from prodready.tracing.conventions import translate

OI_CHAT: dict[str, Any] = {
    "llm.system": "openai",
    "input.value": '{"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "You are a bank."}, {"role": "user", "content": "Is my card 1234 active?"}], "temperature": 0.2, "tools": [{"type": "function", "function": {"name": "get_card", "description": "card status", "parameters": {"type": "object", "properties": {"card": {"type": "string"}}}}}]}',  # noqa: E501
    "input.mime_type": "application/json",
    "output.value": '{"id":"chatcmpl-0","choices":[{"finish_reason":"tool_calls","index":0,"message":{"content":null,"role":"assistant","tool_calls":[{"id":"call_0_0","function":{"arguments":"{\\"card\\":\\"1234\\"}","name":"get_card"},"type":"function"}]}}],"created":1796400388,"model":"gpt-4o-mini-2024-07-18","object":"chat.completion","usage":{"completion_tokens":0,"prompt_tokens":9,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":3}}}',  # noqa: E501
    "output.mime_type": "application/json",
    "llm.tools.0.tool.json_schema": '{"type": "function", "function": {"name": "get_card", "description": "card status", "parameters": {"type": "object", "properties": {"card": {"type": "string"}}}}}',  # noqa: E501
    "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0.2}',
    "llm.input_messages.0.message.role": "system",
    "llm.input_messages.0.message.content": "You are a bank.",
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.content": "Is my card 1234 active?",
    "llm.model_name": "gpt-4o-mini-2024-07-18",
    "llm.token_count.total": 9,
    "llm.token_count.prompt": 9,
    "llm.token_count.completion": 0,
    "llm.token_count.prompt_details.cache_read": 3,
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_0_0",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_card",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"card":"1234"}',
    "llm.finish_reason": "tool_calls",
    "openinference.span.kind": "LLM",
}
OI_EMBEDDING: dict[str, Any] = {
    "llm.system": "openai",
    "input.value": '{"model": "text-embedding-3-small", "input": ["hello world"], "encoding_format": "base64"}',  # noqa: E501
    "input.mime_type": "application/json",
    "output.mime_type": "application/json",
    "embedding.invocation_parameters": '{"model": "text-embedding-3-small", "encoding_format": "base64"}',  # noqa: E501
    "embedding.embeddings.0.embedding.text": "hello world",
    "llm.token_count.total": 2,
    "llm.token_count.prompt": 2,
    "embedding.model_name": "text-embedding-3-small",
    "embedding.embeddings.0.embedding.vector": [0.2255, -0.198, -0.3471, 0.2255],
    "openinference.span.kind": "EMBEDDING",
}
V2_CHAT: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.temperature": 0.2,
    "gen_ai.response.finish_reasons": ["tool_calls"],
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-0",
    "gen_ai.usage.input_tokens": 9,
    "gen_ai.usage.output_tokens": 0,
}
V2_ANSWER: dict[str, Any] = {
    **V2_CHAT,
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 4,
}
del V2_ANSWER["gen_ai.request.temperature"]
MINI = prices.shipped()["gpt-4o-mini"]


@pytest.fixture(autouse=True)
def _shipped_prices() -> None:
    prices.use(None)


def tr(attributes: dict[str, Any], name: str = "span") -> tuple[str, dict[str, Any]]:
    return translate(attributes, name=name, otel_kind="internal")


def added(attributes: dict[str, Any], name: str = "span") -> dict[str, Any]:
    out = tr(attributes, name)[1]
    assert out.items() >= attributes.items()  # translators only add
    return {key: out[key] for key in out.keys() - attributes.keys()}


def test_openinference_chat_is_the_requested_model_with_the_answering_one_beside_it() -> None:
    extra = added(OI_CHAT)
    assert extra[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert extra[attrs.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert extra[attrs.GEN_AI_SYSTEM] == "openai"
    assert extra[attrs.GEN_AI_OPERATION] == "chat"
    assert extra[attrs.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert extra[attrs.GEN_AI_FINISH_REASONS] == ["tool_calls"]


def test_openinference_tokens_and_cached_tokens_are_priced_from_the_table() -> None:
    extra = added(OI_CHAT)
    assert (extra[attrs.GEN_AI_INPUT_TOKENS], extra[attrs.GEN_AI_OUTPUT_TOKENS]) == (9, 0)
    assert extra[attrs.GEN_AI_CACHE_READ_TOKENS] == 3
    assert extra[attrs.GEN_AI_TOTAL_TOKENS] == 9
    assert MINI.cached_input is not None
    expected = (6 * MINI.input + 3 * MINI.cached_input) / 1e6
    assert extra[attrs.LLM_COST] == pytest.approx(expected)
    assert extra[attrs.LLM_COST_SOURCE] == "price_table"


def test_openinference_embedding_reads_the_embedding_keys() -> None:
    extra = added(OI_EMBEDDING, "CreateEmbeddings")
    assert tr(OI_EMBEDDING)[0] == "embedding"
    assert extra[attrs.GEN_AI_OPERATION] == "embeddings"
    assert extra[attrs.GEN_AI_REQUEST_MODEL] == extra[attrs.GEN_AI_RESPONSE_MODEL]
    assert extra[attrs.GEN_AI_INPUT_TOKENS] == 2
    assert extra[attrs.LLM_COST] == pytest.approx(2 * 0.02 / 1e6)


def test_a_failed_openinference_call_keeps_its_model_from_the_invocation_parameters() -> None:
    answer = ("llm.model", "output", "llm.token", "llm.output", "llm.finish")
    failed = {k: v for k, v in OI_CHAT.items() if not k.startswith(answer)}
    extra = added(failed)
    assert extra[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert attrs.GEN_AI_RESPONSE_MODEL not in extra and attrs.LLM_COST not in extra


def test_a_failed_call_without_parameters_takes_the_model_of_its_json_request_body() -> None:
    failed = {
        "openinference.span.kind": "LLM",
        "input.value": '{"model": "gpt-4.1", "messages": []}',
        "input.mime_type": "application/json",
    }
    assert added(failed)[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4.1"


def test_openinference_reported_cost_and_reasoning_tokens_are_kept_as_reported() -> None:
    span = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "o3-2025-04-16",
        "llm.token_count.prompt": 100,
        "llm.token_count.completion": 500,
        "llm.token_count.completion_details.reasoning": 400,
        "llm.cost.prompt": 0.0002,
        "llm.cost.completion": 0.004,
    }
    extra = added(span)
    assert extra[attrs.GEN_AI_REASONING_TOKENS] == 400
    assert extra[attrs.LLM_COST] == pytest.approx(0.0042)
    assert (extra[attrs.LLM_INPUT_COST], extra[attrs.LLM_OUTPUT_COST]) == (0.0002, 0.004)
    assert extra[attrs.LLM_COST_SOURCE] == "reported"


def test_langchain_invocation_parameters_may_name_the_model_model_name() -> None:
    span = {
        "openinference.span.kind": "LLM",
        "llm.invocation_parameters": '{"model_name": "claude-3-5-sonnet-20241022", "stop": null}',
        "llm.model_name": "claude-3-5-sonnet-20241022-v2",
    }
    assert added(span)[attrs.GEN_AI_REQUEST_MODEL] == "claude-3-5-sonnet-20241022"


def test_invocation_parameters_become_genai_request_parameters() -> None:
    span = {
        "openinference.span.kind": "LLM",
        "llm.invocation_parameters": '{"model": "gpt-4o", "max_completion_tokens": 50, "top_p": 0.9, "stop": "END", "seed": 7, "n": 2, "frequency_penalty": 0.1, "presence_penalty": 0.2, "tool_choice": "auto"}',  # noqa: E501
    }
    extra = added(span)
    assert {k: v for k, v in extra.items() if k.startswith("gen_ai.request.")} == {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.seed": 7,
        "gen_ai.request.choice.count": 2,
        "gen_ai.request.frequency_penalty": 0.1,
        "gen_ai.request.presence_penalty": 0.2,
    }


def test_genai_v2_spans_only_gain_a_cost_they_already_say_everything_else() -> None:
    assert added(V2_ANSWER, "chat gpt-4o-mini") == {
        attrs.LLM_COST: pytest.approx((10 * MINI.input + 4 * MINI.output) / 1e6),
        attrs.LLM_INPUT_COST: pytest.approx(10 * MINI.input / 1e6),
        attrs.LLM_OUTPUT_COST: pytest.approx(4 * MINI.output / 1e6),
        attrs.LLM_COST_SOURCE: "price_table",
    }


def test_the_request_model_prices_the_call_before_the_response_model() -> None:
    span = {**V2_ANSWER, "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-mini"}
    gpt4o = prices.shipped()["gpt-4o"]
    assert added(span)[attrs.LLM_COST] == pytest.approx((10 * gpt4o.input + 4 * gpt4o.output) / 1e6)


def test_a_model_without_a_price_gets_no_cost() -> None:
    span = {**V2_ANSWER, "gen_ai.request.model": "acme-7b", "gen_ai.response.model": "acme-7b"}
    assert added(span) == {}


def test_a_span_that_reports_its_cost_keeps_it() -> None:
    span = {**V2_ANSWER, attrs.LLM_COST: 0.5}
    assert added(span) == {attrs.LLM_COST_SOURCE: "reported"}
    assert added({**V2_ANSWER, "gen_ai.usage.cost": 0.25})[attrs.LLM_COST] == 0.25


def test_only_model_calls_are_priced() -> None:
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 5}  # fmt: skip
    assert attrs.LLM_COST not in tr(tool)[1]


def test_older_genai_names_are_read_as_the_current_ones() -> None:
    span = {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-3-5-sonnet-20241022",
        "gen_ai.usage.prompt_tokens": 1000,
        "gen_ai.usage.completion_tokens": 10,
        "gen_ai.usage.cache_read_input_tokens": 800,
        "gen_ai.usage.cache_creation_input_tokens": 100,
        "gen_ai.usage.reasoning_tokens": 4,
        "gen_ai.response.finish_reason": "end_turn",
    }
    extra = added(span)
    assert extra[attrs.GEN_AI_CACHE_READ_TOKENS] == 800
    assert extra[attrs.GEN_AI_CACHE_CREATION_TOKENS] == 100
    assert extra[attrs.GEN_AI_REASONING_TOKENS] == 4
    assert extra[attrs.GEN_AI_FINISH_REASONS] == ["end_turn"]
    assert extra[attrs.LLM_COST] == pytest.approx((200 * 3 + 800 * 0.3 + 10 * 15) / 1e6)


def test_configured_prices_reach_translate() -> None:
    with capture(prices={"gpt-4o-mini": {"input": 1000.0, "output": 0.0}}):
        assert tr(V2_ANSWER)[1][attrs.LLM_COST] == pytest.approx(10 * 1000.0 / 1e6)


# --- the cost scorers and the store read what ingest wrote ----------------------------------


def _recorded_with_a_foreign_span(attributes: dict[str, Any]) -> Any:
    with capture() as cap:
        with prodready.span("support turn", kind="agent"):
            tracing.tracer().start_span("ChatCompletion", attributes=attributes).end()
        return cap.trace()


async def test_the_cost_budget_scores_an_openinference_trace_with_tokens_only() -> None:
    trace = _recorded_with_a_foreign_span(OI_CHAT)
    case = Case(id="c1", input="is my card active?")
    result = CaseResult(case_id="c1", case_hash=case.content_hash(), output="", trace=trace)
    score = await cost_budget(max_usd=0.01)(case, result)
    assert score.error is None and score.passed is True
    assert score.value == pytest.approx((6 * 0.15 + 3 * 0.075) / 1e6)


def otlp_protobuf(*spans: tuple[str, dict[str, Any]]) -> bytes:
    """A protobuf export request, encoded by the official exporter from real SDK spans."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("turn"):
        for name, attributes in spans:
            tracer.start_span(name, attributes=attributes).end()
    provider.shutdown()
    return encode_spans(exporter.get_finished_spans()).SerializeToString()


def test_ingest_throughotlp_protobuf_normalises_both_conventions_alike() -> None:
    body = otlp_protobuf(("ChatCompletion", OI_CHAT), ("chat gpt-4o-mini", V2_CHAT))
    records = {r.name: r for r in decode(body, "protobuf")}
    oi, v2 = records["ChatCompletion"].attributes, records["chat gpt-4o-mini"].attributes
    assert records["ChatCompletion"].kind == records["chat gpt-4o-mini"].kind == "llm"
    for key in (
        attrs.GEN_AI_REQUEST_MODEL,
        attrs.GEN_AI_RESPONSE_MODEL,
        attrs.GEN_AI_SYSTEM,
        attrs.GEN_AI_OPERATION,
        attrs.GEN_AI_REQUEST_TEMPERATURE,
        attrs.GEN_AI_FINISH_REASONS,
        attrs.GEN_AI_INPUT_TOKENS,
        attrs.GEN_AI_OUTPUT_TOKENS,
        attrs.LLM_COST_SOURCE,
    ):
        assert oi[key] == v2[key], key
    # v2 does not report the 3 cached tokens, so OpenInference's call is priced lower.
    assert oi[attrs.LLM_COST] < v2[attrs.LLM_COST]


def test_a_requested_model_filter_finds_openinference_traces(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    store.write_spans(decode(otlp_protobuf(("ChatCompletion", OI_CHAT)), "protobuf"))
    found = store.list_traces(TraceQuery(attributes={attrs.GEN_AI_REQUEST_MODEL: "gpt-4o-mini"}))
    assert len(found) == 1
    (trace,) = store.get_traces([found[0].trace_id]).values()
    (call,) = (s for s in trace.spans if s.kind == "llm")
    assert call.attributes[attrs.LLM_COST] == pytest.approx((6 * 0.15 + 3 * 0.075) / 1e6)
