"""MLflow Tracing spans -> prodready kinds and the canonical LLM call.

Key names from MLflow's ``SpanAttributeKey`` and ``TokenUsageKey``
(``mlflow/tracing/constant.py``) and ``SpanType`` (``mlflow/entities/span.py``). MLflow
JSON-encodes every attribute value it sets, strings included (``"\\"CHAT_MODEL\\""``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from prodready.server.otlp import decode
from prodready.tracing import attributes as attrs
from prodready.tracing import prices
from prodready.tracing.conventions import translate
from tests.tracing.test_conventions_llm import otlp_protobuf

REQUEST = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Is my card 1234 active?"}],
    "temperature": 0.2,
    "max_tokens": 64,
}
CHAT: dict[str, Any] = {
    "mlflow.traceRequestId": json.dumps("tr-0af7651916cd43dd8448eb211c80319c"),
    "mlflow.spanType": json.dumps("CHAT_MODEL"),
    "mlflow.spanFunctionName": json.dumps("create"),
    "mlflow.spanInputs": json.dumps(REQUEST),
    "mlflow.spanOutputs": json.dumps({"id": "chatcmpl-0", "model": "gpt-4o-mini-2024-07-18"}),
    "mlflow.chat.tokenUsage": json.dumps(
        {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13, "cache_read_input_tokens": 3}
    ),
    "mlflow.llm.model": json.dumps("gpt-4o-mini"),
    "mlflow.llm.provider": json.dumps("openai"),
    "mlflow.message.format": json.dumps("openai"),
}


@pytest.fixture(autouse=True)
def _shipped_prices() -> None:
    prices.use(None)


def tr(attributes: dict[str, Any], name: str = "span") -> tuple[str, dict[str, Any]]:
    return translate(attributes, name=name, otel_kind="internal")


def added(attributes: dict[str, Any]) -> dict[str, Any]:
    out = tr(attributes)[1]
    assert out.items() >= attributes.items()
    return {key: out[key] for key in out.keys() - attributes.keys()}


@pytest.mark.parametrize(
    ("span_type", "kind"),
    [
        ("LLM", "llm"),
        ("CHAT_MODEL", "llm"),
        ("EMBEDDING", "embedding"),
        ("TOOL", "tool"),
        ("RETRIEVER", "retriever"),
        ("RERANKER", "reranker"),
        ("AGENT", "agent"),
        ("CHAIN", "workflow"),
        ("WORKFLOW", "workflow"),
        ("PARSER", "step"),
        ("TASK", "step"),
        ("MEMORY", "step"),
        ("GUARDRAIL", "guardrail"),
        ("EVALUATOR", "evaluator"),
        ("UNKNOWN", "unknown"),
    ],
)
def test_span_types_json_quoted_as_mlflow_writes_them(span_type: str, kind: str) -> None:
    assert tr({"mlflow.spanType": json.dumps(span_type)})[0] == kind


def test_a_bare_span_type_string_is_read_too() -> None:
    assert tr({"mlflow.spanType": "TOOL"})[0] == "tool"


def test_a_custom_span_type_falls_through_to_the_other_conventions() -> None:
    span = {"mlflow.spanType": json.dumps("MY_STEP"), "gen_ai.operation.name": "chat"}
    assert tr(span)[0] == "llm"
    assert tr({"mlflow.spanType": json.dumps("MY_STEP")})[0] == "unknown"


def test_a_chat_model_span_reads_model_provider_parameters_and_tokens() -> None:
    extra = added(CHAT)
    assert extra[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert extra[attrs.GEN_AI_SYSTEM] == "openai"
    assert extra[attrs.GEN_AI_OPERATION] == "chat"
    assert extra[attrs.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert extra[attrs.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert (extra[attrs.GEN_AI_INPUT_TOKENS], extra[attrs.GEN_AI_OUTPUT_TOKENS]) == (9, 4)
    assert extra[attrs.GEN_AI_CACHE_READ_TOKENS] == 3
    assert extra[attrs.GEN_AI_TOTAL_TOKENS] == 13
    assert extra[attrs.INPUT] == CHAT["mlflow.spanInputs"]
    assert extra[attrs.OUTPUT] == CHAT["mlflow.spanOutputs"]


def test_without_mlflow_llm_model_the_request_names_the_model() -> None:
    span = {k: v for k, v in CHAT.items() if k != "mlflow.llm.model"}
    assert added(span)[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"


def test_tokens_without_a_cost_are_priced() -> None:
    mini = prices.shipped()["gpt-4o-mini"]
    assert mini.cached_input is not None
    expected = (6 * mini.input + 3 * mini.cached_input + 4 * mini.output) / 1e6
    extra = added(CHAT)
    assert extra[attrs.LLM_COST] == pytest.approx(expected)
    assert extra[attrs.LLM_COST_SOURCE] == "price_table"


def test_mlflow_cost_is_reported_cost() -> None:
    cost = {"input_cost": 0.001, "output_cost": 0.002, "total_cost": 0.003}
    extra = added({**CHAT, "mlflow.llm.cost": json.dumps(cost)})
    assert (extra[attrs.LLM_COST], extra[attrs.LLM_COST_SOURCE]) == (0.003, "reported")
    assert (extra[attrs.LLM_INPUT_COST], extra[attrs.LLM_OUTPUT_COST]) == (0.001, 0.002)


def test_an_embedding_span_is_an_embeddings_operation() -> None:
    span = {
        "mlflow.spanType": json.dumps("EMBEDDING"),
        "mlflow.spanInputs": json.dumps({"model": "text-embedding-3-small", "input": ["hi"]}),
        "mlflow.chat.tokenUsage": json.dumps({"input_tokens": 2, "total_tokens": 2}),
    }
    extra = added(span)
    assert extra[attrs.GEN_AI_OPERATION] == "embeddings"
    assert extra[attrs.LLM_COST] == pytest.approx(2 * 0.02 / 1e6)


def test_a_tool_span_carries_its_arguments_and_result() -> None:
    tool = {
        "mlflow.spanType": json.dumps("TOOL"),
        "mlflow.spanInputs": json.dumps({"card": "1234"}),
        "mlflow.spanOutputs": json.dumps("active"),
    }
    extra = added(tool)
    assert extra[attrs.TOOL_ARGUMENTS] == '{"card": "1234"}'
    assert extra[attrs.TOOL_RESULT] == '"active"'


def test_mlflow_spans_through_otlp_protobuf() -> None:
    records = decode(otlp_protobuf(("Completions", CHAT)), "protobuf")
    (record,) = (r for r in records if r.name == "Completions")
    assert record.kind == "llm" and record.attributes[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert record.attributes[attrs.LLM_COST_SOURCE] == "price_table"
