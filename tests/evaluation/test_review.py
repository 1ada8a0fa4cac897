"""The review queue: low scores and samples become tasks once; generic tasks; expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from prodready.evaluation import Case, CaseResult, Expected, ScoreFn, Scorer, Verdict, scorer
from prodready.evaluation.datasets import add_from_trace, get_candidate, save_dataset
from prodready.evaluation.review import (
    ReviewError,
    TaskNotFound,
    create_task,
    expire_overdue,
    get_task,
    list_tasks,
    queue_calibration_sample,
    queue_candidates,
    queue_low_scores,
    resolve_task,
)
from prodready.evaluation.runner import EvalRun, evaluate_sync
from prodready.store import Store
from tests.cli.factories import T1, support_trace

CASES = [
    Case(id=f"c{i}", input=f"question {i}", expected=Expected(reference=f"answer {i}"))
    for i in range(6)
]
SECOND = 1_000_000_000


@scorer(layer="check")
def rv_check(failing: list[str]) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        ok = case.id not in failing
        return Verdict(1.0 if ok else 0.0, passed=ok)

    return score


@scorer(layer="judge")
def rv_judge(values: dict[str, float], judge: str = "judge-a") -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(values[case.id], passed=values[case.id] >= 0.5)

    return score


@scorer(layer="check")
def rv_broken() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        raise RuntimeError("scorer bug")

    return score


def answer(question: str) -> str:
    return f"answer to {question}"


def run_of(store: Store, *scorers: Scorer, cases: list[Case] | None = None) -> EvalRun:
    """A stored run of ``answer`` on ``cases`` (default CASES)."""
    return evaluate_sync(answer, cases or CASES, list(scorers), store=store, progress=False)


def judge(values: list[float], *, identity: str = "judge-a") -> Scorer:
    """A fake judge named ``correctness`` giving case c<i> the value ``values[i]``."""
    by_case = {f"c{i}": v for i, v in enumerate(values)}
    return rv_judge(by_case, identity, name="correctness")  # type: ignore[call-arg]


def candidate_in(store: Store) -> str:
    """A pending candidate case for dataset ``support`` (from trace T1); its id."""
    import time

    save_dataset(store, "support", CASES[:2], created_by="ana")
    store.write_spans(support_trace(T1, time.time_ns()))
    return add_from_trace(store, T1, "support", added_by="bo", reason="promised a refund").id


def test_failed_scores_of_a_run_become_open_tasks(store: Store) -> None:
    run = run_of(store, rv_check(["c1", "c4"]))
    tasks = queue_low_scores(store, run)
    assert [(t.kind, t.status, t.case_id, t.score_name) for t in tasks] == [
        ("score_review", "open", "c1", "rv_check"),
        ("score_review", "open", "c4", "rv_check"),
    ]
    assert tasks[0].run_id == run.run_id and tasks[0].trace_id == run.results[1].trace_id


def test_queueing_the_same_run_twice_adds_no_task(store: Store) -> None:
    run = run_of(store, rv_check(["c1"]))
    assert len(queue_low_scores(store, run)) == 1
    assert queue_low_scores(store, run.run_id) == []
    assert len(list_tasks(store)) == 1


def test_a_threshold_also_queues_passing_scores_below_it(store: Store) -> None:
    run = run_of(store, judge([0.9, 0.6, 0.7, 0.2, 1.0, 0.95]))
    assert [t.case_id for t in queue_low_scores(store, run)] == ["c3"]
    assert [t.case_id for t in queue_low_scores(store, run, threshold=0.8)] == ["c1", "c2"]


def test_names_and_layers_choose_which_scores_are_queued(store: Store) -> None:
    run = run_of(store, rv_check(["c0"]), judge([0.0] * 6))
    assert {t.score_name for t in queue_low_scores(store, run, names=["rv_check"])} == {"rv_check"}
    assert {t.score_name for t in queue_low_scores(store, run, layers=["check"])} == set()
    assert len(queue_low_scores(store, run, layers=["judge"])) == 6


def test_a_score_that_could_not_score_is_queued_but_a_failed_run_is_not(store: Store) -> None:
    def flaky(question: str) -> str:
        if question.endswith("0"):
            raise ValueError("agent crashed")
        return question

    run = evaluate_sync(flaky, CASES[:2], [rv_broken()], store=store, progress=False)
    (task,) = queue_low_scores(store, run)
    assert (
        task.case_id == "c1"
        and task.payload["reason"] == "could not score: RuntimeError: scorer bug"
    )


def test_a_task_carries_what_the_reviewer_needs(store: Store) -> None:
    dataset = save_dataset(store, "support", CASES, created_by="ana")
    run = evaluate_sync(answer, dataset, [rv_check(["c2"])], store=store, progress=False)
    payload = queue_low_scores(store, run)[0].payload
    assert payload["input"] == "question 2" and payload["output"] == "answer to question 2"
    assert payload["expected"] == {"reference": "answer 2"}
    assert payload["score"]["passed"] is False and payload["reason"] == "failed (0)"


def test_a_task_of_a_run_on_cases_not_in_a_stored_dataset_shows_input_and_expected(
    store: Store,
) -> None:
    run = run_of(store, rv_check(["c2"]))  # a list of cases, as a dataset file gives
    payload = queue_low_scores(store, run.run_id)[0].payload
    assert payload["input"] == "question 2" and payload["expected"] == {"reference": "answer 2"}


def test_a_calibration_sample_holds_passes_and_failures_and_is_seeded(store: Store) -> None:
    run = run_of(store, judge([0.9, 0.1, 0.8, 0.2, 0.7, 0.3]))
    picked = {t.case_id for t in queue_calibration_sample(store, run, "correctness", n=4, seed=7)}
    assert len(picked) == 4
    again = run_of(store, judge([0.9, 0.1, 0.8, 0.2, 0.7, 0.3]))
    same = {t.case_id for t in queue_calibration_sample(store, again, "correctness", n=4, seed=7)}
    assert same == picked
    assert {t.payload["origin"] for t in list_tasks(store)} == {"sample"}


def test_get_task_accepts_a_unique_prefix_of_the_id(store: Store) -> None:
    task = create_task(store, kind="escalation", title="approve refund of £900")
    assert get_task(store, task.id[:8]) == task
    with pytest.raises(TaskNotFound):
        get_task(store, "ffffffffffff")


def test_a_task_created_again_with_the_same_key_is_the_same_task(store: Store) -> None:
    first = create_task(store, kind="escalation", title="approve refund", key="saga-1:refund")
    again = create_task(store, kind="escalation", title="approve refund", key="saga-1:refund")
    assert again == first
    assert len(list_tasks(store, kind="escalation")) == 1


def test_resolving_a_task_records_the_decision_and_who_made_it(store: Store) -> None:
    task = create_task(store, kind="escalation", title="approve refund", payload={"amount": 900})
    done = resolve_task(store, task.id, by="ana", resolution={"action": "approve"})
    assert (done.status, done.resolved_by, done.resolution) == (
        "done",
        "ana",
        {"action": "approve"},
    )
    with pytest.raises(ReviewError, match="already done by ana"):
        resolve_task(store, task.id, by="bo", resolution={"action": "reject"})


def test_list_tasks_filters_by_status_and_kind(store: Store) -> None:
    a = create_task(store, kind="escalation", title="a")
    create_task(store, kind="custom", title="b")
    resolve_task(store, a.id, by="ana", resolution={})
    assert [t.title for t in list_tasks(store)] == ["b"]
    assert [t.title for t in list_tasks(store, status="done", kind="escalation")] == ["a"]
    assert len(list_tasks(store, status=None)) == 2


def test_overdue_tasks_expire_with_their_default_action(store: Store) -> None:
    due = create_task(store, kind="escalation", title="a", due_in=timedelta(minutes=5),
                      default_action="reject")  # fmt: skip
    create_task(store, kind="escalation", title="b", due_in=timedelta(hours=1))
    assert expire_overdue(store, now_ns=due.created_at_ns + 60 * SECOND) == []
    (expired,) = expire_overdue(store, now_ns=due.created_at_ns + 301 * SECOND)
    assert (expired.id, expired.status) == (due.id, "expired")
    assert (expired.resolution or {})["action"] == "reject"


def test_an_expired_candidate_task_with_default_reject_rejects_the_candidate(
    store: Store,
) -> None:
    candidate_id = candidate_in(store)
    (task,) = queue_candidates(store, due_in=timedelta(seconds=1), default_action="reject")
    expire_overdue(store, now_ns=task.created_at_ns + 2 * SECOND)
    assert get_candidate(store, candidate_id).status == "rejected"


def test_pending_candidates_become_tasks_once(store: Store) -> None:
    candidate_id = candidate_in(store)
    (task,) = queue_candidates(store, "support")
    assert (task.kind, task.trace_id, task.payload["candidate_id"]) == (
        "candidate_case", T1, candidate_id,
    )  # fmt: skip
    assert task.payload["suggested"]["intent"] == "refund"
    assert queue_candidates(store) == []


def test_a_candidate_can_only_default_to_rejection(store: Store) -> None:
    with pytest.raises(ReviewError, match="only be rejected"):
        queue_candidates(store, default_action="confirm")


def test_review_tasks_are_human_tasks_with_their_decisions(store: Store) -> None:
    from prodready.evaluation.review import label
    from prodready.tasks import TaskClaimed, TaskQueue, UnknownDecision

    (task,) = queue_low_scores(store, run_of(store, rv_check(["c1"])),
                               due_in=timedelta(minutes=5), default_action="keep")  # fmt: skip
    assert task.decisions == ("pass", "fail", "keep")
    queue = TaskQueue(store)
    with pytest.raises(UnknownDecision, match="'approve' is not a decision"):
        queue.resolve(task.id, "approve", by="ana")
    queue.claim(task.id, "ana", lease=timedelta(minutes=10))
    with pytest.raises(TaskClaimed, match="claimed by ana"):
        label(store, task.id, passed=True, author="bo")
    assert [t.id for t in list_tasks(store)] == [task.id]  # claimed is still open for review
    (expired,) = expire_overdue(store, now_ns=task.created_at_ns + 301 * SECOND)
    assert (expired.status, expired.decision, expired.resolved_by) == ("expired", "keep", "system")
    candidate_in(store)
    (candidate,) = queue_candidates(store)
    assert candidate.decisions == ("confirm", "reject")
