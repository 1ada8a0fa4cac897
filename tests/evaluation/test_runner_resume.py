"""Resuming a run: finished case runs are kept, never run or scored again."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer
from prodready.evaluation.runner import evaluate, load_run
from prodready.store import Store

CASES = [Case(id=f"c{i}", input=f"question {i}") for i in range(10)]
CALLS: Counter[str] = Counter()


@scorer(layer="check")
def rt_counted() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        CALLS["score"] += 1
        return Verdict(1.0, passed=True)

    return score


async def quick(question: str) -> str:
    CALLS["target"] += 1
    return question


async def stored_results(store: Store, run_id: str, n: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            if len((await asyncio.to_thread(load_run, store, run_id)).results) >= n:
                return
        except KeyError:
            pass  # not started yet
        assert time.monotonic() < deadline, "the finished cases were never stored"
        await asyncio.sleep(0.01)


async def test_a_cancelled_run_resumes_without_rerunning_or_rescoring_finished_cases(
    store: Store,
) -> None:
    async def first_four_then_hang(question: str) -> str:
        if int(question.removeprefix("question ")) >= 4:
            await asyncio.Event().wait()  # never answers: still in flight when cancelled
        return question

    options = {"store": store, "run_id": "run-r", "concurrency": 10, "cache": False}
    task = asyncio.create_task(
        evaluate(first_four_then_hang, CASES, [rt_counted()], progress=False, **options)  # type: ignore[arg-type]
    )
    await stored_results(store, "run-r", 4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert load_run(store, "run-r").status == "interrupted"

    CALLS.clear()
    run = await evaluate(quick, CASES, [rt_counted()], progress=False, **options)  # type: ignore[arg-type]
    assert (CALLS["target"], CALLS["score"]) == (6, 6)
    assert (run.status, len(run.results)) == ("finished", 10)
    assert len(run.scores_named("rt_counted")) == 10
    assert load_run(store, "run-r").results == run.results


async def test_resuming_reruns_only_cases_whose_content_changed(store: Store) -> None:
    options = {"store": store, "run_id": "run-c", "progress": False}
    await evaluate(quick, CASES[:3], [rt_counted()], **options)  # type: ignore[arg-type]
    CALLS.clear()
    changed = [*CASES[:2], Case(id="c2", input="question 2, reworded")]
    run = await evaluate(quick, changed, [rt_counted()], **options)  # type: ignore[arg-type]
    assert (CALLS["target"], CALLS["score"]) == (1, 1)
    assert run.results[2].output == "question 2, reworded"
    assert len(load_run(store, "run-c").results) == 3


async def test_resuming_with_another_release_is_refused(store: Store) -> None:
    options = {"store": store, "run_id": "run-x", "progress": False}
    await evaluate(quick, CASES[:1], [], release="a", **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="made with release 'a'"):
        await evaluate(quick, CASES[:1], [], release="b", **options)  # type: ignore[arg-type]
