"""The trace repository: traces, spans and span logs, written and queried on SQLite or
PostgreSQL (:class:`TraceRepository`; :class:`~prodready.store.Store` is one)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.engine import Connection

from prodready.store import _index, _logs, _rollups, _sql
from prodready.store._database import (
    Database,
)
from prodready.store._migrations import CORE_BRANCH
from prodready.store.records import (
    MAX_NS,
    MODEL_KINDS,
    USAGE_KEYS,
    AttributeValue,
    LLMTotals,
    ModelSpan,
    Span,
    SpanRecord,
    SpanStats,
    StoreInfo,
    Trace,
    TraceQuery,
    TraceStats,
    TraceSummary,
    UsageSums,
    llm_totals,
    model_sums,
    model_totals,
)
from prodready.store.schema import span_index, span_logs, spans, trace_rollups, traces
from prodready.vocabulary import attributes as attrs
from prodready.vocabulary.canonical import to_json
from prodready.vocabulary.kinds import KIND_BITS as _KIND_BITS

log = logging.getLogger("prodready.store")


def encode_json(value: Any) -> str:
    """JSON text the store keeps for ``value`` (span attributes, events): what
    :func:`prepare_span` stores for a dict, for writers that encode ahead of time.

    :func:`prodready.vocabulary.to_json` with NUL as U+FFFD on both databases (PostgreSQL's
    JSON type rejects ``\\u0000``); keys keep their order, as spans were always stored."""
    return to_json(value, replace_nul=True)


_encode = encode_json  # the store's own name for it


_MIN_JSON_INT, _MAX_JSON_INT = -(2**63), 2**64 - 1  # what orjson encodes


def _sanitize(value: Any) -> Any:
    """Replace NUL and lone surrogates in every string, so any database accepts the text;
    integers JSON libraries cannot hold in 64 bits become their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if _MIN_JSON_INT <= value <= _MAX_JSON_INT else str(value)
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {str(_sanitize(k)): _sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitize(v) for v in value]
    return value


def _clean(value: str | None) -> str | None:
    """A text column value both databases accept (no NUL, no lone surrogates)."""
    if value is None or (value.isascii() and "\x00" not in value):
        return value
    cleaned: str = _sanitize(value)
    return cleaned


def _clean_attributes(attributes: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
    """Attribute filters cleaned as ingest cleans what it stores, so a filter holding NUL
    finds the U+FFFD that was stored for it (and PostgreSQL is never sent a NUL)."""
    return {
        _sanitize(key): _sanitize(value) if isinstance(value, str) else value
        for key, value in attributes.items()
    }


class TraceRepository:
    """The trace repository: the ``traces``, ``spans`` and ``span_logs`` tables and every
    query on them (writes from the SDK and OTLP ingest, lists, filters, stats, retention).

    :class:`~prodready.store.Store` is one, over the :class:`~prodready.store.Database` it
    opens; pillars reach traces through the store's methods, never these tables.

    Args:
        db: the database the tables are in.
    """

    def __init__(self, db: Database):
        self.db = db
        """The database every repository shares (:class:`~prodready.store.Database`)."""
        self.dialect = db.dialect
        self._sql = _sql.for_dialect(self.dialect)

    # --- writes ------------------------------------------------------------------------------

    def write_spans(self, records: Iterable[SpanRecord]) -> int:
        """Store finished spans in one transaction and update their traces' metadata.

        ``records`` is read once, in order, so it may be a generator. Writing the same span
        twice is harmless (the second copy is ignored), so a writer may retry a batch whose
        commit it could not confirm. Returns the number of new spans.

        Raises:
            ValueError: a span's times are not ``0 <= start_ns <= end_ns < 2**63`` (nothing
                of the batch is written).
        """
        return self.write_prepared(_span_row(r) for r in records)

    def write_prepared(self, spans: Iterable[PreparedSpan]) -> int:
        """:meth:`write_spans` for spans made with :func:`prepare_span` (the SDK's writer).

        ``spans`` is read once, so it may be a generator that converts spans while they are
        written: no intermediate record per span, and none outlives its row (thousands of
        records alive at once made the garbage collector walk the whole heap; see
        docs/performance.md).
        """
        rows, traces, index, model = _rows(spans)
        if not rows:
            return 0
        sql = self._sql
        ids = [t[0] for t in traces]
        with self.db.begin() as conn:
            if sql.postgres:
                # One writer at a time per trace: the rollups move a trace's contribution
                # from what its row was to what it is, so two writers must not both read
                # the row as it was. Ids in order, so two batches cannot deadlock.
                conn.exec_driver_sql(_LOCK_TRACES, (sorted(ids),))
            # The spans first: on SQLite that starts the write transaction, so the rows read
            # next cannot change before this batch's upsert.
            inserted = sql.write_rows(conn, sql.insert_spans, rows, sized=_SPAN_PAYLOADS)
            complete = inserted == len(rows)
            before = _rollups.read_states(conn, ids)
            if index:
                sql.write_rows(conn, sql.insert_index, index)
            # A trace's model-call totals add up from this batch's model spans when it had
            # none stored; otherwise (or when some spans were stored already) they are
            # recomputed from all of its model spans: one call may span two batches.
            recompute = [
                tid
                for tid in model
                if not complete or before.get(tid, _NO_STATE).kind_mask & _MODEL_BITS
            ]
            added = {tid: model_sums(found) for tid, found in model.items()}
            for tid in recompute:
                del added[tid]
            rows_out = [(*t, *_stored_sums(added.get(t[0]))) for t in traces]
            if complete:
                sql.write_rows(conn, sql.upsert_traces, rows_out)
            else:
                # Some spans were already stored: rebuild the touched traces from their spans.
                sql.write_rows(conn, sql.upsert_traces, [_uncounted(t) for t in rows_out])
                self._recount(conn, ids)
            if recompute:
                totals = self._llm_totals(conn, recompute)
                conn.exec_driver_sql(
                    sql.set_totals,
                    [(*_totals_row(totals.get(tid, LLMTotals())), tid) for tid in recompute],
                )
            after = _rollups.read_states(conn, ids)
            changes = _rollups.deltas(before, after.values())
            if changes:
                sql.write_rows(conn, sql.upsert_rollups, _rollups.rows(changes))
        return inserted if inserted >= 0 else len(rows)

    def write_logs(self, records: Iterable[_logs.SpanLogRecord]) -> int:
        """Store log records attached to spans (OTLP logs: GenAI events) in one transaction.

        A record may come before its span, after it, or without it: reads join them
        (:meth:`get_trace` puts each into its span's ``events``; :meth:`list_logs` finds
        them all). Writing the same record twice stores it once (the key is a hash of the
        record), so a writer may retry a batch. Returns the number of new records.
        """
        with self.db.begin() as conn:
            return _logs.write(conn, self._sql, records)

    def list_logs(
        self, trace_id: str | None = None, *, unattached: bool = False, limit: int = 1000
    ) -> list[_logs.SpanLog]:
        """Stored log records, oldest first: a trace's (``trace_id``), those whose span is not
        stored (``unattached=True``: a span that never arrived, or not yet), or all."""
        with self.db.connect() as conn:
            return _logs.list_logs(conn, trace_id, unattached=unattached, limit=limit)

    def _recount(self, conn: Connection, trace_ids: Iterable[str]) -> None:
        for tid in trace_ids:
            conn.exec_driver_sql(self._sql.recount_trace, (tid,) * self._sql.recount_params)

    def delete_older_than(self, days: float, *, now_ns: int | None = None) -> int:
        """Retention: delete traces (with their spans and log records) that started more than
        ``days`` ago, and older log records whose trace is not stored."""
        cutoff = (now_ns if now_ns is not None else time.time_ns()) - int(days * 86_400e9)
        deleted = 0
        while True:
            with self.db.begin() as conn:
                ids = list(
                    conn.execute(
                        select(traces.c.trace_id).where(traces.c.start_ns < cutoff).limit(500)
                    ).scalars()
                )
                if not ids:
                    _logs.delete_orphans_before(conn, cutoff)
                    # Rows every trace has left (a late span moved it, or retention).
                    conn.execute(trace_rollups.delete().where(trace_rollups.c.traces == 0))
                    return deleted
                self._delete_traces(conn, ids)
                deleted += len(ids)

    def _delete_traces(self, conn: Connection, ids: list[str]) -> None:
        """Delete these traces with their spans, log records and index rows, and take them
        out of the rollups (in the caller's transaction)."""
        sql = self._sql
        if sql.postgres:
            conn.exec_driver_sql(_LOCK_TRACES, (sorted(ids),))
        # A write first: on SQLite it starts the write transaction, so the rows read next
        # are the ones deleted.
        conn.execute(span_logs.delete().where(span_logs.c.trace_id.in_(ids)))
        changes = _rollups.subtract(_rollups.read_states(conn, ids).values())
        conn.execute(span_index.delete().where(span_index.c.trace_id.in_(ids)))
        conn.execute(spans.delete().where(spans.c.trace_id.in_(ids)))
        conn.execute(traces.delete().where(traces.c.trace_id.in_(ids)))
        if changes:
            sql.write_rows(conn, sql.upsert_rollups, _rollups.rows(changes))

    # --- reads -------------------------------------------------------------------------------

    def list_traces(self, query: TraceQuery | None = None) -> list[TraceSummary]:
        """Trace metadata, newest first, filtered by ``query``."""
        query = query or TraceQuery()
        with self.db.connect() as conn:
            stmt = (
                select(*_SUMMARY_COLUMNS)
                .where(*self._planned_filters(conn, query))
                .order_by(traces.c.start_ns.desc(), traces.c.trace_id)
                .limit(query.limit)
                .offset(query.offset)
            )
            rows = [dict(row._mapping) for row in conn.execute(stmt)]
        return [_summary(row) for row in rows]

    def _all_common(self, conn: Connection, filters: dict[str, AttributeValue]) -> bool:
        """Whether every attribute filter value is on more than ``_COMMON_SPANS`` spans."""
        for key, value in filters.items():
            matching = (
                select(literal(1)).where(self._sql.attr_equals(key, value)).limit(_COMMON_SPANS + 1)
            )
            n = conn.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
            if n <= _COMMON_SPANS:
                return False
        return True

    def _index_count(self, conn: Connection, key: str, value: AttributeValue) -> int:
        """How many ``span_index`` rows hold ``key == value``, counted up to just past
        ``_COMMON_SPANS``."""
        si = span_index.c
        matching = select(literal(1)).where(si.key == key, si.value == value)
        matching = matching.limit(_COMMON_SPANS + 1)
        return int(conn.execute(select(func.count()).select_from(matching.subquery())).scalar_one())

    def _planned_filters(self, conn: Connection, query: TraceQuery) -> list[ColumnElement[bool]]:
        """``_trace_filters`` written the way the newest-first walk finds matches soonest."""
        # PostgreSQL cannot estimate JSONB containment (it guesses 0.01% of spans for
        # most values), so it reads every matching span through the GIN index, then
        # sorts: 110 ms for a value on 1.4% of 1M spans. When each filter value is on
        # many spans, walking the newest traces and checking their own spans finds the
        # first page in ~10 ms; the GIN index stays the way for rare values.
        probe_each = bool(
            self._sql.postgres
            and _json_filters(query)
            and self._all_common(conn, _json_filters(query))
        )
        # Index filters: a value on many spans is found soonest by walking the newest
        # traces and probing the index for each (EXISTS); a rare one by reading its few
        # index rows first (IN), which walking would scan every trace for.
        correlated = frozenset(
            key
            for key, value in _index_filters(query).items()
            if self._index_count(conn, key, value) > _COMMON_SPANS
        )
        return self._trace_filters(query, probe_each=probe_each, correlated=correlated)

    def count_traces(self, query: TraceQuery | None = None, *, at_most: int | None = None) -> int:
        """How many traces match ``query`` (ignoring its limit and offset).

        With ``at_most``, counting stops once more than that many match: the answer is
        ``min(count, at_most + 1)``, so a list can say "10,000+" without counting every
        match of a common filter on a large store (an exact count of a value on 12% of 1M
        spans took 107 ms on SQLite and grew with the store).
        """
        query = query or TraceQuery()
        with self.db.connect() as conn:
            if at_most is None:
                stmt = select(func.count()).select_from(traces).where(*self._trace_filters(query))
            else:
                if at_most < 0:
                    raise ValueError(f"at_most must not be negative, got {at_most}")
                # Unordered, and with the filters as the exact count writes them: the
                # database may stop at the cap whichever plan it picks. (Walking the newest
                # traces and probing each, as the list does, reaches 10,000 matches of a
                # value on 5% of traces only after 200,000 probes: 0.5 s on PostgreSQL.)
                first = select(literal(1)).select_from(traces).where(*self._trace_filters(query))
                first = first.limit(at_most + 1)
                stmt = select(func.count()).select_from(first.subquery())
            return int(conn.execute(stmt).scalar_one())

    def get_trace(self, trace_id: str) -> Trace | None:
        """A trace with every span, or ``None`` if no such trace is stored."""
        trace_id = trace_id.lower()
        return self.get_traces([trace_id]).get(trace_id)

    def get_traces(self, trace_ids: Iterable[str]) -> dict[str, Trace]:
        """Several traces with their spans, by (lowercase) trace id; unknown ids are left out.

        Each span's ``events`` include the log records stored for it (:meth:`write_logs`),
        in time order. Three queries per 500 ids, however many traces: what the evaluation
        runner uses to read a batch of finished cases' traces.
        """
        wanted = list(dict.fromkeys(t.lower() for t in trace_ids))
        out: dict[str, Trace] = {}
        with self.db.connect() as conn:
            for i in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[i : i + _IDS_PER_QUERY]
                heads = conn.execute(
                    select(*_SUMMARY_COLUMNS, traces.c.resource).where(traces.c.trace_id.in_(chunk))
                ).all()
                if not heads:
                    continue
                rows = conn.execute(
                    select(spans)
                    .where(spans.c.trace_id.in_([h.trace_id for h in heads]))
                    .order_by(spans.c.trace_id, spans.c.start_ns)
                ).all()
                logged = _logs.events_by_span(conn, [h.trace_id for h in heads])
                by_trace: dict[str, list[Span]] = {}
                for r in rows:
                    span = _span_from_row(r._mapping, logged.get((r.trace_id, r.span_id)))
                    by_trace.setdefault(r.trace_id, []).append(span)
                for head in heads:
                    mapping = dict(head._mapping)
                    resource = orjson.loads(mapping.pop("resource") or "{}")
                    trace_spans = by_trace.get(head.trace_id, [])
                    out[head.trace_id] = Trace(
                        summary=_summary(mapping, llm_totals(trace_spans)),
                        resource=resource,
                        spans=trace_spans,
                    )
        return out

    def _llm_totals(
        self, conn: Connection, trace_ids: list[str] | None, where: list[Any] | None = None
    ) -> dict[str | None, LLMTotals]:
        """:func:`~prodready.store.records.llm_totals` per trace for ``trace_ids``, or over
        every trace matching ``where`` (one entry, keyed ``None``).

        The database reads only what the rule needs of each model span (ids, scope, times
        and the three usage values, extracted from the attributes in one pass); the rule
        itself is the Python one, so the totals are the same wherever they are shown.
        """
        s = spans.c
        stmt = select(
            s.trace_id, s.span_id, s.parent_span_id, s.scope, s.start_ns, s.end_ns,
            self._sql.attr_values(s.attributes, USAGE_KEYS).label("usage"),
        ).where(s.kind.in_(MODEL_KINDS))  # fmt: skip
        if trace_ids is not None:
            stmt = stmt.where(s.trace_id.in_(trace_ids))
        elif where:
            stmt = stmt.where(s.trace_id.in_(select(traces.c.trace_id).where(*where)))
        by_trace: dict[str, list[ModelSpan]] = {}
        decode, n = self._sql.decode_values, len(USAGE_KEYS)
        for tid, sid, parent, scope, start, end, usage in conn.execute(stmt):
            found = ModelSpan(sid, parent, scope, start, end, decode(usage, n))
            group = by_trace.get(tid)
            if group is None:
                by_trace[tid] = [found]
            else:
                group.append(found)
        if trace_ids is not None:
            return {tid: model_totals(found) for tid, found in by_trace.items()}
        if not by_trace:
            return {}
        return {None: _sum_sums(model_sums(found) for found in by_trace.values())}

    def find_trace_ids(self, prefix: str, *, limit: int = 10) -> list[str]:
        """Stored trace ids starting with the hex ``prefix``, in order, at most ``limit``."""
        prefix = prefix.lower()
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            raise ValueError(f"{prefix!r} is not a hex trace id prefix")
        stmt = (
            select(traces.c.trace_id)
            .where(traces.c.trace_id.like(prefix + "%"))
            .order_by(traces.c.trace_id)
            .limit(limit)
        )
        with self.db.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def stats(self, query: TraceQuery | None = None) -> TraceStats:
        """Count, error rate and latency p50/p95 of the selected traces, and per span name+kind.

        A trace counts as an error when its status (its root span's) is ``error``.

        Percentiles are nearest-rank, computed in the database with window functions.
        """
        query = query or TraceQuery()
        where = self._trace_filters(query)
        t, s = traces.c, spans.c
        ranked_traces = (
            select(
                t.duration_ns,
                t.status,
                t.root_rank,
                t.llm_calls,
                t.input_tokens,
                t.output_tokens,
                t.cost_usd,
                *_sql.percentile_columns(t.duration_ns, None),
            )
            .where(*where)
            .subquery()
        )
        span_where = [s.trace_id.in_(select(t.trace_id).where(*where))] if where else []
        ranked_spans = (
            select(
                s.name,
                s.kind,
                s.duration_ns,
                s.status,
                *_sql.percentile_columns(s.duration_ns, (s.name, s.kind)),
            )
            .where(*span_where)
            .subquery()
        )
        with self.db.connect() as conn:
            head = conn.execute(
                select(
                    func.count().label("n"),
                    func.sum(case((ranked_traces.c.status == "error", 1), else_=0)).label("errors"),
                    func.sum(case((ranked_traces.c.root_rank == 0, 1), else_=0)).label("partial"),
                    *_nearest_rank(ranked_traces),
                    func.sum(ranked_traces.c.llm_calls).label("calls"),
                    func.sum(ranked_traces.c.input_tokens).label("tokens_in"),
                    func.sum(ranked_traces.c.output_tokens).label("tokens_out"),
                    func.sum(ranked_traces.c.cost_usd).label("cost"),
                )
            ).one()
            totals = LLMTotals(
                calls=int(head.calls or 0),
                input_tokens=None if head.tokens_in is None else int(head.tokens_in),
                output_tokens=None if head.tokens_out is None else int(head.tokens_out),
                cost_usd=None if head.cost is None else float(head.cost),
            )
            r = ranked_spans.c
            groups = conn.execute(
                select(
                    r.name,
                    r.kind,
                    func.max(r.cnt).label("n"),
                    func.sum(case((r.status == "error", 1), else_=0)).label("errors"),
                    *_nearest_rank(ranked_spans),
                )
                .group_by(r.name, r.kind)
                .order_by(func.max(r.cnt).desc(), r.name)
            ).all()
        count = int(head.n or 0)
        errors = int(head.errors or 0)
        return TraceStats(
            trace_count=count,
            error_count=errors,
            error_rate=errors / count if count else 0.0,
            p50_ms=head.p50 / 1e6 if head.p50 is not None else None,
            p95_ms=head.p95 / 1e6 if head.p95 is not None else None,
            spans=[
                SpanStats(
                    name=g.name,
                    kind=g.kind,
                    count=int(g.n),
                    error_count=int(g.errors),
                    error_rate=int(g.errors) / int(g.n),
                    p50_ms=g.p50 / 1e6,
                    p95_ms=g.p95 / 1e6,
                )
                for g in groups
            ],
            incomplete_count=int(head.partial or 0),
            llm_calls=totals.calls,
            input_tokens=totals.input_tokens,
            output_tokens=totals.output_tokens,
            cost_usd=totals.cost_usd,
        )

    def timeseries(self, query: _rollups.TimeseriesQuery) -> _rollups.Timeseries:
        """The overview's time series: traces, errors, escalations, latency p50/p95, model
        calls, tokens and cost per time bucket, optionally one series per release or
        environment; empty buckets are present, with zeros.

        Read from rollups kept at write time (``trace_rollups``: per minute, ten minutes
        and hour), so its cost grows with the window and the number of releases and
        environments, not with the traces stored. Latency percentiles come from a log-scale
        histogram (within ±12 %). docs/store.md, "Overview time series", has the details.
        """
        with self.db.connect() as conn:
            return _rollups.timeseries(conn, query)

    def facets(self, since_ns: int, until_ns: int) -> _rollups.Facets:
        """The releases and environments of traces that started in ``[since_ns, until_ns)``
        (widened to whole hours), sorted: the overview's filter choices."""
        with self.db.connect() as conn:
            return _rollups.facets(conn, since_ns, until_ns)

    def info(self) -> StoreInfo:
        """Where the store is, its schema revisions and how much it holds (zeros when blank)."""
        revisions = self.db.revisions()
        heads = self.db.heads()
        revision = revisions[CORE_BRANCH]
        url = self.db.display_url
        if revision is None:
            return StoreInfo(
                url=url,
                dialect=self.dialect,
                revision=None,
                head=heads[CORE_BRANCH],
                revisions=revisions,
                heads=heads,
                trace_count=0,
                span_count=0,
            )
        with self.db.connect() as conn:
            n_traces, oldest, newest = conn.execute(
                select(func.count(), func.min(traces.c.start_ns), func.max(traces.c.start_ns))
            ).one()
            n_spans = conn.execute(select(func.count()).select_from(spans)).scalar_one()
        return StoreInfo(
            url=url,
            dialect=self.dialect,
            revision=revision,
            head=heads[CORE_BRANCH],
            revisions=revisions,
            heads=heads,
            trace_count=int(n_traces),
            span_count=int(n_spans),
            oldest_start_ns=oldest,
            newest_start_ns=newest,
        )

    def _trace_filters(
        self,
        q: TraceQuery,
        *,
        probe_each: bool = False,
        correlated: frozenset[str] = frozenset(),
    ) -> list[ColumnElement[bool]]:
        """WHERE conditions on ``traces`` for ``q``.

        ``probe_each``: write attribute filters read from span JSON as a per-trace subquery
        (``LIMIT 1``) rather than ``EXISTS``, which PostgreSQL may turn into a join over
        every matching span. Filters the span index answers (:mod:`prodready.store._index`)
        are ``trace_id IN (index rows)``, or for keys in ``correlated`` an ``EXISTS`` probe
        of the index per trace.
        """
        t = traces.c
        where: list[ColumnElement[bool]] = []
        if q.start_after_ns is not None:
            where.append(t.start_ns >= q.start_after_ns)
        if q.start_before_ns is not None:
            where.append(t.start_ns < q.start_before_ns)
        for column, value in (
            (t.name, q.name),
            (t.status, q.status),
            (t.release, q.release),
            (t.session_id, q.session_id),
            (t.user_id, q.user_id),
            (t.environment, q.environment),
        ):
            if value is not None:
                where.append(column == _clean(value))
        if q.has_error is not None:
            where.append(t.error_count > 0 if q.has_error else t.error_count == 0)
        if q.min_duration_ns is not None:
            where.append(t.duration_ns >= q.min_duration_ns)
        span_conditions: list[ColumnElement[bool]] = []
        if q.kind is not None:
            bit = _KIND_BITS.get(q.kind)
            if bit is not None:  # answered by the trace row's kind bitmask
                where.append(t.kind_mask.op("&")(bit) != 0)
            else:
                span_conditions.append(spans.c.kind == _clean(q.kind))
        si = span_index.c
        for key, wanted in _index_filters(q).items():
            if key in correlated:
                probes = (si.key == key, si.value == wanted, si.trace_id == t.trace_id)
                if self._sql.postgres:
                    # EXISTS may become a hash join over every matching index row (159 ms
                    # for a value on 5 % of 1M spans); a LIMIT 1 probe per trace cannot.
                    probe = select(literal(True)).where(*probes).limit(1).scalar_subquery()
                    where.append(func.coalesce(probe, False))
                else:
                    where.append(exists().where(*probes))
            else:
                found = select(si.trace_id).where(si.key == key, si.value == wanted)
                where.append(t.trace_id.in_(found))
        for key, wanted in _json_filters(q).items():
            # Each attribute may sit on a different span, so each gets its own EXISTS.
            matches = (spans.c.trace_id == t.trace_id, self._sql.attr_equals(key, wanted))
            if probe_each:
                probe = select(literal(True)).where(*matches).limit(1).scalar_subquery()
                where.append(func.coalesce(probe, False))
            else:
                where.append(exists().where(*matches))
        if span_conditions:
            where.append(exists().where(spans.c.trace_id == t.trace_id, and_(*span_conditions)))
        return where


def _index_filters(q: TraceQuery) -> dict[str, AttributeValue]:
    """The query's attribute filters the span index answers (cleaned as stored)."""
    return {k: v for k, v in _clean_attributes(q.attributes).items() if _index.indexed(k, v)}


def _json_filters(q: TraceQuery) -> dict[str, AttributeValue]:
    """The query's other attribute filters, read from span JSON (cleaned as stored)."""
    return {k: v for k, v in _clean_attributes(q.attributes).items() if not _index.indexed(k, v)}


def _sum_sums(sums: Iterable[UsageSums]) -> LLMTotals:
    """Several traces' :func:`model_sums` added up (a value stays ``None`` if none has it)."""
    calls = 0
    added: list[float | None] = [None, None, None]
    for t in sums:
        calls += t[0]
        for i in range(3):
            value = t[i + 1]
            if value is not None:
                added[i] = (added[i] or 0) + value
    return LLMTotals(
        calls=calls,
        input_tokens=None if added[0] is None else int(added[0]),
        output_tokens=None if added[1] is None else int(added[1]),
        cost_usd=added[2],
    )


def _summary(row: dict[str, Any], totals: LLMTotals | None = None) -> TraceSummary:
    """A trace row (``_SUMMARY_COLUMNS``) as a summary; its model-call totals are the row's,
    unless ``totals`` are given (computed from the trace's spans)."""
    rank = row.pop("root_rank", 2)
    row["incomplete"] = rank == 0
    stored = LLMTotals(
        calls=row.pop("llm_calls", 0) or 0,
        input_tokens=row.pop("input_tokens", None),
        output_tokens=row.pop("output_tokens", None),
        cost_usd=row.pop("cost_usd", None),
    )
    totals = stored if totals is None else totals
    if totals.calls:
        row["llm_calls"] = totals.calls
        row["input_tokens"] = totals.input_tokens
        row["output_tokens"] = totals.output_tokens
        row["cost_usd"] = totals.cost_usd
    return TraceSummary.model_validate(row)


_SUMMARY_COLUMNS = [
    traces.c.trace_id,
    traces.c.name,
    traces.c.root_span_id,
    traces.c.start_ns,
    traces.c.end_ns,
    traces.c.duration_ns,
    traces.c.status,
    traces.c.span_count,
    traces.c.error_count,
    traces.c.session_id,
    traces.c.user_id,
    traces.c.release,
    traces.c.environment,
    traces.c.service_name,
    traces.c.root_rank,
    traces.c.llm_calls,
    traces.c.input_tokens,
    traces.c.output_tokens,
    traces.c.cost_usd,
]


def _nearest_rank(ranked: Any) -> list[Any]:
    """p50 and p95 over a subquery with ``duration_ns``, ``rn`` and ``cnt`` columns."""
    c = ranked.c
    return [
        func.min(case((c.rn >= c.cnt * 0.5, c.duration_ns))).label("p50"),
        func.min(case((c.rn >= c.cnt * 0.95, c.duration_ns))).label("p95"),
    ]


_SPAN_PAYLOADS = (11, 12, 13)  # attributes, events, links in a span row (see _span_row)
_IDS_PER_QUERY = 500  # under SQLite's oldest limit of 999 bound parameters
# A filter value on more spans than this is "common" (see Store.list_traces): below it the
# GIN index finds every match in a few ms, above it scanning the newest traces is faster.
_COMMON_SPANS = 2_000


PreparedSpan = tuple[Any, ...]
"""A span ready for :meth:`Store.write_prepared`: its ``spans`` row (``_SPAN_COLUMNS``
values), then the attributes its trace row reads, ``is_root`` and resource."""

_SPAN_COLUMNS = 15
_P_ATTRIBUTES, _P_IS_ROOT, _P_RESOURCE = 15, 16, 17


def prepare_span(
    trace_id: str,
    span_id: str,
    parent_span_id: str | None,
    name: str,
    kind: str,
    otel_kind: str,
    start_ns: int,
    end_ns: int,
    status: str,
    status_message: str | None,
    attributes: dict[str, Any] | str,
    events: list[dict[str, Any]] | str,
    links: list[dict[str, Any]],
    scope: str | None,
    is_root: bool | None,
    resource: dict[str, Any],
    trace_attributes: dict[str, Any] | None = None,
) -> PreparedSpan:
    """One span as :meth:`Store.write_prepared` takes it (fields as in :class:`SpanRecord`).

    Positional, because the SDK's writer calls it for every span it stores: a
    :class:`SpanRecord` costs more to build than this whole conversion.

    ``attributes`` and ``events`` may also be their JSON text, made by :func:`encode_json`
    (the SDK encodes them when a span ends, so that what waits in its queue is plain text
    the garbage collector ignores). Then ``trace_attributes`` must hold the attributes the
    trace row reads (:data:`TRACE_ATTRIBUTE_KEYS`) that the span has.

    Raises:
        ValueError: the times are not ``0 <= start_ns <= end_ns < 2**63``.
    """
    if not 0 <= start_ns <= end_ns <= MAX_NS:
        raise ValueError(
            f"span {span_id} of trace {trace_id}: times must satisfy "
            f"0 <= start_ns <= end_ns < 2**63, got start_ns={start_ns} end_ns={end_ns}"
        )
    if type(attributes) is str:
        encoded = attributes
        attributes = trace_attributes or {}
    else:
        encoded = _encode(attributes)
    return (
        trace_id,
        span_id,
        parent_span_id,
        _clean(name),
        kind,
        otel_kind,
        start_ns,
        end_ns,
        end_ns - start_ns,
        status,
        _clean(status_message),
        encoded,
        events if type(events) is str else _encode(events) if events else "[]",
        _encode(links) if links else "[]",
        _clean(scope),
        attributes,
        is_root,
        resource,
    )


def _span_row(r: SpanRecord) -> PreparedSpan:
    return prepare_span(
        r.trace_id,
        r.span_id,
        r.parent_span_id,
        r.name,
        r.kind,
        r.otel_kind,
        r.start_ns,
        r.end_ns,
        r.status,
        r.status_message,
        r.attributes,
        r.events,
        r.links,
        r.scope,
        r.is_root,
        r.resource,
    )


_ROW_RANK = 15  # index of root_rank in a trace row
_ROW_KINDS = 16  # kind_mask
_ROW_DONE = 17  # every lifted column is set: stop looking (not written)
_ROW_SEEN_RESOURCE = 18  # the last resource dict read for this row (not written)


def _rows(
    spans: Iterable[PreparedSpan],
) -> tuple[
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[str, str, str, str]],
    dict[str, list[ModelSpan]],
]:
    """Span rows, one row per trace in the batch (aggregated), the spans' ``span_index`` rows
    and each trace's model spans (what its model-call totals read), in one pass over ``spans``.

    The trace upsert merges each trace row with what is stored. Name, root span and status
    come from the best-ranked root: 2 for a span without a parent (the trace's root), 1 for
    a local root under a remote parent, 0 for others. Until a root arrives the status is
    ``error`` if any span failed. ``error_count`` counts every failed span.
    """
    rows: list[tuple[Any, ...]] = []
    index: list[tuple[str, str, str, str]] = []
    model: dict[str, list[ModelSpan]] = {}
    acc: dict[str, list[Any]] = {}
    resources: dict[int, str] = {}  # encode each (shared) resource dict once per batch
    kind_bits = _KIND_BITS
    # Runs for every span the SDK writes, on the writer thread: plain comparisons instead of
    # min()/max() calls, and the rank inlined.
    for p in spans:
        rows.append(p[:_SPAN_COLUMNS])
        tid, start, end = p[0], p[6], p[7]
        row = acc.get(tid)
        error = 1 if p[9] == "error" else 0
        if row is None:
            row = [
                tid,
                p[3],
                None,
                start,
                end,
                0,
                "error" if error else "ok",
                1,
                error,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                0,
                False,
                None,
            ]
            acc[tid] = row
        else:
            if start < row[3]:  # noqa: PLR1730 - a comparison costs less than a min() call
                row[3] = start
            if end > row[4]:  # noqa: PLR1730
                row[4] = end
            row[7] += 1
            row[8] += error
            if error and row[_ROW_RANK] == 0:
                row[6] = "error"
        row[_ROW_KINDS] |= kind_bits.get(p[4], 0)
        rank = 2 if p[2] is None else (1 if p[_P_IS_ROOT] else 0)
        if rank > row[_ROW_RANK]:
            row[1], row[2], row[6] = p[3], p[1], "error" if error else "ok"
            row[_ROW_RANK] = rank
        attributes = p[_P_ATTRIBUTES]
        if not row[_ROW_DONE]:
            _lift(row, attributes, p[_P_RESOURCE], resources)
        if attributes and not _INDEXED.isdisjoint(attributes):
            index.extend(_index.index_rows(tid, p[1], attributes, _clean))
        if p[4] in MODEL_KINDS:
            found = ModelSpan(p[1], p[2], p[14], start, end, _usage(attributes))
            model.setdefault(tid, []).append(found)
    traces = []
    for row in acc.values():
        row[5] = row[4] - row[3]
        traces.append(tuple(row[:_ROW_DONE]))
    return rows, traces, index, model


def _usage(attributes: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    """A model span's :data:`USAGE_KEYS` values as the store will read them back (numbers
    JSON cannot hold are not numbers there)."""
    if not attributes:
        return (None, None, None)
    values = []
    for key in USAGE_KEYS:
        value = attributes.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # JSON has no NaN or infinity: stored as null
        elif isinstance(value, int) and not _MIN_JSON_INT <= value <= _MAX_JSON_INT:
            value = str(value)
        values.append(value)
    return (values[0], values[1], values[2])


def _stored_sums(sums: UsageSums | None) -> tuple[int, int | None, int | None, float | None]:
    """A batch's model-call sums as the trace row's four columns (zeros: nothing to add)."""
    if sums is None:
        return (0, None, None, None)
    calls, tokens_in, tokens_out, cost = sums
    return (
        calls,
        None if tokens_in is None else int(tokens_in),
        None if tokens_out is None else int(tokens_out),
        cost,
    )


def _totals_row(t: LLMTotals) -> tuple[int, int | None, int | None, float | None]:
    return (t.calls, t.input_tokens, t.output_tokens, t.cost_usd)


def _uncounted(trace_row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The trace row without its span and error counts (for a recount after the upsert)."""
    return (*trace_row[:7], 0, 0, *trace_row[9:])


_MODEL_BITS = 0
for _kind in MODEL_KINDS:
    _MODEL_BITS |= _KIND_BITS[_kind]
_NO_STATE = _rollups.TraceState("", 0, 0, "ok", None, None, 0, 0, None, None, None)
_INDEXED = frozenset(_index.INDEXED_KEYS)
# Advisory locks on the touched traces, in order (PostgreSQL), for the rest of the transaction.
# The two-key form, first key the trace writers' own (any number; 'pr' + 'tr' in ASCII).
_LOCK_TRACES = (
    "SELECT pg_advisory_xact_lock(1886548082, k) FROM "
    "(SELECT DISTINCT hashtext(t) AS k FROM unnest(%s::text[]) AS t ORDER BY k) AS o"
)


def _lift(
    row: list[Any], attributes: dict[str, Any], res: dict[str, Any], resources: dict[int, str]
) -> None:
    """Fill the trace row's session/user/release/environment/service/resource from a span.

    Each key is read from the span's attributes, else from its resource attributes
    (applications often set the release or environment once, on the resource). Spans of
    a process share one resource dict, so a row reads each resource once.
    """
    if not _LIFTED_KEYS.isdisjoint(attributes):  # most spans carry none of these keys
        _fill_lifted(row, attributes)
    if res and res is not row[_ROW_SEEN_RESOURCE]:
        row[_ROW_SEEN_RESOURCE] = res
        _fill_lifted(row, res)
        if row[13] is None:
            service = res.get("service.name")
            if service is not None:
                row[13] = _clean(str(service))
        if row[14] is None:
            ident = id(res)
            encoded = resources.get(ident)
            if encoded is None:
                encoded = resources[ident] = _encode(res)
            row[14] = encoded
    row[_ROW_DONE] = None not in row[9:15]


def _fill_lifted(row: list[Any], source: dict[str, Any]) -> None:
    """Set each lifted column still empty from the first of its keys ``source`` has."""
    for i, keys in _LIFTED_AT:
        if row[i] is None:
            for key in keys:
                value = source.get(key)
                if value is not None and value != "":
                    row[i] = _clean(str(value))
                    break


_LIFTED = (
    (attrs.SESSION_ID,),
    (attrs.USER_ID,),
    (attrs.RELEASE,),
    (attrs.ENVIRONMENT, "deployment.environment"),  # the older name, still common
)
_LIFTED_AT = tuple(enumerate(_LIFTED, start=9))
_LIFTED_KEYS = frozenset(key for keys in _LIFTED for key in keys)
TRACE_ATTRIBUTE_KEYS = tuple(
    dict.fromkeys([*(key for keys in _LIFTED for key in keys), *_index.INDEXED_KEYS, *USAGE_KEYS])
)
"""Span attributes the store reads when it writes a span: those a trace row takes its
session, user, release and environment from, the span index's keys and the model-call
usage values (a writer that encodes attributes early passes these beside the text)."""


def _json(value: Any) -> Any:
    """A JSON column's value: text on SQLite, already decoded (JSONB) on PostgreSQL."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _span_from_row(m: Any, logged: list[dict[str, Any]] | None = None) -> Span:
    """A span from its row, with ``logged`` (its log records' events) among its events."""
    return Span(
        trace_id=m["trace_id"],
        span_id=m["span_id"],
        parent_span_id=m["parent_span_id"],
        name=m["name"],
        kind=m["kind"],
        otel_kind=m["otel_kind"],
        start_ns=m["start_ns"],
        end_ns=m["end_ns"],
        duration_ns=m["duration_ns"],
        status=m["status"],
        status_message=m["status_message"],
        attributes=_json(m["attributes"]),
        events=_logs.merge(orjson.loads(m["events"]), logged),
        links=orjson.loads(m["links"]),
        scope=m["scope"],
    )
