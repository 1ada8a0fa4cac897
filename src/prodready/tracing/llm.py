"""One normalised model of an LLM call, read from a stored span whatever convention it came in.

Instrumentations describe the same chat call in different words: OpenInference flattens the
messages into ``llm.input_messages.N.message.*`` keys, the GenAI semantic conventions put
them in ``gen_ai.input.messages`` (JSON text on the span, or structured in an event or an OTLP
log record), the older GenAI events send one event per message, OpenLLMetry flattens them
into ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``, and Langfuse and MLflow keep the
OpenAI request and response as JSON. :func:`read_llm_call` reads all of them into one
:class:`LLMCall` shaped like the GenAI conventions' messages (roles, typed parts, tool calls
and their results), so the CLI, the read API and the dashboard render one shape.

The scalars (models, provider, tokens, cost, finish reasons, request parameters) come from
the canonical attributes the convention translators add at ingest
(:mod:`prodready.tracing.conventions`); this module reads only what those cannot hold:
messages, tool definitions and the embedding inputs.

When several sources carry the messages (a span attribute and an event, say), the richest
one is used for each side of the call, so no message is shown twice. Nothing here raises on
bad data: a malformed value is skipped, and the span's raw attributes are still stored.

>>> from prodready.store import Span
>>> span = Span(trace_id="0" * 32, span_id="0" * 16, parent_span_id=None, name="chat",
...     kind="llm", otel_kind="client", start_ns=0, end_ns=1, duration_ns=1, status="ok",
...     attributes={"gen_ai.request.model": "gpt-4o-mini",
...                 "llm.input_messages.0.message.role": "user",
...                 "llm.input_messages.0.message.content": "Hi"})
>>> call = read_llm_call(span)
>>> call.request_model, call.input_messages[0].role, call.input_messages[0].parts[0].content
('gpt-4o-mini', 'user', 'Hi')
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from prodready.store.records import Span as _Span
from prodready.store.records import Trace as _Trace
from prodready.tracing import attributes as attrs
from prodready.tracing.conventions._common import as_float as _float
from prodready.tracing.conventions._common import as_int as _int
from prodready.vocabulary.canonical import to_json as _to_json

__all__ = [
    "MESSAGE_EVENTS",
    "GenericPart",
    "LLMCall",
    "LLMUsage",
    "Message",
    "Part",
    "TextPart",
    "ToolCallPart",
    "ToolCallResponsePart",
    "ToolDefinition",
    "TraceDetail",
    "read_llm_call",
    "read_llm_calls",
]

log = logging.getLogger("prodready.tracing")

Source = Literal[
    "genai", "genai_events", "openinference", "openllmetry", "langfuse", "mlflow", "prodready"
]
"""Where messages were read from. ``genai_events`` covers span events and OTLP log records."""

# --- the model -------------------------------------------------------------------------------


class TextPart(BaseModel):
    """Text a participant wrote."""

    model_config = ConfigDict(frozen=True)

    type: Literal["text"] = "text"
    content: str


class ToolCallPart(BaseModel):
    """A tool call the model requested."""

    model_config = ConfigDict(frozen=True)

    type: Literal["tool_call"] = "tool_call"
    id: str | None = None
    name: str
    arguments: Any = None
    """Parsed JSON when the arguments parse, else the text as sent."""


class ToolCallResponsePart(BaseModel):
    """A tool's result, sent back to the model."""

    model_config = ConfigDict(frozen=True)

    type: Literal["tool_call_response"] = "tool_call_response"
    id: str | None = None
    """The id of the tool call this answers."""
    response: Any = None


class GenericPart(BaseModel):
    """Any other part (an image, a file, reasoning, ...), kept whole so nothing is dropped."""

    model_config = ConfigDict(frozen=True)

    type: str
    raw: Any = None
    """The part as the instrumentation sent it."""


def _part_tag(value: Any) -> str:
    # A generic part may carry any type, "text" included (a text part without text): its
    # ``raw`` field tells it apart.
    if isinstance(value, GenericPart) or (isinstance(value, dict) and "raw" in value):
        return "other"
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in ("text", "tool_call", "tool_call_response") else "other"


Part = Annotated[
    Annotated[TextPart, Tag("text")]
    | Annotated[ToolCallPart, Tag("tool_call")]
    | Annotated[ToolCallResponsePart, Tag("tool_call_response")]
    | Annotated[GenericPart, Tag("other")],
    Discriminator(_part_tag),
]
"""One part of a message, told apart by ``type``."""


class Message(BaseModel):
    """One message of the conversation, as the GenAI conventions shape it."""

    model_config = ConfigDict(frozen=True)

    role: str
    """``system``, ``user``, ``assistant``, ``tool``, or what the instrumentation sent."""
    parts: list[Part] = Field(default_factory=list)
    name: str | None = None
    finish_reason: str | None = None
    """Why the model stopped, on output messages when the instrumentation says."""


class ToolDefinition(BaseModel):
    """A tool the model was offered."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str | None = None


class LLMUsage(BaseModel):
    """Token counts; ``None`` where the span does not say."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    """Input tokens served from the provider's prompt cache (part of ``input_tokens``)."""
    reasoning_tokens: int | None = None
    """Output tokens spent on reasoning (part of ``output_tokens``)."""
    total_tokens: int | None = None


class LLMCall(BaseModel):
    """An LLM (or embedding) call: what was asked, of which model, and what came back."""

    model_config = ConfigDict(frozen=True)

    operation: str | None = None
    """``chat``, ``text_completion``, ``embeddings``, ... (``gen_ai.operation.name``)."""
    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Request parameters by their GenAI name without ``gen_ai.request.``: temperature, ..."""
    system_instructions: list[Part] = Field(default_factory=list)
    """System instructions sent apart from the messages (GenAI ``gen_ai.system_instructions``)."""
    input_messages: list[Message] = Field(default_factory=list)
    output_messages: list[Message] = Field(default_factory=list)
    tool_definitions: list[ToolDefinition] = Field(default_factory=list)
    usage: LLMUsage = Field(default_factory=LLMUsage)
    cost_usd: float | None = None
    cost_source: str | None = None
    """``reported`` by the instrumentation, or ``price_table`` when computed at ingest."""
    finish_reasons: list[str] = Field(default_factory=list)
    embedding_inputs: int | None = None
    """How many inputs an embedding call embedded, when the span says."""
    error: str | None = None
    """The span's status message when the call failed."""
    sources: list[Source] = Field(default_factory=list)
    """The conventions the messages and tool definitions were read from."""


class TraceDetail(_Trace):
    """A stored trace with each LLM call on it normalised, for renderers.

    What ``GET /api/traces/{trace_id}`` and ``prodready traces show --json`` return: every
    field of :class:`prodready.store.Trace`, plus ``llm_calls``.
    """

    llm_calls: dict[str, LLMCall] = Field(default_factory=dict)
    """The normalised call of each ``llm`` and ``embedding`` span, by span id."""

    @classmethod
    def of(cls, trace: _Trace) -> TraceDetail:
        """``trace`` with its calls read (:func:`read_llm_calls`)."""
        return cls(
            summary=trace.summary,
            resource=trace.resource,
            spans=trace.spans,
            llm_calls=read_llm_calls(trace.spans),
        )


# --- attribute names read here (the scalars' names live in attributes.py) --------------------

MESSAGE_EVENTS: Final = frozenset(
    {
        "gen_ai.client.inference.operation.details",
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
        "gen_ai.choice",
        "gen_ai.content.prompt",
        "gen_ai.content.completion",
    }
)
"""Span events (or OTLP log records) that carry an LLM call's messages: renderers show them as
the call's transcript rather than as events."""

_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
_TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
_REQUEST_PREFIX: Final = "gen_ai.request."
_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
_COST_SOURCE: Final = "prodready.llm.cost_source"
# Cached and reasoning token counts: the GenAI name first, then the names the translators and
# the instrumentations use, so a span stored before the translators wrote them still reads.
_CACHED_TOKENS: Final = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
_REASONING_TOKENS: Final = (
    "gen_ai.usage.reasoning.output_tokens",
    "prodready.llm.usage.reasoning_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
_TOTAL_TOKENS: Final = (
    "gen_ai.usage.total_tokens",
    "llm.token_count.total",
    "llm.usage.total_tokens",
)

_OI_INPUT: Final = "llm.input_messages"
_OI_OUTPUT: Final = "llm.output_messages"
_OI_TOOLS: Final = "llm.tools"
_OI_EMBEDDINGS: Final = "embedding.embeddings"
_OLLM_PROMPT: Final = "gen_ai.prompt"
_OLLM_COMPLETION: Final = "gen_ai.completion"
_OLLM_FUNCTIONS: Final = "llm.request.functions"
_LANGFUSE: Final = ("langfuse.observation.input", "langfuse.observation.output")
_MLFLOW: Final = ("mlflow.spanInputs", "mlflow.spanOutputs")
_EVENT_CONTENT: Final = "gen_ai.event.content"
_LEGACY_ROLE_EVENTS: Final = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}

_CALL_KINDS: Final = frozenset({"llm", "embedding"})


# --- reading ---------------------------------------------------------------------------------


def read_llm_call(span: _Span) -> LLMCall | None:
    """The normalised call on an ``llm`` or ``embedding`` span; ``None`` for other kinds.

    Never raises: a source that cannot be read is skipped (and logged at debug level).

    Args:
        span: a stored span (``prodready.store.Span``): its attributes and events are read.

    Returns:
        The call, with whatever the span says; empty fields where it says nothing.
    """
    if span.kind not in _CALL_KINDS:
        return None
    a = span.attributes
    found = _Found()
    for source, reader in _READERS:
        try:
            found.add(source, *reader(a, span.events))
        except Exception:  # a foreign payload of an unexpected shape: skip it, keep the rest
            log.debug("could not read %s messages on span %s", source, span.span_id, exc_info=True)
    usage = LLMUsage(
        input_tokens=_int(a.get(attrs.GEN_AI_INPUT_TOKENS)),
        output_tokens=_int(a.get(attrs.GEN_AI_OUTPUT_TOKENS)),
        cached_input_tokens=_first_int(a, _CACHED_TOKENS),
        reasoning_tokens=_first_int(a, _REASONING_TOKENS),
        total_tokens=_first_int(a, _TOTAL_TOKENS),
    )
    outputs = found.best("output")
    reasons = _finish_reasons(a.get(_FINISH_REASONS), outputs)
    if len(reasons) == len(outputs) and not any(m.finish_reason for m in outputs):
        # OpenInference keeps the finish reason apart from the messages: one per choice
        outputs = [
            m.model_copy(update={"finish_reason": r}) for m, r in zip(outputs, reasons, strict=True)
        ]
    return LLMCall(
        operation=_str(a.get(attrs.GEN_AI_OPERATION)),
        provider=_str(a.get(attrs.GEN_AI_SYSTEM)),
        request_model=_str(a.get(attrs.GEN_AI_REQUEST_MODEL)),
        response_model=_str(a.get(attrs.GEN_AI_RESPONSE_MODEL)),
        parameters=_parameters(a),
        system_instructions=found.best("system"),
        input_messages=found.best("input"),
        output_messages=outputs,
        tool_definitions=found.best("tools"),
        usage=usage,
        cost_usd=_float(a.get(attrs.LLM_COST)),
        cost_source=_str(a.get(_COST_SOURCE)),
        finish_reasons=reasons,
        embedding_inputs=_embedding_inputs(a),
        error=(span.status_message or "error") if span.status == "error" else None,
        sources=found.sources,
    )


def read_llm_calls(spans: Iterable[_Span]) -> dict[str, LLMCall]:
    """The normalised call of each ``llm`` and ``embedding`` span in ``spans``, by span id."""
    calls = {}
    for span in spans:
        call = read_llm_call(span)
        if call is not None:
            calls[span.span_id] = call
    return calls


_Side = Literal["system", "input", "output", "tools"]
_Read = tuple[list[Part], list[Message], list[Message], list[ToolDefinition]]


class _Found:
    """Each source's messages, and the richest per side of the call."""

    def __init__(self) -> None:
        self._by_side: dict[_Side, list[tuple[Source, list[Any]]]] = {
            "system": [],
            "input": [],
            "output": [],
            "tools": [],
        }
        self.sources: list[Source] = []

    def add(
        self,
        source: Source,
        system: list[Part],
        inputs: list[Message],
        outputs: list[Message],
        tools: list[ToolDefinition],
    ) -> None:
        for side, items in (("system", system), ("input", inputs), ("output", outputs)):
            if items:
                self._by_side[side].append((source, items))  # type: ignore[index]
        if tools:
            self._by_side["tools"].append((source, tools))

    def best(self, side: _Side) -> list[Any]:
        """The richest source's items for ``side``; on a tie, the source read first."""
        candidates = self._by_side[side]
        if not candidates:
            return []
        source, items = max(candidates, key=lambda c: _richness(c[1]))
        if source not in self.sources:
            self.sources.append(source)
        return items


def _richness(items: list[Any]) -> tuple[int, int]:
    """(parts, characters): a source that kept more of the conversation wins."""
    parts = [p for item in items for p in (item.parts if isinstance(item, Message) else [item])]
    return len(parts), sum(len(_text_of(p)) for p in parts)


def _text_of(item: Any) -> str:
    if isinstance(item, TextPart):
        return item.content
    if isinstance(item, ToolCallPart):
        return item.name + _json_text(item.arguments)
    if isinstance(item, ToolCallResponsePart):
        return _json_text(item.response)
    if isinstance(item, ToolDefinition):
        return item.name + (item.description or "")
    return _json_text(getattr(item, "raw", ""))


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return _to_json(value)


# --- GenAI semantic conventions: span attributes and events ----------------------------------


def _genai(a: Mapping[str, Any], _events: list[dict[str, Any]]) -> _Read:
    return (
        _parts(_json(a.get(_SYSTEM_INSTRUCTIONS))),
        _genai_messages(a.get(attrs.GEN_AI_INPUT_MESSAGES)),
        _genai_messages(a.get(attrs.GEN_AI_OUTPUT_MESSAGES)),
        _tool_definitions(_json(a.get(_TOOL_DEFINITIONS))),
    )


def _genai_events(_a: Mapping[str, Any], events: list[dict[str, Any]]) -> _Read:
    """The current ``gen_ai.client.inference.operation.details`` event, else the older ones.

    The older conventions (semconv 1.28-1.36) send one event per message, named for its role,
    with the content in the log record's body or, from span-event emitters, as JSON in a
    ``gen_ai.event.content`` attribute; ``gen_ai.choice`` carries an output message. Older
    still, ``gen_ai.content.prompt`` / ``.completion`` events hold OpenAI-shaped JSON.
    """
    system: list[Part] = []
    inputs: list[Message] = []
    outputs: list[Message] = []
    tools: list[ToolDefinition] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        name = event.get("name")
        fields = _event_fields(event)
        if name == "gen_ai.client.inference.operation.details":
            system = system or _parts(_json(fields.get(_SYSTEM_INSTRUCTIONS)))
            inputs = inputs or _genai_messages(fields.get(attrs.GEN_AI_INPUT_MESSAGES))
            outputs = outputs or _genai_messages(fields.get(attrs.GEN_AI_OUTPUT_MESSAGES))
            tools = tools or _tool_definitions(_json(fields.get(_TOOL_DEFINITIONS)))
        elif name in _LEGACY_ROLE_EVENTS:
            message = _openai_message({"role": _LEGACY_ROLE_EVENTS[name], **fields})
            if message is not None:
                inputs.append(message)
        elif name == "gen_ai.choice":
            message = _choice(fields)
            if message is not None:
                outputs.append(message)
        elif name == "gen_ai.content.prompt":
            inputs = inputs or _openai_messages(_json(fields.get(_OLLM_PROMPT)))
        elif name == "gen_ai.content.completion":
            outputs = outputs or _openai_outputs(_json(fields.get(_OLLM_COMPLETION)))
    return system, inputs, outputs, tools


def _event_fields(event: Mapping[str, Any]) -> dict[str, Any]:
    """An event's content: its attributes, with a log record's body or ``gen_ai.event.content``
    (JSON) merged over them when either is an object."""
    attributes = event.get("attributes")
    fields = dict(attributes) if isinstance(attributes, Mapping) else {}
    for extra in (_json(fields.pop(_EVENT_CONTENT, None)), _json(event.get("body"))):
        if isinstance(extra, Mapping):
            fields.update(extra)
    return fields


def _genai_messages(value: Any) -> list[Message]:
    """GenAI ``{"role", "parts": [...], "name"?, "finish_reason"?}`` messages (or JSON text)."""
    messages = []
    for item in _list(_json(value)):
        if isinstance(item, Mapping) and isinstance(item.get("role"), str):
            messages.append(
                Message(
                    role=item["role"],
                    parts=_parts(item.get("parts")),
                    name=_str(item.get("name")),
                    finish_reason=_str(item.get("finish_reason")),
                )
            )
    return messages


def _parts(value: Any) -> list[Part]:
    """GenAI parts; a bare string counts as one text part."""
    if isinstance(value, str):
        return [TextPart(content=value)] if value else []
    return [part for item in _list(value) if (part := _part(item)) is not None]


def _part(item: Any) -> Part | None:
    if isinstance(item, str):
        return TextPart(content=item)
    if not isinstance(item, Mapping):
        return None
    kind = item.get("type")
    if kind == "text" and isinstance(item.get("content"), str):
        return TextPart(content=item["content"])
    if kind == "tool_call" and isinstance(item.get("name"), str):
        return ToolCallPart(
            id=_str(item.get("id")), name=item["name"], arguments=_arguments(item.get("arguments"))
        )
    if kind == "tool_call_response":
        return ToolCallResponsePart(id=_str(item.get("id")), response=item.get("response"))
    return GenericPart(type=str(kind or "unknown"), raw=dict(item))


def _tool_definitions(value: Any) -> list[ToolDefinition]:
    """Tool definitions: GenAI ``{"name", ...}`` or OpenAI ``{"function": {"name", ...}}``."""
    tools = []
    for entry in _list(value):
        item = _json(entry)
        if not isinstance(item, Mapping):
            continue
        function = item.get("function")
        spec = function if isinstance(function, Mapping) else item
        name = spec.get("name")
        if isinstance(name, str) and name:
            tools.append(ToolDefinition(name=name, description=_str(spec.get("description"))))
    return tools


# --- OpenInference ---------------------------------------------------------------------------


def _openinference(a: Mapping[str, Any], _events: list[dict[str, Any]]) -> _Read:
    tools = [(t.get("tool") or {}).get("json_schema") for t in _indexed(_flattened(a, _OI_TOOLS))]
    return (
        [],
        _oi_messages(_flattened(a, _OI_INPUT)),
        _oi_messages(_flattened(a, _OI_OUTPUT)),
        _tool_definitions([_json(t) for t in tools]),
    )


def _oi_messages(tree: dict[str, Any]) -> list[Message]:
    """``N.message.{role, content, name, tool_call_id, contents, tool_calls}`` as messages."""
    messages = []
    for entry in _indexed(tree):
        m = entry.get("message") if isinstance(entry, Mapping) else None
        if not isinstance(m, Mapping) or not isinstance(m.get("role"), str):
            continue
        contents = [c.get("message_content") for c in _indexed(m.get("contents"))]
        calls = [c.get("tool_call") for c in _indexed(m.get("tool_calls"))]
        messages.append(
            _message(
                role=m["role"],
                content=m.get("content"),
                content_parts=[_oi_content(c) for c in contents if isinstance(c, Mapping)],
                tool_calls=[_oi_tool_call(c) for c in calls if isinstance(c, Mapping)],
                tool_call_id=m.get("tool_call_id"),
                name=m.get("name"),
            )
        )
    return messages


def _oi_content(content: Mapping[str, Any]) -> Part:
    if content.get("type") == "text" and isinstance(content.get("text"), str):
        return TextPart(content=content["text"])
    return GenericPart(type=str(content.get("type") or "unknown"), raw=dict(content))


def _oi_tool_call(call: Mapping[str, Any]) -> ToolCallPart | None:
    function = call.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        return None
    return ToolCallPart(
        id=_str(call.get("id")),
        name=function["name"],
        arguments=_arguments(function.get("arguments")),
    )


def _embedding_inputs(a: Mapping[str, Any]) -> int | None:
    found = _indexed(_flattened(a, _OI_EMBEDDINGS))
    return len(found) or None


# --- OpenLLMetry -----------------------------------------------------------------------------


def _openllmetry(a: Mapping[str, Any], _events: list[dict[str, Any]]) -> _Read:
    """``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*`` and ``llm.request.functions.N.*``."""
    return (
        [],
        _ollm_messages(_flattened(a, _OLLM_PROMPT)),
        _ollm_messages(_flattened(a, _OLLM_COMPLETION)),
        _tool_definitions(_indexed(_flattened(a, _OLLM_FUNCTIONS))),
    )


def _ollm_messages(tree: dict[str, Any]) -> list[Message]:
    messages = []
    for m in _indexed(tree):
        if not isinstance(m, Mapping):
            continue
        calls = list(_indexed(m.get("tool_calls")))
        if isinstance(m.get("function_call"), Mapping):
            calls.append(m["function_call"])
        role = m.get("role")
        content = m.get("content")
        parts = [_openai_content(c) for c in _json(content)] if _looks_like_parts(content) else []
        messages.append(
            _message(
                role=role if isinstance(role, str) else "assistant",
                content=None if parts else content,
                content_parts=parts,
                tool_calls=[_flat_tool_call(c) for c in calls if isinstance(c, Mapping)],
                tool_call_id=m.get("tool_call_id"),
                finish_reason=m.get("finish_reason"),
            )
        )
    return messages


def _flat_tool_call(call: Mapping[str, Any]) -> ToolCallPart | None:
    if not isinstance(call.get("name"), str):
        return None
    return ToolCallPart(
        id=_str(call.get("id")), name=call["name"], arguments=_arguments(call.get("arguments"))
    )


# --- OpenAI-shaped JSON: Langfuse, MLflow, prodready's own spans ----------------------------


def _payload_reader(input_key: str, output_key: str) -> Callable[..., _Read]:
    def read(a: Mapping[str, Any], _events: list[dict[str, Any]]) -> _Read:
        request = _json(a.get(input_key))
        tools = request.get("tools") if isinstance(request, Mapping) else None
        return (
            [],
            _openai_request(request),
            _openai_outputs(_json(a.get(output_key))),
            _tool_definitions(tools),
        )

    return read


def _prodready(a: Mapping[str, Any], events: list[dict[str, Any]]) -> _Read:
    """prodready's own llm spans: ``prodready.input`` holds the messages (or a prompt string),
    ``prodready.output`` the completion text (or an OpenAI-shaped response)."""
    _, inputs, outputs, tools = _payload_reader(attrs.INPUT, attrs.OUTPUT)(a, events)
    prompt, completion = a.get(attrs.INPUT), a.get(attrs.OUTPUT)
    if not inputs and isinstance(prompt, str) and prompt and _json(prompt) is prompt:
        inputs = [Message(role="user", parts=[TextPart(content=prompt)])]
    if (
        not outputs
        and isinstance(completion, str)
        and completion
        and _json(completion) is completion
    ):
        outputs = [Message(role="assistant", parts=[TextPart(content=completion)])]
    return [], inputs, outputs, tools


def _openai_request(value: Any) -> list[Message]:
    """Messages from a request body (``{"messages": [...]}``) or a bare list of messages."""
    if isinstance(value, Mapping):
        value = value.get("messages")
    return _openai_messages(value)


def _openai_outputs(value: Any) -> list[Message]:
    """Output messages from a response (``{"choices": [...]}``), a choice list, a message list
    or a single message."""
    if isinstance(value, Mapping):
        if "choices" in value:
            value = value["choices"]
        elif "role" in value or "message" in value:
            value = [value]
        else:
            return []
    messages = []
    for item in _list(value):
        message = _choice(item) if isinstance(item, Mapping) and "message" in item else None
        message = message or (_openai_message(item) if isinstance(item, Mapping) else None)
        if message is not None:
            messages.append(message)
    return messages


def _openai_messages(value: Any) -> list[Message]:
    return [m for item in _list(value) if (m := _openai_message(item)) is not None]


def _choice(choice: Mapping[str, Any]) -> Message | None:
    message = choice.get("message")
    body = dict(message) if isinstance(message, Mapping) else {}
    body.setdefault("role", "assistant")
    body.setdefault("finish_reason", choice.get("finish_reason"))
    return _openai_message(body)


def _openai_message(item: Any) -> Message | None:
    """An OpenAI chat message (``role``, ``content`` text or parts, ``tool_calls``, ...)."""
    if not isinstance(item, Mapping) or not isinstance(item.get("role"), str):
        return None
    content = (
        _json(item.get("content"))
        if _looks_like_parts(item.get("content"))
        else item.get("content")
    )
    parts: list[Part] = []
    if isinstance(content, list):
        parts = [_openai_content(c) for c in content]
        content = None
    calls = []
    for call in _list(item.get("tool_calls")):
        if isinstance(call, Mapping):
            function = call.get("function")
            spec = function if isinstance(function, Mapping) else call
            if isinstance(spec.get("name"), str):
                calls.append(
                    ToolCallPart(
                        id=_str(call.get("id")),
                        name=spec["name"],
                        arguments=_arguments(spec.get("arguments")),
                    )
                )
    return _message(
        role=item["role"],
        content=content,
        content_parts=parts,
        tool_calls=calls,
        tool_call_id=item.get("tool_call_id") or item.get("id"),
        name=item.get("name"),
        finish_reason=item.get("finish_reason"),
    )


def _looks_like_parts(value: Any) -> bool:
    """Whether content text is a JSON list of content parts (OpenLLMetry serialises them)."""
    if not isinstance(value, str) or not value.startswith("["):
        return False
    parsed = _json(value)
    return isinstance(parsed, list) and all(isinstance(p, Mapping) and "type" in p for p in parsed)


def _openai_content(content: Any) -> Part:
    if isinstance(content, str):
        return TextPart(content=content)
    if isinstance(content, Mapping):
        if content.get("type") == "text" and isinstance(content.get("text"), str):
            return TextPart(content=content["text"])
        return GenericPart(type=str(content.get("type") or "unknown"), raw=dict(content))
    return GenericPart(type="unknown", raw=content)


def _message(
    *,
    role: str,
    content: Any = None,
    content_parts: Iterable[Part | None] = (),
    tool_calls: Iterable[ToolCallPart | None] = (),
    tool_call_id: Any = None,
    name: Any = None,
    finish_reason: Any = None,
) -> Message:
    """A message from OpenAI-style fields: a tool message's content is the tool's result."""
    parts: list[Part] = [p for p in content_parts if p is not None]
    if role == "tool":
        if content is not None or parts:
            response = content if content is not None else [p.model_dump() for p in parts]
            parts = [ToolCallResponsePart(id=_str(tool_call_id), response=response)]
    elif isinstance(content, str) and content:
        parts.insert(0, TextPart(content=content))
    elif content is not None and content != "":
        parts.insert(0, GenericPart(type="unknown", raw=content))
    parts.extend(c for c in tool_calls if c is not None)
    return Message(role=role, parts=parts, name=_str(name), finish_reason=_str(finish_reason))


_READERS: Final[tuple[tuple[Source, Callable[..., _Read]], ...]] = (
    ("genai", _genai),
    ("openinference", _openinference),
    ("genai_events", _genai_events),
    ("openllmetry", _openllmetry),
    ("langfuse", _payload_reader(*_LANGFUSE)),
    ("mlflow", _payload_reader(*_MLFLOW)),
    ("prodready", _prodready),
)
"""Every source, in the order that wins a tie in richness."""


# --- values ----------------------------------------------------------------------------------


def _flattened(a: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The keys under ``prefix.`` as a nested dict (``"0.message.role"`` -> ``{"0": {...}}``).

    A list under ``prefix`` itself (structured, as OTLP attributes may nest, or JSON text, as
    the deprecated GenAI ``gen_ai.prompt`` holds it) counts too, its items' own keys
    flattened the same way.
    """
    head = prefix + "."
    tree: dict[str, Any] = {}
    nested = _json(a.get(prefix))
    if isinstance(nested, list):
        for index, item in enumerate(nested):
            if isinstance(item, Mapping):
                for key, value in item.items():
                    _insert(tree, f"{index}.{key}", value)
    for key, value in a.items():
        if key.startswith(head):
            _insert(tree, key[len(head) :], value)
    return tree


def _insert(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = tree
    for segment in parents:
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            return  # "a.b" and "a.b.c" both set: keep the first, skip the clash
        node = child
    node.setdefault(leaf, value)


def _indexed(value: Any) -> list[Any]:
    """A flattened list's items (keys ``"0"``, ``"1"``, ...) in index order."""
    if isinstance(value, list):
        return value
    if not isinstance(value, Mapping):
        return []
    keys = sorted((int(k), k) for k in value if isinstance(k, str) and k.isascii() and k.isdigit())
    return [value[k] for _, k in keys]


def _json(value: Any) -> Any:
    """``value`` parsed if it is JSON text of an object or a list, else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _arguments(value: Any) -> Any:
    """Tool-call arguments: parsed JSON when they parse, else the text as sent."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _first_int(a: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        found = _int(a.get(key))
        if found is not None:
            return found
    return None


def _parameters(a: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key[len(_REQUEST_PREFIX) :]: value
        for key, value in a.items()
        if key.startswith(_REQUEST_PREFIX) and key != attrs.GEN_AI_REQUEST_MODEL
    }


def _finish_reasons(value: Any, outputs: list[Message]) -> list[str]:
    value = _json(value)
    if isinstance(value, str) and value:
        return [value]
    reasons = [v for v in _list(value) if isinstance(v, str)]
    return reasons or [m.finish_reason for m in outputs if m.finish_reason]
