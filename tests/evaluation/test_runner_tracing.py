"""The runner's tracing is no hidden global effect: concurrent runs share the tracing one of
them configured, the last to end shuts it down, and tracing the user configured is left alone.

A behaviour scorer handed an incomplete trace (its root span never stored) gives an error,
never a score computed from the fragments."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

import prodready
from prodready import tracing
from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer
from prodready.evaluation.runner import EvalRun, evaluate, evaluate_sync
from prodready.evaluation.scorers import tool_call_budget
from prodready.store import Store
from prodready.testing import capture


@scorer(layer="behaviour")
def rt_tree_shape() -> ScoreFn:
    """Passes when the run's trace has its root (the case span) and its agent span."""

    def score(case: Case, result: CaseResult) -> Verdict:
        assert result.trace is not None
        roots = [s for s in result.trace.spans if s.parent_span_id is None]
        agents = result.trace.find(kind="agent")
        ok = len(roots) == 1 and roots[0].name == f"eval case {case.id}" and len(agents) == 1
        return Verdict(float(len(result.trace.spans)), passed=ok)

    return score


def agent(delay: float) -> Callable[[str], Awaitable[str]]:
    """An async agent with an agent span and a tool call, taking ``delay`` s per case."""

    @prodready.trace(kind="agent", name="agent")
    async def answer(question: str) -> str:
        await asyncio.sleep(delay)
        with tracing.tool_call("lookup", {"q": question}):
            await asyncio.sleep(delay)
        return f"answer: {question}"

    return answer


def sync_agent(delay: float) -> Callable[[str], str]:
    @prodready.trace(kind="agent", name="agent")
    def answer(question: str) -> str:
        time.sleep(delay)
        with tracing.tool_call("lookup", {"q": question}):
            time.sleep(delay)
        return f"answer: {question}"

    return answer


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/runner.db")
    yield s
    s.close()


def cases(prefix: str, n: int = 4) -> list[Case]:
    return [Case(id=f"{prefix}{i}", input=f"question {prefix}{i}") for i in range(n)]


def assert_whole(run: EvalRun, store: Store) -> None:
    """Every case of ``run`` has its full stored trace, and was scored on it."""
    assert run.totals.errors == 0
    for result in run.results:
        assert result.trace_id is not None, result.case_id
        trace = store.get_trace(result.trace_id)
        assert trace is not None, f"{result.case_id}: no trace stored"
        assert not trace.summary.incomplete, f"{result.case_id}: no root span stored"
        assert [s.name for s in trace.find(kind="agent")] == ["agent"]
        assert len(trace.find(kind="tool")) == 1
    shapes = run.scores_named("rt_tree_shape")
    assert [s.error for s in shapes] == [None] * len(run.results)
    assert all(s.passed for s in shapes), [s.value for s in shapes]
    budgets = run.scores_named("tool_call_budget")
    assert all(s.error is None and s.passed for s in budgets)


async def test_two_concurrent_runs_both_keep_their_traces(lite: Store) -> None:
    assert tracing.current() is None
    scorers = [rt_tree_shape(), tool_call_budget(max_calls=1)]
    fast, slow = await asyncio.gather(
        evaluate(agent(0.005), cases("f"), scorers, store=lite, concurrency=2, progress=False),
        evaluate(agent(0.1), cases("s"), scorers, store=lite, concurrency=2, progress=False),
    )
    assert_whole(fast, lite)
    assert_whole(slow, lite)
    assert tracing.current() is None  # the last run to end shut the runner's tracing down


def test_two_runs_in_two_threads_both_keep_their_traces(lite: Store) -> None:
    scorers = [rt_tree_shape(), tool_call_budget(max_calls=1)]
    runs: dict[str, EvalRun] = {}
    failures: list[BaseException] = []

    def run(prefix: str, delay: float) -> None:
        try:
            runs[prefix] = evaluate_sync(
                sync_agent(delay), cases(prefix), scorers, store=lite, progress=False
            )
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=("f", 0.005)),
        threading.Thread(target=run, args=("s", 0.15)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures, failures
    assert_whole(runs["f"], lite)
    assert_whole(runs["s"], lite)
    assert tracing.current() is None


async def test_tracing_the_user_configured_is_never_shut_down(lite: Store) -> None:
    with capture(store=lite) as cap:
        mine = tracing.current()
        run = await evaluate(agent(0.001), cases("u", 2), [rt_tree_shape()], progress=False)
        assert_whole(run, lite)
        assert tracing.current() is mine
        with tracing.span("after the run"):
            pass
        assert cap.traces()[0].name == "after the run"


async def test_tracing_the_user_configures_during_a_run_is_left_alone(lite: Store) -> None:
    configured = asyncio.Event()

    async def target(question: str) -> str:
        if question.endswith("0"):
            prodready.configure(store=lite, otlp_endpoint=False)  # the user's, mid-run
            configured.set()
        await configured.wait()
        return question

    await evaluate(target, cases("m", 2), [], store=lite, progress=False)
    mine = tracing.current()
    assert mine is not None and mine.store is lite  # the run did not shut it down


def test_a_behaviour_scorer_errors_on_an_incomplete_trace() -> None:
    """The root span ends after tracing stopped: the stored trace holds only its children."""
    with capture() as cap:
        with tracing.span("root", kind="workflow"):
            with tracing.tool_call("lookup", {"q": 1}):
                pass
            tracing.flush()
            tracing.shutdown()  # the root ends after this: it is never stored
        trace = cap.store.get_trace(cap.store.list_traces()[0].trace_id)
    assert trace is not None and trace.summary.incomplete
    assert [s.kind for s in trace.spans] == ["tool"]
    case = Case(id="x", input="q")
    result = CaseResult(case_id="x", case_hash=case.content_hash(), output="a", trace=trace)
    score = asyncio.run(tool_call_budget(max_calls=1)(case, result))
    assert score.value is None and score.passed is None
    assert score.error == (
        f"ValueError: trace incomplete: no root span stored (trace {trace.summary.trace_id}, "
        "1 span stored): other spans may be missing too, so behaviour is not scored"
    )


async def test_the_runner_scores_a_case_whose_root_span_was_lost_as_an_error(lite: Store) -> None:
    @prodready.trace(kind="agent", name="agent")
    async def answer(question: str) -> str:
        with tracing.tool_call("lookup", {"q": question}):
            pass
        return question

    async def target(question: str) -> str:
        out = await answer(question)
        tracing.shutdown()  # someone stops tracing while the case span is still open
        return out

    scorers = [tool_call_budget(max_calls=1), rt_tree_shape(), rt_nonempty()]
    run = await evaluate(target, cases("l", 1), scorers, store=lite, progress=False)
    assert run.results[0].trace_id is not None
    # Built-in or not, a behaviour scorer is not run on the fragments; other layers are.
    for name in ("tool_call_budget", "rt_tree_shape"):
        [score] = run.scores_named(name)
        assert score.passed is None and score.error is not None
        assert f"trace incomplete: no root span stored (trace {run.results[0].trace_id}" in (
            score.error
        )
    assert [s.passed for s in run.scores_named("rt_nonempty")] == [True]


@scorer(layer="check")
def rt_nonempty() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(1.0 if result.output else 0.0, passed=bool(result.output))

    return score
