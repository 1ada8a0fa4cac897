"""Human labels: stored as ``human`` scores, confirming candidates, calibrating judges."""

from __future__ import annotations

import pytest

from prodready.evaluation import Expected
from prodready.evaluation.calibration import load_calibrations
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.datasets import get_candidate, load_dataset
from prodready.evaluation.gate import evaluate_gate
from prodready.evaluation.review import (
    ReviewError,
    get_task,
    human_labels,
    judge_agreement,
    label,
    list_tasks,
    queue_calibration_sample,
    queue_candidates,
    queue_low_scores,
)
from prodready.evaluation.runner import load_run
from prodready.evaluation.suite import gate_run
from prodready.store import Store
from tests.evaluation.test_review import candidate_in, judge, run_of, rv_check

VALUES = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3]  # the judge passes c0, c2, c4
HUMAN = {"c0": True, "c1": False, "c2": True, "c3": False, "c4": False, "c5": False}


def label_all(store: Store, verdicts: dict[str, bool] = HUMAN) -> None:
    for task in list_tasks(store, limit=None):
        label(store, task.id, passed=verdicts[task.case_id or ""], author="ana")


def test_a_label_is_stored_as_a_human_score_of_the_reviewed_case(store: Store) -> None:
    run = run_of(store, rv_check(["c1"]))
    (task,) = queue_low_scores(store, run)
    label(store, task.id, passed=True, rationale="the answer is fine", author="ana")
    (human,) = human_labels(store, "rv_check")
    assert (human.layer, human.metadata["run_id"], human.metadata["case_id"]) == (
        "human",
        run.run_id,
        "c1",
    )
    assert (human.passed, human.value, human.scorer, human.version) == (True, 1.0, "human", "1")
    assert (human.author, human.rationale) == ("ana", "the answer is fine")


def test_a_label_is_not_one_of_the_runs_scores(store: Store) -> None:
    run = run_of(store, rv_check(["c1"]))
    (task,) = queue_low_scores(store, run)
    label(store, task.id, passed=True, author="ana")
    scores = load_run(store, run.run_id).results[1].scores
    assert [(s.layer, s.name, s.passed) for s in scores] == [("check", "rv_check", False)]


def test_human_labels_of_one_run(store: Store) -> None:
    first = run_of(store, rv_check(["c1"]))
    queue_low_scores(store, first)
    queue_low_scores(store, run_of(store, rv_check(["c2"])))
    label_all(store, {"c1": True, "c2": False})
    (mine,) = human_labels(store, run_id=first.run_id)
    assert (mine.name, mine.metadata["case_id"], mine.passed) == ("rv_check", "c1", True)


def test_a_label_closes_its_task_with_the_resolution(store: Store) -> None:
    (task,) = queue_low_scores(store, run_of(store, rv_check(["c1"])))
    label(store, task.id, passed=False, value=0.25, rationale="wrong amount", author="ana")
    done = get_task(store, task.id)
    assert (done.status, done.resolved_by) == ("done", "ana")
    assert done.resolution == {"passed": False, "value": 0.25, "rationale": "wrong amount"}


def test_an_anonymous_label_is_refused(store: Store) -> None:
    (task,) = queue_low_scores(store, run_of(store, rv_check(["c1"])))
    with pytest.raises(ReviewError, match="name of the person"):
        label(store, task.id, passed=True, author="  ")
    assert get_task(store, task.id).status == "open"


def test_a_task_is_labelled_only_once(store: Store) -> None:
    (task,) = queue_low_scores(store, run_of(store, rv_check(["c1"])))
    label(store, task.id, passed=True, author="ana")
    with pytest.raises(ReviewError, match="already done by ana"):
        label(store, task.id, passed=False, author="bo")
    assert len(human_labels(store, "rv_check")) == 1


def test_human_labels_lists_the_labels_of_one_score_name(store: Store) -> None:
    queue_low_scores(store, run_of(store, rv_check(["c1", "c2"]), judge(VALUES)))
    label_all(store)
    assert [s.metadata["case_id"] for s in human_labels(store, "rv_check")] == ["c1", "c2"]
    assert {s.metadata["case_id"] for s in human_labels(store, "correctness")} == {"c1", "c3", "c5"}


def test_judge_agreement_pairs_labels_with_the_judge_scores_they_review(store: Store) -> None:
    queue_calibration_sample(store, run_of(store, judge(VALUES)), "correctness", n=6)
    label_all(store)
    cal = judge_agreement(store, "correctness")
    assert (cal.n, cal.tp, cal.fp, cal.fn, cal.tn) == (6, 2, 1, 0, 3)
    assert cal.judge == "judge-a" and cal.kappa == pytest.approx(2 / 3)


def test_a_saved_agreement_above_the_floor_lets_the_judge_gate(store: Store) -> None:
    run = run_of(store, judge(VALUES))
    criteria = parse_criteria("metrics:\n  correctness: {source: correctness, target: '>= 0.4'}\n")
    refused = evaluate_gate(criteria, run.results, judge_calibration={})
    assert not refused.passed and "not calibrated" in refused.metrics[0].reason
    queue_calibration_sample(store, run, "correctness", n=6)
    label_all(store, {f"c{i}": v >= 0.5 for i, v in enumerate(VALUES)})
    judge_agreement(store, "correctness", save=True)
    kappas = {k: v for k, v in load_calibrations(store).items() if v is not None}
    assert evaluate_gate(criteria, run.results, judge_calibration=kappas).passed


def test_a_gate_on_a_judge_with_undefined_kappa_says_so_and_fails(store: Store) -> None:
    run = run_of(store, judge([0.9] * 6))  # the judge passes every case
    queue_calibration_sample(store, run, "correctness", n=6)
    label_all(store, {f"c{i}": True for i in range(6)})  # and so do the humans
    judge_agreement(store, "correctness", save=True)
    criteria = parse_criteria("metrics:\n  correctness: {source: correctness, target: '>= 0.4'}\n")
    (metric,) = gate_run(store, run, criteria).metrics
    assert metric.passed is False and "no calibration" not in metric.reason
    assert "kappa undefined: judge and humans all 'pass' on 6 cases" in metric.reason


def test_agreement_compares_only_the_newest_judge(store: Store) -> None:
    queue_calibration_sample(store, run_of(store, judge(VALUES)), "correctness", n=6)
    label_all(store)
    run_of(store, judge(VALUES, identity="judge-b"))
    with pytest.raises(ValueError, match="judge-b"):
        judge_agreement(store, "correctness")
    assert judge_agreement(store, "correctness", judge="judge-a").n == 6


def test_sample_only_leaves_out_labels_of_low_score_tasks(store: Store) -> None:
    run = run_of(store, judge(VALUES))
    queue_low_scores(store, run)  # c1, c3, c5: the judge's failures
    queue_calibration_sample(store, run, "correctness", n=2, seed=1)
    label_all(store)
    sampled = [t for t in list_tasks(store, status="done") if t.payload["origin"] == "sample"]
    assert judge_agreement(store, "correctness", sample_only=True).n == len(sampled) < 6


def test_a_passing_label_with_the_expected_answer_confirms_a_candidate(store: Store) -> None:
    candidate_id = candidate_in(store)
    (task,) = queue_candidates(store)
    score = label(store, task.id, passed=True, author="cy", expected={"reference": "No refund."})
    assert score.metadata["action"] == "confirmed" and score.metadata["dataset_version"] == 2
    added = load_dataset(store, "support").cases[-1]
    assert added.expected == Expected(reference="No refund.")
    assert get_candidate(store, candidate_id).reviewed_by == "cy"


def test_a_failing_label_rejects_the_candidate(store: Store) -> None:
    candidate_id = candidate_in(store)
    (task,) = queue_candidates(store)
    label(store, task.id, passed=False, rationale="not a real failure", author="cy")
    rejected = get_candidate(store, candidate_id)
    assert (rejected.status, rejected.review_note) == ("rejected", "not a real failure")
    assert load_dataset(store, "support").version == 1


def test_a_candidate_without_an_expected_answer_cannot_be_confirmed(store: Store) -> None:
    candidate_in(store)
    (task,) = queue_candidates(store)
    with pytest.raises(ReviewError, match="no expected behaviour"):
        label(store, task.id, passed=True, author="cy")
    assert get_task(store, task.id).status == "open"


def test_an_expected_answer_is_refused_on_a_score_review(store: Store) -> None:
    (task,) = queue_low_scores(store, run_of(store, rv_check(["c1"])))
    with pytest.raises(ReviewError, match="candidate_case"):
        label(store, task.id, passed=True, author="ana", expected={"reference": "x"})


def test_tasks_of_candidates_reviewed_elsewhere_are_closed(store: Store) -> None:
    from prodready.evaluation.datasets import reject_candidate

    candidate_id = candidate_in(store)
    (task,) = queue_candidates(store)
    reject_candidate(store, candidate_id, reviewer="dee")
    queue_candidates(store)
    closed = get_task(store, task.id)
    assert (closed.status, closed.resolved_by) == ("done", "dee")
    assert (closed.resolution or {})["action"] == "rejected"
