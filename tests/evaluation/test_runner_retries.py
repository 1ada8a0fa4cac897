"""The runner's retries: only errors that can pass on a retry, through tenacity, with a
jittered exponential backoff recorded on each case's span."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from prodready.evaluation import Case
from prodready.evaluation.runner import INFRASTRUCTURE_ERRORS, evaluate
from prodready.evaluation.runs import _engine as engine
from prodready.store import Store

CASES = [Case(id=f"c{i}", input=f"question {i}") for i in range(12)]


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/retries.db")
    yield s
    s.close()


@pytest.mark.parametrize(
    "error",
    [FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, OSError],
)
async def test_errors_that_fail_again_the_same_way_are_not_retried(
    lite: Store, error: type[OSError]
) -> None:
    calls: Counter[str] = Counter()

    async def target(question: str) -> str:
        calls[question] += 1
        raise error(f"{error.__name__} on {question}")

    run = await evaluate(target, CASES[:1], [], store=lite, retries=2, progress=False)
    assert calls == {"question 0": 1}
    assert run.results[0].error == f"{error.__name__}: {error.__name__} on question 0"


@pytest.mark.parametrize(
    "error", [TimeoutError, ConnectionResetError, ConnectionRefusedError, BrokenPipeError,
              BlockingIOError, InterruptedError],
)  # fmt: skip
async def test_errors_that_can_pass_are_retried(lite: Store, error: type[OSError]) -> None:
    calls: Counter[str] = Counter()

    def target(question: str) -> str:
        calls[question] += 1
        if calls[question] < 3:
            raise error("try again")
        return question

    run = await evaluate(target, CASES[:1], [], store=lite, retries=2, progress=False)
    assert calls == {"question 0": 3} and run.totals.errors == 0
    assert isinstance(error("x"), INFRASTRUCTURE_ERRORS)


async def test_retry_on_widens_what_is_retried(lite: Store) -> None:
    calls: Counter[str] = Counter()

    async def target(question: str) -> str:
        calls[question] += 1
        if calls[question] < 2:
            raise OSError(101, "Network is unreachable")
        return question

    retry_on = (*INFRASTRUCTURE_ERRORS, OSError)
    run = await evaluate(target, CASES[:1], [], store=lite, retry_on=retry_on, progress=False)
    assert calls == {"question 0": 2} and run.totals.errors == 0


async def test_retries_wait_with_jitter_and_are_recorded_on_the_case_span(lite: Store) -> None:
    calls: Counter[str] = Counter()

    async def target(question: str) -> str:
        calls[question] += 1
        if calls[question] < 3:
            raise ConnectionResetError("reset by peer")
        return question

    run = await evaluate(target, CASES, [], store=lite, retries=2, progress=False)
    assert run.totals.errors == 0 and set(calls.values()) == {3}
    waits: dict[int, list[float]] = {1: [], 2: []}
    for result in run.results:
        assert result.trace_id is not None
        trace = lite.get_trace(result.trace_id)
        assert trace is not None
        [case_span] = trace.find(name=f"eval case {result.case_id}")
        events = [e for e in case_span.events if e["name"] == "retry"]
        assert [e["attributes"]["attempt"] for e in events] == [1, 2]
        assert {e["attributes"]["error"] for e in events} == {"ConnectionResetError: reset by peer"}
        for e in events:
            waits[e["attributes"]["attempt"]].append(e["attributes"]["wait_s"])
    base, jitter = engine.RETRY_BACKOFF_S, engine.RETRY_JITTER_S
    for attempt, seen in waits.items():
        low = base * 2 ** (attempt - 1)
        assert all(low <= w <= low + jitter for w in seen), (attempt, seen)
        assert len(set(seen)) > len(seen) // 2  # jittered: cases do not retry in lockstep
