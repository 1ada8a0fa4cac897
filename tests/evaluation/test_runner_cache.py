"""The runner's cache: outputs by case content + release, scores by scorer identity + output."""

from __future__ import annotations

from collections import Counter

from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer
from prodready.evaluation.runner import EvalRun, evaluate
from prodready.store import Store

CASES = [Case(id=f"c{i}", input=f"question {i}") for i in range(3)]
CALLS: Counter[str] = Counter()


async def target(question: str) -> str:
    CALLS[question] += 1
    return question.upper()


def _spans(token: str) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        CALLS[f"score {token}"] += 1
        assert result.trace is not None  # behaviour scorers read the run's trace
        return Verdict(float(len(result.trace.spans)))

    return score


spans_v1 = scorer(layer="behaviour", version="1", name="rt_spans")(_spans)
spans_v2 = scorer(layer="behaviour", version="2", name="rt_spans")(_spans)


def calls(prefix: str = "question") -> int:
    return sum(n for key, n in CALLS.items() if key.startswith(prefix))


@scorer(layer="check")
def rt_shouted() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        CALLS["score check"] += 1
        return Verdict(1.0, passed=str(result.output).isupper())

    return score


async def run_once(store: Store, cases: list[Case], version: int = 1) -> EvalRun:
    scorers = [(spans_v1 if version == 1 else spans_v2)(f"v{version}")]
    return await evaluate(target, cases, scorers, store=store, release="r1", progress=False)


async def test_an_unchanged_rerun_calls_neither_target_nor_scorer(store: Store) -> None:
    CALLS.clear()
    first = await run_once(store, CASES)
    again = await run_once(store, CASES)
    assert (calls(), calls("score")) == (3, 3)
    assert all(r.cached for r in again.results)
    assert [r.scores for r in again.results] == [r.scores for r in first.results]
    assert [r.trace_id for r in again.results] == [r.trace_id for r in first.results]


async def test_bumping_a_scorer_version_rescores_but_reuses_outputs(store: Store) -> None:
    CALLS.clear()
    await run_once(store, CASES, version=1)
    rerun = await run_once(store, CASES, version=2)
    assert calls() == 3  # the target ran once per case, in the first run only
    assert (CALLS["score v1"], CALLS["score v2"]) == (3, 3)
    rescored = rerun.scores_named("rt_spans")
    assert [(s.version, s.error) for s in rescored] == [("2", None)] * 3  # with the old traces


async def test_changing_one_case_reruns_only_that_case(store: Store) -> None:
    CALLS.clear()
    await run_once(store, CASES)
    changed = [*CASES[:2], Case(id="c2", input="question 2, reworded")]
    rerun = await run_once(store, changed)
    assert CALLS["question 2, reworded"] == 1 and calls() == 4
    assert [r.cached for r in rerun.results] == [True, True, False]


async def test_without_a_release_outputs_are_rerun_but_same_outputs_keep_their_scores(
    store: Store,
) -> None:
    CALLS.clear()
    scorers = [rt_shouted(), spans_v1("plain")]
    for _ in range(2):
        await evaluate(target, CASES, scorers, store=store, progress=False)
    assert calls() == 6
    assert CALLS["score check"] == 3  # same output, same score: cached by output hash
    assert CALLS["score plain"] == 6  # behaviour scores read the (new) trace: rescored


async def test_failed_case_runs_are_not_cached(store: Store) -> None:
    seen: Counter[str] = Counter()

    async def flaky_once(question: str) -> str:
        seen[question] += 1
        if seen[question] == 1 and question.endswith("0"):
            raise RuntimeError("first call fails")
        return question

    for _ in range(2):
        run = await evaluate(flaky_once, CASES, [], store=store, release="r1", progress=False)
    assert seen == {"question 0": 2, "question 1": 1, "question 2": 1}
    assert run.totals.errors == 0
