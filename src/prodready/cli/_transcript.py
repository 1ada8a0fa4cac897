"""How ``traces show`` prints an LLM call as a transcript, a span's events and its status.

A call (:class:`prodready.tracing.LLMCall`, whatever convention the span came in) prints one
line per message: the role, then its parts: text collapsed onto one line and cut with an
``…(+N chars)`` marker, tool calls the model requested as ``→ name(arguments)``, tool results
with the id of the call they answer. Output messages come last, in bold, with their finish
reason. ``full`` prints everything whole instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from rich.text import Text

from prodready.tracing.llm import (
    MESSAGE_EVENTS,
    GenericPart,
    LLMCall,
    Message,
    Part,
    TextPart,
    ToolCallPart,
    ToolCallResponsePart,
)

MESSAGE_WIDTH: Final = 160
"""Characters of a message's text shown before it is cut (system prompts get fewer)."""
SYSTEM_WIDTH: Final = 80
ARGUMENTS_WIDTH: Final = 120
EVENT_VALUE_WIDTH: Final = 60
MAX_EVENTS: Final = 10
"""Events listed under a span before the rest are counted (all of them with ``full``)."""
_MAX_EVENT_ATTRIBUTES: Final = 4
_ROLE_WIDTH: Final = 9  # "assistant"
_INDENT: Final = "  "
_SPACE = re.compile(r"\s+")
# Event attributes worth showing first; the rest follow in key order.
_EVENT_KEYS: Final = ("exception.type", "exception.message", "message", "event.name")


def cut(text: str, width: int, *, full: bool = False) -> str:
    """``text`` on one line (whitespace collapsed), cut at ``width`` with ``…(+N chars)``.

    With ``full`` the text is returned as it is, line breaks and all.
    """
    if full:
        return text
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) <= width:
        return flat
    return f"{flat[:width]}…(+{len(flat) - width} chars)"


def first_line(message: str, *, full: bool = False) -> str:
    """A status message's first line, and ``(+N lines; --full)`` when it has more."""
    lines = message.strip().splitlines() or [""]
    if full or len(lines) == 1:
        return message.strip()
    more = len(lines) - 1
    return f"{lines[0]} (+{more} {'line' if more == 1 else 'lines'}; --full)"


# --- the call --------------------------------------------------------------------------------


def call_details(call: LLMCall, *, embedding: bool = False) -> list[str]:
    """The headline facts: model, input count (embeddings), tokens, cost, finish reason."""
    details = [model] if (model := _model(call)) else []
    if call.embedding_inputs is not None:
        details.append(f"{call.embedding_inputs} {_noun(call.embedding_inputs, 'input')}")
    tokens = _tokens(call, embedding=embedding)
    if tokens:
        details.append(tokens)
    if call.cost_usd is not None:
        from prodready.cli._render import format_cost

        details.append(f"{format_cost(call.cost_usd)}")
    if call.finish_reasons and not call.output_messages:
        details.append("finish=" + ",".join(call.finish_reasons))
    return details


def _model(call: LLMCall) -> str | None:
    asked, answered = call.request_model, call.response_model
    if asked and answered and answered != asked:
        return f"{asked} ({answered})"
    return asked or answered


def _tokens(call: LLMCall, *, embedding: bool) -> str | None:
    u = call.usage
    if u.input_tokens is None and u.output_tokens is None:
        return None
    if embedding and u.output_tokens is None:  # an embedding only reads
        return f"{_count(u.input_tokens)} tokens"
    cached = f" ({u.cached_input_tokens:,} cached)" if u.cached_input_tokens else ""
    reasoning = f" ({u.reasoning_tokens:,} reasoning)" if u.reasoning_tokens else ""
    return f"{_count(u.input_tokens)} in{cached} / {_count(u.output_tokens)} out{reasoning} tokens"


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _noun(n: int, noun: str) -> str:
    return noun if n == 1 else noun + "s"


def transcript(call: LLMCall, *, full: bool = False) -> list[Text]:
    """One line per message (system instructions first, output messages last, in bold)."""
    lines: list[Text] = []
    if call.tool_definitions:
        names = ", ".join(t.name for t in call.tool_definitions)
        lines.append(Text(f"{_INDENT}tools offered: {names}", style="dim"))
    if call.parameters:
        params = " ".join(f"{k}={_compact(v)}" for k, v in sorted(call.parameters.items()))
        lines.append(Text(f"{_INDENT}params: {cut(params, MESSAGE_WIDTH, full=full)}", style="dim"))
    if call.system_instructions:
        lines.append(_line("system", call.system_instructions, full=full))
    lines.extend(_line(m.role, m.parts, full=full) for m in call.input_messages)
    lines.extend(_output_line(m, full=full) for m in call.output_messages)
    return lines


def _output_line(message: Message, *, full: bool) -> Text:
    line = _line(message.role, message.parts, full=full, bold=True)
    if message.finish_reason:
        line.append(f"  [{message.finish_reason}]", style="dim")
    return line


def _line(role: str, parts: Iterable[Part], *, full: bool, bold: bool = False) -> Text:
    width = SYSTEM_WIDTH if role in ("system", "developer") else MESSAGE_WIDTH
    line = Text(_INDENT)
    line.append(f"{role:<{_ROLE_WIDTH}}", style="bold cyan" if bold else "cyan")
    start = len(line)
    shown = [_part(part, width, full=full) for part in parts]
    if not shown:
        line.append(" (no content)", style="dim")
    for text in shown:
        line.append(" ")
        line.append_text(text)
    if bold:
        line.stylize("bold", start)
    if full:  # continuation lines of whole contents line up under the first one
        line = Text("\n" + " " * (len(_INDENT) + _ROLE_WIDTH + 1)).join(line.split("\n"))
    return line


def _part(part: Part, width: int, *, full: bool) -> Text:
    if isinstance(part, TextPart):
        return Text(cut(part.content, width, full=full))
    if isinstance(part, ToolCallPart):
        text = Text(f"→ {part.name}", style="yellow")
        text.append(f"({cut(_compact(part.arguments), ARGUMENTS_WIDTH, full=full)})")
        if part.id:
            text.append(f" [{part.id}]", style="dim")
        return text
    if isinstance(part, ToolCallResponsePart):
        text = Text(f"[{part.id}] " if part.id else "", style="dim")
        text.append(cut(_compact(part.response), width, full=full))
        return text
    return _generic(part, width, full=full)


def _generic(part: GenericPart, width: int, *, full: bool) -> Text:
    text = Text(f"[{part.type}]", style="dim")
    raw = part.raw if isinstance(part.raw, Mapping) else {}
    content = raw.get("content") or raw.get("text")
    if isinstance(content, str):
        text.append(" " + cut(content, width, full=full))
    return text


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # a circular structure cannot come from JSON, but never raise here
        return str(value)


# --- events ----------------------------------------------------------------------------------


def event_lines(events: list[dict[str, Any]], *, llm_call: bool, full: bool = False) -> list[Text]:
    """One line per event: its name and key attributes (a log record's severity and body too).

    On an LLM call's span (``llm_call``) the GenAI message events are left out: they are the
    call's transcript (hidden too with ``--no-messages``).
    """
    shown = [
        e
        for e in events
        if not (llm_call and isinstance(e, Mapping) and e.get("name") in MESSAGE_EVENTS)
    ]
    limit = None if full else MAX_EVENTS
    lines = [_event(e, full=full) for e in shown[:limit]]
    if limit is not None and len(shown) > limit:
        rest = len(shown) - limit
        lines.append(Text(f"{_INDENT}… {rest} more {_noun(rest, 'event')} (--full)", style="dim"))
    return lines


def _event(event: Mapping[str, Any], *, full: bool) -> Text:
    line = Text(f"{_INDENT}• ", style="dim")
    line.append(str(event.get("name") or "event"), style="magenta")
    if event.get("severity"):
        line.append(f" {event['severity']}", style="dim")
    attributes = event.get("attributes")
    details = _event_details(attributes if isinstance(attributes, Mapping) else {}, full=full)
    if "body" in event and event["body"] is not None:
        details.append("body=" + cut(_compact(event["body"]), EVENT_VALUE_WIDTH, full=full))
    if details:
        line.append("  " + " · ".join(details), style="dim")
    return line


def _event_details(attributes: Mapping[str, Any], *, full: bool) -> list[str]:
    keys = [k for k in _EVENT_KEYS if k in attributes]
    keys += sorted(k for k in attributes if k not in _EVENT_KEYS)
    limit = None if full else _MAX_EVENT_ATTRIBUTES
    details = []
    for key in keys[:limit]:
        value = _compact(attributes[key])
        if "\n" in value.strip():  # a traceback: its first line, and how many more
            value = first_line(value, full=full)
        details.append(f"{key}={cut(value, EVENT_VALUE_WIDTH, full=full)}")
    if limit is not None and len(keys) > limit:
        details.append(f"+{len(keys) - limit} more")
    return details
