"""Dual export: what prodready's spans carry over OTLP so Phoenix and Langfuse read them.

Every test runs the real OTLP/HTTP exporter against a loopback receiver that decodes what
arrived. The key names and kind values are checked against openinference-semantic-conventions
and opentelemetry-semantic-conventions, so a rename upstream fails here.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from openinference.semconv.trace import (
    DocumentAttributes,
    MessageAttributes,
    OpenInferenceSpanKindValues,
    SpanAttributes,
    ToolCallAttributes,
)
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as genai

import prodready
from prodready import tracing
from prodready.store import Store
from prodready.testing._model_server import ScriptedModelServer, ScriptedReply
from prodready.tracing import _outbound
from prodready.tracing._outbound import GENAI_OPERATIONS, OPENINFERENCE_KINDS, outbound_attributes
from prodready.tracing.kinds import SPAN_KINDS
from tests.tracing.otlp_receiver import OTLPReceiver

OI = SpanAttributes
MSG = MessageAttributes
DOC = DocumentAttributes


def run_quickstart_like_agent() -> None:
    """One span of each kind the quickstart makes, plus an agent around them."""
    with (
        prodready.context(session="s-1", user="u-1"),
        tracing.span("conversation", kind="workflow"),
    ):
        with prodready.span("support turn", kind="agent") as agent:
            agent.input({"query": "where is my card?"})
            with tracing.guardrail("prompt_injection", stage="input") as guard:
                guard.verdict("pass")
            with tracing.classification() as classify:
                classify.intent("card_arrival", 0.9, alternatives={"lost": 0.1})
            with tracing.retrieval("where is my card?") as retrieve:
                retrieve.documents(
                    [
                        tracing.RetrievedDocument(
                            id="policy/card_arrival",
                            version="3",
                            content_hash="sha256:ab",
                            score=0.82,
                        )
                    ]
                )
            with tracing.tool_call("card_status", {"customer": "c-1"}, call_id="call-1") as tool:
                tool.outcome("ok", {"card": "shipped"})
            with tracing.llm_call("template", provider="prodready") as call:
                call.usage(input_tokens=4, output_tokens=7, cost=0.25, model="template-1")
                call.output("Your card is shipped.")
            with prodready.span("escalate", kind="escalation"):
                pass
            agent.output("Your card is shipped.")


@pytest.fixture(autouse=True)
def default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment prodready stamps by default is ``ci`` under CI: pin it to ``dev``."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def receiver() -> Any:
    with OTLPReceiver() as rx:
        yield rx


def export(receiver: OTLPReceiver, tmp_path: Path, **options: Any) -> Store:
    store = Store(f"sqlite:///{tmp_path}/local.db")
    tracing.configure(store=store, otlp_endpoint=f"{receiver.url}/v1/traces", **options)
    run_quickstart_like_agent()
    tracing.shutdown()  # flushes the store writer, then the OTLP batch processor
    return store


def test_every_span_carries_the_openinference_kind_and_the_genai_operation(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    export(receiver, tmp_path)
    kinds = {s["name"]: s["attributes"][OI.OPENINFERENCE_SPAN_KIND] for s in receiver.spans}
    assert kinds == {
        "conversation": "CHAIN",
        "support turn": "AGENT",
        "guardrail prompt_injection": "GUARDRAIL",
        "classify intent": "CHAIN",
        "retrieve": "RETRIEVER",
        "execute_tool card_status": "TOOL",
        "chat template": "LLM",
        "escalate": "CHAIN",
    }
    operations = {
        s["name"]: s["attributes"].get(genai.GEN_AI_OPERATION_NAME) for s in receiver.spans
    }
    assert operations == {
        "conversation": "invoke_workflow",
        "support turn": "invoke_agent",
        "guardrail prompt_injection": None,
        "classify intent": None,
        "retrieve": "retrieval",
        "execute_tool card_status": "execute_tool",
        "chat template": "chat",
        "escalate": None,
    }
    agent = receiver.span("support turn")
    assert agent[OI.AGENT_NAME] == agent[genai.GEN_AI_AGENT_NAME] == "support turn"
    assert json.loads(agent[OI.INPUT_VALUE]) == {"query": "where is my card?"}
    assert agent[OI.INPUT_MIME_TYPE] == "application/json"
    assert (agent[OI.OUTPUT_VALUE], agent[OI.OUTPUT_MIME_TYPE]) == (
        "Your card is shipped.",
        "text/plain",
    )
    assert agent[OI.SESSION_ID] == agent[genai.GEN_AI_CONVERSATION_ID] == "s-1"
    assert agent[OI.USER_ID] == "u-1"
    assert receiver.span("conversation")["gen_ai.workflow.name"] == "conversation"


def test_tool_retriever_guardrail_and_classifier_details(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    export(receiver, tmp_path)
    tool = receiver.span("execute_tool card_status")
    assert tool[OI.TOOL_NAME] == tool[ToolCallAttributes.TOOL_CALL_FUNCTION_NAME] == "card_status"
    assert tool[ToolCallAttributes.TOOL_CALL_ID] == "call-1"
    assert json.loads(tool[ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON]) == {
        "customer": "c-1"
    }
    assert json.loads(tool[OI.INPUT_VALUE]) == {"customer": "c-1"}
    assert json.loads(tool[OI.OUTPUT_VALUE]) == {"card": "shipped"}
    assert OI.TOOL_PARAMETERS not in tool  # the tool's JSON schema, which prodready does not know

    retriever = receiver.span("retrieve")
    head = f"{OI.RETRIEVAL_DOCUMENTS}.0."
    assert retriever[head + DOC.DOCUMENT_ID] == "policy/card_arrival"
    assert retriever[head + DOC.DOCUMENT_SCORE] == 0.82
    assert json.loads(retriever[head + DOC.DOCUMENT_METADATA]) == {
        "version": "3",
        "content_hash": "sha256:ab",
    }
    assert f"{OI.RETRIEVAL_DOCUMENTS}.1.{DOC.DOCUMENT_ID}" not in retriever
    assert json.loads(retriever[genai.GEN_AI_RETRIEVAL_DOCUMENTS]) == [
        {"id": "policy/card_arrival", "score": 0.82, "version": "3", "content_hash": "sha256:ab"}
    ]
    assert (
        retriever[OI.INPUT_VALUE]
        == retriever[genai.GEN_AI_RETRIEVAL_QUERY_TEXT]
        == "where is my card?"
    )
    assert json.loads(retriever[OI.OUTPUT_VALUE])[0]["id"] == "policy/card_arrival"

    assert json.loads(receiver.span("guardrail prompt_injection")[OI.OUTPUT_VALUE]) == {
        "verdict": "pass"
    }
    assert json.loads(receiver.span("classify intent")[OI.OUTPUT_VALUE]) == {
        "intent": "card_arrival",
        "confidence": 0.9,
        "alternatives": {"lost": 0.1},
    }


def test_llm_span_tokens_cost_model_and_release_metadata(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    export(receiver, tmp_path, release="r7")
    llm = receiver.span("chat template")
    assert llm[OI.LLM_MODEL_NAME] == "template-1"  # the answering model
    assert llm[OI.LLM_PROVIDER] == llm[OI.LLM_SYSTEM] == "prodready"
    assert (llm[OI.LLM_TOKEN_COUNT_PROMPT], llm[OI.LLM_TOKEN_COUNT_COMPLETION]) == (4, 7)
    assert llm[OI.LLM_TOKEN_COUNT_TOTAL] == 11
    assert llm[OI.LLM_COST_TOTAL] == llm["gen_ai.usage.cost"] == 0.25
    assert llm[f"{OI.LLM_OUTPUT_MESSAGES}.0.{MSG.MESSAGE_CONTENT}"] == "Your card is shipped."
    assert llm[f"{OI.LLM_OUTPUT_MESSAGES}.0.{MSG.MESSAGE_ROLE}"] == "assistant"
    assert json.loads(llm[genai.GEN_AI_OUTPUT_MESSAGES]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Your card is shipped."}]}
    ]
    root = receiver.span("conversation")
    assert json.loads(root[OI.METADATA]) == {"release": "r7", "environment": "dev"}


async def test_model_client_messages_in_both_conventions(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    """A real ``ModelClient`` call: its recorded messages become both message conventions."""
    tracing.configure(store=f"sqlite:///{tmp_path}/l.db", otlp_endpoint=f"{receiver.url}/v1/traces")
    reply = ScriptedReply(
        content="It is on its way.",
        tool_calls=[{"name": "card_status", "arguments": {"c": 1}, "id": "t1"}],
    )
    messages = [
        {"role": "system", "content": "You are a bank."},
        {"role": "user", "content": "Where is my card?"},
    ]
    with ScriptedModelServer([reply]) as server:
        await server.client(model="openai:gpt-4o-mini").complete(messages, temperature=0.2)
    tracing.shutdown()
    (llm,) = [s["attributes"] for s in receiver.spans]
    prefix = OI.LLM_INPUT_MESSAGES
    assert [llm[f"{prefix}.{i}.{MSG.MESSAGE_ROLE}"] for i in (0, 1)] == ["system", "user"]
    assert llm[f"{prefix}.1.{MSG.MESSAGE_CONTENT}"] == "Where is my card?"
    assert f"{prefix}.2.{MSG.MESSAGE_ROLE}" not in llm
    assert json.loads(llm[genai.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are a bank."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Where is my card?"}]},
    ]
    assert llm[f"{OI.LLM_OUTPUT_MESSAGES}.0.{MSG.MESSAGE_ROLE}"] == "assistant"
    assert llm[f"{OI.LLM_OUTPUT_MESSAGES}.0.{MSG.MESSAGE_CONTENT}"] == "It is on its way."
    assert llm[OI.LLM_MODEL_NAME] == "gpt-4o-mini"
    assert json.loads(llm[OI.LLM_INVOCATION_PARAMETERS]) == {
        "model": "gpt-4o-mini",
        "temperature": 0.2,
    }
    assert llm[OI.LLM_TOKEN_COUNT_PROMPT] == llm[genai.GEN_AI_USAGE_INPUT_TOKENS]


def test_tool_calls_in_messages_map_to_both_conventions() -> None:
    """An assistant turn that requested a tool and the tool's answer, as OpenAI shapes them."""
    history = [
        {"role": "user", "content": "Card?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "card_status", "arguments": '{"c": 1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "shipped"},
    ]
    extra = outbound_attributes(
        {"prodready.span.kind": "llm", "prodready.input": json.dumps(history)}, name="chat"
    )
    call = f"{OI.LLM_INPUT_MESSAGES}.1.{MSG.MESSAGE_TOOL_CALLS}.0."
    assert extra[call + ToolCallAttributes.TOOL_CALL_FUNCTION_NAME] == "card_status"
    assert extra[call + ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON] == '{"c": 1}'
    assert extra[call + ToolCallAttributes.TOOL_CALL_ID] == "t1"
    assert extra[f"{OI.LLM_INPUT_MESSAGES}.2.{MSG.MESSAGE_TOOL_CALL_ID}"] == "t1"
    assert json.loads(extra[genai.GEN_AI_INPUT_MESSAGES])[1:] == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "t1", "name": "card_status", "arguments": {"c": 1}}
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "t1", "response": "shipped"}],
        },
    ]


def test_a_users_own_attributes_are_never_overwritten(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    tracing.configure(store="sqlite://", otlp_endpoint=f"{receiver.url}/v1/traces")
    with prodready.span("mine", kind="tool") as s:
        s.set({"input.value": "my input", OI.OPENINFERENCE_SPAN_KIND: "CHAIN", "tool.name": "x"})
        s.input("prodready's input")
    tracing.shutdown()
    mine = receiver.span("mine")
    assert (mine["input.value"], mine[OI.OPENINFERENCE_SPAN_KIND], mine["tool.name"]) == (
        "my input",
        "CHAIN",
        "x",
    )
    assert "input.mime_type" not in mine  # it described a value that was not added


def test_the_store_keeps_prodreadys_own_attributes(receiver: OTLPReceiver, tmp_path: Path) -> None:
    store = export(receiver, tmp_path)
    (trace,) = [store.get_trace(t.trace_id) for t in store.list_traces()]
    assert trace is not None
    for span in trace.spans:
        added = [
            k
            for k in span.attributes
            if k.startswith(
                ("openinference.", "input.", "output.", "llm.", "retrieval.", "tool.", "tool_call.")
            )
        ]
        assert added == [], span.name
        assert "gen_ai.input.messages" not in span.attributes
    assert len(receiver.spans) == len(trace.spans)


def test_redaction_runs_before_the_outbound_keys_are_derived(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    def redact(attributes: dict[str, Any]) -> dict[str, Any]:
        return {k: "[redacted]" if k == "prodready.input" else v for k, v in attributes.items()}

    tracing.configure(store="sqlite://", otlp_endpoint=f"{receiver.url}/v1/traces", redact=redact)
    with tracing.llm_call("m") as call:
        call.input([{"role": "user", "content": "my IBAN is DE89370400440532013000"}])
    tracing.shutdown()
    (span,) = [s["attributes"] for s in receiver.spans]
    assert "DE89" not in json.dumps(span)
    assert span[OI.INPUT_VALUE] == "[redacted]"


def test_otlp_only_export_redacts_and_adds_the_keys_too(receiver: OTLPReceiver) -> None:
    def redact(attributes: dict[str, Any]) -> dict[str, Any]:
        return {k: "***" if k == "iban" else v for k, v in attributes.items()}

    tracing.configure(
        otlp_endpoint=f"{receiver.url}/v1/traces", write_to_store=False, redact=redact
    )
    with prodready.span("pay", kind="tool") as s:
        s.set("iban", "DE89370400440532013000")
    tracing.shutdown()
    pay = receiver.span("pay")
    assert pay["iban"] == "***"
    assert pay[OI.OPENINFERENCE_SPAN_KIND] == "TOOL"


def test_foreign_spans_get_the_kind_their_convention_implies(
    receiver: OTLPReceiver, tmp_path: Path
) -> None:
    """A GenAI span from another instrumentation in the same process: classified on export."""
    tracing.configure(store=f"sqlite:///{tmp_path}/l.db", otlp_endpoint=f"{receiver.url}/v1/traces")
    other = tracing.tracer()
    with other.start_as_current_span(
        "chat gpt-4o",
        attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
    ):
        pass
    with other.start_as_current_span("GET /health"):
        pass
    tracing.shutdown()
    chat = receiver.span("chat gpt-4o")
    assert chat[OI.OPENINFERENCE_SPAN_KIND] == "LLM" and chat[OI.LLM_MODEL_NAME] == "gpt-4o"
    assert not any(k.startswith("prodready.") for k in chat)
    # Nothing says what it is: left as it was (with the environment prodready stamps on roots).
    assert receiver.span("GET /health") == {"deployment.environment.name": "dev"}


def test_kind_values_and_keys_are_the_conventions_own() -> None:
    """A rename in openinference-semantic-conventions or the GenAI conventions fails here."""
    assert set(OPENINFERENCE_KINDS) == SPAN_KINDS - {"unknown"}
    oi_kinds = {k.value for k in OpenInferenceSpanKindValues}
    assert set(OPENINFERENCE_KINDS.values()) <= oi_kinds
    assert set(GENAI_OPERATIONS.values()) <= {v.value for v in genai.GenAiOperationNameValues}
    pairs = {
        _outbound.OI_KIND: OI.OPENINFERENCE_SPAN_KIND,
        _outbound.INPUT_VALUE: OI.INPUT_VALUE,
        _outbound.INPUT_MIME: OI.INPUT_MIME_TYPE,
        _outbound.OUTPUT_VALUE: OI.OUTPUT_VALUE,
        _outbound.OUTPUT_MIME: OI.OUTPUT_MIME_TYPE,
        _outbound.METADATA: OI.METADATA,
        _outbound.AGENT_NAME: OI.AGENT_NAME,
        _outbound.TOOL_NAME: OI.TOOL_NAME,
        _outbound.TOOL_CALL_ID: ToolCallAttributes.TOOL_CALL_ID,
        _outbound.TOOL_CALL_NAME: ToolCallAttributes.TOOL_CALL_FUNCTION_NAME,
        _outbound.TOOL_CALL_ARGUMENTS: ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON,
        _outbound.RETRIEVAL_DOCUMENTS: OI.RETRIEVAL_DOCUMENTS,
        _outbound.LLM_MODEL: OI.LLM_MODEL_NAME,
        _outbound.LLM_PROVIDER: OI.LLM_PROVIDER,
        _outbound.LLM_SYSTEM: OI.LLM_SYSTEM,
        _outbound.LLM_INVOCATION_PARAMETERS: OI.LLM_INVOCATION_PARAMETERS,
        _outbound.LLM_INPUT_MESSAGES: OI.LLM_INPUT_MESSAGES,
        _outbound.LLM_OUTPUT_MESSAGES: OI.LLM_OUTPUT_MESSAGES,
        _outbound.LLM_TOKENS_PROMPT: OI.LLM_TOKEN_COUNT_PROMPT,
        _outbound.LLM_TOKENS_COMPLETION: OI.LLM_TOKEN_COUNT_COMPLETION,
        _outbound.LLM_TOKENS_TOTAL: OI.LLM_TOKEN_COUNT_TOTAL,
        _outbound.LLM_TOKENS_CACHE_READ: OI.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ,
        _outbound.LLM_TOKENS_REASONING: OI.LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING,
        _outbound.LLM_COST_TOTAL: OI.LLM_COST_TOTAL,
        _outbound.EMBEDDING_MODEL: OI.EMBEDDING_MODEL_NAME,
        _outbound.GEN_AI_CONVERSATION_ID: genai.GEN_AI_CONVERSATION_ID,
        _outbound.GEN_AI_RETRIEVAL_DOCUMENTS: genai.GEN_AI_RETRIEVAL_DOCUMENTS,
        _outbound.GEN_AI_RETRIEVAL_QUERY: genai.GEN_AI_RETRIEVAL_QUERY_TEXT,
        _outbound.GEN_AI_WORKFLOW_NAME: genai.GEN_AI_WORKFLOW_NAME,
    }
    assert [ours for ours, theirs in pairs.items() if ours != theirs] == []
    assert (
        MSG.MESSAGE_ROLE,
        MSG.MESSAGE_CONTENT,
        MSG.MESSAGE_TOOL_CALLS,
        MSG.MESSAGE_TOOL_CALL_ID,
    ) == (
        "message.role",
        "message.content",
        "message.tool_calls",
        "message.tool_call_id",
    )
    assert (DOC.DOCUMENT_ID, DOC.DOCUMENT_SCORE, DOC.DOCUMENT_CONTENT, DOC.DOCUMENT_METADATA) == (
        "document.id",
        "document.score",
        "document.content",
        "document.metadata",
    )


def test_without_forwarding_nothing_outbound_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forwarding off: no exporter, no snapshot kept for one, and the mapping never called."""
    calls: list[str] = []
    real = _outbound.outbound_attributes

    def counting(attributes: Any, *, name: str) -> dict[str, Any]:
        calls.append(name)
        return real(attributes, name=name)

    monkeypatch.setattr(_outbound, "outbound_attributes", counting)
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    config = tracing.configure(store=f"sqlite:///{tmp_path}/l.db")
    assert config.otlp_endpoint is None
    processor = config.processor
    assert processor is not None and processor._forward is None
    run_quickstart_like_agent()
    tracing.flush()
    assert calls == []
    assert tracing.stats().written == 8


def test_the_mapping_failing_still_exports_the_span(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(attributes: Any, *, name: str) -> dict[str, Any]:
        raise RuntimeError("bug")

    monkeypatch.setattr(_outbound, "outbound_attributes", broken)
    tracing.configure(store="sqlite://", otlp_endpoint=f"{receiver.url}/v1/traces")
    with prodready.span("still here", kind="tool"):
        pass
    tracing.shutdown()
    assert receiver.span("still here")["prodready.span.kind"] == "tool"


def test_the_mapping_runs_on_the_exporters_thread_not_the_agents(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: set[str] = set()
    real = _outbound.outbound_attributes

    def recording(attributes: Any, *, name: str) -> dict[str, Any]:
        threads.add(threading.current_thread().name)
        return real(attributes, name=name)

    monkeypatch.setattr(_outbound, "outbound_attributes", recording)
    tracing.configure(store="sqlite://", otlp_endpoint=f"{receiver.url}/v1/traces")
    run_quickstart_like_agent()
    tracing.shutdown()
    assert threads and threading.current_thread().name not in threads
    assert len(receiver.spans) == 8


@pytest.mark.parametrize(
    ("recorded", "side", "expected"),
    [
        ('{"messages": [{"role": "user", "content": "Hi"}]}', "input", [("user", "Hi")]),
        ('{"prompt": "Hi", "temperature": 0}', "input", [("user", "Hi")]),
        ('{"role": "assistant", "content": "Yes"}', "output", [("assistant", "Yes")]),
        ('{"intent": "refund"}', "output", [("assistant", '{"intent": "refund"}')]),
        ("plain answer", "output", [("assistant", "plain answer")]),
        ("[1, 2]", "input", []),
    ],
)
def test_messages_are_read_from_what_llm_spans_record(
    recorded: str, side: str, expected: list[tuple[str, str]]
) -> None:
    extra = outbound_attributes(
        {"prodready.span.kind": "llm", f"prodready.{side}": recorded}, name="chat"
    )
    prefix = OI.LLM_INPUT_MESSAGES if side == "input" else OI.LLM_OUTPUT_MESSAGES
    found = [
        (extra[f"{prefix}.{i}.{MSG.MESSAGE_ROLE}"], extra[f"{prefix}.{i}.{MSG.MESSAGE_CONTENT}"])
        for i in range(len(expected))
    ]
    assert found == expected
    assert f"{prefix}.{len(expected)}.{MSG.MESSAGE_ROLE}" not in extra
    genai_key = genai.GEN_AI_INPUT_MESSAGES if side == "input" else genai.GEN_AI_OUTPUT_MESSAGES
    if expected:
        assert [
            (m["role"], m["parts"][0]["content"]) for m in json.loads(extra[genai_key])
        ] == expected
    else:
        assert genai_key not in extra
