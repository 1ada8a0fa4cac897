"""Langfuse (SDK v3 on OpenTelemetry) spans -> prodready kinds and the canonical LLM call.

Key names from the Langfuse Python SDK's ``LangfuseOtelSpanAttributes``
(``langfuse/_client/attributes.py``) and the server's ``OtelIngestionProcessor``. Usage
details count cached and reasoning tokens apart from ``input`` and ``output`` (Langfuse's
own ingestion subtracts them), so their GenAI totals add them back.
"""

from __future__ import annotations

from typing import Any

import pytest

from prodready.server.otlp import decode
from prodready.tracing import attributes as attrs
from prodready.tracing import prices
from prodready.tracing.conventions import translate
from tests.tracing.test_conventions_llm import otlp_protobuf

GENERATION: dict[str, Any] = {
    "langfuse.observation.type": "generation",
    "langfuse.observation.model.name": "gpt-4o-mini",
    "langfuse.observation.model.parameters": '{"temperature": 0.2, "max_tokens": 100}',
    "langfuse.observation.usage_details": (
        '{"input": 2140, "input_cached_tokens": 1024, "output": 96,'
        ' "output_reasoning_tokens": 310, "total": 3570}'
    ),
    "langfuse.observation.cost_details": (
        '{"input": 0.000535, "output": 0.000609, "total": 0.001144}'
    ),
    "langfuse.observation.input": '[{"role": "user", "content": "Is my card 1234 active?"}]',
    "langfuse.observation.output": '{"role": "assistant", "content": "Yes."}',
    "langfuse.observation.level": "DEFAULT",
    "langfuse.trace.name": "support turn",
    "user.id": "u-7",
    "session.id": "s-42",
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
    ("value", "kind"),
    [
        ("generation", "llm"),
        ("embedding", "embedding"),
        ("agent", "agent"),
        ("tool", "tool"),
        ("chain", "workflow"),
        ("retriever", "retriever"),
        ("evaluator", "evaluator"),
        ("guardrail", "guardrail"),
        ("span", "step"),
        ("event", "step"),
        ("GENERATION", "llm"),
    ],
)
def test_observation_types(value: str, kind: str) -> None:
    assert tr({"langfuse.observation.type": value})[0] == kind


def test_a_generation_reads_model_parameters_usage_and_reported_cost() -> None:
    extra = added(GENERATION)
    assert extra[attrs.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert extra[attrs.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert extra[attrs.GEN_AI_REQUEST_MAX_TOKENS] == 100
    assert extra[attrs.GEN_AI_INPUT_TOKENS] == 2140 + 1024
    assert extra[attrs.GEN_AI_OUTPUT_TOKENS] == 96 + 310
    assert extra[attrs.GEN_AI_CACHE_READ_TOKENS] == 1024
    assert extra[attrs.GEN_AI_REASONING_TOKENS] == 310
    assert extra[attrs.GEN_AI_TOTAL_TOKENS] == 3570
    assert (extra[attrs.LLM_COST], extra[attrs.LLM_COST_SOURCE]) == (0.001144, "reported")
    assert (extra[attrs.LLM_INPUT_COST], extra[attrs.LLM_OUTPUT_COST]) == (0.000535, 0.000609)
    assert extra[attrs.INPUT] == GENERATION["langfuse.observation.input"]
    assert extra[attrs.OUTPUT] == GENERATION["langfuse.observation.output"]


def test_cost_details_without_a_total_sum_their_parts() -> None:
    span = {**GENERATION, "langfuse.observation.cost_details": '{"input": 0.25, "output": 0.5}'}
    assert added(span)[attrs.LLM_COST] == 0.75


def test_genai_style_cost_is_reported_cost() -> None:
    span = {"langfuse.observation.type": "generation", "gen_ai.usage.cost": 0.123}
    assert added(span) == {attrs.LLM_COST: 0.123, attrs.LLM_COST_SOURCE: "reported"}


def test_a_generation_with_usage_but_no_cost_is_priced() -> None:
    span = {k: v for k, v in GENERATION.items() if k != "langfuse.observation.cost_details"}
    mini = prices.shipped()["gpt-4o-mini"]
    assert mini.cached_input is not None
    expected = (2140 * mini.input + 1024 * mini.cached_input + 406 * mini.output) / 1e6
    extra = added(span)
    assert extra[attrs.LLM_COST] == pytest.approx(expected)
    assert extra[attrs.LLM_COST_SOURCE] == "price_table"


def test_openai_style_usage_details_are_accepted() -> None:
    span = {
        "langfuse.observation.type": "generation",
        "langfuse.observation.usage_details": '{"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}',  # noqa: E501
    }
    extra = added(span)
    assert (extra[attrs.GEN_AI_INPUT_TOKENS], extra[attrs.GEN_AI_OUTPUT_TOKENS]) == (10, 4)


def test_older_langfuse_trace_keys_become_prodready_trace_keys() -> None:
    span = {
        "langfuse.observation.type": "span",
        "langfuse.session.id": "s-1",
        "langfuse.user.id": "u-1",
        "langfuse.release": "v2",
        "langfuse.environment": "production",
    }
    assert added(span) == {
        attrs.SESSION_ID: "s-1",
        attrs.USER_ID: "u-1",
        attrs.RELEASE: "v2",
        attrs.ENVIRONMENT: "production",
    }


def test_a_tool_observation_carries_its_arguments_and_result() -> None:
    tool = {
        "langfuse.observation.type": "tool",
        "langfuse.observation.input": '{"card": "1234"}',
        "langfuse.observation.output": '"active"',
    }
    extra = added(tool)
    assert (extra[attrs.TOOL_ARGUMENTS], extra[attrs.TOOL_RESULT]) == (
        '{"card": "1234"}',
        '"active"',
    )


def test_malformed_details_are_ignored_and_the_span_kept() -> None:
    span = {
        "langfuse.observation.type": "generation",
        "langfuse.observation.usage_details": "{not json",
        "langfuse.observation.cost_details": "[1, 2]",
    }
    kind, out = tr(span)
    assert kind == "llm" and attrs.LLM_COST not in out and attrs.GEN_AI_INPUT_TOKENS not in out


def test_langfuse_spans_through_otlp_protobuf() -> None:
    (record,) = (
        r for r in decode(otlp_protobuf(("chat", GENERATION)), "protobuf") if r.name == "chat"
    )
    assert record.kind == "llm" and record.attributes[attrs.LLM_COST] == 0.001144
    assert record.attributes[attrs.GEN_AI_INPUT_TOKENS] == 3164
