"""What monitoring needs to know of a trace to group it: release, environment, intent, tools.

Read in three small queries per 500 traces (the trace rows, then only the spans that carry an
intent or are tool calls), never the span payloads of a whole trace. The core tables are the
store's (:mod:`prodready.store.schema`); this module only reads them, through ``store.db``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson
from sqlalchemy import ColumnElement, Text, literal, or_, select

from prodready.store import Store
from prodready.store.schema import spans, traces
from prodready.vocabulary import attributes as attrs
from prodready.vocabulary.kinds import KIND_BITS

Dimension = Literal["release", "environment", "intent", "tool"]
"""What an alert rule or a summary may filter or group by."""

DIMENSIONS: Final[tuple[Dimension, ...]] = ("release", "environment", "intent", "tool")
_CHUNK: Final = 500
_ESCALATION: Final = KIND_BITS["escalation"]


@dataclass(frozen=True, slots=True)
class TraceFacts:
    """A trace's grouping facts and headline numbers."""

    trace_id: str
    start_ns: int
    duration_ns: int
    status: str
    release: str | None
    environment: str | None
    session_id: str | None
    escalated: bool
    tokens: int = 0
    """Model-call tokens, input and output (the trace row's totals)."""
    cost_usd: float = 0.0
    intent: str | None = None
    tools: tuple[str, ...] = ()

    def values(self, dimension: Dimension) -> tuple[str | None, ...]:
        """The trace's values of ``dimension`` (a trace calls several tools, or none)."""
        if dimension == "tool":
            return self.tools or (None,)
        value: str | None = getattr(self, dimension)
        return (value,)


_HEAD = (
    traces.c.trace_id,
    traces.c.start_ns,
    traces.c.duration_ns,
    traces.c.status,
    traces.c.release,
    traces.c.environment,
    traces.c.session_id,
    traces.c.kind_mask,
    traces.c.input_tokens,
    traces.c.output_tokens,
    traces.c.cost_usd,
)


def trace_facts(
    store: Store, trace_ids: Iterable[str], *, spans_needed: bool = True
) -> dict[str, TraceFacts]:
    """Facts of the given traces, by id; unknown ids are left out.

    ``spans_needed=False`` skips the intent and tools (no span is read).
    """
    wanted = list(dict.fromkeys(t.lower() for t in trace_ids if t))
    out: dict[str, TraceFacts] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        with store.db.connect() as conn:
            heads = conn.execute(select(*_HEAD).where(traces.c.trace_id.in_(chunk))).all()
        out |= _with_spans(store, heads, spans_needed)
    return out


def window_facts(
    store: Store, since_ns: int, until_ns: int, *, spans_needed: bool = True
) -> list[TraceFacts]:
    """Facts of every trace that started in ``[since_ns, until_ns)``, oldest first."""
    stmt = (
        select(*_HEAD)
        .where(traces.c.start_ns >= since_ns, traces.c.start_ns < until_ns)
        .order_by(traces.c.start_ns)
    )
    with store.db.connect() as conn:
        heads = conn.execute(stmt).all()
    out: list[TraceFacts] = []
    for i in range(0, len(heads), _CHUNK):
        out += _with_spans(store, heads[i : i + _CHUNK], spans_needed).values()
    return out


def _with_spans(store: Store, heads: Sequence[Any], spans_needed: bool) -> dict[str, TraceFacts]:
    found = _span_facts(store, [h.trace_id for h in heads]) if spans_needed and heads else {}
    out = {}
    for h in heads:
        intent, tools = found.get(h.trace_id, (None, ()))
        out[h.trace_id] = TraceFacts(
            trace_id=h.trace_id,
            start_ns=h.start_ns,
            duration_ns=h.duration_ns,
            status=h.status,
            release=h.release,
            environment=h.environment,
            session_id=h.session_id,
            escalated=bool(int(h.kind_mask or 0) & _ESCALATION),
            tokens=int(h.input_tokens or 0) + int(h.output_tokens or 0),
            cost_usd=float(h.cost_usd or 0.0),
            intent=intent,
            tools=tools,
        )
    return out


def _span_facts(store: Store, ids: list[str]) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """Intent (a classifier's first, else any span's) and tools called, by trace."""
    s = spans.c
    stmt = (
        select(s.trace_id, s.name, s.kind, s.attributes)
        .where(s.trace_id.in_(ids), or_(s.kind == "tool", _has_key(store, attrs.INTENT_NAME)))
        .order_by(s.trace_id, s.start_ns)
    )
    with store.db.connect() as conn:
        rows = conn.execute(stmt).all()
    intents: dict[str, tuple[bool, str]] = {}
    tools: dict[str, dict[str, None]] = {}
    for tid, name, kind, raw in rows:
        a = _attributes(raw)
        intent = a.get(attrs.INTENT_NAME)
        if intent is not None and (
            tid not in intents or (kind == "classifier" and not intents[tid][0])
        ):
            intents[tid] = (kind == "classifier", str(intent))
        if kind == "tool":
            tool = a.get(attrs.GEN_AI_TOOL_NAME) or str(name).removeprefix("execute_tool ")
            tools.setdefault(tid, {})[str(tool)] = None
    return {
        tid: (intents[tid][1] if tid in intents else None, tuple(tools.get(tid, ())))
        for tid in set(intents) | set(tools)
    }


def _has_key(store: Store, key: str) -> ColumnElement[bool]:
    """A span's attributes have ``key`` (JSONB's ``?`` on PostgreSQL; a text pre-check on
    SQLite, confirmed in Python)."""
    if store.dialect == "postgresql":
        return spans.c.attributes.op("?")(literal(key, Text()))
    return spans.c.attributes.like(f'%"{key}"%')


def _attributes(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def newest_trace_ns(store: Store) -> int | None:
    """When the newest stored trace started (an index lookup), or ``None`` when empty."""
    from sqlalchemy import func

    with store.db.connect() as conn:
        value = conn.execute(select(func.max(traces.c.start_ns))).scalar_one_or_none()
    return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class WindowGroup:
    """Trace totals of one group of a window, computed in the database."""

    key: tuple[str | None, ...]
    traces: int
    errors: int
    escalations: int
    tokens: int
    cost_usd: float


_COLUMNS: Final = {"release": traces.c.release, "environment": traces.c.environment}
"""The dimensions a trace row holds (intent and tool are on spans)."""


def _window_where(since_ns: int, until_ns: int, filters: dict[str, str]) -> list[Any]:
    where = [traces.c.start_ns >= since_ns, traces.c.start_ns < until_ns]
    where += [_COLUMNS[d] == v for d, v in filters.items()]
    return where


def window_totals(
    store: Store, since_ns: int, until_ns: int, group_by: Sequence[str], filters: dict[str, str]
) -> list[WindowGroup]:
    """Counts and sums of the traces that started in ``[since_ns, until_ns)``, per group of
    ``group_by``, in one ``GROUP BY`` (dimensions and filters: ``release``, ``environment``)."""
    from sqlalchemy import case, func

    keys = [_COLUMNS[d] for d in group_by]
    t = traces.c
    stmt = select(
        *keys,
        func.count(),
        func.sum(case((t.status == "error", 1), else_=0)),
        func.sum(case((t.kind_mask.op("&")(_ESCALATION) != 0, 1), else_=0)),
        func.sum(func.coalesce(t.input_tokens, 0) + func.coalesce(t.output_tokens, 0)),
        func.sum(func.coalesce(t.cost_usd, 0.0)),
    ).where(*_window_where(since_ns, until_ns, filters))
    if keys:
        stmt = stmt.group_by(*keys)
    with store.db.connect() as conn:
        rows = conn.execute(stmt).all()
    n = len(keys)
    return [
        WindowGroup(tuple(r[:n]), int(r[n]), int(r[n + 1] or 0), int(r[n + 2] or 0),
                    int(r[n + 3] or 0), float(r[n + 4] or 0.0))
        for r in rows
        if r[n]
    ]  # fmt: skip


def window_durations(
    store: Store, since_ns: int, until_ns: int, group_by: Sequence[str], filters: dict[str, str]
) -> dict[tuple[str | None, ...], list[int]]:
    """The durations of the traces that started in the window, sorted, per group."""
    keys = [_COLUMNS[d] for d in group_by]
    stmt = (
        select(*keys, traces.c.duration_ns)
        .where(*_window_where(since_ns, until_ns, filters))
        .order_by(traces.c.duration_ns)
    )
    out: dict[tuple[str | None, ...], list[int]] = {}
    with store.db.connect() as conn:
        for row in conn.execute(stmt):
            out.setdefault(tuple(row[:-1]), []).append(int(row[-1]))
    return out
