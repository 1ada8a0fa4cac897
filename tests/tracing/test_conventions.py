"""Foreign attribute conventions -> prodready kinds and normalized attributes."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import orjson
import pytest

from prodready.tracing.conventions import inherit_trace_attributes, translate


def tr(attributes: dict[str, Any], name: str = "span") -> tuple[str, dict[str, Any]]:
    return translate(attributes, name=name, otel_kind="internal")


def test_prodready_kind_passes_through_as_the_same_dict() -> None:
    attributes = {"prodready.span.kind": "guardrail", "llm.model_name": "ignored-here"}
    kind, out = tr(attributes)
    assert kind == "guardrail" and out is attributes


def test_invalid_prodready_kind_falls_back_to_the_foreign_conventions() -> None:
    assert tr({"prodready.span.kind": "robot", "gen_ai.operation.name": "chat"})[0] == "llm"
    assert tr({"prodready.span.kind": ["llm"]})[0] == "unknown"


def test_span_without_any_convention_is_unknown_and_untouched() -> None:
    attributes = {"http.request.method": "GET"}
    assert tr(attributes, "GET /") == ("unknown", attributes)


def test_read_only_mappings_are_copied_never_modified() -> None:
    frozen = MappingProxyType({"openinference.span.kind": "LLM", "llm.model_name": "m"})
    kind, out = tr(frozen)  # type: ignore[arg-type]
    assert (kind, out["gen_ai.request.model"]) == ("llm", "m")
    assert "gen_ai.request.model" not in frozen


@pytest.mark.parametrize(
    ("oi_kind", "kind"),
    [
        ("LLM", "llm"),
        ("CHAIN", "workflow"),
        ("TOOL", "tool"),
        ("RETRIEVER", "retriever"),
        ("EMBEDDING", "embedding"),
        ("AGENT", "agent"),
        ("RERANKER", "reranker"),
        ("GUARDRAIL", "guardrail"),
        ("EVALUATOR", "evaluator"),
        ("PROMPT", "step"),
        ("UNKNOWN", "unknown"),
        ("llm", "llm"),
    ],
)
def test_openinference_kinds(oi_kind: str, kind: str) -> None:
    assert tr({"openinference.span.kind": oi_kind})[0] == kind


def test_openinference_llm_span_gains_genai_attributes() -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.provider": "azure",
        "llm.system": "openai",
        "llm.token_count.prompt": 812,
        "llm.token_count.completion": "37",
        "input.value": "Where is my card?",
        "output.value": "On its way.",
        "session.id": "s-1",
        "user.id": "u-1",
    }
    kind, out = tr(attributes)
    assert kind == "llm" and out.items() >= attributes.items()
    assert {k: out[k] for k in out.keys() - attributes.keys()} == {
        "gen_ai.request.model": "gpt-4o",  # nothing says what was requested: the answering one
        "gen_ai.response.model": "gpt-4o",
        "gen_ai.provider.name": "azure",
        "gen_ai.usage.input_tokens": 812,
        "gen_ai.usage.output_tokens": 37,
        "prodready.input": "Where is my card?",
        "prodready.output": "On its way.",
        "prodready.llm.cost_usd": pytest.approx(0.0024),  # priced from the shipped table
        "prodready.llm.input_cost_usd": pytest.approx(0.00203),
        "prodready.llm.output_cost_usd": pytest.approx(0.00037),
        "prodready.llm.cost_source": "price_table",
    }


def test_openinference_retriever_documents_become_prodready_documents() -> None:
    attributes = {
        "openinference.span.kind": "RETRIEVER",
        "input.value": "card arrival",
        "retrieval.documents.1.document.id": "faq-2",
        "retrieval.documents.1.document.score": 0.4,
        "retrieval.documents.0.document.id": "policy-7",
        "retrieval.documents.0.document.score": 0.9,
        "retrieval.documents.0.document.content": "Cards arrive in 5 days.",
        "retrieval.documents.0.document.metadata": orjson.dumps(
            {"version": "v3", "content_hash": "sha256:ab12", "source": "policies", "page": 2}
        ).decode(),
    }
    kind, out = tr(attributes)
    assert kind == "retriever" and out["prodready.retrieval.query"] == "card arrival"
    assert out["prodready.retrieval.documents"] == [
        {
            "id": "policy-7",
            "version": "v3",
            "content_hash": "sha256:ab12",
            "score": 0.9,
            "source": "policies",
        },
        {"id": "faq-2", "score": 0.4},
    ]
    assert out["prodready.retrieval.document_ids"] == ["policy-7", "faq-2"]


def test_openinference_tool_arguments_are_the_input_not_the_parameter_schema() -> None:
    attributes = {
        "openinference.span.kind": "TOOL",
        "tool.name": "card_status",
        "tool.parameters": '{"type": "object"}',
        "input.value": '{"card": "1234"}',
        "output.value": '{"status": "shipped"}',
    }
    kind, out = tr(attributes)
    assert kind == "tool" and out["gen_ai.tool.name"] == "card_status"
    assert out["gen_ai.tool.call.arguments"] == '{"card": "1234"}'
    assert out["gen_ai.tool.call.result"] == '{"status": "shipped"}'


def test_translators_never_overwrite_the_spans_own_attributes() -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "alias",
        "gen_ai.request.model": "gpt-4o-2024-08-06",
        "gen_ai.system": "openai",
        "gen_ai.provider.name": "azure.ai.openai",
    }
    _, out = tr(attributes)
    assert out["gen_ai.request.model"] == "gpt-4o-2024-08-06"
    assert out["gen_ai.provider.name"] == "azure.ai.openai"


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("chat", "llm"),
        ("text_completion", "llm"),
        ("generate_content", "llm"),
        ("embeddings", "embedding"),
        ("execute_tool", "tool"),
        ("invoke_agent", "agent"),
        ("create_agent", "agent"),
        ("invoke_workflow", "workflow"),
        ("retrieval", "retriever"),
    ],
)
def test_genai_operation_kinds(operation: str, kind: str) -> None:
    assert tr({"gen_ai.operation.name": operation})[0] == kind


def test_genai_chat_span_with_old_names_gains_the_current_ones() -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.prompt_tokens": 120,
        "gen_ai.usage.completion_tokens": 12,
    }
    kind, out = tr(attributes, "chat gpt-4o-mini")
    assert kind == "llm"
    assert (
        out["gen_ai.provider.name"],
        out["gen_ai.usage.input_tokens"],
        out["gen_ai.usage.output_tokens"],
    ) == ("openai", 120, 12)


def test_genai_span_without_an_operation_is_classified_by_model_or_name() -> None:
    assert tr({"gen_ai.request.model": "claude-sonnet"})[0] == "llm"
    assert tr({"gen_ai.system": "anthropic"})[0] == "llm"
    assert tr({"gen_ai.tool.name": "card_status"}, "execute_tool card_status")[0] == "tool"
    assert tr({}, "execute_tool card_status")[0] == "unknown"  # no gen_ai.* attribute at all
    assert tr({"gen_ai.operation.name": "rerank"})[0] == "unknown"


def test_genai_retrieval_documents_become_prodready_documents() -> None:
    attributes = {
        "gen_ai.operation.name": "retrieval",
        "gen_ai.retrieval.query.text": "fees",
        "gen_ai.retrieval.documents": '[{"id": "doc_1", "score": 0.95}, {"id": 7}]',
    }
    _, out = tr(attributes)
    assert out["prodready.retrieval.query"] == "fees"
    assert out["prodready.retrieval.documents"] == [
        {"id": "doc_1", "score": 0.95},
        {"id": "7"},
    ]
    assert out["prodready.retrieval.document_ids"] == ["doc_1", "7"]


def test_malformed_values_are_skipped_not_raised() -> None:
    attributes = {
        "openinference.span.kind": "RETRIEVER",
        "llm.token_count.prompt": "many",
        "retrieval.documents.x.document.id": "bad-index",
        "retrieval.documents.0.document.id": 42,
        "retrieval.documents.0.document.metadata": "{not json",
        "retrieval.documents.0.document.score": "high",
        "retrieval.documents.1.document.content": "a document without an id",
    }
    kind, out = tr(attributes)
    assert kind == "retriever" and "gen_ai.usage.input_tokens" not in out
    assert out["prodready.retrieval.documents"] == [{"id": "42"}]


def test_a_translator_failure_stores_the_span_as_unknown(caplog: pytest.LogCaptureFixture) -> None:
    class Exploding(dict[str, Any]):
        def items(self) -> Any:
            raise RuntimeError("boom")

    attributes = Exploding({"openinference.span.kind": "RETRIEVER"})
    kind, out = tr(attributes)
    assert (kind, dict(out)) == ("unknown", {"openinference.span.kind": "RETRIEVER"})
    assert "could not translate" in caplog.text


def test_resource_release_session_and_environment_are_inherited() -> None:
    resource = {
        "prodready.release": "agent@1.0",
        "session.id": "res-session",
        "deployment.environment": "staging",
        "service.name": "svc",
    }
    out = inherit_trace_attributes({"session.id": "span-session"}, resource)
    assert out == {
        "session.id": "span-session",
        "prodready.release": "agent@1.0",
        "deployment.environment.name": "staging",
    }


def test_environment_prefers_the_span_then_the_current_name() -> None:
    resource = {"deployment.environment.name": "production", "deployment.environment": "prod"}
    assert inherit_trace_attributes({}, resource)["deployment.environment.name"] == "production"
    span_old = {"deployment.environment": "ci"}
    assert inherit_trace_attributes(span_old, resource)["deployment.environment.name"] == "ci"


def test_nothing_to_inherit_returns_the_same_dict() -> None:
    attributes = {"prodready.release": "x"}
    assert inherit_trace_attributes(attributes, {"service.name": "svc"}) is attributes


def test_prodready_json_documents_become_a_list_for_sdk_and_otlp_spans() -> None:
    raw = {
        "prodready.span.kind": "retriever",
        "prodready.retrieval.documents": '[{"id": "fees", "version": "4"}]',
    }
    kind, out = translate(raw, name="retrieve", otel_kind="internal")
    assert (kind, out["prodready.retrieval.documents"]) == (
        "retriever",
        [{"id": "fees", "version": "4"}],
    )
    assert raw["prodready.retrieval.documents"].startswith("[")  # the input is not modified


def test_intent_alternatives_become_an_object_and_bad_json_stays_text() -> None:
    good = {"prodready.span.kind": "classifier", "prodready.intent.alternatives": '{"a": 0.2}'}
    bad = {"prodready.span.kind": "classifier", "prodready.intent.alternatives": "{oops"}
    assert translate(good, name="c", otel_kind="internal")[1]["prodready.intent.alternatives"] == {
        "a": 0.2
    }
    assert (
        translate(bad, name="c", otel_kind="internal")[1]["prodready.intent.alternatives"]
        == "{oops"
    )
