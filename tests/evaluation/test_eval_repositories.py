"""The evaluation repositories under concurrent writers, and the one eval cache they share
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from prodready.evaluation import Case, Expected
from prodready.evaluation._cache import CacheEntry, EvalCache
from prodready.evaluation._tables import eval_cache
from prodready.evaluation.calibration import Calibration, load_calibration, save_calibration
from prodready.evaluation.datasets import dataset_history, load_dataset, save_dataset
from prodready.evaluation.runner import evaluate
from prodready.evaluation.runs._store import Recorder
from prodready.evaluation.scorers import JudgeCache, relevance
from prodready.store import Store
from prodready.testing import ScriptedModelServer

PASS = orjson.dumps({"verdict": "pass", "score": 1.0, "reason": "right"}).decode()
WRITERS = 6


def _together(store_url: str, work: Callable[[Store, int], Any]) -> list[Any]:
    """Run ``work(store, n)`` in WRITERS threads at once, each with its own Store (its own
    connections, as separate processes would have); what each returned, or raised."""
    barrier = threading.Barrier(WRITERS)
    out: list[Any] = [None] * WRITERS

    def run(n: int) -> None:
        store = Store(store_url)
        try:
            barrier.wait()
            out[n] = work(store, n)
        except BaseException as exc:
            out[n] = exc
        finally:
            store.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    errors = [r for r in out if isinstance(r, BaseException)]
    assert not errors, errors
    return out


def _case(n: int) -> Case:
    return Case(id=f"c{n}", input=f"question number {n}", expected=Expected(reference="ok"))


def test_concurrent_saves_of_one_new_dataset_each_make_a_version(
    store: Store, store_url: str
) -> None:
    # Every writer creates the dataset if it is absent and takes the next version number:
    # they clash on both keys, and none fails.
    saved = _together(store_url, lambda s, n: save_dataset(s, "race", [_case(n)]))
    assert sorted(v.version for v in saved) == list(range(1, WRITERS + 1))
    history = dataset_history(store, "race")
    assert [h.version for h in history] == list(range(1, WRITERS + 1))
    for version in saved:
        assert load_dataset(store, "race", version.version).cases == version.cases


def test_concurrent_saves_of_the_same_cases_make_one_version(store: Store, store_url: str) -> None:
    cases = [_case(1), _case(2)]
    saved = _together(store_url, lambda s, _: save_dataset(s, "same", cases))
    assert {v.version for v in saved} == {1}
    assert [h.version for h in dataset_history(store, "same")] == [1]


def test_concurrent_writers_of_one_cache_key_do_not_fail(store: Store, store_url: str) -> None:
    key = "sha256:" + "e" * 64

    def put(s: Store, n: int) -> None:
        for _ in range(5):
            JudgeCache(store=s).put(key, {"value": 1.0, "writer": n})
            EvalCache(s).put_many([CacheEntry(f"shared-{i}", "score", str(n)) for i in range(20)])

    _together(store_url, put)
    cache = EvalCache(store)
    assert cache.count("judge") == 1 and cache.count("score") == 20
    verdict = JudgeCache(store=store).get(key)
    assert verdict is not None and verdict["value"] == 1.0 and verdict["writer"] in range(WRITERS)


def test_concurrent_calibration_saves_keep_one_row_per_judge(store: Store, store_url: str) -> None:
    def save(s: Store, n: int) -> Calibration:
        cal = Calibration(
            judge="m rubric=x", n=n + 1, agreement=1.0, kappa=1.0, tp=n, fp=0, fn=0, tn=1
        )
        return save_calibration(s, "correctness", cal)

    _together(store_url, save)
    assert EvalCache(store).count("calibration") == 1
    found = load_calibration(store, "correctness")
    assert found is not None and found.judge == "m rubric=x"


async def test_a_runs_cache_and_its_judge_verdicts_share_the_store(store: Store) -> None:
    cases = [Case(id=f"q{i}", input=f"question {i}") for i in range(3)]

    async def echo(question: str) -> str:
        return f"answer to {question}"

    with ScriptedModelServer([PASS], cycle=True) as server:
        judge = relevance(client=server.client())
        options: dict[str, Any] = {"store": store, "release": "v1", "progress": False}
        await evaluate(echo, cases, [judge], judge_cache=JudgeCache(store=store), **options)
        assert server.calls == 3
        cache = EvalCache(store)
        assert (cache.count("output"), cache.count("score"), cache.count("judge")) == (3, 3, 3)

        # A new run that caches nothing itself, with a judge cache whose memory is empty:
        # the verdicts the first run's judges stored are found, and no model is called.
        fresh = JudgeCache(store=store)
        again = await evaluate(
            echo, cases, [judge], judge_cache=fresh, **(options | {"cache": False})
        )
        assert server.calls == 3 and fresh.hits == 3 and fresh.misses == 0
        assert all(s.metadata["cached"] for s in again.scores_named("relevance"))


def test_rows_written_before_the_repository_are_still_found(store: Store) -> None:
    # As JudgeCache.put and the runner wrote them before the eval cache repository.
    verdict = {"value": 0.5, "passed": True, "rationale": "ok", "metadata": {"k": 1}}
    with store.db.begin() as conn:
        conn.execute(
            eval_cache.insert(),
            [
                {"key": "sha256:j", "kind": "judge", "value": orjson.dumps(verdict).decode(),
                 "created_at_ns": 1},
                {"key": "sha256:o", "kind": "output", "value": '{"output":"x"}',
                 "created_at_ns": 1},
            ],
        )  # fmt: skip
    assert JudgeCache(store=store).get("sha256:j") == verdict
    assert JudgeCache(store=store).get("sha256:o") is None  # another kind is no verdict
    assert Recorder(store, "r").cached(["sha256:o", "sha256:j", "sha256:missing"]) == {
        "sha256:o": '{"output":"x"}',
        "sha256:j": orjson.dumps(verdict).decode(),
    }


def test_eval_cache_replaces_values_and_clears_by_kind(store: Store) -> None:
    cache = EvalCache(store)
    cache.put_many([CacheEntry("a", "score", "1"), CacheEntry("b", "judge", "2")])
    before = time.time_ns()
    cache.put("a", "score", "3")
    assert cache.get("a") == "3" and cache.get("a", kind="judge") is None
    with store.db.connect() as conn:
        stamp = conn.execute(select(eval_cache.c.created_at_ns).where(eval_cache.c.key == "a"))
        assert stamp.scalar_one() >= before
    keys = [f"k{i}" for i in range(1200)]  # more than one IN (...) chunk
    cache.put_many([CacheEntry(k, "output", k) for k in keys])
    assert cache.get_many([*keys, "nope"]) == {k: k for k in keys}
    assert cache.get_many(keys, kind="score") == {}
    assert cache.clear("output") == 1200
    assert cache.values("score") == ["3"] and cache.count() == 2
    with store.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(eval_cache)).scalar_one() == 2


def test_eval_cache_refuses_keys_and_kinds_the_table_cannot_hold(store: Store) -> None:
    cache = EvalCache(store)
    with pytest.raises(ValueError, match="eval cache key 'x{81}'".replace("x{81}", "x" * 81)):
        cache.put("x" * 81, "score", "1")
    with pytest.raises(ValueError, match="eval cache kind 'much-too-long-kind'"):
        cache.put("k", "much-too-long-kind", "1")
    with pytest.raises(ValueError, match="eval cache kind ''"):
        cache.put("k", "", "1")
    assert cache.count() == 0
