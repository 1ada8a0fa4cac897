"""Trace facts: what a trace is grouped and counted by, read from trace rows and the span index.

Monitoring groups traces by release, environment, intent and tool (feedback summaries,
online score series, alert rules). Release, environment, status, duration, escalation and
the model-call totals are columns of the trace row; the intent and the tools called are span
attributes, read here from the span index (:mod:`prodready.store._index`) rather than from
span payloads. :class:`TraceFactsReader` is part of :class:`~prodready.store.Store`.

Query plans. ``span_index`` has two orders: its primary key ``(key, value, trace_id,
span_id)`` and ``ix_span_index_trace (trace_id)``. Asked for a few keys of 500 traces, SQLite
(which has no statistics) and PostgreSQL before ``ANALYZE`` pick the primary key and walk
every intent and tool row of the store for each chunk (70 ms a chunk at 300k index rows,
growing with the store); by trace it is a few rows per trace. The key test is therefore
written ``key || '' IN (...)``, which no index answers: SQLite takes ``ix_span_index_trace``
and filters its rows by key (4 ms a chunk), as PostgreSQL does with statistics; PostgreSQL
without any (autovacuum off, no ``ANALYZE`` since a bulk load) scans the table per chunk
instead (~50 ms at 300k rows), still cheaper than walking the key. docs/monitoring.md has
the plans and figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, String, any_, case, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from prodready.store._database import Database
from prodready.store.schema import span_index, spans, traces
from prodready.vocabulary import attributes as attrs
from prodready.vocabulary.kinds import KIND_BITS

__all__ = ["CHUNK", "TraceFacts", "TraceFactsReader", "TraceTotals"]

CHUNK: Final = 500
"""Trace ids per query (bound parameters stay far below SQLite's limit)."""

_ESCALATION: Final = KIND_BITS["escalation"]
_TOOL_KEYS: Final = (attrs.GEN_AI_TOOL_NAME, "tool.name")
"""Where a span names the tool it called, in order of preference (both are indexed)."""
_FACT_KEYS: Final = (attrs.INTENT_NAME, *_TOOL_KEYS)

_COLUMNS: Final = {"release": traces.c.release, "environment": traces.c.environment}
"""The grouping dimensions a trace row holds (the intent and tools are on spans)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceFacts:
    """What a trace is grouped and counted by: its row's columns, its intent and its tools.

    ``intent`` is the ``prodready.intent.name`` of the trace's first classifier span that has
    one, else of its first span that has one (by start time); ``tools`` are the tool names
    its spans carry (``gen_ai.tool.name``, else OpenInference's ``tool.name``), each once,
    sorted. Both come from the span index, so only text values of at most 256 characters
    count (as for the trace list's ``intent`` and ``tool`` filters). Left empty when the
    facts were read with ``span_facts=False``.
    """

    trace_id: str
    start_ns: int
    duration_ns: int
    status: str
    """``ok`` or ``error``: the trace's outcome, as in :class:`~prodready.store.TraceSummary`."""
    release: str | None
    environment: str | None
    session_id: str | None
    escalated: bool
    """Whether any span of the trace is an ``escalation`` span."""
    tokens: int = 0
    """Model-call tokens, input and output (the trace row's totals)."""
    cost_usd: float = 0.0
    intent: str | None = None
    tools: tuple[str, ...] = ()

    def values(self, dimension: str) -> tuple[str | None, ...]:
        """The trace's values of ``dimension`` (``release``, ``environment``, ``intent`` or
        ``tool``): one value, or for ``tool`` each tool called (``(None,)`` for none).

        Raises:
            ValueError: an unknown dimension.
        """
        if dimension == "tool":
            return self.tools or (None,)
        if dimension == "release":
            return (self.release,)
        if dimension == "environment":
            return (self.environment,)
        if dimension == "intent":
            return (self.intent,)
        raise ValueError(
            f"unknown dimension {dimension!r}; expected release, environment, intent or tool"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceTotals:
    """Counts and sums over one group of the traces of a window, computed by the database."""

    key: tuple[str | None, ...]
    """The group's values, in the order of ``group_by`` (``()`` when not grouped)."""
    traces: int
    errors: int
    """Traces whose status is ``error``."""
    escalations: int
    tokens: int
    cost_usd: float


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


class TraceFactsReader:
    """Reads trace facts over the store's ``traces`` and ``span_index`` tables (part of
    :class:`~prodready.store.Store`: call these as ``store.trace_facts(...)``)."""

    db: Database

    def trace_facts(
        self, trace_ids: Iterable[str], *, span_facts: bool = True
    ) -> dict[str, TraceFacts]:
        """The facts of the given traces, by id (lowercase hex); unknown ids are left out.

        Reads the trace rows and, unless ``span_facts=False`` (no intent, no tools), the
        intent and tool rows of the span index, :data:`CHUNK` traces per query.
        """
        wanted = list(dict.fromkeys(t.lower() for t in trace_ids if t))
        out: dict[str, TraceFacts] = {}
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            with self.db.connect() as conn:
                stmt = select(*_HEAD).where(_among(conn, traces.c.trace_id, chunk))
                heads = conn.execute(stmt).all()
                out |= _facts(conn, heads, span_facts)
        return out

    def window_facts(
        self,
        since_ns: int,
        until_ns: int,
        *,
        release: str | None = None,
        environment: str | None = None,
        span_facts: bool = True,
    ) -> list[TraceFacts]:
        """The facts of every trace that started in ``[since_ns, until_ns)``, oldest first;
        with ``release`` or ``environment``, only the traces that have it."""
        stmt = (
            select(*_HEAD)
            .where(*_window(since_ns, until_ns, release, environment))
            .order_by(traces.c.start_ns, traces.c.trace_id)
        )
        out: list[TraceFacts] = []
        with self.db.connect() as conn:
            heads = conn.execute(stmt).all()
            for i in range(0, len(heads), CHUNK):
                out += _facts(conn, heads[i : i + CHUNK], span_facts).values()
        return out

    def window_totals(
        self,
        since_ns: int,
        until_ns: int,
        *,
        group_by: Sequence[str] = (),
        release: str | None = None,
        environment: str | None = None,
    ) -> list[TraceTotals]:
        """Counts and sums of the traces that started in ``[since_ns, until_ns)``, per group
        of ``group_by`` (``release``, ``environment``), in one ``GROUP BY``. Only groups
        with traces are returned: none at all for an empty window.

        Raises:
            ValueError: a ``group_by`` dimension that is not a trace column.
        """
        keys = _keys(group_by)
        t = traces.c
        stmt = select(
            *keys,
            func.count(),
            func.sum(case((t.status == "error", 1), else_=0)),
            func.sum(case((t.kind_mask.op("&")(_ESCALATION) != 0, 1), else_=0)),
            func.sum(func.coalesce(t.input_tokens, 0) + func.coalesce(t.output_tokens, 0)),
            func.sum(func.coalesce(t.cost_usd, 0.0)),
        ).where(*_window(since_ns, until_ns, release, environment))
        if keys:
            stmt = stmt.group_by(*keys)
        with self.db.connect() as conn:
            rows = conn.execute(stmt).all()
        n = len(keys)
        return [
            TraceTotals(key=tuple(r[:n]), traces=int(r[n]), errors=int(r[n + 1] or 0),
                        escalations=int(r[n + 2] or 0), tokens=int(r[n + 3] or 0),
                        cost_usd=float(r[n + 4] or 0.0))
            for r in rows
            if r[n]
        ]  # fmt: skip

    def window_durations(
        self,
        since_ns: int,
        until_ns: int,
        *,
        group_by: Sequence[str] = (),
        release: str | None = None,
        environment: str | None = None,
    ) -> dict[tuple[str | None, ...], list[int]]:
        """The durations (ns) of the traces that started in ``[since_ns, until_ns)``,
        sorted, per group of ``group_by`` (``release``, ``environment``).

        Raises:
            ValueError: a ``group_by`` dimension that is not a trace column.
        """
        keys = _keys(group_by)
        stmt = (
            select(*keys, traces.c.duration_ns)
            .where(*_window(since_ns, until_ns, release, environment))
            .order_by(traces.c.duration_ns)
        )
        out: dict[tuple[str | None, ...], list[int]] = {}
        with self.db.connect() as conn:
            for row in conn.execute(stmt):
                out.setdefault(tuple(row[:-1]), []).append(int(row[-1]))
        return out


def _keys(group_by: Sequence[str]) -> list[Any]:
    unknown = [d for d in group_by if d not in _COLUMNS]
    if unknown:
        raise ValueError(
            f"cannot group trace rows by {unknown[0]!r}; expected release or environment"
        )
    return [_COLUMNS[d] for d in group_by]


def _window(
    since_ns: int, until_ns: int, release: str | None, environment: str | None
) -> list[ColumnElement[bool]]:
    where = [traces.c.start_ns >= since_ns, traces.c.start_ns < until_ns]
    if release is not None:
        where.append(traces.c.release == release)
    if environment is not None:
        where.append(traces.c.environment == environment)
    return where


def _among(conn: Connection, column: Any, values: list[str]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(array)``, one parameter rather
    than 500 for psycopg to parse and the server to plan (the same index scan)."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def _facts(conn: Connection, heads: Sequence[Any], span_facts: bool) -> dict[str, TraceFacts]:
    """Facts of at most :data:`CHUNK` trace rows (:data:`_HEAD`), with their intent and
    tools if asked."""
    intents: dict[str, str] = {}
    tools: dict[str, tuple[str, ...]] = {}
    if span_facts and heads:
        intents, tools = _span_facts(conn, [h[0] for h in heads])
    out = {}
    for tid, start, duration, status, release, env, session, mask, tin, tout, cost in heads:
        out[tid] = TraceFacts(
            trace_id=tid,
            start_ns=start,
            duration_ns=duration,
            status=status,
            release=release,
            environment=env,
            session_id=session,
            escalated=bool(int(mask or 0) & _ESCALATION),
            tokens=int(tin or 0) + int(tout or 0),
            cost_usd=float(cost or 0.0),
            intent=intents.get(tid),
            tools=tools.get(tid, ()),
        )
    return out


def _span_facts(
    conn: Connection, ids: list[str]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """The intent and the tools of each of these traces (those that have any), from the
    span index; a trace whose spans carry different intents has those spans' kind and start
    read to choose (their rows only, never their attributes)."""
    by_span: dict[str, dict[str, str]] = {}  # intent per span, per trace
    named: dict[tuple[str, str], dict[str, str]] = {}  # tool keys per (trace, span)
    for tid, sid, key, value in conn.execute(_index_query(conn, ids)).all():
        if key == attrs.INTENT_NAME:
            by_span.setdefault(tid, {})[sid] = value
        else:
            named.setdefault((tid, sid), {})[key] = value
    intents: dict[str, str] = {}
    undecided: dict[str, dict[str, str]] = {}
    for tid, found in by_span.items():
        values = set(found.values())
        if len(values) == 1:
            intents[tid] = values.pop()
        else:
            undecided[tid] = found
    if undecided:
        intents |= _choose_intents(conn, undecided)
    tools: dict[str, set[str]] = {}
    for (tid, _), keys in named.items():
        name = next((keys[k] for k in _TOOL_KEYS if keys.get(k)), None)
        if name:
            tools.setdefault(tid, set()).add(name)
    return intents, {tid: tuple(sorted(names)) for tid, names in tools.items()}


def _index_query(conn: Connection, ids: list[str]) -> Select[str, str, str, str]:
    """The intent and tool rows of the span index for these traces (by ``trace_id``)."""
    si = span_index.c
    return select(si.trace_id, si.span_id, si.key, si.value).where(
        _among(conn, si.trace_id, ids),
        # Not `si.key.in_`: see the module's docstring (query plans).
        si.key.concat(literal("")).in_(_FACT_KEYS),
    )


def _choose_intents(conn: Connection, undecided: dict[str, dict[str, str]]) -> dict[str, str]:
    """Per trace, the intent of its first classifier span carrying one, else of its first
    span carrying one (by start time, then span id)."""
    s = spans.c
    sids = {sid for found in undecided.values() for sid in found}
    stmt = select(s.trace_id, s.span_id, s.kind, s.start_ns).where(
        _among(conn, s.trace_id, list(undecided)), _among(conn, s.span_id, sorted(sids))
    )
    order: dict[tuple[str, str], tuple[bool, int, str]] = {}
    for tid, sid, kind, start in conn.execute(stmt).all():
        if sid in undecided.get(tid, {}):
            order[(tid, sid)] = (kind != "classifier", int(start), sid)
    out = {}
    for tid, found in undecided.items():
        # An index row without its span (never written so) sorts last.
        _, first = min((order.get((tid, sid), (True, 2**63, sid)), sid) for sid in found)
        out[tid] = found[first]
    return out
