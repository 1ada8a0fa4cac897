"""How the CLI shows things: durations, times, trace tables, span trees, errors.

User data (span names, attribute values) always goes into ``rich.text.Text``, never into markup
strings, so a span called ``[bold]`` prints as written.

Output that is not a terminal (a CI log, a pipe) is rendered for a log: no colour, and no
width limit, so a gate's or a table's row stays on one line however long it is. A ``COLUMNS``
the user sets is still the width.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from prodready.tracing import attributes as attrs

if TYPE_CHECKING:
    from pydantic import BaseModel

    from prodready.store import Span, SpanNode, Trace, TraceStats, TraceSummary
    from prodready.tracing.llm import LLMCall

KIND_STYLES: dict[str, str] = {
    "agent": "bold magenta",
    "workflow": "magenta",
    "step": "default",
    "llm": "cyan",
    "tool": "yellow",
    "retriever": "green",
    "embedding": "green",
    "reranker": "green",
    "classifier": "blue",
    "guardrail": "dark_orange",
    "evaluator": "bright_blue",
    "compensation": "bright_yellow",
    "escalation": "bold dark_orange",
    "message": "bright_white",
    "unknown": "dim",
}
STATUS_STYLES = {"ok": "green", "error": "bold red", "unset": "dim"}

# Shown in the header or redundant with the kind, so not repeated on every node.
_HIDDEN_PRODREADY = frozenset({attrs.KIND, attrs.RELEASE})
_ATTR_WIDTH = 200
_DETAIL_WIDTH = 60
_MAX_DOC_IDS = 5
# Rich needs a width; off a terminal, one no row reaches. Tables and trees take only the width
# their cells need, and nothing here pads to the full width (no justify, expand or rules).
LOG_WIDTH = 1_000_000


def for_log(*, stderr: bool = False) -> bool:
    """Whether that stream is rendered for a log: not a terminal, and no ``COLUMNS`` set."""
    console = Console(stderr=stderr)
    return not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit()


def stdout() -> Console:
    """A console on standard output (made per command, so it sees the current terminal)."""
    return _console(stderr=False)


def stderr() -> Console:
    """A console on standard error, for notes and errors beside the output."""
    return _console(stderr=True)


def _console(*, stderr: bool) -> Console:
    console = _TrimmingConsole(stderr=stderr, highlight=False)
    # Rich falls back to 80 columns off a terminal, wrapping gate rows in CI logs.
    if for_log(stderr=stderr):
        console.width = LOG_WIDTH
    return console


class _TrimmingConsole(Console):
    """A console whose lines end without the spaces a table pads its last column with."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(o if isinstance(o, str | Text) else _Trimmed(o) for o in objects), **kwargs)


class _Trimmed:
    """A renderable rendered line by line, with trailing spaces dropped from each line."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in console.render_lines(self.renderable, options, pad=False):
            while line and not line[-1].control and not line[-1].text.rstrip(" "):
                line.pop()
            if line and not line[-1].control:
                last = line.pop()
                line.append(Segment(last.text.rstrip(" "), last.style))
            yield from line
            yield Segment.line()


def fail(code: int, message: str) -> NoReturn:
    """Print ``error: message`` on standard error and exit with ``code``."""
    stderr().print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    raise typer.Exit(code)


# --- values ----------------------------------------------------------------------------------


RowT = TypeVar("RowT", bound="BaseModel")


def detail_grid() -> Table:
    """The two-column grid of a ``show`` command's header: bold labels, then values."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    return grid


def plural(n: int, noun: str) -> str:
    """``noun`` for one, ``noun`` + "s" for any other count."""
    return noun if n == 1 else noun + "s"


def print_listing(
    rows: list[RowT],
    *,
    as_json: bool,
    table: Callable[[list[RowT]], Table],
    noun: str,
    qualifier: str = "",
) -> None:
    """A listing command's output: JSON with ``--json``, else the table and a count line."""
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    console = stdout()
    if rows:
        console.print(table(rows))
    console.print(f"{len(rows)} {qualifier}{plural(len(rows), noun)}", style="dim")


def format_duration(ns: int) -> str:
    """A duration to about three significant digits: ``850µs``, ``12.3ms``, ``1.24s``, ``2m05s``."""
    if ns < 0:
        return "-" + format_duration(-ns)
    if ns < 1_000:
        return f"{ns}ns"
    for unit, scale in (("µs", 1e3), ("ms", 1e6), ("s", 1e9)):
        text = _three_digits(ns / scale)
        if float(text) < 1_000 and not (unit == "s" and float(text) >= 60):
            return text + unit
    seconds = round(ns / 1e9)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _three_digits(value: float) -> str:
    if round(value, 2) < 10:
        return f"{value:.2f}"
    if round(value, 1) < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def format_ms(ms: float | None) -> str:
    return "-" if ms is None else format_duration(round(ms * 1e6))


def format_time(ns: int | None) -> str:
    """Local time, ISO 8601 to the second."""
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns // 1_000_000_000).isoformat(timespec="seconds")


def format_value(value: Any, width: int = _ATTR_WIDTH) -> str:
    """An attribute value as text (JSON for non-strings), cut to ``width`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def _optional(value: str | None) -> Text:
    return Text("-", style="dim") if value is None else Text(value)


# --- traces list and stats -------------------------------------------------------------------


def traces_table(rows: Iterable[TraceSummary], *, full_ids: bool = False) -> Table:
    """Trace rows; an incomplete trace (its root span never stored) is marked after its name.

    Short values (time, status, counts, tokens, cost) never wrap; when the width is short (a
    narrow terminal, a ``COLUMNS`` the user set), ids, names, releases and sessions fold onto
    more lines, whole, instead of every column being cut to "…".
    """
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("Trace", overflow="fold")
    table.add_column("Start", no_wrap=True)
    table.add_column("Name", overflow="fold")
    table.add_column("Status", no_wrap=True)
    for header in ("Spans", "Duration", "Tokens", "Cost"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Release", overflow="fold")
    table.add_column("Session", overflow="fold")
    for t in rows:
        name = _optional(t.name)
        if t.incomplete:
            name.append(" (incomplete)", style="yellow")
        table.add_row(
            t.trace_id if full_ids else t.trace_id[:12],
            format_time(t.start_ns),
            name,
            status_text(t.status),
            str(t.span_count),
            format_duration(t.duration_ns),
            _optional(_token_pair(t.input_tokens, t.output_tokens)),
            _optional(format_cost(t.cost_usd)),
            _optional(t.release),
            _optional(t.session_id),
        )
    return table


def _token_pair(tokens_in: int | None, tokens_out: int | None) -> str | None:
    """``1,234/256``: input/output tokens, ``None`` when neither is known."""
    if tokens_in is None and tokens_out is None:
        return None
    return f"{_count(tokens_in)}/{_count(tokens_out)}"


def format_cost(usd: float | None) -> str | None:
    """``$0.0123``: four decimals, or two significant digits below $0.0001 (``$0.0000011``),
    since one small call costs millionths of a dollar; ``None`` if unknown."""
    if usd is None:
        return None
    if 0 < abs(usd) < 0.0001:
        return f"${usd:.{1 - math.floor(math.log10(abs(usd)))}f}"
    return f"${usd:.4f}"


def stats_summary(stats: TraceStats) -> Text:
    """Traces, errors and latency; then model calls, tokens and cost when there are calls."""
    text = Text.assemble(
        ("Traces ", "bold"),
        str(stats.trace_count),
        ("   Errors ", "bold"),
        (f"{stats.error_count} ({stats.error_rate:.1%})", "red" if stats.error_count else ""),
        ("   p50 ", "bold"),
        format_ms(stats.p50_ms),
        ("   p95 ", "bold"),
        format_ms(stats.p95_ms),
    )
    if stats.incomplete_count:
        text.append(f"   ({stats.incomplete_count} incomplete)", style="yellow")
    if stats.llm_calls:
        text.append("\nLLM calls ", style="bold")
        text.append(f"{stats.llm_calls:,}")
        text.append("   Tokens ", style="bold")
        text.append(f"{_count(stats.input_tokens)} in / {_count(stats.output_tokens)} out")
        text.append("   Cost ", style="bold")
        text.append(format_cost(stats.cost_usd) or "-")
    return text


def stats_table(stats: TraceStats) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("Span")
    table.add_column("Kind")
    for header in ("Count", "Errors", "Error rate", "p50", "p95"):
        table.add_column(header, justify="right", no_wrap=True)
    for s in stats.spans:
        table.add_row(
            Text(s.name, style=KIND_STYLES.get(s.kind, "")),
            s.kind,
            str(s.count),
            Text(str(s.error_count), style="red" if s.error_count else ""),
            f"{s.error_rate:.1%}",
            format_ms(s.p50_ms),
            format_ms(s.p95_ms),
        )
    return table


# --- one trace -------------------------------------------------------------------------------


def trace_header(trace: Trace) -> Table:
    s = trace.summary
    status = status_text(s.status)
    if s.error_count:
        status.append(f" ({s.error_count} of {s.span_count} spans failed)", style="red")
    grid = detail_grid()
    for key, value in (
        ("Trace", Text(s.trace_id)),
        ("Name", _optional(s.name)),
        ("Status", status),
        ("Start", Text(format_time(s.start_ns))),
        ("Duration", Text(format_duration(s.duration_ns))),
        ("Spans", Text(str(s.span_count))),
        ("LLM calls", _optional(_llm_totals(s))),
        ("Release", _optional(s.release)),
        ("Env", _optional(s.environment)),
        ("Session", _optional(s.session_id)),
        ("User", _optional(s.user_id)),
    ):
        grid.add_row(key, value)
    if s.incomplete:
        grid.add_row(
            "Incomplete",
            Text(
                "the root span was never stored: name, status and release may come from a child",
                style="yellow",
            ),
        )
    return grid


def _llm_totals(s: TraceSummary) -> str | None:
    """``2 · 19 in / 4 out tokens · $0.0001`` (a call recorded twice counted once)."""
    if not s.llm_calls:
        return None
    parts = [str(s.llm_calls)]
    if s.input_tokens is not None or s.output_tokens is not None:
        parts.append(f"{_count(s.input_tokens)} in / {_count(s.output_tokens)} out tokens")
    if s.cost_usd is not None:
        parts.append(f"{format_cost(s.cost_usd)}")
    return " · ".join(parts)


def trace_tree(
    trace: Trace,
    *,
    max_depth: int | None = None,
    limit_spans: int | None = None,
    show_attrs: bool = False,
    messages: bool = True,
    full: bool = False,
) -> Tree:
    """The span tree, children by start time; depth-first, so ``limit_spans`` keeps the top.

    Iterative, so deep or wide traces (tens of thousands of spans) neither recurse nor stall.
    Subtrees cut by ``max_depth`` (the root is depth 0) and spans beyond ``limit_spans`` are
    summarised as "… N more spans". ``messages`` shows an LLM call's transcript under its
    span; ``full`` shows contents, status messages and events whole.
    """

    def label(span: Span) -> Text:
        return span_label(span, show_attrs=show_attrs, messages=messages, full=full)

    roots = trace.tree()
    pending: list[tuple[SpanNode, Tree, int]] = []
    cut_by_depth = 0

    def expand(node: SpanNode, branch: Tree, depth: int) -> None:
        nonlocal cut_by_depth
        if not node.children:
            return
        if max_depth is not None and depth >= max_depth:
            hidden = _subtree_size(node) - 1
            cut_by_depth += hidden
            branch.add(Text(f"… {hidden} more spans", style="dim"))
        else:
            pending.extend((child, branch, depth + 1) for child in reversed(node.children))

    if len(roots) == 1:
        top = Tree(label(roots[0].span), guide_style="bright_black")
        shown = 1
        expand(roots[0], top, 0)
    else:
        heading = f"{len(roots)} root spans" if roots else "no spans"
        top = Tree(Text(heading, style="dim"), guide_style="bright_black")
        shown = 0
        pending.extend((root, top, 0) for root in reversed(roots))
    while pending and (limit_spans is None or shown < limit_spans):
        node, parent, depth = pending.pop()
        branch = parent.add(label(node.span))
        shown += 1
        expand(node, branch, depth)
    rest = len(trace.spans) - shown - cut_by_depth
    if rest > 0:
        hint = " (see --limit-spans)" if pending else ""
        top.add(Text(f"… {rest} more spans{hint}", style="dim"))
    return top


def _subtree_size(node: SpanNode) -> int:
    size, stack = 0, [node]
    while stack:
        current = stack.pop()
        size += 1
        stack.extend(current.children)
    return size


def span_label(
    span: Span, *, show_attrs: bool = False, messages: bool = True, full: bool = False
) -> Text:
    """``name [kind] duration``, the kind's key attributes and the error's first line; below
    it, an LLM call's transcript (``messages``), the events, and every attribute with
    ``show_attrs``. ``full`` shows contents, the status message and all events whole."""
    from prodready.cli._transcript import event_lines, first_line, transcript
    from prodready.tracing.llm import read_llm_call

    call = read_llm_call(span)
    text = Text(span.name, style=KIND_STYLES.get(span.kind, ""))
    text.append(f" [{span.kind}]", style="dim")
    text.append(f" {format_duration(span.duration_ns)}")
    details = key_attributes(span, call=call)
    if details:
        text.append("  " + " · ".join(details), style="italic")
    if span.status == "error":
        message = first_line(span.status_message or "error", full=full)
        text.append(f"  ✗ {message}", style="bold red")
    lines = transcript(call, full=full) if call is not None and messages else []
    lines += event_lines(span.events, llm_call=call is not None, full=full)
    for line in lines:
        text.append("\n")
        text.append_text(line)
    if show_attrs:
        for key in sorted(span.attributes):
            text.append(f"\n  {key} = {format_value(span.attributes[key])}", style="dim")
    return text


def key_attributes(span: Span, *, call: LLMCall | None = None) -> list[str]:
    """The few attributes worth a glance for the span's kind.

    An ``llm`` or ``embedding`` span shows its call (``call``, read when not given): model,
    inputs, tokens, cost, finish reason.
    """
    from prodready.cli._transcript import call_details
    from prodready.tracing.llm import read_llm_call

    a = span.attributes
    call = call or read_llm_call(span)
    if call is not None:
        return call_details(call, embedding=span.kind == "embedding")
    if span.kind == "agent" and a.get(attrs.GEN_AI_AGENT_NAME):
        return [format_value(a[attrs.GEN_AI_AGENT_NAME], _DETAIL_WIDTH), *_prodready_attributes(a)]
    if span.kind == "tool":
        return _present(
            a.get(attrs.GEN_AI_TOOL_NAME),
            _labelled("outcome", a.get(attrs.TOOL_OUTCOME)),
            _labelled("attempt", a.get(attrs.TOOL_ATTEMPT)),
        )
    if span.kind == "retriever":
        return _present(_documents(a.get(attrs.RETRIEVAL_DOCUMENT_IDS)))
    if span.kind == "classifier":
        return _present(_intent(a.get(attrs.INTENT_NAME), a.get(attrs.INTENT_CONFIDENCE)))
    if span.kind == "guardrail":
        return _present(
            a.get(attrs.GUARDRAIL_NAME),
            _labelled("verdict", a.get(attrs.GUARDRAIL_VERDICT)),
            _labelled("reason", a.get(attrs.GUARDRAIL_REASON)),
        )
    return _prodready_attributes(a)


def _prodready_attributes(a: dict[str, Any]) -> list[str]:
    return [
        f"{key.removeprefix('prodready.')}={format_value(value, _DETAIL_WIDTH)}"
        for key, value in sorted(a.items())
        if key.startswith("prodready.") and key not in _HIDDEN_PRODREADY
    ]


def _present(*values: Any) -> list[str]:
    return [format_value(v, _DETAIL_WIDTH) for v in values if v is not None and v != ""]


def _labelled(label: str, value: Any) -> str | None:
    return None if value is None else f"{label}={format_value(value, _DETAIL_WIDTH)}"


def _count(value: Any) -> str:
    if value is None:
        return "?"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _documents(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value:
        return None
    shown = ", ".join(str(v) for v in value[:_MAX_DOC_IDS])
    more = len(value) - _MAX_DOC_IDS
    return f"docs: {shown}" + (f" (+{more})" if more > 0 else "")


def _intent(name: Any, confidence: Any) -> str | None:
    if name is None:
        return None
    try:
        return f"intent={name} ({float(confidence):.2f})"
    except (TypeError, ValueError):
        return f"intent={name}"
