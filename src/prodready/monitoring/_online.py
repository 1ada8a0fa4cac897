"""Online scoring: production traces scored as they arrive, stored as ``online`` scores.

Checks and behaviour scorers run on every sampled trace; judges only when configured, on a
second deterministic sample, until the day's spend limit (UTC) is reached. Sampling is a
pure function of the trace id, so every replica and every re-run picks the same traces. A
trace already holding online scores is not scored again.

The server feeds :class:`OnlineWorker` after each ingest commit: a bounded queue (a full
queue drops the trace ids and counts them, never blocking ingest) and one worker thread that
waits for each trace to settle (its root span stored and no new span for
``settle_seconds``, or ``max_wait_seconds`` since it was first seen) before scoring it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prodready.evaluation import BoundScorer, Case, CaseResult, Expected, Score
from prodready.evaluation.runs import record_trace_scores, trace_scores
from prodready.models import ModelClient
from prodready.monitoring._background import Background
from prodready.monitoring._facts import DIMENSIONS, Dimension, trace_facts
from prodready.store import Span, Store, Trace
from prodready.vocabulary import attributes as attrs
from prodready.vocabulary.canonical import text_hash, to_json

log = logging.getLogger("prodready.monitoring")

ONLINE_LAYER: Final = "online"
ONLINE_ENV: Final = "PRODREADY_ONLINE_CONFIG"
"""The online scoring file the server reads at start-up, if set."""
DEFAULT_SCORERS: Final = ("duplicate_tool_calls", "retry_storm", "loops", "guardrails_passed",
                          "no_pii")  # fmt: skip
"""Scorers that need no expected answer, run when the file names none."""
_JUDGES: Final = frozenset({"correctness", "groundedness", "relevance", "safety"})


class OnlineConfigError(ValueError):
    """An online scoring file or entry that cannot be used; the message says where."""


ScorerEntry = str | dict[str, dict[str, Any] | None]


def _default_scorers() -> list[ScorerEntry]:
    return list(DEFAULT_SCORERS)


class JudgeConfig(BaseModel):
    """Judges on production traces: which, how often, and how much to spend."""

    model_config = ConfigDict(extra="forbid")

    scorers: list[ScorerEntry] = Field(default_factory=list)
    sample_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    """Fraction of the scored traces the judges see (a second sample on the trace id)."""
    daily_spend_limit_usd: float = Field(default=1.0, ge=0.0)
    """Judging stops for the day (UTC) once its calls cost this much."""
    model: dict[str, Any] | None = None
    """``{"base_url": ..., "model": ...}`` (the key from ``PRODREADY_JUDGE_API_KEY``);
    default ``PRODREADY_JUDGE_*``."""


class OnlineConfig(BaseModel):
    """An online scoring file (``online.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    """Fraction of traces scored at all (checks and behaviour scorers)."""
    environments: list[str] | None = None
    """Only traces of these environments (default: every environment)."""
    scorers: list[ScorerEntry] = Field(default_factory=_default_scorers)
    judges: JudgeConfig | None = None
    settle_seconds: float = Field(default=5.0, ge=0.0)
    max_wait_seconds: float = Field(default=60.0, ge=0.0)
    queue_size: int = Field(default=10_000, ge=1)

    @field_validator("scorers")
    @classmethod
    def _not_judges(cls, entries: list[ScorerEntry]) -> list[ScorerEntry]:
        for entry in entries:
            name = _entry(entry)[0]
            if name in _JUDGES:
                raise ValueError(f"{name} is a judge: list it under judges.scorers")
        return entries


def load_online_config(path: str | Path) -> OnlineConfig:
    """Read an online scoring file.

    Raises:
        OnlineConfigError: unreadable, not YAML, or a bad field (named).
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return OnlineConfig.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise OnlineConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise OnlineConfigError(f"{path}: {where}") from None


def _entry(entry: ScorerEntry) -> tuple[str, dict[str, Any]]:
    if isinstance(entry, str):
        return entry, {}
    if len(entry) != 1:
        raise OnlineConfigError(f"a scorer entry is one name with its arguments, got {entry!r}")
    name, args = next(iter(entry.items()))
    return name, dict(args or {})


def build_scorer(entry: ScorerEntry, *, client: ModelClient | None = None) -> BoundScorer:
    """A scorer from a file entry: a name of :mod:`prodready.evaluation.scorers` (or
    ``package.module:factory``) with its keyword arguments; judges get ``client``.

    Raises:
        OnlineConfigError: no such scorer, or arguments it does not take.
    """
    name, args = _entry(entry)
    if ":" in name:
        module, _, attr = name.partition(":")
    else:
        module, attr = "prodready.evaluation.scorers", name
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        raise OnlineConfigError(f"no scorer {name!r}") from None
    if name in _JUDGES and client is not None:
        args.setdefault("client", client)
    try:
        made = factory(**args)
    except Exception as exc:
        raise OnlineConfigError(f"scorer {name}: {exc}") from None
    if not isinstance(made, BoundScorer):
        raise OnlineConfigError(f"{name} did not make a scorer")
    return made


def in_sample(trace_id: str, rate: float, *, salt: int = 0) -> bool:
    """Whether a trace is in a sample of ``rate``: a pure function of its id (its low 64 bits;
    ``salt`` 1 reads the high ones, for a second, independent sample)."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    part = trace_id[-16:] if salt == 0 else trace_id[:16]
    try:
        return int(part, 16) < rate * 2**64
    except ValueError:
        return False


# --- a trace as a case run ------------------------------------------------------------------


def trace_case(trace: Trace) -> tuple[Case, CaseResult]:
    """A production trace as an evaluation case (no expectations) and its result, as the
    scorers take them: the root span's recorded input and output, its error, the trace."""
    summary = trace.summary
    root = _root(trace)
    a = root.attributes if root is not None else {}
    value = _decode(a.get(attrs.INPUT))
    if not isinstance(value, (str, dict)) or value == "":
        value = (root.name if root is not None else None) or summary.name or summary.trace_id
    case = Case(id=f"trace-{summary.trace_id[:12]}", input=value, expected=Expected(),
                provenance=f"trace:{summary.trace_id}")  # fmt: skip
    error = None
    if summary.status == "error":
        error = (root.status_message if root is not None else None) or "the trace failed"
    result = CaseResult(
        case_id=case.id, case_hash=case.content_hash(), output=_decode(a.get(attrs.OUTPUT)),
        error=error, trace_id=summary.trace_id, latency_ms=summary.duration_ns / 1e6,
        cost_usd=summary.cost_usd, input_tokens=summary.input_tokens,
        output_tokens=summary.output_tokens, trace=trace,
    )  # fmt: skip
    return case, result


def _root(trace: Trace) -> Span | None:
    wanted = trace.summary.root_span_id
    found = next((s for s in trace.spans if s.span_id == wanted), None)
    return found or next((s for s in trace.spans if s.parent_span_id is None), None)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


# --- the scorer -----------------------------------------------------------------------------


@dataclass(slots=True)
class OnlineStats:
    """Online scoring's counters since start (for ``/metrics``)."""

    traces_scored: int = 0
    scores_written: int = 0
    sampled_out: int = 0
    dropped: int = 0
    """Trace ids dropped because the queue (or the set of traces settling) was full."""
    judge_calls: int = 0
    judge_skipped_spend: int = 0
    """Judge scorings skipped because the day's spend limit was reached."""
    judge_spend_usd: float = 0.0
    """Spent on judges today (UTC)."""
    spend_limit_reached: bool = False
    errors: int = 0
    queued: int = 0
    by_name: dict[str, int] = field(default_factory=dict)


class OnlineScorer:
    """Scores stored traces with a configuration's scorers and stores ``online`` scores.

    Args:
        store: where the traces are, and the scores go.
        config: what to run (default: :data:`DEFAULT_SCORERS`, no judges).
        judge_client: the judges' model (default ``judges.model`` or ``PRODREADY_JUDGE_*``).
        clock: now in Unix nanoseconds (the spend limit's day).
    """

    def __init__(
        self,
        store: Store,
        config: OnlineConfig | None = None,
        *,
        judge_client: ModelClient | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.config = config or OnlineConfig()
        self.clock = clock
        self.stats = OnlineStats()
        self.always = [build_scorer(e) for e in self.config.scorers]
        judges = self.config.judges
        if judges is not None and judges.scorers:
            if judge_client is None and judges.model is not None:
                judge_client = ModelClient.from_config(judges.model)
            self.judges = [build_scorer(e, client=judge_client) for e in judges.scorers]
        else:
            self.judges = []
        self._judge_client = judge_client
        self._day: str | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        """One event loop for every scoring, so judges' HTTP connections are reused."""

    def close(self) -> None:
        """Close the judges' connections and the event loop (call it from a thread that runs
        no event loop: the worker's, or a script's)."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None or loop.is_closed():
            return
        try:
            if self._judge_client is not None:
                loop.run_until_complete(self._judge_client.aclose())
        except Exception:
            log.debug("could not close the judges' connections", exc_info=True)
        finally:
            loop.close()

    def score_traces(self, trace_ids: Sequence[str], *, require_root: bool = False) -> list[str]:
        """Score the given stored traces (skipping those sampled out, of other environments,
        or already scored); the ids left waiting for their root span when ``require_root``."""
        with self._lock:
            found = self.store.get_traces(trace_ids)
            done = {s.trace_id for s in trace_scores(self.store, layers=[ONLINE_LAYER],
                                                     trace_ids=list(found))}  # fmt: skip
            waiting, items = [], []
            for tid, trace in found.items():
                if tid in done:
                    continue
                if require_root and trace.summary.incomplete:
                    waiting.append(tid)
                    continue
                items += self._score_one(trace)
            if items:
                # An id made of trace and scorer: a replica scoring the same trace adds nothing.
                ids = [text_hash(to_json(["online", t, s.name, s.scorer, s.version]))[-32:]
                       for t, s in items]  # fmt: skip
                record_trace_scores(self.store, items, ids=ids)
                self.stats.scores_written += len(items)
            return waiting

    def _score_one(self, trace: Trace) -> list[tuple[str, Score]]:
        tid = trace.summary.trace_id
        envs = self.config.environments
        if envs is not None and trace.summary.environment not in envs:
            return []
        if not in_sample(tid, self.config.sample_rate):
            self.stats.sampled_out += 1
            return []
        scorers = list(self.always)
        if self.judges and self._judge_allowed(tid):
            scorers += self.judges
        case, result = trace_case(trace)
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            weakref.finalize(self, self._loop.close)  # a scorer nobody closed
        try:
            made = self._loop.run_until_complete(_run(scorers, case, result))
        except Exception:
            self.stats.errors += 1
            log.warning("online scoring of trace %s failed", tid, exc_info=True)
            return []
        self.stats.traces_scored += 1
        out = []
        for s in made:
            if s.layer == "judge":
                self.stats.judge_calls += 1
                self._spend(s)
            self.stats.by_name[s.name] = self.stats.by_name.get(s.name, 0) + 1
            meta = {**s.metadata, "source_layer": s.layer}
            out.append((tid, s.model_copy(update={"layer": ONLINE_LAYER, "metadata": meta})))
        return out

    def _judge_allowed(self, trace_id: str) -> bool:
        judges = self.config.judges
        assert judges is not None
        if not in_sample(trace_id, judges.sample_rate, salt=1):
            return False
        self._roll_day()
        if self.stats.judge_spend_usd >= judges.daily_spend_limit_usd:
            self.stats.spend_limit_reached = True
            self.stats.judge_skipped_spend += len(self.judges)
            return False
        return True

    def _roll_day(self) -> None:
        now = self.clock()
        day = datetime.fromtimestamp(now / 1e9, UTC).strftime("%Y-%m-%d")
        if day == self._day:
            return
        self._day = day
        start = int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()) * 10**9
        # What replicas and earlier runs spent today counts too: it is in the stored scores.
        names = sorted({j.spec.name for j in self.judges})
        spent = trace_scores(self.store, layers=[ONLINE_LAYER], names=names, since_ns=start)
        self.stats.judge_spend_usd = sum(_cost(s.score) for s in spent)
        self.stats.spend_limit_reached = False

    def _spend(self, score: Score) -> None:
        self.stats.judge_spend_usd += _cost(score)


def _cost(score: Score) -> float:
    usage = score.metadata.get("usage")
    cost = usage.get("cost_usd") if isinstance(usage, dict) else None
    return float(cost) if isinstance(cost, (int, float)) else 0.0


async def _run(scorers: Sequence[BoundScorer], case: Case, result: CaseResult) -> list[Score]:
    return list(await asyncio.gather(*(s(case, result) for s in scorers)))


# --- the worker -----------------------------------------------------------------------------


class OnlineWorker(Background):
    """Scores traces in the background as ingest reports them (see the module docstring).

    :meth:`offer` never blocks and never raises. Call :meth:`start` once and :meth:`stop`
    at shutdown; traces still settling then are not scored (``monitor score`` can).
    """

    thread_name = "prodready-online"

    def __init__(self, scorer: OnlineScorer, *, tick: float = 0.5) -> None:
        super().__init__()
        config = scorer.config
        self.scorer = scorer
        self.settle_ns = int(config.settle_seconds * 1e9)
        self.max_wait_ns = int(config.max_wait_seconds * 1e9)
        self.capacity = config.queue_size
        self.tick = tick
        self._queue: queue.Queue[tuple[int, list[str]]] = queue.Queue(maxsize=config.queue_size)
        self._pending: dict[str, tuple[int, int]] = {}  # trace id -> (first seen, last seen)
        self._idle = threading.Event()
        self._idle.set()

    @property
    def stats(self) -> OnlineStats:
        """The scorer's counters, with this worker's drops."""
        return self.scorer.stats

    def offer(self, trace_ids: Iterable[str]) -> None:
        """Hand over the traces a committed ingest request wrote spans of."""
        ids: list[str] = []
        try:
            ids = list(dict.fromkeys(trace_ids))
            if ids:
                self._idle.clear()
                self._queue.put_nowait((time.monotonic_ns(), ids))
        except queue.Full:
            self.stats.dropped += len(ids)
        except Exception:  # never into ingest
            log.debug("online scoring could not take traces", exc_info=True)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until everything offered is scored (or dropped); whether it was in time."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._take(self.tick)
                self._score_settled()
            except Exception:
                self.stats.errors += 1
                log.warning("online scoring failed", exc_info=True)
            if not self._pending and self._queue.empty():
                self._idle.set()
            self.stats.queued = len(self._pending) + self._queue.qsize()
        self.scorer.close()  # here: this thread runs no event loop of its own

    def _take(self, wait: float) -> None:
        try:
            item: tuple[int, list[str]] | None = self._queue.get(timeout=wait)
        except queue.Empty:
            return
        while item is not None:
            seen, ids = item
            for tid in ids:
                first = self._pending.get(tid, (seen, seen))[0]
                if tid not in self._pending and len(self._pending) >= self.capacity:
                    self.stats.dropped += 1
                    continue
                self._pending[tid] = (first, seen)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = None

    def _score_settled(self) -> None:
        now = time.monotonic_ns()
        settled = [t for t, (_, last) in self._pending.items() if now - last >= self.settle_ns]
        if not settled:
            return
        overdue = {t for t in settled if now - self._pending[t][0] >= self.max_wait_ns}
        waiting = set(self.scorer.score_traces([t for t in settled if t not in overdue],
                                               require_root=True))  # fmt: skip
        if overdue:
            self.scorer.score_traces(sorted(overdue))
        for tid in settled:
            if tid not in waiting:
                self._pending.pop(tid, None)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """The mean of one online score in one time bucket for one group."""

    bucket_ns: int
    """The bucket's start."""
    name: str
    group: str | None
    mean: float
    n: int


def score_series(
    store: Store, since_ns: int, until_ns: int, bucket_ns: int, by: Dimension | None = "release"
) -> list[SeriesPoint]:
    """Online scores' means per time bucket (by when they were recorded), score name and
    group (``by``: a trace dimension, or ``None`` for one group), in time order.

    Raises:
        ValueError: a bucket that is not positive, or an unknown dimension.
    """
    if bucket_ns <= 0:
        raise ValueError(f"bucket_ns must be positive, got {bucket_ns}")
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"by: unknown dimension {by!r}; one of {', '.join(DIMENSIONS)}")
    found = [s for s in trace_scores(store, layers=[ONLINE_LAYER], since_ns=since_ns,
                                     until_ns=until_ns) if s.score.value is not None]  # fmt: skip
    spans_needed = by in ("intent", "tool")
    facts = (
        trace_facts(store, [s.trace_id for s in found if s.trace_id], spans_needed=spans_needed)
        if by is not None
        else {}
    )
    sums: dict[tuple[int, str, str | None], tuple[float, int]] = {}
    for s in found:
        bucket = since_ns + (s.created_at_ns - since_ns) // bucket_ns * bucket_ns
        fact = facts.get(s.trace_id or "")
        groups = fact.values(by) if (fact is not None and by is not None) else (None,)
        for g in groups:
            total, n = sums.get((bucket, s.score.name, g), (0.0, 0))
            sums[(bucket, s.score.name, g)] = (total + float(s.score.value or 0.0), n + 1)
    return [
        SeriesPoint(bucket, name, group, total / n, n)
        for (bucket, name, group), (total, n) in sorted(
            sums.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))
        )
    ]
