"""Trace rollups kept at write time, and the overview's time series read from them.

Every trace adds to one row of ``trace_rollups`` per width (:data:`WIDTHS`: a minute, ten
minutes, an hour): the interval it started in, its release and environment. The row counts
traces, errors (the trace's status), escalations (a span of kind ``escalation``:
``traces.kind_mask``), model calls, tokens, cost, and a fixed log-scale histogram of trace
durations, from which the time series estimate p50 and p95.

A trace changes as its spans arrive (a late span moves its start, its duration, its status,
its tokens; its release may come with a child), so a write reads the touched traces' rows
before and after it and moves each trace's contribution: minus what the old row gave, plus
what the new row gives (:func:`deltas`). Retention subtracts the traces it deletes. So the
rollups always equal an aggregate over ``traces`` (``tests/store/test_rollups.py`` compares
them with a brute-force computation). Reading 24 hours in 30-minute buckets is at most 144
rows per release and environment, however many traces the store holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, func, select

from prodready.store.records import MAX_NS
from prodready.store.schema import LATENCY_BINS, trace_rollups, traces
from prodready.vocabulary.kinds import KIND_BITS

MINUTE_NS = 60_000_000_000
"""The rollups' finest granularity: a time series' buckets are whole minutes."""
WIDTHS = (MINUTE_NS, 10 * MINUTE_NS, 60 * MINUTE_NS)
"""Every trace is in one rollup row per width; a time series reads the widest rows that
divide its bucket (24 h in 30-minute buckets: 144 ten-minute rows per release and
environment; 7 days in 3-hour buckets: 168 hourly rows)."""
_ESCALATION_BIT = KIND_BITS["escalation"]
_BINS_PER_DOUBLING = 3
_MAX_BUCKETS = 10_000
# Bucket widths the automatic choice picks from, in minutes (about 60 points per window).
_NICE_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
_LATENCY_COLUMNS = tuple(f"lat_{i:02d}" for i in range(LATENCY_BINS))
_SUM_COLUMNS = (
    "traces", "errors", "escalations", "llm_calls", "input_tokens", "output_tokens", "cost_usd",
    *_LATENCY_COLUMNS,
)  # fmt: skip
_COST = 6  # index of cost_usd in _SUM_COLUMNS
_ZEROS = tuple(0.0 if i == _COST else 0 for i in range(len(_SUM_COLUMNS)))
_FIRST_BIN = 7
_KEY_COLUMNS = ("width_ns", "start_ns", "release", "environment")

# --- the histogram ----------------------------------------------------------------------------


def latency_bin(duration_ns: int) -> int:
    """The histogram bin of a duration: 0 below 1 ms, then three bins per doubling
    (bin ``i`` holds ``[2**((i-1)/3), 2**(i/3))`` ms), the last one open-ended (~27 min)."""
    ms = duration_ns / 1e6
    if ms < 1.0:
        return 0
    return min(LATENCY_BINS - 1, 1 + int(math.log2(ms) * _BINS_PER_DOUBLING))


def bin_value_ms(i: int) -> float:
    """What a bin reports as a percentile: its geometric middle (within ±12 % of any
    duration in it); 0.5 ms for bin 0, the lower edge for the open-ended last bin."""
    if i == 0:
        return 0.5
    if i == LATENCY_BINS - 1:
        return float(2 ** ((i - 1) / _BINS_PER_DOUBLING))
    return float(2 ** ((i - 0.5) / _BINS_PER_DOUBLING))


def percentile_ms(histogram: Sequence[int], p: float) -> float | None:
    """Nearest-rank percentile ``p`` (0 < p <= 1) of a histogram, as :func:`bin_value_ms`;
    ``None`` when it is empty. The rank is the one ``Store.stats`` uses."""
    n = sum(histogram)
    if n <= 0:
        return None
    rank = max(1, math.ceil(n * p - 1e-9))
    seen = 0
    for i, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return bin_value_ms(i)
    return bin_value_ms(len(histogram) - 1)


# --- write side -------------------------------------------------------------------------------


class TraceState(NamedTuple):
    """What a trace contributes to its rollup row (a ``traces`` row, :data:`STATE_COLUMNS`)."""

    trace_id: str
    start_ns: int
    duration_ns: int
    status: str
    release: str | None
    environment: str | None
    kind_mask: int
    llm_calls: int
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None


STATE_COLUMNS = [getattr(traces.c, name) for name in TraceState._fields]
_IDS_PER_QUERY = 500


def read_states(conn: Connection, trace_ids: Sequence[str]) -> dict[str, TraceState]:
    """The stored rows of ``trace_ids`` (those that exist), as :class:`TraceState`."""
    out: dict[str, TraceState] = {}
    for i in range(0, len(trace_ids), _IDS_PER_QUERY):
        chunk = trace_ids[i : i + _IDS_PER_QUERY]
        for row in conn.execute(select(*STATE_COLUMNS).where(traces.c.trace_id.in_(chunk))):
            out[row[0]] = TraceState(*row)
    return out


Key = tuple[int, int, str, str]


def _add(deltas: dict[Key, list[Any]], state: TraceState, sign: int) -> None:
    # Counts stay ints and the cost a float, so rows go to the database as they are.
    start, release, environment = state.start_ns, state.release or "", state.environment or ""
    error = sign if state.status == "error" else 0
    escalation = sign if state.kind_mask & _ESCALATION_BIT else 0
    at = _FIRST_BIN + latency_bin(state.duration_ns)
    for width in WIDTHS:
        key = (width, start - start % width, release, environment)
        row = deltas.get(key)
        if row is None:
            row = deltas[key] = [*_ZEROS]
        row[0] += sign
        row[1] += error
        row[2] += escalation
        row[3] += sign * state.llm_calls
        row[4] += sign * (state.input_tokens or 0)
        row[5] += sign * (state.output_tokens or 0)
        row[6] += sign * (state.cost_usd or 0.0)
        row[at] += sign


def deltas(before: dict[str, TraceState], after: Iterable[TraceState]) -> dict[Key, list[Any]]:
    """Per rollup row, what moving each trace from ``before`` to ``after`` changes
    (rows that do not change are left out)."""
    out: dict[Key, list[Any]] = {}
    for new in after:
        old = before.get(new.trace_id)
        if old == new:
            continue
        if old is not None:
            _add(out, old, -1)
        _add(out, new, 1)
    return {k: v for k, v in out.items() if any(v)}


def subtract(states: Iterable[TraceState]) -> dict[Key, list[Any]]:
    """Per rollup row, what deleting these traces changes."""
    out: dict[Key, list[Any]] = {}
    for state in states:
        _add(out, state, -1)
    return out


def upsert_sql(postgres: bool) -> str:
    """One rollup row added to the stored one (``ON CONFLICT DO UPDATE``, both databases)."""
    p = "%s" if postgres else "?"
    columns = (*_KEY_COLUMNS, *_SUM_COLUMNS)
    sets = ", ".join(f"{c} = trace_rollups.{c} + excluded.{c}" for c in _SUM_COLUMNS)
    return (
        f"INSERT INTO trace_rollups ({', '.join(columns)}) VALUES ({', '.join([p] * len(columns))})"
        f" ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET {sets}"
    )


def rows(changes: dict[Key, list[Any]]) -> list[tuple[Any, ...]]:
    """The changes as rows for :func:`upsert_sql`, in key order (concurrent PostgreSQL
    writers then lock rollup rows in the same order and cannot deadlock)."""
    return [(*key, *values) for key, values in sorted(changes.items())]


# --- read side --------------------------------------------------------------------------------


class TimeseriesQuery(BaseModel):
    """What :meth:`Store.timeseries <prodready.store.Store.timeseries>` aggregates.

    The window is ``[since_ns, until_ns)``, widened to whole buckets: buckets start at
    multiples of ``bucket_ns`` since the Unix epoch (UTC), and a trace belongs to the
    bucket its start falls in.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    since_ns: int = Field(ge=0, le=MAX_NS)
    until_ns: int = Field(ge=0, le=MAX_NS)
    bucket_ns: int | None = Field(default=None, ge=MINUTE_NS, le=MAX_NS)
    """Width of a bucket: a whole number of minutes; ``None`` picks a round width giving
    about 60 buckets (1, 2, 5, 10, 15, 30 minutes, 1, 2, 3, 6, 12 hours, 1, 2, 7 days)."""
    release: str | None = None
    """Only traces of this release."""
    environment: str | None = None
    """Only traces of this environment."""
    group_by: Literal["release", "environment"] | None = None
    """One series per release (or environment) seen in the window; ``None``: one series."""

    @model_validator(mode="after")
    def _check(self) -> TimeseriesQuery:
        if self.until_ns <= self.since_ns:
            raise ValueError("until_ns must be after since_ns")
        if self.bucket_ns is not None and self.bucket_ns % MINUTE_NS:
            raise ValueError("bucket_ns must be a whole number of minutes (60_000_000_000 ns)")
        width = self.width()
        start = self.since_ns - self.since_ns % width
        if (self.until_ns - start) / width > _MAX_BUCKETS:
            raise ValueError(
                f"bucket_ns is too small for the window: at most {_MAX_BUCKETS} buckets"
            )
        return self

    def width(self) -> int:
        """The bucket width in ns (``bucket_ns``, or the automatic choice)."""
        if self.bucket_ns is not None:
            return self.bucket_ns
        wanted = (self.until_ns - self.since_ns) / 60
        for minutes in _NICE_MINUTES:
            if minutes * MINUTE_NS >= wanted:
                return minutes * MINUTE_NS
        return math.ceil(wanted / (_NICE_MINUTES[-1] * MINUTE_NS)) * _NICE_MINUTES[-1] * MINUTE_NS


class TimeseriesBucket(BaseModel):
    """One bucket of one series: the traces that started in ``[start_ns, start_ns +
    bucket_ns)``. Empty buckets are present, with zeros (rates 0, percentiles ``None``)."""

    model_config = ConfigDict(frozen=True)

    start_ns: int
    group: str | None = None
    """The series' release or environment (``group_by``); ``None`` for traces without one,
    or when the query has no ``group_by``."""
    traces: int = 0
    errors: int = 0
    """Traces whose status (their root span's) is ``error``."""
    error_rate: float = 0.0
    escalations: int = 0
    """Traces with a span of kind ``escalation``."""
    escalation_rate: float = 0.0
    latency_p50_ms: float | None = None
    """Median trace duration, from a log-scale histogram: within ±12 % (see docs/store.md)."""
    latency_p95_ms: float | None = None
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class Timeseries(BaseModel):
    """The overview's time series: buckets of every series, by start time then group."""

    model_config = ConfigDict(frozen=True)

    since_ns: int
    """Start of the first bucket (the query's ``since_ns`` rounded down to a bucket)."""
    until_ns: int
    """End of the last bucket (the query's ``until_ns`` rounded up to a bucket)."""
    bucket_ns: int
    group_by: Literal["release", "environment"] | None = None
    groups: list[str | None] = Field(default_factory=list)
    """The series, in order (``[None]`` without ``group_by``)."""
    buckets: list[TimeseriesBucket] = Field(default_factory=list)


class Facets(BaseModel):
    """Releases and environments of the traces in a window (for filter drop-downs)."""

    model_config = ConfigDict(frozen=True)

    releases: list[str] = Field(default_factory=list)
    environments: list[str] = Field(default_factory=list)


def timeseries(conn: Connection, query: TimeseriesQuery) -> Timeseries:
    """:meth:`Store.timeseries` on an open connection."""
    width = query.width()
    start = query.since_ns - query.since_ns % width
    end = query.until_ns + (-query.until_ns % width)
    r = trace_rollups.c
    level = max(w for w in WIDTHS if width % w == 0)
    where = [r.width_ns == level, r.start_ns >= start, r.start_ns < end]
    if query.release is not None:
        where.append(r.release == query.release)
    if query.environment is not None:
        where.append(r.environment == query.environment)
    bucket = ((r.start_ns - start) // width).label("bucket")
    group = r.release if query.group_by == "release" else r.environment
    keys: list[Any] = [bucket] if query.group_by is None else [bucket, group]
    stmt = (
        select(*keys, *(func.sum(r[c]) for c in _SUM_COLUMNS))
        .where(*where)
        .group_by(*keys)
        .having(func.sum(r.traces) > 0)
    )
    found: dict[tuple[int, str | None], Sequence[Any]] = {}
    for row in conn.execute(stmt):
        if query.group_by is None:
            found[(int(row[0]), None)] = row[1:]
        else:
            found[(int(row[0]), row[1] or None)] = row[2:]
    if query.group_by is None:
        groups: list[str | None] = [None]
    else:
        named = sorted({g for _, g in found if g is not None})
        groups = [*named, None] if any(g is None for _, g in found) else list(named)
    n = (end - start) // width
    buckets = [_bucket(start + i * width, g, found.get((i, g))) for i in range(n) for g in groups]
    return Timeseries(
        since_ns=start,
        until_ns=end,
        bucket_ns=width,
        group_by=query.group_by,
        groups=groups,
        buckets=buckets,
    )


def _bucket(start_ns: int, group: str | None, sums: Sequence[Any] | None) -> TimeseriesBucket:
    if sums is None:
        return TimeseriesBucket(start_ns=start_ns, group=group)
    n, errors, escalations = int(sums[0]), int(sums[1]), int(sums[2])
    histogram = [int(v) for v in sums[_FIRST_BIN:]]
    return TimeseriesBucket(
        start_ns=start_ns,
        group=group,
        traces=n,
        errors=errors,
        error_rate=errors / n if n else 0.0,
        escalations=escalations,
        escalation_rate=escalations / n if n else 0.0,
        latency_p50_ms=percentile_ms(histogram, 0.5),
        latency_p95_ms=percentile_ms(histogram, 0.95),
        llm_calls=int(sums[3]),
        input_tokens=int(sums[4]),
        output_tokens=int(sums[5]),
        cost_usd=max(0.0, float(sums[_COST])),  # a subtraction's rounding is not a refund
    )


def facets(conn: Connection, since_ns: int, until_ns: int) -> Facets:
    """:meth:`Store.facets` on an open connection (hourly rows: the window in whole hours)."""
    r = trace_rollups.c
    hour = WIDTHS[-1]
    window = (
        r.width_ns == hour,
        r.start_ns >= since_ns - since_ns % hour,
        r.start_ns < until_ns,
        r.traces > 0,
    )
    releases = conn.execute(select(r.release).where(*window, r.release != "").distinct())
    environments = conn.execute(
        select(r.environment).where(*window, r.environment != "").distinct()
    )
    return Facets(releases=sorted(releases.scalars()), environments=sorted(environments.scalars()))
