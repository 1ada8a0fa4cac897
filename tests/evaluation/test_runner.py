"""The runner: concurrency, timeouts, retries, error accounting, traces, repeats, persistence."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import prodready
from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer
from prodready.evaluation.runner import evaluate, evaluate_sync, list_runs, load_run
from prodready.store import Store, TraceQuery
from prodready.testing import capture
from prodready.tracing import attributes as attrs

CASES = [Case(id=f"c{i}", input=f"question {i}") for i in range(6)]


@scorer(layer="check")
def rt_nonempty() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(1.0 if result.output else 0.0, passed=bool(result.output))

    return score


@scorer(layer="check")
def rt_broken(calls: list[str]) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        calls.append(case.id)
        raise RuntimeError("scorer bug")

    return score


@scorer(layer="behaviour")
def rt_span_count() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        assert result.trace is not None
        return Verdict(float(len(result.trace.spans)))

    return score


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    """A SQLite file store, for behaviour that does not depend on the database."""
    s = Store(f"sqlite:///{tmp_path}/runner.db")
    yield s
    s.close()


async def echo(question: str) -> str:
    return f"answer: {question}"


async def test_concurrency_limit_is_respected(lite: Store) -> None:
    in_flight, peak = 0, 0

    async def target(question: str) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return question

    await evaluate(target, CASES, [], store=lite, concurrency=3, progress=False)
    assert peak == 3


async def test_a_case_that_times_out_counts_as_an_error(lite: Store) -> None:
    async def slow(question: str) -> str:
        await asyncio.sleep(5 if question.endswith("1") else 0)
        return question

    run = await evaluate(slow, CASES, [], store=lite, timeout=0.05, retries=0, progress=False)
    failed = [r for r in run.results if r.error]
    assert [r.case_id for r in failed] == ["c1"]
    assert failed[0].error is not None and failed[0].error.startswith("TimeoutError")
    assert run.totals.errors == 1


async def test_infrastructure_errors_are_retried_until_the_call_succeeds(lite: Store) -> None:
    calls: Counter[str] = Counter()

    def flaky(question: str) -> str:  # a sync target: runs in a worker thread
        calls[question] += 1
        if calls[question] < 3:
            raise ConnectionError("model server reset the connection")
        return question

    run = await evaluate(flaky, CASES[:2], [], store=lite, retries=2, progress=False)
    assert run.totals.errors == 0
    assert set(calls.values()) == {3}


async def test_other_exceptions_and_exhausted_retries_are_not_retried_further(lite: Store) -> None:
    calls: Counter[str] = Counter()

    async def target(question: str) -> str:
        calls[question] += 1
        raise (ValueError if question.endswith("0") else ConnectionError)("boom")

    run = await evaluate(target, CASES[:2], [], store=lite, retries=1, progress=False)
    assert calls == {"question 0": 1, "question 1": 2}
    assert run.results[1].error == "ConnectionError: boom (after 2 attempts)"


async def test_a_failing_scorer_is_not_retried(lite: Store) -> None:
    calls: list[str] = []
    run = await evaluate(echo, CASES, [rt_broken(calls)], store=lite, progress=False)
    assert sorted(calls) == [c.id for c in CASES]
    assert all(s.error == "RuntimeError: scorer bug" for s in run.scores_named("rt_broken"))
    assert run.totals.errors == 0  # the case ran; only its score is missing


async def test_a_failed_case_gets_an_error_score_from_every_scorer(lite: Store) -> None:
    async def target(question: str) -> str:
        if question.endswith("2"):
            raise RuntimeError("agent crashed")
        return question

    run = await evaluate(target, CASES, [rt_nonempty(), rt_broken([])], store=lite, progress=False)
    scores = run.scores_named("rt_nonempty")
    assert len(scores) == len(CASES)  # the failed case stays in the denominator
    failed = run.results[2].scores
    assert [(s.value, s.passed) for s in failed] == [(None, None), (None, None)]
    assert all(s.error == "case failed: RuntimeError: agent crashed" for s in failed)


async def test_each_case_run_is_a_trace_tagged_with_run_case_and_release(store: Store) -> None:
    run = await evaluate(echo, CASES[:3], [], store=store, release="agent@2", progress=False)
    query = TraceQuery(attributes={attrs.RUN_ID: run.run_id, attrs.CASE_ID: "c1"})
    (trace,) = store.list_traces(query)
    assert trace.release == "agent@2"
    assert trace.trace_id == run.results[1].trace_id
    assert len({r.trace_id for r in run.results}) == 3


async def test_a_sync_targets_spans_join_the_case_trace(lite: Store) -> None:
    def agent(question: str) -> str:
        with prodready.span("answer", kind="agent"):
            return question

    run = await evaluate(agent, CASES[:2], [rt_span_count()], store=lite, progress=False)
    assert [s.value for s in run.scores_named("rt_span_count")] == [2.0, 2.0]


async def test_sync_targets_run_concurrently_in_worker_threads(lite: Store) -> None:
    def slow(question: str) -> str:
        time.sleep(0.2)
        return question

    started = time.monotonic()
    await evaluate(slow, CASES[:4], [], store=lite, concurrency=4, progress=False)
    assert time.monotonic() - started < 0.6  # not 4 x 0.2 s one after another


async def test_cost_tokens_and_latency_come_from_the_runs_trace(lite: Store) -> None:
    async def agent(question: str) -> str:
        with prodready.tracing.llm_call("gpt-test") as call:
            call.usage(input_tokens=10, output_tokens=5, cost=0.002)
        await asyncio.sleep(0.02)
        return question

    run = await evaluate(agent, CASES[:2], [], store=lite, progress=False)
    first = run.results[0]
    assert (first.cost_usd, first.input_tokens, first.output_tokens) == (0.002, 10, 5)
    assert first.latency_ms is not None and first.latency_ms >= 20
    assert run.totals.cost_usd == pytest.approx(0.004)


@scorer(layer="check")
def rt_hogs_the_loop(seconds: float) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:  # CPU-bound, on the event loop
            pass
        return Verdict(1.0, passed=True)

    return score


async def test_latency_is_the_targets_own_time_not_the_runners_scheduling(lite: Store) -> None:
    def agent(question: str) -> str:
        time.sleep(0.05)
        return question

    scorers = [rt_hogs_the_loop(0.3)]
    run = await evaluate(agent, CASES[:4], scorers, store=lite, concurrency=4, progress=False)
    latencies = [r.latency_ms for r in run.results]
    assert all(x is not None and 50 <= x < 250 for x in latencies), latencies


async def test_repeats_give_k_results_per_case(lite: Store) -> None:
    run = await evaluate(echo, CASES[:2], [rt_nonempty()], store=lite, repeats=3, progress=False)
    assert [(r.case_id, r.repeat) for r in run.results] == [
        ("c0", 0), ("c0", 1), ("c0", 2), ("c1", 0), ("c1", 1), ("c1", 2),
    ]  # fmt: skip
    assert len({r.trace_id for r in run.results}) == 6
    assert (run.totals.cases, run.totals.runs) == (2, 6)


async def test_rate_limit_spaces_case_starts(lite: Store) -> None:
    starts: list[float] = []

    async def target(question: str) -> str:
        starts.append(time.monotonic())
        return question

    await evaluate(target, CASES[:5], [], store=lite, rate_limit=20, progress=False)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.045


async def test_evaluate_sync_works_inside_a_running_event_loop(lite: Store) -> None:
    asyncio.get_running_loop()  # we are inside one
    run = evaluate_sync(echo, CASES[:2], [rt_nonempty()], store=lite, progress=False)
    assert run.status == "finished"
    assert [s.passed for s in run.scores_named("rt_nonempty")] == [True, True]


def test_evaluate_sync_without_a_loop(lite: Store) -> None:
    run = evaluate_sync(echo, CASES[:2], [], store=lite, progress=False)
    assert run.results[0].output == "answer: question 0"


async def test_results_and_scores_are_persisted_and_load_run_round_trips(store: Store) -> None:
    def agent(question: str) -> dict[str, object]:
        if question.endswith("1"):
            raise RuntimeError("down")
        return {"answer": question, "sources": ["faq"]}

    scorers = [rt_nonempty()]
    run = await evaluate(agent, CASES[:3], scorers, store=store, release="r1", progress=False)
    assert load_run(store, run.run_id) == run
    assert [s.run_id for s in list_runs(store, release="r1")] == [run.run_id]


async def test_duplicate_case_ids_are_refused(lite: Store) -> None:
    with pytest.raises(ValueError, match="duplicate case ids: c0"):
        await evaluate(echo, [CASES[0], CASES[0]], [], store=lite, progress=False)


async def test_an_ephemeral_store_from_capture_works() -> None:
    with capture() as cap:  # sqlite:// -- a temporary file, one connection per thread
        run = await evaluate(echo, CASES[:2], [], progress=False)
        assert [r.error for r in run.results] == [None, None]
        assert len(cap.traces()) == 2


def test_finished_cases_arriving_close_together_share_a_batch() -> None:
    # Cases of a real model finish one by one; the batcher waits a moment for company so
    # that each flush, trace read and result transaction serves several cases.
    import asyncio

    from prodready.evaluation.runs._engine import _Batcher

    batches: list[list[int]] = []

    def handle(items: list[int]) -> list[None]:
        batches.append(items)
        return [None] * len(items)

    async def main(linger: float) -> None:
        batcher: _Batcher[int, None] = _Batcher(handle, linger=linger)

        async def submit_later(i: int) -> None:
            await asyncio.sleep(i * 0.002)
            await batcher.submit(i)

        await asyncio.gather(*(submit_later(i) for i in range(5)))
        await batcher.idle()

    asyncio.run(main(linger=0.05))
    assert batches == [[0, 1, 2, 3, 4]]
    batches.clear()
    asyncio.run(main(linger=0.0))
    assert len(batches) > 1 and sorted(i for b in batches for i in b) == [0, 1, 2, 3, 4]
