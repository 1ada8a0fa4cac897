"""What prodready's spans say to other tools: OpenInference and GenAI keys on the OTLP copy.

prodready's spans describe themselves with ``prodready.*`` keys (and GenAI ones where GenAI
has a name). Other backends read their own vocabulary: Arize Phoenix classes a span by
``openinference.span.kind`` and shows ``input.value``, ``retrieval.documents.*`` and
``llm.input_messages.*``; Langfuse maps the OpenInference kind, ``gen_ai.operation.name``,
``input.value``, the model and the token counts onto its observations. A span exported with
``prodready.span.kind`` alone is UNKNOWN to Phoenix, with empty input and output columns.

:class:`OutboundExporter` wraps the OTLP exporter and adds, to each span it exports, the keys
:func:`outbound_attributes` derives: the OpenInference kind, the GenAI operation, input and
output, tool, retrieval and LLM details (messages in both conventions). It only adds: a key
the span already has (set by the user or by another instrumentation) is never replaced. The
store keeps prodready's own attributes as they are; this runs on the exporter's worker
thread, only when spans are exported over OTLP. ``docs/conventions.md`` ("Outbound: what
other tools see") lists every key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from prodready.tracing import attributes as attrs
from prodready.tracing._convert import Redactor, redacted_copy, replaced
from prodready.tracing.conventions import translate
from prodready.tracing.kinds import SPAN_KINDS
from prodready.vocabulary.canonical import to_json

log = logging.getLogger("prodready.tracing")

# --- the keys other tools read ---------------------------------------------------------------
OI_KIND: Final = "openinference.span.kind"
INPUT_VALUE: Final = "input.value"
INPUT_MIME: Final = "input.mime_type"
OUTPUT_VALUE: Final = "output.value"
OUTPUT_MIME: Final = "output.mime_type"
METADATA: Final = "metadata"
AGENT_NAME: Final = "agent.name"
TOOL_NAME: Final = "tool.name"
TOOL_CALL_ID: Final = "tool_call.id"
TOOL_CALL_NAME: Final = "tool_call.function.name"
TOOL_CALL_ARGUMENTS: Final = "tool_call.function.arguments"
RETRIEVAL_DOCUMENTS: Final = "retrieval.documents"
LLM_MODEL: Final = "llm.model_name"
LLM_PROVIDER: Final = "llm.provider"
LLM_SYSTEM: Final = "llm.system"
LLM_INVOCATION_PARAMETERS: Final = "llm.invocation_parameters"
LLM_INPUT_MESSAGES: Final = "llm.input_messages"
LLM_OUTPUT_MESSAGES: Final = "llm.output_messages"
LLM_TOKENS_PROMPT: Final = "llm.token_count.prompt"
LLM_TOKENS_COMPLETION: Final = "llm.token_count.completion"
LLM_TOKENS_TOTAL: Final = "llm.token_count.total"
LLM_TOKENS_CACHE_READ: Final = "llm.token_count.prompt_details.cache_read"
LLM_TOKENS_REASONING: Final = "llm.token_count.completion_details.reasoning"
LLM_COST_TOTAL: Final = "llm.cost.total"
EMBEDDING_MODEL: Final = "embedding.model_name"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
GEN_AI_RETRIEVAL_QUERY: Final = "gen_ai.retrieval.query.text"
GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
GEN_AI_USAGE_COST: Final = "gen_ai.usage.cost"
"""Not in the GenAI conventions: the key Langfuse reads a call's cost from."""

JSON_MIME: Final = "application/json"
TEXT_MIME: Final = "text/plain"

OPENINFERENCE_KINDS: Final[dict[str, str]] = {
    "llm": "LLM",
    "tool": "TOOL",
    "retriever": "RETRIEVER",
    "embedding": "EMBEDDING",
    "reranker": "RERANKER",
    "agent": "AGENT",
    "guardrail": "GUARDRAIL",
    "evaluator": "EVALUATOR",
    # OpenInference's CHAIN is "a starting point or a link between application steps": the
    # closest kind for prodready's orchestration spans. Its DECISION kind is newer than the
    # Phoenix and Langfuse releases that read kinds, which would show it as UNKNOWN / SPAN.
    "workflow": "CHAIN",
    "step": "CHAIN",
    "classifier": "CHAIN",
    "escalation": "CHAIN",
    "compensation": "CHAIN",
    "message": "CHAIN",
}
"""prodready kind -> ``openinference.span.kind``; ``unknown`` spans get none."""

GENAI_OPERATIONS: Final[dict[str, str]] = {
    "llm": "chat",
    "embedding": "embeddings",
    "tool": "execute_tool",
    "agent": "invoke_agent",
    "retriever": "retrieval",
    "workflow": "invoke_workflow",
}
"""prodready kind -> ``gen_ai.operation.name``, for the kinds GenAI has an operation for."""


def outbound_attributes(attributes: Mapping[str, Any], *, name: str) -> dict[str, Any]:
    """The OpenInference and GenAI attributes to add to one span when it is exported.

    Args:
        attributes: the span's attributes (after redaction); never modified.
        name: the span name (an agent's or workflow's name when no attribute gives one).

    Returns:
        Only the keys to add: none the span already has.
    """
    declared = attributes.get(attrs.KIND)
    if isinstance(declared, str) and declared in SPAN_KINDS:
        kind, source = declared, attributes
    else:  # another instrumentation's span: read it through prodready's translators
        kind, source = translate(attributes, name=name, otel_kind="internal")
    if kind not in OPENINFERENCE_KINDS:
        return {}
    out = _Out(attributes)
    out.put(OI_KIND, OPENINFERENCE_KINDS[kind])
    out.put(attrs.GEN_AI_OPERATION, GENAI_OPERATIONS.get(kind))
    get = source.get
    if kind == "tool":
        _tool(source, out)
    elif kind == "retriever":
        _retriever(source, out)
    elif kind == "llm":
        _llm(source, out)
    elif kind == "embedding":
        out.put(
            EMBEDDING_MODEL, get(attrs.GEN_AI_REQUEST_MODEL) or get(attrs.GEN_AI_RESPONSE_MODEL)
        )
    elif kind == "agent":
        agent = get(attrs.GEN_AI_AGENT_NAME) or name
        out.put(attrs.GEN_AI_AGENT_NAME, agent)
        out.put(AGENT_NAME, agent)
    elif kind == "workflow":
        out.put(GEN_AI_WORKFLOW_NAME, name)
    elif kind == "guardrail" and get(attrs.GUARDRAIL_VERDICT) is not None:
        _value(out, OUTPUT_VALUE, OUTPUT_MIME, _verdict(source))
    elif kind == "classifier" and get(attrs.INTENT_NAME) is not None:
        _value(out, OUTPUT_VALUE, OUTPUT_MIME, _intent(source))
    # input/output after the kind-specific ones: a tool's arguments, a retriever's query
    # are only the fallback when prodready.input/output are not there.
    _value(out, INPUT_VALUE, INPUT_MIME, get(attrs.INPUT), replace=True)
    _value(out, OUTPUT_VALUE, OUTPUT_MIME, get(attrs.OUTPUT), replace=True)
    out.put(GEN_AI_CONVERSATION_ID, get(attrs.SESSION_ID))
    metadata = {
        key: get(source_key)
        for key, source_key in (
            ("release", attrs.RELEASE),
            ("environment", attrs.ENVIRONMENT),
            ("prompt_version", attrs.PROMPT_VERSION),
        )
        if get(source_key) is not None
    }
    if metadata:
        out.put(METADATA, _dumps(metadata))
    return out.extra


class _Out:
    """The keys to add, never one the span has (``replace`` only overrides earlier fallbacks)."""

    __slots__ = ("attributes", "extra")

    def __init__(self, attributes: Mapping[str, Any]) -> None:
        self.attributes = attributes
        self.extra: dict[str, Any] = {}

    def put(self, key: str, value: Any, *, replace: bool = False) -> None:
        if value is None or value == "" or key in self.attributes:
            return
        if replace or key not in self.extra:
            self.extra[key] = value


def _value(out: _Out, key: str, mime_key: str, value: Any, *, replace: bool = False) -> None:
    """``input.value``/``output.value`` as text, with the MIME type that says how to show it."""
    if value is None or key in out.attributes:
        return
    if isinstance(value, str):
        text = value
        mime = JSON_MIME if _json(value) is not None else TEXT_MIME
    else:
        text, mime = _dumps(value), JSON_MIME
    out.put(key, text, replace=replace)
    if out.extra.get(key) == text:
        out.put(mime_key, mime, replace=True)


def _tool(source: Mapping[str, Any], out: _Out) -> None:
    get = source.get
    out.put(TOOL_NAME, get(attrs.GEN_AI_TOOL_NAME))
    out.put(TOOL_CALL_NAME, get(attrs.GEN_AI_TOOL_NAME))
    out.put(TOOL_CALL_ID, get(attrs.GEN_AI_TOOL_CALL_ID))
    arguments = get(attrs.TOOL_ARGUMENTS)
    if arguments is not None:
        out.put(TOOL_CALL_ARGUMENTS, arguments if isinstance(arguments, str) else _dumps(arguments))
    _value(out, INPUT_VALUE, INPUT_MIME, arguments)
    _value(out, OUTPUT_VALUE, OUTPUT_MIME, get(attrs.TOOL_RESULT))


def _retriever(source: Mapping[str, Any], out: _Out) -> None:
    """The query as input; the documents flattened (OpenInference) and as JSON (GenAI)."""
    query = source.get(attrs.RETRIEVAL_QUERY)
    out.put(GEN_AI_RETRIEVAL_QUERY, query)
    _value(out, INPUT_VALUE, INPUT_MIME, query)
    raw = source.get(attrs.RETRIEVAL_DOCUMENTS)
    docs = _json(raw) if isinstance(raw, str) else raw
    if not isinstance(docs, list):
        return
    genai: list[dict[str, Any]] = []
    has_flat = any(key.startswith(RETRIEVAL_DOCUMENTS + ".") for key in out.attributes)
    for i, doc in enumerate(d for d in docs if isinstance(d, Mapping)):
        head = f"{RETRIEVAL_DOCUMENTS}.{i}.document."
        content = doc.get("content", doc.get("text"))
        metadata = {
            k: v
            for k, v in doc.items()
            if k not in ("id", "score", "content", "text") and v is not None
        }
        if not has_flat:
            out.put(head + "id", _scalar(doc.get("id")))
            out.put(head + "score", _number(doc.get("score")))
            out.put(head + "content", content if isinstance(content, str) else None)
            if metadata:
                out.put(head + "metadata", _dumps(metadata))
        entry = {"id": doc.get("id"), "score": _number(doc.get("score"))}
        if isinstance(content, str):
            entry["content"] = content
        entry.update(metadata)
        genai.append({k: v for k, v in entry.items() if v is not None})
    out.put(GEN_AI_RETRIEVAL_DOCUMENTS, _dumps(genai))
    _value(out, OUTPUT_VALUE, OUTPUT_MIME, genai)


def _llm(source: Mapping[str, Any], out: _Out) -> None:
    get = source.get
    out.put(LLM_MODEL, get(attrs.GEN_AI_RESPONSE_MODEL) or get(attrs.GEN_AI_REQUEST_MODEL))
    provider = get(attrs.GEN_AI_SYSTEM) or get("gen_ai.system")
    out.put(LLM_PROVIDER, provider)
    out.put(LLM_SYSTEM, provider)
    tokens_in = _count(get(attrs.GEN_AI_INPUT_TOKENS))
    tokens_out = _count(get(attrs.GEN_AI_OUTPUT_TOKENS))
    out.put(LLM_TOKENS_PROMPT, tokens_in)
    out.put(LLM_TOKENS_COMPLETION, tokens_out)
    if tokens_in is not None and tokens_out is not None:
        out.put(LLM_TOKENS_TOTAL, tokens_in + tokens_out)
    out.put(LLM_TOKENS_CACHE_READ, _count(get("gen_ai.usage.cache_read.input_tokens")))
    out.put(LLM_TOKENS_REASONING, _count(get("gen_ai.usage.reasoning.output_tokens")))
    cost = _number(get(attrs.LLM_COST))
    out.put(LLM_COST_TOTAL, cost)
    out.put(GEN_AI_USAGE_COST, cost)
    parameters = {
        key.removeprefix("gen_ai.request."): value
        for key, value in source.items()
        if key.startswith("gen_ai.request.") and value is not None
    }
    if parameters:
        out.put(LLM_INVOCATION_PARAMETERS, _dumps(parameters))
    finish = get("gen_ai.response.finish_reasons")
    finish_reason = (
        finish[0]
        if isinstance(finish, Sequence) and finish and not isinstance(finish, str)
        else None
    )
    inputs = _messages(get(attrs.INPUT), "user")
    outputs = _messages(get(attrs.OUTPUT), "assistant")
    for messages, oi_prefix, genai_key in (
        (inputs, LLM_INPUT_MESSAGES, attrs.GEN_AI_INPUT_MESSAGES),
        (outputs, LLM_OUTPUT_MESSAGES, attrs.GEN_AI_OUTPUT_MESSAGES),
    ):
        if not messages:
            continue
        if not any(key.startswith(oi_prefix + ".") for key in out.attributes):
            for i, message in enumerate(messages):
                for key, value in _openinference_message(message).items():
                    out.put(f"{oi_prefix}.{i}.{key}", value)
        genai = [_genai_message(m) for m in messages]
        if oi_prefix == LLM_OUTPUT_MESSAGES and finish_reason is not None:
            for message in genai:
                message["finish_reason"] = finish_reason
        out.put(genai_key, _dumps(genai))


def _messages(value: Any, role: str) -> list[Mapping[str, Any]]:
    """Chat messages (OpenAI's shape) from what prodready recorded as input or output.

    A list of ``{"role", "content"}`` objects (what ``ModelClient`` records), an object with
    ``messages`` or a text ``prompt`` (``@trace`` arguments), one message object, or any
    other text, JSON included (one message of ``role`` holding it, as a model's JSON-mode
    answer is). A JSON array of anything but messages gives none.
    """
    parsed = _json(value) if isinstance(value, str) else value
    if isinstance(parsed, Mapping) and isinstance(parsed.get("messages"), list):
        parsed = parsed["messages"]
    elif isinstance(parsed, Mapping) and isinstance(parsed.get("prompt"), str):
        return [{"role": role, "content": parsed["prompt"]}]
    if isinstance(parsed, Mapping) and "role" in parsed:
        parsed = [parsed]
    if isinstance(parsed, list):
        if parsed and all(isinstance(m, Mapping) and "role" in m for m in parsed):
            return parsed
        return []
    if isinstance(value, str) and value:
        return [{"role": role, "content": value}]
    return []


def _openinference_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One message's flattened ``message.*`` keys (under ``llm.input_messages.{i}.``)."""
    flat: dict[str, Any] = {"message.role": str(message.get("role"))}
    content = message.get("content")
    if isinstance(content, str):
        flat["message.content"] = content
    elif isinstance(content, list):
        for j, part in enumerate(p for p in content if isinstance(p, Mapping)):
            head = f"message.contents.{j}.message_content."
            flat[head + "type"] = str(part.get("type", "text"))
            if isinstance(part.get("text"), str):
                flat[head + "text"] = part["text"]
    if message.get("name"):
        flat["message.name"] = str(message["name"])
    if message.get("tool_call_id"):
        flat["message.tool_call_id"] = str(message["tool_call_id"])
    for j, call in enumerate(_tool_calls(message)):
        head = f"message.tool_calls.{j}.tool_call."
        function = call.get("function") or {}
        if call.get("id"):
            flat[head + "id"] = str(call["id"])
        if function.get("name"):
            flat[head + "function.name"] = str(function["name"])
        arguments = function.get("arguments")
        if arguments is not None:
            flat[head + "function.arguments"] = (
                arguments if isinstance(arguments, str) else _dumps(arguments)
            )
    return flat


def _genai_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One message in the GenAI conventions' JSON shape: a role and typed parts."""
    role = str(message.get("role"))
    content = message.get("content")
    parts: list[dict[str, Any]] = []
    if role == "tool":
        parts.append(
            {"type": "tool_call_response", "id": message.get("tool_call_id"), "response": content}
        )
    elif isinstance(content, str):
        if content:
            parts.append({"type": "text", "content": content})
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append({"type": "text", "content": part["text"]})
    for call in _tool_calls(message):
        function = call.get("function") or {}
        arguments = function.get("arguments")
        parsed = _json(arguments) if isinstance(arguments, str) else arguments
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": parsed if parsed is not None else arguments,
            }
        )
    out: dict[str, Any] = {"role": role, "parts": parts}
    if message.get("name"):
        out["name"] = message["name"]
    return out


def _tool_calls(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    calls = message.get("tool_calls")
    return [c for c in calls if isinstance(c, Mapping)] if isinstance(calls, list) else []


def _verdict(source: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in (
            ("verdict", source.get(attrs.GUARDRAIL_VERDICT)),
            ("reason", source.get(attrs.GUARDRAIL_REASON)),
        )
        if v is not None
    }


def _intent(source: Mapping[str, Any]) -> dict[str, Any]:
    alternatives = source.get(attrs.INTENT_ALTERNATIVES)
    found = {
        "intent": source.get(attrs.INTENT_NAME),
        "confidence": source.get(attrs.INTENT_CONFIDENCE),
        "alternatives": _json(alternatives) if isinstance(alternatives, str) else alternatives,
    }
    return {k: v for k, v in found.items() if v is not None}


def _json(text: Any) -> Any:
    """``text`` parsed when it is a JSON object or array, else ``None``."""
    if isinstance(text, str) and text[:1] in ("{", "["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
    return None


def _dumps(value: Any) -> str:
    return to_json(value, fallback="repr")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _scalar(value: Any) -> str | int | None:
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


# --- the exporter ----------------------------------------------------------------------------


class OutboundExporter(SpanExporter):
    """A ``SpanExporter`` that adds :func:`outbound_attributes` to each span, then exports it.

    Runs where the wrapped exporter runs (the ``BatchSpanProcessor``'s worker thread), never
    on the agent's. A span whose mapping fails is exported as it is: the conventions only
    enrich.

    Args:
        exporter: the exporter that sends the spans (``OTLPSpanExporter``).
        redact: the ``configure(redact=)`` hook, when nothing ran it before the spans got
            here (OTLP-only export). It runs first, so the added keys are derived from
            redacted values; a span whose redaction fails is not exported.
    """

    def __init__(self, exporter: SpanExporter, *, redact: Redactor | None = None) -> None:
        self.exporter = exporter
        self._redact = redact

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        out: list[ReadableSpan] = []
        for span in spans:
            if self._redact is not None:
                try:
                    span = redacted_copy(span, self._redact)  # noqa: PLW2901
                except Exception:
                    log.warning(
                        "prodready tracing: redaction failed; span %r not exported", span.name
                    )
                    log.debug("redaction error", exc_info=True)
                    continue
            out.append(self._outbound(span))
        return self.exporter.export(out)

    @staticmethod
    def _outbound(span: ReadableSpan) -> ReadableSpan:
        attributes = span.attributes or {}
        try:
            extra = outbound_attributes(attributes, name=span.name)
        except Exception:
            log.debug("could not add outbound attributes to %r", span.name, exc_info=True)
            extra = {}
        if not extra:
            return span
        return replaced(span, attributes={**attributes, **extra})

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)
