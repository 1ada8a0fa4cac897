"""`prodready review ...`: list, show and label tasks; queue runs and candidates; agreement.

Until ``prodready.cli`` mounts the ``review`` group, these tests mount it on a copy of the
root command (so ``--store`` works as it will for users).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.models import TyperInfo
from typer.testing import CliRunner, Result

from prodready.cli import _review, app
from prodready.evaluation.datasets import load_dataset
from prodready.evaluation.review import human_labels, list_tasks, queue_low_scores
from prodready.evaluation.runner import EvalRun
from prodready.store import Store
from tests.evaluation.test_review import CASES, answer, candidate_in, judge, run_of, rv_check

Run = Callable[..., Result]


def root_app() -> typer.Typer:
    """``prodready.cli.app``, with the ``review`` group added if it is not wired in yet."""
    if any(group.typer_instance is _review.app for group in app.registered_groups):
        return app
    root = copy.copy(app)  # shallow: the real app's lists are not touched
    root.registered_groups = [*app.registered_groups, TyperInfo(_review.app)]
    return root


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


@pytest.fixture
def lite(url: str) -> Iterator[Store]:
    with Store(url) as store:
        yield store


@pytest.fixture
def run(url: str) -> Run:
    """``prodready --store URL review ARGS...``, in process."""
    command, runner = root_app(), CliRunner()

    def invoke(*args: str) -> Result:
        env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None}
        return runner.invoke(command, ["--store", url, "review", *args], env=env)

    return invoke


@pytest.fixture
def evaluated(lite: Store) -> EvalRun:
    """A stored run whose check fails on c1 and c4."""
    return run_of(lite, rv_check(["c1", "c4"]))


@pytest.fixture
def task_id(lite: Store, evaluated: EvalRun) -> str:
    return queue_low_scores(lite, evaluated)[0].id


def test_list_shows_open_tasks_in_a_table(run: Run, task_id: str) -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:4] == [
        task_id[:12],
        "score_review",
        "open",
        "rv_check",
    ]
    assert "2 open tasks" in result.stdout


def test_list_json_gives_every_field(run: Run, task_id: str) -> None:
    row, _ = json.loads(run("list", "--status", "all", "--json").stdout)
    assert (row["id"], row["case_id"], row["payload"]["output"]) == (
        task_id, "c1", "answer to question 1",
    )  # fmt: skip


def test_show_prints_what_the_reviewer_needs(run: Run, task_id: str) -> None:
    out = run("show", task_id[:8]).stdout
    assert "rv_check of case c1: failed (0)" in out
    assert "Output\nanswer to question 1" in out and "value 0 · failed · rv_check v1 (check)" in out


def test_show_of_an_unknown_task_exits_1(run: Run, task_id: str) -> None:
    result = run("show", "0000000000")
    assert result.exit_code == 1 and "no review task '0000000000'" in result.stderr


def test_label_stores_a_human_score(run: Run, lite: Store, task_id: str) -> None:
    result = run("label", task_id[:8], "--pass", "--why", "fine", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert f"Labelled {task_id[:12]} rv_check pass (1) by ana" in result.stdout
    [score] = human_labels(lite, "rv_check")
    assert (score.author, score.passed, score.rationale) == ("ana", True, "fine")


def test_label_without_a_verdict_exits_2(run: Run, task_id: str) -> None:
    result = run("label", task_id, "--by", "ana")
    assert result.exit_code == 2 and "--pass or --fail" in result.stderr


def test_label_without_a_person_exits_2(run: Run, task_id: str) -> None:
    assert run("label", task_id, "--fail").exit_code == 2
    assert run("label", task_id, "--fail", "--by", " ").exit_code == 2


def test_labelling_a_done_task_exits_1(run: Run, task_id: str) -> None:
    run("label", task_id, "--fail", "--by", "ana")
    result = run("label", task_id, "--pass", "--by", "bo")
    assert result.exit_code == 1 and "already done by ana" in result.stderr


def test_label_with_an_expected_file_confirms_the_candidate(
    run: Run, lite: Store, tmp_path: Path
) -> None:
    candidate_in(lite)
    assert run("candidates").exit_code == 0
    [task] = list_tasks(lite, kind="candidate_case")
    answer = tmp_path / "expected.yaml"
    answer.write_text("reference: No refund after 30 days.\nintent: refund\n", encoding="utf-8")
    result = run("label", task.id, "--pass", "--by", "cy", "--expected-file", str(answer))
    assert result.exit_code == 0, result.output
    assert "candidate confirmed, support v2" in result.stdout
    assert load_dataset(lite, "support").cases[-1].expected.intent == "refund"


def test_an_invalid_expected_file_exits_2_naming_the_field(
    run: Run, task_id: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"reference": "x", "tool": ["a"]}', encoding="utf-8")
    result = run("label", task_id, "--pass", "--by", "ana", "--expected-file", str(bad))
    assert result.exit_code == 2 and "tool: Extra inputs are not permitted" in result.stderr


def test_queue_adds_a_runs_failed_scores_once(run: Run, evaluated: EvalRun) -> None:
    first = run("queue", evaluated.run_id)
    assert first.exit_code == 0 and "Queued 2 tasks" in first.stdout
    assert "Queued 0 tasks" in run("queue", evaluated.run_id).stdout
    assert run("queue", "no-such-run").exit_code == 1


def test_queue_accepts_a_unique_prefix_of_the_run_id(run: Run, evaluated: EvalRun) -> None:
    result = run("queue", evaluated.run_id[:8])
    assert result.exit_code == 0, result.output
    assert f"Queued 2 tasks from run {evaluated.run_id}" in result.stdout


def test_list_of_a_run_accepts_a_prefix_of_its_id(run: Run, evaluated: EvalRun) -> None:
    run("queue", evaluated.run_id)
    result = run("list", "--run", evaluated.run_id[:8], "--json")
    assert result.exit_code == 0, result.output
    assert {t["run_id"] for t in json.loads(result.stdout)} == {evaluated.run_id}


def test_queue_refuses_an_ambiguous_prefix_listing_the_runs(run: Run, lite: Store) -> None:
    from prodready.evaluation.runner import evaluate_sync

    for run_id in ("abcd1111", "abcd2222"):
        evaluate_sync(answer, CASES, [rv_check([])], store=lite, run_id=run_id, progress=False)
    result = run("queue", "abcd")
    assert result.exit_code == 2
    assert "run id prefix 'abcd' is ambiguous: abcd1111, abcd2222" in result.stderr
    assert "no eval run 'abcx'" in run("queue", "abcx").stderr


def test_agreement_prints_kappa_and_whether_the_judge_may_gate(run: Run, lite: Store) -> None:
    evaluated = run_of(lite, judge([0.9, 0.1, 0.8, 0.2, 0.7, 0.3]))
    run("queue", evaluated.run_id, "--name", "correctness", "--sample", "6")
    for task in list_tasks(lite):
        run(
            "label",
            task.id,
            "--by",
            "ana",
            "--pass" if task.case_id in ("c0", "c2", "c4") else "--fail",
        )
    result = run("agreement", "correctness", "--save")
    assert result.exit_code == 0, result.output
    assert "kappa 1.000" in result.stdout and "the judge may gate (saved)" in result.stdout


def test_agreement_with_one_label_on_both_sides_says_kappa_is_undefined(
    run: Run, lite: Store
) -> None:
    evaluated = run_of(lite, judge([0.9] * 6))
    run("queue", evaluated.run_id, "--name", "correctness", "--sample", "6")
    for task in list_tasks(lite):
        run("label", task.id, "--by", "ana", "--pass")
    result = run("agreement", "correctness", "--save")
    assert result.exit_code == 0, result.output
    assert "kappa undefined: judge and humans all 'pass' on 6 cases" in result.stdout
    assert "the judge may NOT gate" in result.stdout


def test_agreement_without_labels_exits_1(run: Run, lite: Store) -> None:
    result = run("agreement", "correctness")
    assert result.exit_code == 1 and "no judge score named 'correctness'" in result.stderr


def test_expire_closes_overdue_tasks_with_their_default_action(run: Run, lite: Store) -> None:
    from datetime import timedelta

    from prodready.evaluation.review import create_task, get_task

    task = create_task(lite, kind="escalation", title="approve", due_in=timedelta(0),
                       default_action="reject")  # fmt: skip
    result = run("expire")
    assert result.exit_code == 0 and "Expired 1 task" in result.stdout
    expired = get_task(lite, task.id)
    assert expired.status == "expired" and (expired.resolution or {})["action"] == "reject"


def test_a_claimed_task_is_listed_and_shown_with_who_holds_it(
    run: Run, lite: Store, task_id: str
) -> None:
    from datetime import timedelta

    from prodready.tasks import TaskQueue

    TaskQueue(lite).claim(task_id, "ana", lease=timedelta(minutes=10))
    claimed = json.loads(run("list", "--status", "claimed", "--json").stdout)
    assert [(r["id"], r["status"], r["claimed_by"]) for r in claimed] == [
        (task_id, "claimed", "ana")
    ]
    pending = json.loads(run("list", "--json").stdout)  # open: not decided yet, claimed too
    assert [r["status"] for r in pending] == ["claimed", "open"] and pending[0]["id"] == task_id
    shown = run("show", task_id).stdout
    assert "Claimed by" in shown and "ana until" in shown
    assert "Decisions" in shown and "pass, fail" in shown
    result = run("label", task_id, "--by", "bo", "--fail")
    assert result.exit_code == 1 and "claimed by ana until" in result.stderr
    assert run("label", task_id, "--by", "ana", "--fail").exit_code == 0
    shown = run("show", task_id).stdout
    assert "Decision" in shown and "fail" in shown and "Claimed by" not in shown
