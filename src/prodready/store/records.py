"""The record every pillar reads and writes: spans in, traces out.

``SpanRecord`` is what writers hand to the store (the SDK's processor, OTLP ingest); it is a
slotted dataclass because the SDK builds one per span on a background thread and pydantic
validation there would cost more than the insert. Everything the store returns is a pydantic
model, since it crosses the API boundary (REST, CLI ``--json``).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from prodready.vocabulary import attributes as attrs

SpanStatus = Literal["unset", "ok", "error"]
MAX_NS = 2**63 - 1
"""The largest time (and duration) in nanoseconds the store holds: a signed 64-bit integer."""
TraceStatus = Literal["ok", "error"]


@dataclass(slots=True, kw_only=True)
class SpanRecord:
    """One finished span, as written to the store.

    Ids are lowercase hex (trace 32 chars, span 16), times are Unix nanoseconds.
    ``kind`` is a prodready span kind (see ``prodready.tracing.SpanKind``).
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    status: SpanStatus = "unset"
    status_message: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None
    otel_kind: str = "internal"
    is_root: bool | None = None
    """True when the span starts the trace in this process (no parent, or a remote parent).
    A span without a parent is always the root; a local root under a remote parent names
    the trace only until the real root arrives."""


class Span(BaseModel):
    """A stored span."""

    model_config = ConfigDict(frozen=True)

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    otel_kind: str
    start_ns: int
    end_ns: int
    duration_ns: int
    status: SpanStatus
    status_message: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    events: list[dict[str, Any]] = Field(default_factory=list)
    links: list[dict[str, Any]] = Field(default_factory=list)
    scope: str | None = None


class TraceSummary(BaseModel):
    """A trace's metadata row: what lists show, without span payloads."""

    model_config = ConfigDict(frozen=True)

    trace_id: str
    name: str | None
    root_span_id: str | None
    start_ns: int
    end_ns: int
    duration_ns: int
    status: TraceStatus
    span_count: int
    error_count: int
    session_id: str | None = None
    user_id: str | None = None
    release: str | None = None
    environment: str | None = None
    service_name: str | None = None
    incomplete: bool = False
    """No root span is stored: no span without a parent, and no local root under a remote
    parent. Its root was dropped (or has not ended yet), so name, status and release may
    come from a child and be missing or wrong."""
    llm_calls: int | None = None
    """Model calls (``llm`` and ``embedding`` spans, a call recorded twice counted once:
    see :func:`llm_totals`); ``None`` when the trace has none. Like the three below, filled
    by the store's reads (``list_traces``, ``get_traces``)."""
    input_tokens: int | None = None
    """Summed input tokens of the model calls; ``None`` when no call reports them."""
    output_tokens: int | None = None
    """Summed output tokens of the model calls; ``None`` when no call reports them."""
    cost_usd: float | None = None
    """Summed cost of the model calls in USD; ``None`` when no call has a cost."""


MODEL_KINDS: frozenset[str] = frozenset({"llm", "embedding"})
"""Span kinds that are one model call each (what :func:`llm_totals` counts)."""

USAGE_KEYS: tuple[str, str, str] = (
    attrs.GEN_AI_INPUT_TOKENS,
    attrs.GEN_AI_OUTPUT_TOKENS,
    attrs.LLM_COST,
)
"""The attributes :func:`llm_totals` sums: input tokens, output tokens, cost in USD."""


class LLMTotals(BaseModel):
    """A trace's model calls, tokens and cost (see :func:`llm_totals`)."""

    model_config = ConfigDict(frozen=True)

    calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


def usage_number(value: Any) -> float | None:
    """An attribute value as a number to sum, or ``None`` (booleans and text are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


class ModelSpan(NamedTuple):
    """What :func:`llm_totals` reads of a model span (the store reads just this)."""

    span_id: str
    parent_span_id: str | None
    scope: str | None
    start_ns: int
    end_ns: int
    usage: tuple[Any, Any, Any]
    """The values of :data:`USAGE_KEYS`, as stored (``None`` when absent)."""


def llm_totals(spans: Iterable[Span]) -> LLMTotals:
    """Model calls, tokens and cost of a trace's spans, each model call counted once.

    **The rule.** Model calls are ``llm`` and ``embedding`` spans. When two
    instrumentations record one call (LangChain's chat-model span and the OpenAI client's
    span), the second record is an *inner* model span of the first: either its direct
    child, or — since LangChain's callbacks do not make their span the current one — a
    sibling (same parent) from a *different instrumentation scope* whose time interval lies
    within the first's (equal intervals: the greater span id is the inner one). Two calls
    from one instrumentation, even concurrent ones, are never merged. For each of input
    tokens, output tokens and cost, a model span's value counts unless one of its inner
    model spans reports that value: the innermost report wins, and a wrapper's figure
    counts only where nothing inside it reports one. A model span with an inner model
    span is not a call of its own. Values that are not numbers are ignored.

    The store's ``list_traces`` and ``stats`` apply this same function to the model spans
    they read (:func:`model_totals`).
    """
    return model_totals(
        ModelSpan(
            s.span_id,
            s.parent_span_id,
            s.scope,
            s.start_ns,
            s.end_ns,
            (
                s.attributes.get(USAGE_KEYS[0]),
                s.attributes.get(USAGE_KEYS[1]),
                s.attributes.get(USAGE_KEYS[2]),
            ),
        )
        for s in spans
        if s.kind in MODEL_KINDS
    )


UsageSums = tuple[int, "float | None", "float | None", "float | None"]
"""Model calls, then the summed input tokens, output tokens and cost (``None``: none)."""


def model_totals(model: Iterable[ModelSpan]) -> LLMTotals:
    """:func:`llm_totals` of one trace's model spans."""
    calls, tokens_in, tokens_out, cost = model_sums(model)
    return LLMTotals(
        calls=calls,
        input_tokens=None if tokens_in is None else int(tokens_in),
        output_tokens=None if tokens_out is None else int(tokens_out),
        cost_usd=cost,
    )


def model_sums(model: Iterable[ModelSpan]) -> UsageSums:
    """:func:`model_totals` as plain numbers (the store sums many traces' of them)."""
    model = list(model)
    if len(model) == 1:  # most traces: nothing to merge
        only = model[0].usage
        return (1, usage_number(only[0]), usage_number(only[1]), usage_number(only[2]))
    by_parent: dict[str | None, list[ModelSpan]] = {}
    for m in model:
        by_parent.setdefault(m.parent_span_id, []).append(m)
    for group in by_parent.values():
        group.sort(key=lambda x: x.start_ns)
    sums: list[float | None] = [None, None, None]
    calls = 0
    for m in model:
        inner = [*by_parent.get(m.span_id, ()), *_inner_siblings(m, by_parent[m.parent_span_id])]
        if not inner:
            calls += 1
        for i in range(3):
            value = usage_number(m.usage[i])
            if value is None or any(usage_number(c.usage[i]) is not None for c in inner):
                continue
            sums[i] = (sums[i] or 0) + value
    return (calls, sums[0], sums[1], sums[2])


def _inner_siblings(m: ModelSpan, siblings: list[ModelSpan]) -> Iterator[ModelSpan]:
    """Siblings of ``m`` (sorted by start) from another scope, within ``m``'s time."""
    at = bisect.bisect_left(siblings, m.start_ns, key=lambda x: x.start_ns)
    for c in itertools.islice(siblings, at, None):
        if c.start_ns > m.end_ns:
            break
        if (
            c.span_id != m.span_id
            and c.scope != m.scope
            and c.end_ns <= m.end_ns
            and (c.start_ns > m.start_ns or c.end_ns < m.end_ns or c.span_id > m.span_id)
        ):
            yield c


class SpanNode(BaseModel):
    """A span with its children, for rendering a tree."""

    span: Span
    children: list[SpanNode] = Field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Span]]:
        """Yield ``(depth, span)`` in depth-first order, children by start time."""
        yield depth, self.span
        for child in self.children:
            yield from child.walk(depth + 1)


class Trace(BaseModel):
    """A trace with all its spans (ordered by start time)."""

    summary: TraceSummary
    resource: dict[str, Any] = Field(default_factory=dict)
    spans: list[Span]

    def tree(self) -> list[SpanNode]:
        """The span tree. Spans whose parent is not stored become extra roots."""
        nodes = {s.span_id: SpanNode(span=s) for s in self.spans}
        roots: list[SpanNode] = []
        for s in self.spans:
            parent = nodes.get(s.parent_span_id) if s.parent_span_id else None
            if parent is None or parent is nodes[s.span_id]:
                roots.append(nodes[s.span_id])
            else:
                parent.children.append(nodes[s.span_id])
        return roots

    def find(self, *, name: str | None = None, kind: str | None = None) -> list[Span]:
        """Spans matching every given field."""
        return [
            s
            for s in self.spans
            if (name is None or s.name == name) and (kind is None or s.kind == kind)
        ]


AttributeValue = str | int | float | bool


class TraceQuery(BaseModel):
    """Filters for listing traces. Every field is optional; all given ones must match."""

    model_config = ConfigDict(extra="forbid")

    start_after_ns: int | None = Field(default=None, ge=0, le=MAX_NS)
    """Only traces that started at or after this time."""
    start_before_ns: int | None = Field(default=None, ge=0, le=MAX_NS)
    """Only traces that started before this time."""
    name: str | None = None
    status: TraceStatus | None = None
    """The trace's outcome: its root span's status (``error`` or ``ok``)."""
    has_error: bool | None = None
    """Whether any span in the trace failed (a retried tool call counts)."""
    kind: str | None = None
    """Only traces containing at least one span of this kind."""
    release: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    environment: str | None = None
    min_duration_ns: int | None = Field(default=None, ge=0, le=MAX_NS)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    """Only traces with a span carrying each of these attribute values (exact, typed match)."""
    limit: int = Field(default=50, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0, le=MAX_NS)


class SpanStats(BaseModel):
    """Aggregates for one (name, kind) group of spans."""

    name: str
    kind: str
    count: int
    error_count: int
    error_rate: float
    p50_ms: float
    p95_ms: float


class TraceStats(BaseModel):
    """Aggregates over the traces a query selects, and per span name and kind."""

    trace_count: int
    error_count: int
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    spans: list[SpanStats]
    incomplete_count: int = 0
    """Traces whose root span is not stored (see ``TraceSummary.incomplete``)."""
    llm_calls: int = 0
    """Model calls over the selected traces, counted as :func:`llm_totals` does."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


class StoreInfo(BaseModel):
    """What ``prodready store info`` prints."""

    url: str
    dialect: str
    revision: str | None
    """The core ``store`` branch's revision (``None``: a blank database)."""
    head: str
    """The core ``store`` branch's newest revision this version ships."""
    revisions: dict[str, str | None] = {}
    """Every migration branch's revision, by label (``Database.revisions``)."""
    heads: dict[str, str] = {}
    """Every migration branch's newest revision, by label (``Database.heads``)."""
    trace_count: int
    span_count: int
    oldest_start_ns: int | None = None
    newest_start_ns: int | None = None
