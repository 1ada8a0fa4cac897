"""The judge cache is passed, not swapped globally: to a judge (``cache=JudgeCache(...)``) or
to a run (``evaluate(..., judge_cache=...)``); ``set_judge_cache`` still works, deprecated."""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from prodready.evaluation import Case, CaseResult, Expected, rebuild_scorer
from prodready.evaluation.runner import evaluate, evaluate_sync
from prodready.evaluation.scorers import (
    JudgeCache,
    correctness,
    judge_cache,
    relevance,
    set_judge_cache,
    using_judge_cache,
)
from prodready.store import Store
from prodready.testing import ScriptedModelServer, memory_store

PASS = orjson.dumps({"verdict": "pass", "score": 1.0, "reason": "right"}).decode()
CASE = Case(id="fee", input="What does it cost?", expected=Expected(reference="£5."))
RESULT = CaseResult(case_id="fee", case_hash=CASE.content_hash(), output="It costs £5.")
CASES = [Case(id=f"c{i}", input=f"question {i}") for i in range(3)]


@pytest.fixture(autouse=True)
def _no_judge_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PRODREADY_JUDGE_MODEL", "PRODREADY_JUDGE_BASE_URL", "PRODREADY_JUDGE_API_KEY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def default_cache() -> Iterator[JudgeCache]:
    """The process's default cache, emptied before and after the test."""
    judge_cache().clear()
    yield judge_cache()
    judge_cache().clear()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/judges.db")
    yield s
    s.close()


async def echo(question: str) -> str:
    return f"answer to {question}"


async def test_a_judge_given_a_cache_uses_it_and_no_other(default_cache: JudgeCache) -> None:
    mine = JudgeCache()
    before = (default_cache.hits, default_cache.misses)
    with ScriptedModelServer([PASS, PASS]) as server:
        judge = correctness(client=server.client(), cache=mine)
        first, second = await judge(CASE, RESULT), await judge(CASE, RESULT)
        other = await correctness(client=server.client(), cache=JudgeCache())(CASE, RESULT)
    assert server.calls == 2  # the second judge's own cache was empty
    assert (first.metadata["cached"], second.metadata["cached"], other.metadata["cached"]) == (
        False,
        True,
        False,
    )
    assert (mine.hits, mine.misses) == (1, 1)
    assert (default_cache.hits, default_cache.misses) == before


async def test_a_cache_object_is_recorded_as_true_and_rebuilds(default_cache: JudgeCache) -> None:
    with ScriptedModelServer([PASS]) as server:
        judge = correctness(client=server.client(), cache=JudgeCache())
        assert judge.spec.args["cache"] is True
        assert judge.spec == correctness(client=server.client()).spec  # same identity
        score = await judge(CASE, RESULT)
    orjson.dumps(score.args)  # storable: no cache object in the recorded args
    rebuilt = rebuild_scorer(score)
    assert rebuilt.spec == judge.spec
    assert correctness(client=server.client(), cache=False).spec.args["cache"] is False


async def test_a_store_backed_cache_passed_to_judges_serves_a_new_judge() -> None:
    store = memory_store()
    with ScriptedModelServer([PASS]) as server:
        await correctness(client=server.client(), cache=JudgeCache(store=store))(CASE, RESULT)
        fresh = JudgeCache(store=store)  # empty memory, same store
        again = await correctness(client=server.client(), cache=fresh)(CASE, RESULT)
    assert server.calls == 1 and again.metadata["cached"] is True


async def test_a_run_given_a_judge_cache_uses_it_for_its_judges_only(
    lite: Store, default_cache: JudgeCache
) -> None:
    first, second = JudgeCache(), JudgeCache()
    # clear() forgets entries, not counts: earlier tests' lookups stay counted.
    before = (default_cache.hits, default_cache.misses)
    with ScriptedModelServer([PASS], cycle=True) as server:
        judges = [relevance(client=server.client())]
        options = {"store": lite, "cache": False, "progress": False}
        await asyncio.gather(
            evaluate(echo, CASES, judges, judge_cache=first, **options),  # type: ignore[arg-type]
            evaluate(echo, CASES, judges, judge_cache=second, **options),  # type: ignore[arg-type]
        )
        assert (first.misses, second.misses) == (3, 3)  # each run its own cache
        assert (default_cache.hits, default_cache.misses) == before
        assert judge_cache() is default_cache  # nothing leaked out of the runs

        again = await evaluate(echo, CASES, judges, judge_cache=first, **options)  # type: ignore[arg-type]
    assert first.hits == 3 and server.calls == 6
    assert all(s.metadata["cached"] for s in again.scores_named("relevance"))


def test_a_judges_own_cache_wins_over_the_runs(lite: Store) -> None:
    own, run_cache = JudgeCache(), JudgeCache()
    with ScriptedModelServer([PASS], cycle=True) as server:
        judges = [relevance(client=server.client(), cache=own)]
        evaluate_sync(
            echo, CASES, judges, store=lite, cache=False, progress=False, judge_cache=run_cache
        )
    assert own.misses == 3 and (run_cache.hits, run_cache.misses) == (0, 0)


def test_using_judge_cache_is_scoped_to_its_block_and_thread(default_cache: JudgeCache) -> None:
    mine = JudgeCache()
    seen: list[JudgeCache] = []
    with using_judge_cache(mine):
        assert judge_cache() is mine
        t = threading.Thread(target=lambda: seen.append(judge_cache()))
        t.start()
        t.join()
    assert seen == [default_cache] and judge_cache() is default_cache


def test_set_judge_cache_still_works_but_is_deprecated(default_cache: JudgeCache) -> None:
    replacement = JudgeCache()
    try:
        with pytest.warns(DeprecationWarning, match=r"pass the cache to the judge"):
            set_judge_cache(replacement)
        assert judge_cache() is replacement
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            set_judge_cache(default_cache)
