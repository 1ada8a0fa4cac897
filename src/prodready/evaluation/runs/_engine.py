"""The runner's engine: each case run is a task that calls the target, scores and stores.

A task holds a concurrency slot only while it calls the target. Loading traces, reading the
cache and storing results are batched across tasks ("group commit"): whatever is waiting when
the previous batch ends goes in the next one, in a worker thread, so the event loop never
waits for the database and a busy run writes in few, larger transactions.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from prodready import tracing
from prodready.evaluation._registry import Scorer, ScorerSpec
from prodready.evaluation._types import Case, CaseResult, Score
from prodready.evaluation.facts import llm_totals
from prodready.evaluation.runs._calls import Call, TargetCalls
from prodready.evaluation.runs._store import (
    OUTPUT_KIND,
    SCORE_KIND,
    Finished,
    Recorder,
    output_key,
    score_key,
    scorer_identity,
)
from prodready.store import Store, Trace
from prodready.tracing import attributes as attrs
from prodready.vocabulary.canonical import text_hash, to_json

log = logging.getLogger("prodready.evaluation")

T = TypeVar("T")
R = TypeVar("R")

TRACE_WAIT_S = 10.0
"""How long to wait for a case's spans to reach the store before scoring without them."""
RETRY_BACKOFF_S = 0.05
"""The wait before the first retry of a target call; it doubles with each retry ..."""
RETRY_MAX_BACKOFF_S = 2.0
"""... up to this ..."""
RETRY_JITTER_S = 0.1
"""... plus a random 0 to this many seconds, so cases that failed together (a model server
restarting) do not all retry at the same instant."""
BATCH_LINGER_S = 0.005
"""How long a batch of finished cases waits for more before its traces are read or its
results written (see ``_Batcher``); small next to any model call."""
_PRIMITIVES = (str, int, float, bool, type(None))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The options of one :func:`~prodready.evaluation.runner.evaluate` call."""

    run_id: str
    release: str | None
    concurrency: int
    rate_limit: float | None
    timeout: float | None
    retries: int
    retry_on: tuple[type[BaseException], ...]
    cache: bool


@dataclass(frozen=True, slots=True)
class Job:
    """One run of one case."""

    case: Case
    case_hash: str
    repeat: int


@dataclass(slots=True)
class _Ran:
    """A case run whose output is known (fresh or cached), on its way to being scored."""

    result: CaseResult
    output_hash: str | None
    span_id: str | None = None
    """The wrapper span of a fresh, traced run: its trace is complete once this is stored."""
    trace: Trace | None = None
    cached_scores: dict[str, Score] = field(default_factory=dict)
    score_keys: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Tries:
    n: int = 0
    seconds: float = 0.0
    """Time spent inside the target over every attempt: its latency, without the event
    loop's scheduling, the queue for a slot, or the backoff between attempts."""


class Engine:
    """Runs jobs; see the module docstring."""

    def __init__(
        self,
        target: Callable[[Any], Any],
        scorers: Sequence[Scorer],
        recorder: Recorder,
        settings: Settings,
        *,
        trace_store: Store | None,
        on_done: Callable[[CaseResult], None],
    ) -> None:
        self._target = target
        self._calls = TargetCalls(target)
        self._is_async = _is_async(target)
        self._scorers = list(scorers)
        self._scorer_ids = [scorer_identity(s.spec) for s in scorers]
        self._behaviour = [s.spec.layer == "behaviour" for s in scorers]
        self._recorder = recorder
        self._s = settings
        self._trace_store = trace_store
        self._on_done = on_done
        config = tracing.current()
        self._capture_io = config is None or config.capture_io  # as @prodready.trace does
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._score_slots = asyncio.Semaphore(settings.concurrency)
        self._rate = _RateLimit(settings.rate_limit) if settings.rate_limit else None
        self._pool: ThreadPoolExecutor | None = None
        self._prepare: _Batcher[_Ran, None] = _Batcher(self._prepare_batch, linger=BATCH_LINGER_S)
        self._writer: _Batcher[Finished, None] = _Batcher(recorder.write, linger=BATCH_LINGER_S)

    async def run(self, jobs: Sequence[Job], hits: dict[str, str]) -> list[CaseResult]:
        """Run ``jobs`` (``hits``: cached outputs by output key); results in job order.

        On cancellation, results already scored are still stored before this returns.
        """
        tasks = [asyncio.create_task(self._one(job, hits)) for job in jobs]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            await self._writer.idle()
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)

    async def _one(self, job: Job, hits: dict[str, str]) -> CaseResult:
        hit = None
        if self._s.release is not None and hits:
            hit = hits.get(output_key(job.case_hash, self._s.release, job.repeat))
        ran = _from_cache(job, hit) if hit is not None else await self._call(job)
        ran.score_keys = self._score_keys(job, ran)
        await self._prepare.submit(ran)
        result = ran.result
        result.trace = ran.trace
        result.scores, cache = await self._score(job, ran)
        result.trace = None  # scored: don't hold every trace of a large run in memory
        await self._writer.submit(Finished(result, cache))
        self._on_done(result)
        return result

    # --- calling the target ------------------------------------------------------------------

    async def _call(self, job: Job) -> _Ran:
        case, tries = job.case, _Tries()
        labels = {
            attrs.RUN_ID: self._s.run_id,
            attrs.CASE_ID: case.id,
            attrs.EVAL_REPEAT: job.repeat,
        }
        output: Any = None
        error: str | None = None
        async with self._slots:
            with tracing.context(release=self._s.release, attributes=labels):
                span = tracing.span(f"eval case {case.id}", kind="workflow").start()
                traced = span.is_recording  # False when tracing is off or the trace unsampled
                if self._capture_io:
                    span.input(case.input)
                try:
                    output = await self._attempts(self._calls.of(case), span, tries)
                except BaseException as exc:
                    span.end(exc)
                    if not isinstance(exc, Exception):
                        raise
                    error = _describe(exc, tries.n)
                else:
                    if self._capture_io:
                        span.output(output)
                    span.end()
        # The slot is free: let the case waiting for it send its request before this one is
        # recorded and scored. Cases of a wave finish together; without this, each new
        # request waited behind the bookkeeping of every case that finished before it.
        await asyncio.sleep(0)
        text = None if error is not None else to_json(output)
        if text is not None and not isinstance(output, _PRIMITIVES):
            output = orjson.loads(text)  # scorers see the stored form, fresh or cached
        result = CaseResult(
            case_id=case.id,
            case_hash=job.case_hash,
            repeat=job.repeat,
            output=output,
            error=error,
            trace_id=span.trace_id if traced else None,
            latency_ms=tries.seconds * 1000,
        )
        span_id = span.span_id if traced and self._trace_store is not None else None
        return _Ran(result, text_hash(text) if text is not None else None, span_id=span_id)

    async def _attempts(self, call: Call, span: tracing.Span, tries: _Tries) -> Any:
        """Call the target, retrying ``retry_on`` errors ``retries`` times with jittered backoff.

        Each retry is an event ``retry`` on the case's span: the attempt that failed, its
        error and the wait before the next one.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._s.retries + 1),
            wait=wait_exponential_jitter(
                multiplier=RETRY_BACKOFF_S, max=RETRY_MAX_BACKOFF_S, jitter=RETRY_JITTER_S
            ),
            retry=retry_if_exception_type(self._s.retry_on),
            before_sleep=lambda state: _note_retry(span, state),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                tries.n += 1
                if self._rate is not None:
                    await self._rate.wait()
                return await self._invoke(call, tries)
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    async def _invoke(self, call: Call, tries: _Tries) -> Any:
        if self._s.timeout is None:
            return await self._call_target(call, tries)
        deadline = asyncio.timeout(self._s.timeout)
        try:
            async with deadline:
                return await self._call_target(call, tries)
        except TimeoutError:
            if deadline.expired():
                raise TimeoutError(f"no answer within {self._s.timeout:g} s") from None
            raise

    async def _call_target(self, call: Call, tries: _Tries) -> Any:
        args, kwargs = call
        if self._is_async:  # shares the loop: its time is the await's, other cases' included
            started = time.perf_counter()
            try:
                out = self._target(*args, **kwargs)
                if inspect.isawaitable(out):
                    out = await out
            finally:
                tries.seconds += time.perf_counter() - started
            return out
        if self._pool is None:
            # Threads stuck in timed-out calls keep their worker: leave room for retries.
            workers = self._s.concurrency * (self._s.retries + 2)
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="prodready-eval")
        loop = asyncio.get_running_loop()
        bound = tracing.bind_context(functools.partial(self._target, *args, **kwargs))
        out = await loop.run_in_executor(self._pool, functools.partial(_timed, bound, tries))
        if inspect.isawaitable(out):  # a plain function that returned a coroutine
            out = await out
        return out

    # --- traces and cache (batched, in a worker thread) --------------------------------------

    def _score_keys(self, job: Job, ran: _Ran) -> list[str]:
        if ran.output_hash is None:
            return []
        return [
            score_key(
                job.case_hash,
                self._s.release,
                job.repeat,
                ident,
                ran.output_hash,
                ran.result.trace_id if behaviour else None,
            )
            for ident, behaviour in zip(self._scorer_ids, self._behaviour, strict=True)
        ]

    def _prepare_batch(self, batch: list[_Ran]) -> list[None]:
        keys = [k for ran in batch for k in ran.score_keys]
        found = self._recorder.cached(keys) if self._s.cache and keys else {}
        for ran in batch:
            ran.cached_scores = {
                k: Score.model_validate_json(found[k]) for k in ran.score_keys if k in found
            }
        store = self._trace_store
        if store is None:
            return [None] * len(batch)
        wanted = [
            ran
            for ran in batch
            if ran.result.trace_id is not None
            and (ran.span_id is not None or len(ran.cached_scores) < len(ran.score_keys))
        ]
        _await_spans({(r.result.trace_id or "", r.span_id) for r in wanted if r.span_id})
        traces = store.get_traces(ran.result.trace_id or "" for ran in wanted)
        for ran in wanted:
            ran.trace = traces.get((ran.result.trace_id or "").lower())
            if ran.span_id is not None and ran.trace is not None:
                _measure(ran.result, ran.trace)
        return [None] * len(batch)

    # --- scoring -----------------------------------------------------------------------------

    async def _score(self, job: Job, ran: _Ran) -> tuple[list[Score], list[tuple[str, str, str]]]:
        result = ran.result
        if result.error is not None:
            message = f"case failed: {result.error}"
            return [error_score(s.spec, message) for s in self._scorers], []
        out: list[Score | None] = [ran.cached_scores.get(k) for k in ran.score_keys]
        todo = [i for i, s in enumerate(out) if s is None]
        # A behaviour scorer is not handed an incomplete trace (its root span was never
        # stored): its score would be computed from fragments. It gets an error instead.
        trace = result.trace
        partial = _incomplete(trace) if trace is not None and trace.summary.incomplete else None
        run = [i for i in todo if partial is None or not self._behaviour[i]]
        scored = await asyncio.gather(
            *(self._run_scorer(self._scorers[i], job.case, result) for i in run)
        )
        fresh = dict(zip(run, scored, strict=True))
        cache: list[tuple[str, str, str]] = []
        for i in todo:
            score = fresh[i] if i in fresh else error_score(self._scorers[i].spec, partial or "")
            out[i] = score
            if score.error is None:
                cache.append((ran.score_keys[i], SCORE_KIND, score.model_dump_json()))
        if not result.cached and self._s.release is not None:
            cache.append(_output_entry(job, self._s.release, ran))
        return [s for s in out if s is not None], cache

    async def _run_scorer(self, s: Scorer, case: Case, result: CaseResult) -> Score:
        async with self._score_slots:
            try:
                score = s(case, result)
                if inspect.isawaitable(score):
                    score = await score
            except Exception as exc:  # a Scorer that is not a BoundScorer may raise
                return error_score(s.spec, _describe(exc, 1))
        return score


def error_score(spec: ScorerSpec, message: str) -> Score:
    """The score a scorer gives when it could not score: no value, never a pass."""
    return Score(
        name=spec.name,
        value=None,
        passed=None,
        layer=spec.layer,
        scorer=spec.scorer,
        version=spec.version,
        args=spec.args,
        error=message,
    )


def _incomplete(trace: Trace) -> str:
    # Imported here: importing the scorers package loads every built-in scorer's module.
    from prodready.evaluation.scorers.behaviour import incomplete_trace

    return incomplete_trace(trace)


def _from_cache(job: Job, hit: str) -> _Ran:
    value = orjson.loads(hit)
    result = CaseResult(
        case_id=job.case.id,
        case_hash=job.case_hash,
        repeat=job.repeat,
        output=value["output"],
        trace_id=value.get("trace_id"),
        latency_ms=value.get("latency_ms"),
        cost_usd=value.get("cost_usd"),
        input_tokens=value.get("input_tokens"),
        output_tokens=value.get("output_tokens"),
        cached=True,
    )
    return _Ran(result, value["output_hash"])


def _output_entry(job: Job, release: str, ran: _Ran) -> tuple[str, str, str]:
    r = ran.result
    value = {
        "output": r.output,
        "output_hash": ran.output_hash,
        "trace_id": r.trace_id,
        "latency_ms": r.latency_ms,
        "cost_usd": r.cost_usd,
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
    }
    return output_key(job.case_hash, release, job.repeat), OUTPUT_KIND, to_json(value)


def _timed(call: Callable[[], Any], tries: _Tries) -> Any:
    """``call()`` in the worker thread, its time added to ``tries.seconds``."""
    started = time.perf_counter()
    try:
        return call()
    finally:
        tries.seconds += time.perf_counter() - started


def _measure(result: CaseResult, trace: Trace) -> None:
    """Cost and tokens from the trace's LLM spans."""
    result.cost_usd, result.input_tokens, result.output_tokens = llm_totals(trace)


def _await_spans(wanted: set[tuple[str, str]]) -> None:
    """Wait until the span writer has handled these cases' spans (they have all ended).

    ``flush()`` waits for exactly the spans ended before the call, so one call suffices;
    spans it had to drop are missing afterwards, and the case is scored without a trace.
    """
    if wanted and not tracing.flush(timeout=TRACE_WAIT_S):
        log.warning("the span writer did not store %d case traces in time", len(wanted))


def _note_retry(span: tracing.Span, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    error = _describe(exc, 1) if exc is not None else None
    wait = round(state.upcoming_sleep, 4)
    span.event("retry", {"attempt": state.attempt_number, "error": error, "wait_s": wait})


def _describe(exc: BaseException, attempts: int) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{text} (after {attempts} attempts)" if attempts > 1 else text


def _is_async(fn: Callable[..., Any]) -> bool:
    call = getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


class _RateLimit:
    """Spaces actual starts at least ``1 / per_second`` apart, even when a task wakes late."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._last: float | None = None
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            if self._last is not None:
                delay = self._last + self._interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            self._last = loop.time()


class _Batcher(Generic[T, R]):
    """Group commit: items submitted while a batch runs go together in the next one.

    ``fn`` runs in a worker thread and returns one result per item. An item whose submitter
    is cancelled is still processed (a finished case run is still stored). A batch waits
    ``linger`` seconds for company before it starts: cases of a real model finish one by
    one, and without the wait most batches held one or two cases, each paying for its own
    flush, queries and transaction.
    """

    def __init__(
        self,
        fn: Callable[[list[T]], Sequence[R] | None],
        max_batch: int = 500,
        linger: float = 0.0,
    ) -> None:
        self._fn = fn
        self._max = max_batch
        self._linger = linger
        self._pending: list[tuple[T, asyncio.Future[R | None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R | None:
        future: asyncio.Future[R | None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def idle(self) -> None:
        """Wait until every submitted item is processed."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def _drain(self) -> None:
        while self._pending:
            if self._linger and len(self._pending) < self._max:
                await asyncio.sleep(self._linger)
            batch, self._pending = self._pending[: self._max], self._pending[self._max :]
            try:
                out = await asyncio.to_thread(self._fn, [item for item, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if future.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        future.cancel()
                    else:
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            results: Sequence[R | None] = out if out is not None else [None] * len(batch)
            for (_, future), value in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(value)
