"""Run the system under test on dataset cases, score every run, store it all; resumable.

>>> from prodready.evaluation.runner import evaluate_sync
>>> run = evaluate_sync(agent.answer, dataset, [contains("refund")], release="agent@1.4.0")
>>> run.totals.errors, [s.passed for s in run.scores_named("contains")]

Each case run is its own trace, tagged with the run id, case id and release. Outputs and
scores are cached by case content, release and scorer identity, so an unchanged re-run costs
almost nothing. Results are stored as cases finish, so an interrupted run resumes where it
stopped (``evaluate(..., run_id=...)``). See ``docs/runner.md``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
import typing
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from prodready import store as _store
from prodready import tracing
from prodready.evaluation import _types
from prodready.evaluation.runs import _calls as _run_calls
from prodready.evaluation.runs import _engine as _run_engine
from prodready.evaluation.runs import _progress as _run_progress
from prodready.evaluation.runs import _store as _run_store
from prodready.evaluation.runs._models import (
    DatasetRef,
    EvalRun,
    RunStatus,
    RunSummary,
    RunTotals,
)
from prodready.evaluation.runs._store import find_run_id, list_runs, load_run, load_run_cases

if typing.TYPE_CHECKING:
    from prodready.evaluation._registry import Scorer
    from prodready.evaluation._types import Case, CaseResult, DatasetVersion
    from prodready.evaluation.scorers.judges import JudgeCache
    from prodready.store import Store

__all__ = [
    "INFRASTRUCTURE_ERRORS",
    "DatasetRef",
    "EvalRun",
    "RunStatus",
    "RunSummary",
    "RunTotals",
    "Target",
    "evaluate",
    "evaluate_sync",
    "find_run_id",
    "list_runs",
    "load_run",
    "load_run_cases",
]

log = logging.getLogger("prodready.evaluation")

Target = Callable[..., Any]
"""The system under test: takes a case's ``input`` as its one argument, or, for a case with
``input_kind="arguments"``, the input's fields as keyword arguments; returns the output
(sync or async)."""

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    BlockingIOError,
    InterruptedError,
)
"""What ``retry_on`` defaults to: errors that can pass on a retry. Timeouts, a connection
refused, reset, aborted or broken, and an operation told to try again (``EAGAIN``,
``EINTR``). Not every ``OSError``, as before: a missing file, a permission refused or a
path that is a directory (``FileNotFoundError``, ``PermissionError``, ``IsADirectoryError``,
``NotADirectoryError``...) fails again the same way, so retrying only delays the error. Add
``OSError`` (or your client's transport errors) to ``retry_on`` when your target raises
plain ``OSError`` for network trouble (``ENETUNREACH``)."""

_T = TypeVar("_T")


async def evaluate(
    target: Target,
    data: DatasetVersion | Sequence[Case],
    scorers: Sequence[Scorer],
    *,
    store: Store | None = None,
    release: str | None = None,
    name: str | None = None,
    run_id: str | None = None,
    concurrency: int = 8,
    rate_limit: float | None = None,
    timeout: float | None = 60.0,
    retries: int = 2,
    retry_on: tuple[type[BaseException], ...] = INFRASTRUCTURE_ERRORS,
    repeats: int = 1,
    cache: bool = True,
    progress: bool = True,
    dataset_file: str | None = None,
    judge_cache: JudgeCache | None = None,
) -> EvalRun:
    """Run ``target`` on every case (``repeats`` times), score each run, store everything.

    A case run that fails (an exception, or a timeout after the retries) is an error: its
    result has ``error`` set and every scorer gives it an error score (no value, never a
    pass), so it counts as a failure in every denominator.

    Args:
        target: called with each case's ``input`` (with a case whose ``input_kind`` is
            ``arguments``: with its arguments, by parameter name); sync targets run in
            worker threads.
        data: a dataset version or a list of cases (case ids must be unique).
        scorers: each gives one score per case run; score names must be unique.
        store: where the run is stored (default: the store tracing writes to, else
            ``Store()``). If tracing is not configured, it is configured on this store, so
            behaviour scorers can read each run's trace; runs started meanwhile share it and
            the last to end shuts it down. Tracing you configured is never shut down.
        release: the release under test; stamped on every trace and part of the cache key.
            Without it, outputs are not cached (scores still are, by output).
        name: a label for the run (default: the dataset's name).
        run_id: resume this run: case runs already stored are neither run nor scored
            again. A new id starts a run under that id.
        concurrency: target calls in flight at once (and, separately, scorer calls).
        rate_limit: most target calls started per second (retries included).
        timeout: seconds per attempt of a target call; ``None`` for no limit.
        retries: extra attempts after an infrastructure error (``retry_on``), after an
            exponential backoff with jitter. Other exceptions, and failing scorers, are
            never retried.
        retry_on: the exception types that count as infrastructure errors (default
            :data:`INFRASTRUCTURE_ERRORS`).
        repeats: runs per case (to detect flaky cases); each is its own result.
        cache: read cached outputs and scores; with ``False`` everything is recomputed
            (and the cache refreshed).
        progress: show a progress bar on stderr (only when it is a terminal).
        dataset_file: the file ``data``'s cases were read from, when ``data`` is a list of
            cases: the run records it as its dataset (``run.dataset``), with their number
            and content hash.
        judge_cache: where the run's LLM judges cache their verdicts, unless a judge was
            given its own (``correctness(cache=...)``); e.g. ``JudgeCache(store=store)``.
            Default: the process's in-memory cache. Other runs are not affected.

    Returns:
        The run, with every result in dataset order (repeats together).

    Raises:
        ValueError: a bad option, duplicate case ids or score names, a case whose
            arguments the target cannot take, or resuming a run made with another release.
    """
    _check_options(concurrency, rate_limit, timeout, retries, repeats)
    cases, dataset = _cases(data, dataset_file)
    _check_unique(cases, scorers)
    _run_calls.TargetCalls(target).check(cases)
    with _stores(store) as (run_store, trace_store):
        return await _evaluate(
            target,
            cases,
            dataset,
            scorers,
            run_store,
            trace_store,
            _run_engine.Settings(
                run_id=run_id or _run_store.new_run_id(),
                release=release,
                concurrency=concurrency,
                rate_limit=rate_limit,
                timeout=timeout,
                retries=retries,
                retry_on=retry_on,
                cache=cache,
            ),
            name=name or (dataset.name if dataset else None),
            repeats=repeats,
            progress=progress,
            judge_cache=judge_cache,
        )


def evaluate_sync(
    target: Target,
    data: DatasetVersion | Sequence[Case],
    scorers: Sequence[Scorer],
    *,
    store: Store | None = None,
    release: str | None = None,
    name: str | None = None,
    run_id: str | None = None,
    concurrency: int = 8,
    rate_limit: float | None = None,
    timeout: float | None = 60.0,
    retries: int = 2,
    retry_on: tuple[type[BaseException], ...] = INFRASTRUCTURE_ERRORS,
    repeats: int = 1,
    cache: bool = True,
    progress: bool = True,
    dataset_file: str | None = None,
    judge_cache: JudgeCache | None = None,
) -> EvalRun:
    """:func:`evaluate`, blocking until the run ends.

    Works inside a running event loop too (a notebook, an async test): the run then gets
    its own loop in a worker thread. Ctrl-C interrupts the run, which can be resumed.
    """
    return _run_sync(
        lambda: evaluate(
            target,
            data,
            scorers,
            store=store,
            release=release,
            name=name,
            run_id=run_id,
            concurrency=concurrency,
            rate_limit=rate_limit,
            timeout=timeout,
            retries=retries,
            retry_on=retry_on,
            repeats=repeats,
            cache=cache,
            progress=progress,
            dataset_file=dataset_file,
            judge_cache=judge_cache,
        )
    )


async def _evaluate(
    target: Target,
    cases: list[Case],
    dataset: DatasetRef | None,
    scorers: Sequence[Scorer],
    store: Store,
    trace_store: Store | None,
    settings: _run_engine.Settings,
    *,
    name: str | None,
    repeats: int,
    progress: bool,
    judge_cache: JudgeCache | None,
) -> EvalRun:
    clock = time.perf_counter()
    recorder = _run_store.Recorder(store, settings.run_id)
    hashes = [c.content_hash() for c in cases]
    opened = await asyncio.to_thread(
        recorder.open,
        name=name,
        dataset=dataset,
        dataset_hash=_types.DatasetVersion.hash_cases(cases),
        release=settings.release,
        config=_config(target, cases, scorers, settings, repeats, dataset),
        cases=cases,
    )
    plan = [
        _run_engine.Job(c, h, k) for c, h in zip(cases, hashes, strict=True) for k in range(repeats)
    ]
    finished: dict[tuple[str, int], CaseResult] = {}
    stale = []
    for job in plan:
        key = (job.case.id, job.repeat)
        previous = opened.done.get(key)
        if previous is not None and previous.case_hash == job.case_hash:
            finished[key] = previous
        elif previous is not None:
            stale.append(key)  # the case changed since: run it again
    await asyncio.to_thread(recorder.forget, stale)
    jobs = [j for j in plan if (j.case.id, j.repeat) not in finished]
    hits: dict[str, str] = {}
    if settings.cache and settings.release is not None and jobs:
        keys = [_run_store.output_key(j.case_hash, settings.release, j.repeat) for j in jobs]
        hits = await asyncio.to_thread(recorder.cached, keys)

    bar = _run_progress.RunProgress(
        enabled=progress, total=len(plan), done=len(finished), label=name or "eval"
    )

    def done(result: CaseResult) -> None:
        finished[(result.case_id, result.repeat)] = result
        bar.advance(result)

    status: RunStatus = "failed"
    engine = _run_engine.Engine(
        target, scorers, recorder, settings, trace_store=trace_store, on_done=done
    )
    try:
        with bar, _judges_use(judge_cache):
            await engine.run(jobs, hits)
        status = "finished"
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        results = [finished[k] for j in plan if (k := (j.case.id, j.repeat)) in finished]
        wall = opened.wall_seconds + time.perf_counter() - clock
        totals = RunTotals.of(results, wall_seconds=wall)
        finished_at_ns = time.time_ns()
        _close(recorder, status, totals, finished_at_ns)
    return EvalRun(
        run_id=settings.run_id,
        name=name,
        dataset=dataset,
        release=settings.release,
        status=status,
        started_at_ns=opened.started_at_ns,
        finished_at_ns=finished_at_ns,
        totals=totals,
        results=results,
    )


def _judges_use(cache: JudgeCache | None) -> AbstractContextManager[None]:
    """The run's tasks (started inside) see ``cache`` as their judges' cache."""
    if cache is None:
        return nullcontext()
    from prodready.evaluation.scorers.judges import using_judge_cache  # loads every scorer

    return using_judge_cache(cache)


def _close(
    recorder: _run_store.Recorder, status: RunStatus, totals: RunTotals, finished_at_ns: int
) -> None:
    try:
        recorder.close(status, totals, finished_at_ns)
    except Exception:
        if status == "finished":
            raise
        log.warning("could not mark run %s %s", recorder.run_id, status, exc_info=True)


@contextmanager
def _stores(store: Store | None) -> Iterator[tuple[Store, Store | None]]:
    """The run's store and the store traces go to, tracing configured for the run if off."""
    lease = _RunnerTracing.acquire(store)
    config = lease.config if lease is not None else tracing.current()
    traced_store = config.store if config is not None else None
    own_store = store is None and traced_store is None
    run_store = store or traced_store or _store.Store()
    try:
        yield run_store, traced_store
    finally:
        if lease is not None:
            _RunnerTracing.release(lease)
        if own_store:
            run_store.close()


@dataclass(eq=False)
class _Lease:
    config: tracing.TracingConfig
    store: Store | None
    """The store the runner opened for this tracing (none was given): closed with it."""
    users: int = 1


class _RunnerTracing:
    """Tracing the runner configured because it was off, shared by the runs that use it.

    Tracing is process-wide. A run that finds it off configures it on its store, and runs
    that start meanwhile (other tasks, other threads) use that same configuration; the last
    of them to end shuts it down. Had each run shut down what it configured, the first to
    finish would stop tracing under the others, whose later spans (their cases' root and
    agent spans) would be lost. Tracing the user configured, before or during a run, is
    never shut down: a lease ends only the configuration it started, if still current.
    """

    _lock = threading.Lock()
    _shared: _Lease | None = None

    @classmethod
    def acquire(cls, store: Store | None) -> _Lease | None:
        """The runner's tracing, configured if tracing is off; ``None``: the user's is on."""
        with cls._lock:
            config = tracing.current()
            lease = cls._shared
            if lease is not None and config is lease.config:
                lease.users += 1
                return lease
            if config is not None:
                return None
            opened = _store.Store() if store is None else None
            try:
                config = tracing.configure(store=store or opened)
            except BaseException:
                if opened is not None:
                    opened.close()
                raise
            cls._shared = _Lease(config, opened)
            return cls._shared

    @classmethod
    def release(cls, lease: _Lease) -> None:
        """End one run's use; the last one shuts the runner's tracing down (if still on)."""
        with cls._lock:  # held while flushing: a run starting now must not join a dying lease
            lease.users -= 1
            if lease.users > 0:
                return
            if cls._shared is lease:
                cls._shared = None
            current = tracing.current()
            if current is lease.config:
                tracing.shutdown()
            if lease.store is not None and (current is None or current.store is not lease.store):
                lease.store.close()


def _cases(
    data: DatasetVersion | Sequence[Case], file: str | None
) -> tuple[list[Case], DatasetRef | None]:
    if isinstance(data, _types.DatasetVersion):
        n = len(data.cases)
        ref = DatasetRef(name=data.name, version=data.version, hash=data.content_hash, cases=n)
        return list(data.cases), ref
    cases = list(data)
    if file is None:
        return cases, None
    hashed = _types.DatasetVersion.hash_cases(cases)
    return cases, DatasetRef(name=file, hash=hashed, cases=len(cases))


def _check_unique(cases: list[Case], scorers: Sequence[Scorer]) -> None:
    for what, names in (
        ("case id", [c.id for c in cases]),
        ("score name", [s.spec.name for s in scorers]),
    ):
        counts = Counter(names)
        dupes = sorted(n for n, k in counts.items() if k > 1)
        if dupes:
            raise ValueError(f"duplicate {what}s: {', '.join(dupes)}")


def _check_options(
    concurrency: int, rate_limit: float | None, timeout: float | None, retries: int, repeats: int
) -> None:
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if retries < 0:
        raise ValueError(f"retries must not be negative, got {retries}")
    if rate_limit is not None and rate_limit <= 0:
        raise ValueError(f"rate_limit must be positive, got {rate_limit}")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")


def _config(
    target: Target,
    cases: list[Case],
    scorers: Sequence[Scorer],
    s: _run_engine.Settings,
    repeats: int,
    dataset: DatasetRef | None,
) -> dict[str, Any]:
    file = dataset.name if dataset is not None and dataset.version is None else None
    return {
        "target": getattr(target, "__qualname__", repr(target)),
        "concurrency": s.concurrency,
        "rate_limit": s.rate_limit,
        "timeout": s.timeout,
        "retries": s.retries,
        "retry_on": [f"{t.__module__}.{t.__qualname__}" for t in s.retry_on],
        "repeats": repeats,
        "cache": s.cache,
        "scorers": [sc.spec.model_dump() for sc in scorers],
        "cases": [c.id for c in cases],
        **({"dataset_file": file} if file is not None else {}),
    }


def _run_sync(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, even under a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    started: dict[str, Any] = {}

    async def main() -> _T:
        started["loop"], started["task"] = asyncio.get_running_loop(), asyncio.current_task()
        return await make()

    context = contextvars.copy_context()  # the caller's prodready.context() and span
    with ThreadPoolExecutor(1, thread_name_prefix="prodready-eval-sync") as pool:
        future = pool.submit(context.run, asyncio.run, main())
        try:
            return future.result()
        except KeyboardInterrupt:
            if "task" in started:  # stop the run cleanly (it is marked interrupted)
                started["loop"].call_soon_threadsafe(started["task"].cancel)
            raise
