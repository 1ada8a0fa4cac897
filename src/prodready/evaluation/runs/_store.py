"""The runs and scores repository: run rows, results and scores as cases finish.

It owns the tables ``eval_runs``, ``eval_results`` and ``scores``: every write to them goes
through this module (:class:`Recorder` for a run's rows, :func:`insert_score` for a score
recorded outside a run, such as a human label). It builds the runner's cache keys; the
cache rows themselves are the eval cache repository's (:mod:`prodready.evaluation._cache`),
and the bodies of the cases a run ran the datasets repository's
(:func:`prodready.evaluation.datasets._store.store_case_bodies`). Everything goes through
``store.db``.

Every function here blocks on the database; the runner calls them through ``asyncio.to_thread``
so the event loop never waits for a write.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Row, delete, select, tuple_, update

from prodready.evaluation._cache import CacheEntry, EvalCache
from prodready.evaluation._ids import find_id
from prodready.evaluation._registry import ScorerSpec
from prodready.evaluation._tables import (
    case_contents,
    eval_results,
    eval_runs,
    score_from_row,
    scores,
)
from prodready.evaluation._types import Case, CaseResult, Score
from prodready.evaluation.datasets._models import DatasetNotFound
from prodready.evaluation.datasets._store import load_version, store_case_bodies
from prodready.evaluation.runs._models import DatasetRef, EvalRun, RunSummary, RunTotals
from prodready.store import Store
from prodready.vocabulary.canonical import text_hash, to_json

if TYPE_CHECKING:
    from prodready.evaluation.criteria import Criteria

HUMAN_LAYER = "human"
"""The layer of human labels (``review.label``): stored beside a run's scores, not among them."""


# Outputs, arguments and cache keys are written with prodready.vocabulary's to_json (keys in
# order unless sorted: an output's text is hashed as it is, so its key order is part of the
# cache keys already stored) and hashed with text_hash.

OUTPUT_KIND = "output"
"""The eval cache kind of a case's cached output (see :func:`output_key`)."""
SCORE_KIND = "score"
"""The eval cache kind of a scorer's cached score (see :func:`score_key`)."""


def scorer_identity(spec: ScorerSpec) -> str:
    """What makes two scorers the same for caching: name, scorer, version, layer and args."""
    return text_hash(to_json(spec.model_dump(), sort_keys=True))


def output_key(case_hash: str, release: str, repeat: int) -> str:
    """The cache key of a case's output under a release."""
    return text_hash(to_json([OUTPUT_KIND, case_hash, release, repeat]))


def score_key(
    case_hash: str,
    release: str | None,
    repeat: int,
    scorer: str,
    output_hash: str,
    trace_id: str | None,
) -> str:
    """The cache key of one scorer's score of one output (and trace, for behaviour scorers)."""
    key = [SCORE_KIND, case_hash, release, repeat, scorer, output_hash, trace_id]
    return text_hash(to_json(key))


@dataclass(slots=True)
class Finished:
    """A scored case run, ready to store, with the cache entries it produced."""

    result: CaseResult
    cache: list[tuple[str, str, str]] = field(default_factory=list)
    """``(key, kind, value)`` entries for the eval cache."""


@dataclass(frozen=True, slots=True)
class Opened:
    """What :meth:`Recorder.open` found: a new run, or one to resume."""

    started_at_ns: int
    done: dict[tuple[str, int], CaseResult]
    wall_seconds: float


class Recorder:
    """Reads and writes one run's rows."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self._cache = EvalCache(store)
        self._contents: dict[str, str] = {}
        """Case id -> the hash of its body in ``case_contents``, for each result row."""

    def open(
        self,
        *,
        name: str | None,
        dataset: DatasetRef | None,
        dataset_hash: str,
        release: str | None,
        config: dict[str, Any],
        cases: Sequence[Case],
    ) -> Opened:
        """Create the run, or mark an existing one running again and return its results.

        The cases' bodies are stored (once per content, as dataset versions store them), so
        the run remembers the cases it ran whatever they came from (:func:`load_run_cases`).

        Raises:
            ValueError: the existing run was made with another release.
        """
        now = time.time_ns()
        with self.store.db.begin() as conn:
            self._contents = store_case_bodies(self.store, conn, cases)
            row = conn.execute(select(eval_runs).where(eval_runs.c.run_id == self.run_id)).first()
            if row is None:
                stored = dataset if dataset is not None and dataset.version is not None else None
                conn.execute(
                    eval_runs.insert().values(
                        run_id=self.run_id,
                        name=name,
                        dataset=stored.name if stored else None,  # a file's is in the config
                        dataset_version=stored.version if stored else None,
                        dataset_hash=dataset_hash,
                        release=release,
                        config=to_json(config),
                        status="running",
                        started_at_ns=now,
                    )
                )
                return Opened(started_at_ns=now, done={}, wall_seconds=0.0)
            if row.release != release:
                raise ValueError(
                    f"run {self.run_id} was made with release {row.release!r}, not {release!r}; "
                    "resume it with the same release"
                )
            conn.execute(
                update(eval_runs)
                .where(eval_runs.c.run_id == self.run_id)
                .values(status="running", finished_at_ns=None)
            )
            done = {(r.case_id, r.repeat): r for r in _results(conn, self.run_id)}
        summary = _summary(row.summary)
        return Opened(
            started_at_ns=row.started_at_ns,
            done=done,
            wall_seconds=float(summary.get("totals", {}).get("wall_seconds", 0.0)),
        )

    def forget(self, keys: Sequence[tuple[str, int]]) -> None:
        """Delete stored results (and their scores) of cases whose content has changed."""
        if not keys:
            return
        with self.store.db.begin() as conn:
            for table in (eval_results, scores):
                c = table.c
                conn.execute(
                    delete(table).where(
                        c.run_id == self.run_id, tuple_(c.case_id, c.repeat).in_(list(keys))
                    )
                )

    def cached(self, keys: Sequence[str]) -> dict[str, str]:
        """The cached values of those ``keys`` that are in the eval cache."""
        return self._cache.get_many(keys)

    def write(self, items: Sequence[Finished]) -> None:
        """Store finished case runs, their scores and cache entries in one transaction."""
        now = time.time_ns()
        results = [
            _result_row(self.run_id, f.result, now, self._contents.get(f.result.case_id))
            for f in items
        ]
        score_rows = [
            _score_row(self.run_id, f.result, s, now + i)
            for f in items
            for i, s in enumerate(f.result.scores)
        ]
        cache = [CacheEntry(*entry) for f in items for entry in f.cache]
        with self.store.db.begin() as conn:
            if results:
                conn.execute(eval_results.insert(), results)
            if score_rows:
                conn.execute(scores.insert(), score_rows)
            if cache:
                self._cache.write(conn, cache, created_at_ns=now)

    def close(self, status: str, totals: RunTotals, finished_at_ns: int) -> None:
        """Record how the run ended and its totals (kept in ``summary["totals"]``)."""
        with self.store.db.begin() as conn:
            raw = conn.execute(
                select(eval_runs.c.summary).where(eval_runs.c.run_id == self.run_id)
            ).scalar()
            summary = _summary(raw) | {"totals": totals.model_dump()}
            conn.execute(
                update(eval_runs)
                .where(eval_runs.c.run_id == self.run_id)
                .values(status=status, finished_at_ns=finished_at_ns, summary=to_json(summary))
            )


def load_run(store: Store, run_id: str) -> EvalRun:
    """A stored run with every result and score (traces are not loaded).

    Raises:
        KeyError: no run has that id.
    """
    with store.db.connect() as conn:
        row = conn.execute(select(eval_runs).where(eval_runs.c.run_id == run_id)).first()
        if row is None:
            raise KeyError(f"no eval run {run_id!r}")
        results = _results(conn, run_id)
    order = _case_order(row.config)
    results.sort(key=lambda r: (order.get(r.case_id, len(order)), r.case_id, r.repeat))
    summary = _run_summary(row)
    totals = RunTotals.of(results, wall_seconds=summary.totals.wall_seconds)
    return EvalRun(**(summary.model_dump() | {"totals": totals}), results=results)


def find_run_id(store: Store, ref: str) -> str:
    """The id of the run called ``ref``, else of the one run whose id starts with ``ref``.

    Raises:
        KeyError: no run has that id or prefix.
        ValueError: the prefix is ambiguous (the message lists the first matching ids).
    """
    return find_id(store, eval_runs.c.run_id, ref, what="eval run", kind="run id")


def load_run_cases(store: Store, run_id: str) -> list[Case] | None:
    """The cases a stored run ran, in its dataset order; ``None`` if the store lacks some.

    Every result names the body of the case it ran, whether the cases came from a stored
    dataset, a file or a list. Results stored before runs remembered their cases (store
    revision 0006) take theirs from the run's dataset version, when it is stored; a run of
    a file stored before then has ``None``: pass its cases explicitly.
    """
    r, c = eval_results.c, case_contents.c
    stmt = (
        select(r.case_id, r.case_hash, c.body)
        .select_from(eval_results.outerjoin(case_contents, r.case_content == c.content_hash))
        .where(r.run_id == run_id)
    )
    with store.db.connect() as conn:
        rows = conn.execute(stmt).all()
        run = conn.execute(select(eval_runs).where(eval_runs.c.run_id == run_id)).first()
        found = {row.case_id: Case.model_validate_json(row.body) for row in rows if row.body}
        wanted = {row.case_id: row.case_hash for row in rows if row.case_id not in found}
        if wanted and run is not None and run.dataset is not None:
            found |= _from_version(conn, run.dataset, run.dataset_version, wanted)
    if run is None or len(found) < len({row.case_id for row in rows}):
        return None
    order = _case_order(run.config)
    return sorted(found.values(), key=lambda case: (order.get(case.id, len(order)), case.id))


def _from_version(
    conn: Connection, name: str, version: int | None, wanted: dict[str, str]
) -> dict[str, Case]:
    """The ``wanted`` cases (id -> content hash) as the dataset version holds them."""
    try:
        cases = load_version(conn, name, version).cases if version is not None else []
    except DatasetNotFound:
        return {}
    return {c.id: c for c in cases if wanted.get(c.id) == c.content_hash()}


def list_runs(
    store: Store,
    *,
    name: str | None = None,
    release: str | None = None,
    dataset: str | None = None,
    status: str | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RunSummary]:
    """Stored runs, newest first, filtered by every given field.

    ``since_ns``/``until_ns`` bound when a run started (``since_ns <= start < until_ns``);
    ``offset`` skips that many of the newest (for paging).
    """
    c = eval_runs.c
    stmt = select(eval_runs).order_by(c.started_at_ns.desc(), c.run_id).limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    filters = ((c.name, name), (c.release, release), (c.dataset, dataset), (c.status, status))
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    if since_ns is not None:
        stmt = stmt.where(c.started_at_ns >= since_ns)
    if until_ns is not None:
        stmt = stmt.where(c.started_at_ns < until_ns)
    with store.db.connect() as conn:
        return [_run_summary(r) for r in conn.execute(stmt)]


def record_gate(store: Store, run_id: str, criteria: Criteria, *, passed: bool) -> None:
    """Remember the criteria a stored run was gated on and the gate's verdict.

    The dashboard's scorecard applies them again (:func:`run_criteria`), and run listings
    show the verdict (``RunSummary.verdict``). A later gate replaces both. Nothing happens
    if no run has that id (a run that was never stored).
    """
    verdict = "passed" if passed else "failed"
    with store.db.begin() as conn:
        conn.execute(
            update(eval_runs)
            .where(eval_runs.c.run_id == run_id)
            .values(criteria=criteria.to_yaml(), verdict=verdict)
        )


def run_criteria(store: Store, run_id: str) -> Criteria | None:
    """The criteria the run was last gated on (:func:`record_gate`), or ``None``.

    Raises:
        KeyError: no run has that id.
    """
    from prodready.evaluation.criteria import CriteriaError, parse_criteria

    with store.db.connect() as conn:
        row = conn.execute(select(eval_runs.c.criteria).where(eval_runs.c.run_id == run_id)).first()
    if row is None:
        raise KeyError(f"no eval run {run_id!r}")
    if not row.criteria:
        return None
    try:
        return parse_criteria(row.criteria, source=f"run {run_id}")
    except CriteriaError:  # written by an older version whose criteria no longer parse
        return None


def new_run_id() -> str:
    """A fresh run id."""
    return uuid.uuid4().hex


# --- rows ------------------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    return text.replace("\x00", "\ufffd") if text is not None and "\x00" in text else text


def _result_row(run_id: str, r: CaseResult, now: int, content: str | None) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "case_id": r.case_id,
        "repeat": r.repeat,
        "case_hash": r.case_hash,
        "case_content": content,
        "trace_id": r.trace_id,
        "output": None if r.error is not None else to_json(r.output),
        "error": _clean(r.error),
        "latency_ms": r.latency_ms,
        "cost_usd": r.cost_usd,
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
        "cached": r.cached,
        "finished_at_ns": now,
    }


def insert_score(
    conn: Connection,
    score: Score,
    *,
    run_id: str | None,
    case_id: str | None,
    repeat: int | None,
    trace_id: str | None,
    span_id: str | None = None,
    created_at_ns: int,
) -> str:
    """Store one score recorded outside a run's own scoring (a human label of a run's case or
    of a trace), inside the caller's transaction; its new id."""
    row = score_row(
        score,
        run_id=run_id,
        case_id=case_id,
        repeat=repeat,
        trace_id=trace_id,
        span_id=span_id,
        created_at_ns=created_at_ns,
    )
    conn.execute(scores.insert().values(**row))
    return str(row["id"])


def score_row(
    s: Score,
    *,
    run_id: str | None,
    case_id: str | None,
    repeat: int | None,
    trace_id: str | None,
    span_id: str | None,
    created_at_ns: int,
) -> dict[str, Any]:
    """The ``scores`` row of ``s`` (a fresh id; args and metadata as JSON text)."""
    return {
        "id": uuid.uuid4().hex,
        "trace_id": trace_id,
        "span_id": span_id,
        "run_id": run_id,
        "case_id": case_id,
        "repeat": repeat,
        "name": s.name,
        "scorer": s.scorer,
        "version": s.version,
        "args": to_json(s.args),
        "layer": s.layer,
        "value": s.value,
        "passed": s.passed,
        "rationale": _clean(s.rationale),
        "error": _clean(s.error),
        "author": s.author,
        "metadata": to_json(s.metadata),
        "created_at_ns": created_at_ns,
    }


# --- scores of production traces (no run): online scoring, end users' feedback -------------


@dataclass(frozen=True, slots=True)
class TraceScore:
    """A stored score of a trace recorded outside any run, as :func:`trace_scores` reads it."""

    id: str
    trace_id: str | None
    span_id: str | None
    score: Score
    created_at_ns: int


def record_trace_scores(
    store: Store,
    items: Sequence[tuple[str, Score]],
    *,
    created_at_ns: int | None = None,
    span_id: str | None = None,
    ids: Sequence[str] | None = None,
) -> list[str]:
    """Store scores of traces that belong to no run (``run_id`` NULL) in one transaction:
    the monitoring pillar's online scores and end users' feedback. Their ids, in order.

    Args:
        items: ``(trace id, score)`` pairs.
        created_at_ns: when they were recorded (default now); each later one gets 1 ns more,
            so their order is kept.
        span_id: the span every score is about, if any.
        ids: the scores' ids (32 characters), one per item, instead of fresh ones: a score
            whose id is already stored is skipped, so writers that may score the same thing
            twice (two server replicas) store it once.
    """
    if ids is not None and len(ids) != len(items):
        raise ValueError(f"{len(ids)} ids for {len(items)} scores")
    now = time.time_ns() if created_at_ns is None else created_at_ns
    rows = [
        score_row(s, run_id=None, case_id=None, repeat=None, trace_id=tid, span_id=span_id,
                  created_at_ns=now + i)
        for i, (tid, s) in enumerate(items)
    ]  # fmt: skip
    if ids is not None:
        for row, given in zip(rows, ids, strict=True):
            row["id"] = given
    if rows:
        with store.db.begin() as conn:
            if ids is None:
                conn.execute(scores.insert(), rows)
            else:
                store.db.insert_ignore(conn, scores, rows)
    return [str(r["id"]) for r in rows]


def trace_scores(
    store: Store,
    *,
    layers: Sequence[str],
    names: Sequence[str] | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    trace_ids: Sequence[str] | None = None,
) -> list[TraceScore]:
    """Scores of the given layers recorded outside runs, oldest first, filtered by name, by
    the time they were recorded (``since_ns <= created_at_ns < until_ns``) and by trace."""
    c = scores.c
    stmt = select(scores).where(c.run_id.is_(None), c.layer.in_(list(layers)))
    if names is not None:
        stmt = stmt.where(c.name.in_(list(names)))
    if since_ns is not None:
        stmt = stmt.where(c.created_at_ns >= since_ns)
    if until_ns is not None:
        stmt = stmt.where(c.created_at_ns < until_ns)
    if trace_ids is not None:
        stmt = stmt.where(c.trace_id.in_(list(trace_ids)))
    with store.db.connect() as conn:
        rows = conn.execute(stmt.order_by(c.created_at_ns, c.id)).all()
    return [
        TraceScore(r.id, r.trace_id, r.span_id, score_from_row(r), r.created_at_ns) for r in rows
    ]


def _score_row(run_id: str, r: CaseResult, s: Score, now: int) -> dict[str, Any]:
    return score_row(
        s,
        run_id=run_id,
        case_id=r.case_id,
        repeat=r.repeat,
        trace_id=r.trace_id,
        span_id=None,
        created_at_ns=now,
    )


def _results(conn: Connection, run_id: str) -> list[CaseResult]:
    s = scores.c
    by_result: dict[tuple[str, int], list[Score]] = {}
    # Human labels of the run's scores share its run id but are not the run's own scores:
    # they are read with ``review.human_labels``.
    own = s.layer != HUMAN_LAYER
    stmt = select(scores).where(s.run_id == run_id, own).order_by(s.created_at_ns, s.id)
    for row in conn.execute(stmt):
        by_result.setdefault((row.case_id, row.repeat), []).append(score_from_row(row))
    rows = conn.execute(select(eval_results).where(eval_results.c.run_id == run_id))
    return [
        CaseResult(
            case_id=r.case_id,
            case_hash=r.case_hash,
            repeat=r.repeat,
            output=orjson.loads(r.output) if r.output is not None else None,
            error=r.error,
            trace_id=r.trace_id,
            latency_ms=r.latency_ms,
            cost_usd=r.cost_usd,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            cached=bool(r.cached),
            scores=by_result.get((r.case_id, r.repeat), []),
        )
        for r in rows
    ]


def _run_summary(row: Row[Any]) -> RunSummary:
    totals = _summary(row.summary).get("totals")
    return RunSummary(
        run_id=row.run_id,
        name=row.name,
        dataset=_dataset_ref(row),
        release=row.release,
        status=row.status,
        started_at_ns=row.started_at_ns,
        finished_at_ns=row.finished_at_ns,
        totals=RunTotals.model_validate(totals) if isinstance(totals, dict) else RunTotals(),
        verdict=row.verdict if row.verdict in ("passed", "failed") else None,
    )


def _dataset_ref(row: Row[Any]) -> DatasetRef | None:
    """The stored dataset version the run was given, else the file its cases came from."""
    config = _summary(row.config)
    ids = config.get("cases")
    n = len(ids) if isinstance(ids, list) else None
    if row.dataset is not None and row.dataset_version is not None:
        return DatasetRef(
            name=row.dataset, version=row.dataset_version, hash=row.dataset_hash, cases=n
        )
    file = config.get("dataset_file")
    if isinstance(file, str) and row.dataset_hash is not None:
        return DatasetRef(name=file, hash=row.dataset_hash, cases=n)
    return None


def _summary(raw: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _case_order(config: str | None) -> dict[str, int]:
    ids = _summary(config).get("cases", [])
    return {case_id: i for i, case_id in enumerate(ids)} if isinstance(ids, list) else {}


def scores_of_trace(store: Store, trace_id: str) -> list[TraceScore]:
    """Every score linked to a trace, in or outside runs (evaluation, online, feedback,
    human), oldest first: what the dashboard's trace page shows."""
    c = scores.c
    stmt = select(scores).where(c.trace_id == trace_id.lower()).order_by(c.created_at_ns, c.id)
    with store.db.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        TraceScore(r.id, r.trace_id, r.span_id, score_from_row(r), r.created_at_ns) for r in rows
    ]
