"""read_llm_call: one normalised LLM call from whatever convention the span came in.

The OpenInference and GenAI attribute sets are exactly what openinference-instrumentation-openai
0.1.66 and opentelemetry-instrumentation-openai-v2 2.4b0 sent for a tool-calling chat against
prodready.testing's model server; the OpenLLMetry, legacy-event, Langfuse and MLflow ones follow
those projects' sources.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from prodready.store import Span
from prodready.tracing import LLMCall, read_llm_call
from prodready.tracing.conventions import translate
from prodready.tracing.llm import (
    MESSAGE_EVENTS,
    GenericPart,
    Message,
    TextPart,
    ToolCallPart,
    ToolCallResponsePart,
)

SYSTEM = "You are a bank."
QUESTION = "Is my card 1234 active?"
TOOL = {
    "type": "function",
    "function": {
        "name": "get_card",
        "description": "card status",
        "parameters": {"type": "object", "properties": {"card": {"type": "string"}}},
    },
}

OI_TOOL_CALL = {
    "llm.system": "openai",
    "input.value": json.dumps(
        {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": QUESTION},
            ],
            "temperature": 0.2,
            "tools": [TOOL],
        }
    ),
    "input.mime_type": "application/json",
    "output.mime_type": "application/json",
    "llm.tools.0.tool.json_schema": json.dumps(TOOL),
    "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0.2}',
    "llm.input_messages.0.message.role": "system",
    "llm.input_messages.0.message.content": SYSTEM,
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.content": QUESTION,
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

OI_ANSWER = {
    "llm.system": "openai",
    "llm.invocation_parameters": '{"model": "gpt-4o-mini"}',
    "llm.input_messages.0.message.role": "system",
    "llm.input_messages.0.message.content": SYSTEM,
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.content": QUESTION,
    "llm.input_messages.2.message.role": "assistant",
    "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_0_0",
    "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "get_card",
    "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": '{"card":"1234"}',
    "llm.input_messages.3.message.role": "tool",
    "llm.input_messages.3.message.tool_call_id": "call_0_0",
    "llm.input_messages.3.message.content": "active",
    "llm.model_name": "gpt-4o-mini-2024-07-18",
    "llm.token_count.total": 14,
    "llm.token_count.prompt": 10,
    "llm.token_count.completion": 4,
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.content": "Your card is active.",
    "llm.finish_reason": "stop",
    "openinference.span.kind": "LLM",
}

OI_EMBEDDING = {
    "llm.system": "openai",
    "embedding.invocation_parameters": '{"model": "text-embedding-3-small"}',
    "embedding.embeddings.0.embedding.text": "hello world",
    "llm.token_count.total": 2,
    "llm.token_count.prompt": 2,
    "embedding.model_name": "text-embedding-3-small",
    "embedding.embeddings.0.embedding.vector": [0.2255, -0.198],
    "openinference.span.kind": "EMBEDDING",
}

GENAI_SCALARS = {
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
GENAI_INPUT = [
    {"role": "system", "parts": [{"content": SYSTEM, "type": "text"}]},
    {"role": "user", "parts": [{"content": QUESTION, "type": "text"}]},
]
GENAI_OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {
                "arguments": {"card": "1234"},
                "name": "get_card",
                "id": "call_0_0",
                "type": "tool_call",
            }
        ],
        "finish_reason": "tool_calls",
    }
]
# SPAN_ONLY: the messages as JSON text on the span.
GENAI_SPAN = {
    **GENAI_SCALARS,
    "gen_ai.input.messages": json.dumps(GENAI_INPUT, separators=(",", ":")),
    "gen_ai.output.messages": json.dumps(GENAI_OUTPUT, separators=(",", ":")),
}
# EVENT_ONLY: an OTLP log record, attached to the span by /v1/logs ingest, structured values.
DETAILS_EVENT = {
    "name": "gen_ai.client.inference.operation.details",
    "time_ns": 2,
    "attributes": {
        **GENAI_SCALARS,
        "gen_ai.input.messages": GENAI_INPUT,
        "gen_ai.output.messages": GENAI_OUTPUT,
    },
    "source": "log",
}


def stored(
    attributes: dict[str, Any],
    *,
    events: list[Any] | None = None,
    name: str = "chat gpt-4o-mini",
    status: str = "ok",
    status_message: str | None = None,
) -> Span:
    """The span as the store holds it: translated at ingest like every foreign span."""
    kind, translated = translate(attributes, name=name, otel_kind="client")
    return Span(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        parent_span_id=None,
        name=name,
        kind=kind,
        otel_kind="client",
        start_ns=1,
        end_ns=3,
        duration_ns=2,
        status=status,  # type: ignore[arg-type]
        status_message=status_message,
        attributes=translated,
        events=events or [],
    )


def call_of(span: Span) -> LLMCall:
    call = read_llm_call(span)
    assert call is not None
    return call


def text(content: str) -> TextPart:
    return TextPart(content=content)


ASKED = [
    Message(role="system", parts=[text(SYSTEM)]),
    Message(role="user", parts=[text(QUESTION)]),
]
GET_CARD = ToolCallPart(id="call_0_0", name="get_card", arguments={"card": "1234"})


# --- OpenInference ---------------------------------------------------------------------------


def test_openinference_messages_tool_call_and_tool_definitions() -> None:
    call = call_of(stored(OI_TOOL_CALL, name="ChatCompletion"))
    assert call.input_messages == ASKED
    # the finish reason OpenInference keeps apart (llm.finish_reason) joins its message
    assert call.output_messages == [
        Message(role="assistant", parts=[GET_CARD], finish_reason="tool_calls")
    ]
    assert [(t.name, t.description) for t in call.tool_definitions] == [("get_card", "card status")]
    assert call.sources == ["openinference"]


def test_openinference_cached_tokens_and_scalars() -> None:
    call = call_of(stored(OI_TOOL_CALL, name="ChatCompletion"))
    assert (call.usage.input_tokens, call.usage.output_tokens) == (9, 0)
    assert (call.usage.cached_input_tokens, call.usage.total_tokens) == (3, 9)
    assert call.provider == "openai"


def test_openinference_tool_result_is_a_tool_call_response() -> None:
    call = call_of(stored(OI_ANSWER, name="ChatCompletion"))
    assert call.input_messages[2] == Message(role="assistant", parts=[GET_CARD])
    assert call.input_messages[3] == Message(
        role="tool", parts=[ToolCallResponsePart(id="call_0_0", response="active")]
    )
    assert call.output_messages == [
        Message(role="assistant", parts=[text("Your card is active.")], finish_reason="stop")
    ]


def test_openinference_content_parts_and_unknown_parts_are_kept() -> None:
    prefix = "llm.input_messages.0.message"
    call = call_of(
        stored(
            {
                "openinference.span.kind": "LLM",
                f"{prefix}.role": "user",
                f"{prefix}.contents.0.message_content.type": "text",
                f"{prefix}.contents.0.message_content.text": "What is this?",
                f"{prefix}.contents.1.message_content.type": "image",
                f"{prefix}.contents.1.message_content.image.image.url": "https://x/y.png",
            }
        )
    )
    assert call.input_messages[0].parts == [
        text("What is this?"),
        GenericPart(
            type="image", raw={"type": "image", "image": {"image": {"url": "https://x/y.png"}}}
        ),
    ]


def test_openinference_embedding_counts_its_inputs() -> None:
    call = call_of(stored(OI_EMBEDDING, name="CreateEmbeddings"))
    assert call.embedding_inputs == 1
    assert call.usage.input_tokens == 2
    assert call.input_messages == []


# --- GenAI: span attributes and events -------------------------------------------------------


def test_genai_span_messages_parameters_and_models() -> None:
    call = call_of(stored(GENAI_SPAN))
    assert call.input_messages == ASKED
    assert call.output_messages == [
        Message(role="assistant", parts=[GET_CARD], finish_reason="tool_calls")
    ]
    assert call.parameters == {"temperature": 0.2}
    assert (call.request_model, call.response_model) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert (call.operation, call.finish_reasons, call.sources) == (
        "chat",
        ["tool_calls"],
        ["genai"],
    )


def test_genai_tool_call_response_and_system_instructions() -> None:
    call = call_of(
        stored(
            {
                **GENAI_SCALARS,
                "gen_ai.system_instructions": '[{"type": "text", "content": "Be brief."}]',
                "gen_ai.input.messages": json.dumps(
                    [
                        {
                            "role": "tool",
                            "parts": [
                                {"type": "tool_call_response", "id": "c1", "response": {"ok": True}}
                            ],
                        }
                    ]
                ),
                "gen_ai.tool.definitions": '[{"type": "function", "name": "get_card"}]',
            }
        )
    )
    assert call.system_instructions == [text("Be brief.")]
    assert call.input_messages[0].parts == [ToolCallResponsePart(id="c1", response={"ok": True})]
    assert [t.name for t in call.tool_definitions] == ["get_card"]


def test_genai_log_event_gives_the_messages() -> None:
    call = call_of(stored(GENAI_SCALARS, events=[DETAILS_EVENT]))
    assert call.input_messages == ASKED
    assert call.output_messages[0].parts == [GET_CARD]
    assert call.sources == ["genai_events"]


def test_span_and_event_with_the_same_messages_show_them_once() -> None:
    call = call_of(stored(GENAI_SPAN, events=[DETAILS_EVENT]))
    assert call.input_messages == ASKED
    assert len(call.output_messages) == 1
    assert call.sources == ["genai"]


def test_the_richer_source_wins() -> None:
    one_message = {**GENAI_SCALARS, "gen_ai.input.messages": json.dumps(GENAI_INPUT[1:])}
    call = call_of(stored(one_message, events=[DETAILS_EVENT]))
    assert call.input_messages == ASKED
    assert call.sources == ["genai_events"]


def test_legacy_per_message_log_events() -> None:
    """opentelemetry-instrumentation-openai-v2 without the opt-in: one log record a message."""
    function = {"name": "get_card", "arguments": '{"card":"1234"}'}
    calls = [{"id": "call_0_0", "type": "function", "function": function}]
    choice = {
        "index": 0,
        "finish_reason": "stop",
        "message": {"role": "assistant", "content": "Yes."},
    }
    events = [
        log("gen_ai.system.message", {"content": SYSTEM}),
        log("gen_ai.user.message", {"content": QUESTION}),
        log("gen_ai.assistant.message", {"tool_calls": calls}),
        log("gen_ai.tool.message", {"content": "active", "id": "call_0_0"}),
        log("gen_ai.choice", choice),
    ]
    call = call_of(stored(GENAI_SCALARS, events=events))
    assert call.input_messages == [
        *ASKED,
        Message(role="assistant", parts=[GET_CARD]),
        Message(role="tool", parts=[ToolCallResponsePart(id="call_0_0", response="active")]),
    ]
    assert call.output_messages == [
        Message(role="assistant", parts=[text("Yes.")], finish_reason="stop")
    ]


def log(name: str, body: Any) -> dict[str, Any]:
    """A log record as /v1/logs ingest attaches it to its span."""
    attributes = {"gen_ai.system": "openai"}
    return {"name": name, "time_ns": 2, "attributes": attributes, "body": body, "source": "log"}


def span_event(name: str, key: str, value: Any) -> dict[str, Any]:
    return {"name": name, "time_ns": 2, "attributes": {key: json.dumps(value)}}


def test_legacy_span_events_with_event_content_attribute() -> None:
    content = "gen_ai.event.content"
    choice = {"finish_reason": "stop", "index": 0, "message": {"content": "Yes."}}
    events = [
        span_event("gen_ai.user.message", content, {"role": "user", "content": QUESTION}),
        span_event("gen_ai.choice", content, choice),
    ]
    call = call_of(stored(GENAI_SCALARS, events=events))
    assert call.input_messages == [Message(role="user", parts=[text(QUESTION)])]
    assert call.output_messages == [
        Message(role="assistant", parts=[text("Yes.")], finish_reason="stop")
    ]


def test_content_prompt_and_completion_events() -> None:
    events = [
        span_event("gen_ai.content.prompt", "gen_ai.prompt", [{"role": "user", "content": "Hi"}]),
        span_event(
            "gen_ai.content.completion",
            "gen_ai.completion",
            [{"role": "assistant", "content": "Yo"}],
        ),
    ]
    call = call_of(stored(GENAI_SCALARS, events=events))
    assert [m.role for m in call.input_messages + call.output_messages] == ["user", "assistant"]


# --- OpenLLMetry, Langfuse, MLflow, prodready ------------------------------------------------


def test_openllmetry_flattened_prompt_and_completion() -> None:
    call = call_of(
        stored(
            {
                "llm.request.type": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.prompt.0.role": "system",
                "gen_ai.prompt.0.content": SYSTEM,
                "gen_ai.prompt.1.role": "user",
                "gen_ai.prompt.1.content": '[{"type": "text", "text": "Is my card active?"}]',
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_calls",
                "gen_ai.completion.0.tool_calls.0.id": "call_0_0",
                "gen_ai.completion.0.tool_calls.0.name": "get_card",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"card":"1234"}',
                "llm.request.functions.0.name": "get_card",
                "llm.request.functions.0.description": "card status",
            },
            name="openai.chat",
        )
    )
    assert call.input_messages[1] == Message(role="user", parts=[text("Is my card active?")])
    assert call.output_messages == [
        Message(role="assistant", parts=[GET_CARD], finish_reason="tool_calls")
    ]
    assert [t.name for t in call.tool_definitions] == ["get_card"]
    assert call.sources == ["openllmetry"]


@pytest.mark.parametrize(
    ("keys", "source"),
    [
        (("langfuse.observation.input", "langfuse.observation.output"), "langfuse"),
        (("mlflow.spanInputs", "mlflow.spanOutputs"), "mlflow"),
    ],
)
def test_openai_shaped_request_and_response_json(keys: tuple[str, str], source: str) -> None:
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": QUESTION}],
        "tools": [TOOL],
    }
    response = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Yes."},
            }
        ]
    }
    attributes = {keys[0]: json.dumps(request), keys[1]: json.dumps(response)}
    call = call_of(stored({"gen_ai.request.model": "gpt-4o-mini", **attributes}))
    assert call.input_messages == [Message(role="user", parts=[text(QUESTION)])]
    assert call.output_messages == [
        Message(role="assistant", parts=[text("Yes.")], finish_reason="stop")
    ]
    assert [t.name for t in call.tool_definitions] == ["get_card"]
    assert source in call.sources


def test_prodready_own_llm_span_reads_input_and_output() -> None:
    """What prodready.models' client records: the messages as JSON, the completion as text."""
    span = stored(
        {
            "prodready.span.kind": "llm",
            "gen_ai.request.model": "judge-1",
            "prodready.input": json.dumps([{"role": "user", "content": QUESTION}]),
            "prodready.output": "Yes.",
        }
    )
    call = call_of(span)
    assert call.input_messages == [Message(role="user", parts=[text(QUESTION)])]
    assert call.output_messages == [Message(role="assistant", parts=[text("Yes.")])]
    assert call.sources == ["prodready"]


# --- robustness ------------------------------------------------------------------------------


GARBAGE: list[dict[str, Any]] = [
    {"gen_ai.input.messages": "[{not json", "gen_ai.output.messages": 42},
    {"gen_ai.input.messages": [1, "x", {"role": 3}, {"role": "user", "parts": "hello"}]},
    {"gen_ai.input.messages": [{"role": "user", "parts": [None, 7, {"type": "tool_call"}]}]},
    {"llm.input_messages.x.message.role": "user", "llm.input_messages.0.message": "flat"},
    {"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.role.x": 1},
    {"llm.output_messages.0.message.tool_calls.0.tool_call.function": "broken"},
    {"gen_ai.prompt.0.role": ["user"], "gen_ai.completion.0.tool_calls.0.name": 5},
    {"langfuse.observation.input": '{"messages": "nope"}', "mlflow.spanOutputs": "[1, 2]"},
    {"gen_ai.response.finish_reasons": {"a": 1}, "gen_ai.usage.input_tokens": "many"},
    {"gen_ai.tool.definitions": '[{"function": 3}, "x"]', "llm.tools.0.tool.json_schema": "{"},
]


@pytest.mark.parametrize("attributes", GARBAGE)
def test_malformed_values_never_raise(attributes: dict[str, Any]) -> None:
    call = call_of(stored({"gen_ai.operation.name": "chat", **attributes}))
    assert isinstance(call, LLMCall)


def test_malformed_events_never_raise() -> None:
    events: list[Any] = [
        {"name": "gen_ai.choice", "body": "text"},
        {"name": "gen_ai.client.inference.operation.details", "attributes": None},
        {"name": "gen_ai.user.message", "attributes": {"gen_ai.event.content": "{bad"}},
    ]
    call = call_of(stored(GENAI_SCALARS, events=events))
    assert call.input_messages == [Message(role="user")]


def test_unparsable_tool_arguments_are_kept_as_text() -> None:
    bad = {**OI_TOOL_CALL}
    bad["llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"] = "{card: 12"
    call = call_of(stored(bad))
    assert call.output_messages[0].parts[0] == ToolCallPart(
        id="call_0_0", name="get_card", arguments="{card: 12"
    )


def test_only_llm_and_embedding_spans_have_a_call() -> None:
    assert read_llm_call(stored({"prodready.span.kind": "tool"})) is None


def test_a_failed_call_carries_its_error() -> None:
    call = call_of(stored(GENAI_SCALARS, status="error", status_message="429 Too Many Requests"))
    assert call.error == "429 Too Many Requests"


def test_a_call_survives_a_json_round_trip() -> None:
    """The API's clients parse the parts back by type, a generic part of type "text" included."""
    call = call_of(stored(OI_ANSWER))
    odd = call.model_copy(
        update={"system_instructions": [GenericPart(type="text", raw={"type": "text"})]}
    )
    assert LLMCall.model_validate_json(odd.model_dump_json()) == odd


def test_the_docs_example_prints_what_the_page_shows() -> None:
    """docs/tracing.md's "LLM calls" example, run as a doctest on the OpenInference span."""
    import doctest
    import re
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "tracing.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"^## LLM calls\n.*?^```pycon\n(.*?)^```$", page, re.M | re.S)
    test = doctest.DocTestParser().get_doctest(
        example, {"span": stored(OI_TOOL_CALL)}, "docs/tracing.md", None, 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False) == doctest.TestResults(failed=0, attempted=6)


FUZZ_KEYS = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.response.finish_reasons",
    "gen_ai.usage.input_tokens",
    "llm.input_messages",
    "llm.input_messages.0.message.role",
    "llm.input_messages.0.message.contents.0.message_content",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments",
    "llm.tools.0.tool.json_schema",
    "gen_ai.prompt",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.0.tool_calls",
    "langfuse.observation.input",
    "mlflow.spanOutputs",
    "prodready.input",
    "prodready.output",
]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.randrange(9 if depth < 3 else 5)
    leaves = [None, True, rng.randint(-5, 5), "x", '{"role": "user"', "[1, {}]", 1.5]
    if roll < 5:
        return rng.choice(leaves)
    if roll < 7:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["role", "parts", "content", "type", "tool_calls", "function", "message", "name"]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def test_random_garbage_never_raises() -> None:
    rng = random.Random(10)
    for _ in range(500):
        attributes = {k: random_value(rng) for k in rng.sample(FUZZ_KEYS, 5)}
        events = [
            {
                "name": rng.choice(sorted(MESSAGE_EVENTS)),
                "attributes": {},
                "body": random_value(rng),
            }
        ]
        call = read_llm_call(stored({"gen_ai.operation.name": "chat", **attributes}, events=events))
        assert LLMCall.model_validate_json(call.model_dump_json()) == call  # type: ignore[union-attr]
