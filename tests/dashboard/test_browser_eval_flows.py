"""The Evaluations, Datasets and Review pages in a real headless Chromium: compare two runs
and drill into a regressed case down to its trace; label a review task (claim, label,
resolved); confirm a candidate case into a new dataset version. Each flow ends with no
console error or warning, no page error, no payload executed and no CSP violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from prodready.evaluation.datasets import add_from_trace, get_candidate, load_dataset
from prodready.evaluation.review import get_task, queue_candidates
from prodready.store import Store
from tests.dashboard.seed import HOSTILE_TRACE, PAYLOAD
from tests.dashboard.seed_eval import DATASET, REGRESSED, seed_eval
from tests.dashboard.seed_eval import Seeded as EvalSeeded
from tests.live import LiveServer, Watched

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded_eval(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, EvalSeeded]]:
    path: Path = tmp_path_factory.mktemp("browser-eval") / "prodready.db"
    store = Store(f"sqlite:///{path}")
    yield store, seed_eval(store)
    store.close()


@pytest.fixture(scope="module")
def server(seeded_eval: tuple[Store, EvalSeeded]) -> Iterator[LiveServer]:
    with LiveServer(seeded_eval[0]) as live:
        yield live


def test_compare_two_runs_and_drill_into_a_regressed_case_to_its_trace(
    tab: Watched, seeded_eval: tuple[Store, EvalSeeded]
) -> None:
    _, seeded = seeded_eval
    page = tab.page
    tab.goto("/ui/evaluations")
    page.select_option("#compare-base", seeded.base.run_id)
    page.select_option("#compare-head", seeded.head.run_id)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/ui/evaluations/compare\?"))
    assert page.locator("table.deltas tbody tr").first.inner_text().startswith("correctness")
    regressed = page.locator('tr[data-change="regressed"]')
    assert regressed.count() == len(REGRESSED)
    first = regressed.first.locator("td a").first
    case_id = first.inner_text()
    assert case_id == REGRESSED[0]
    tab.clean()

    first.click()
    page.wait_for_url(re.compile(rf"/ui/evaluations/{seeded.head.run_id}/cases/{case_id}$"))
    assert page.get_by_role("heading", name=f"Case {case_id}").is_visible()
    assert page.get_by_text("Please contact support.").first.is_visible()
    trace_id = next(r.trace_id for r in seeded.head.results if r.case_id == case_id)
    assert trace_id is not None
    tab.clean()

    page.locator(f'dl.facts a[href="/ui/traces/{trace_id}"]').click()
    page.wait_for_url(re.compile(rf"/ui/traces/{trace_id}$"))
    assert page.locator(".wf-row").count() >= 1  # the run's trace, with its waterfall
    tab.clean()


def test_label_a_review_task_claim_label_resolved(
    tab: Watched, seeded_eval: tuple[Store, EvalSeeded]
) -> None:
    store = seeded_eval[0]
    page = tab.page
    tab.goto("/ui/review")
    row = page.locator("table.review-tasks tbody tr", has_text="of case refund")
    row.locator("td a").first.click()
    page.wait_for_url(re.compile(r"/ui/review/\w+$"))
    task_id = page.url.rsplit("/", 1)[1]
    assert get_task(store, task_id).status == "open"
    tab.clean()

    page.get_by_role("form", name="Claim").get_by_label("Reviewer").fill("ana")
    page.locator("#claim").click()
    page.wait_for_load_state("load")
    assert "claimed by ana" in page.locator("#task-status").inner_text()
    assert "You hold this task" in page.locator(".flash").inner_text()
    assert get_task(store, task_id).claimed_by == "ana"
    tab.clean()

    label = page.get_by_role("form", name="Label")
    assert label.get_by_label("Reviewer").input_value() == "ana"  # remembered
    label.get_by_label("Note").fill("the refund answer is wrong")
    page.locator("#label-fail").click()
    page.wait_for_url(re.compile(r"/ui/review\?status=resolved$"))
    resolved = page.locator(f"#task-{task_id}")
    assert "resolved" in resolved.inner_text() and "fail" in resolved.inner_text()
    assert "by ana" in resolved.inner_text()
    task = get_task(store, task_id)
    assert task.status == "done" and task.decision == "fail" and task.resolved_by == "ana"
    tab.clean()


def test_confirm_a_candidate_case_into_a_new_dataset_version(
    tab: Watched, seeded_eval: tuple[Store, EvalSeeded]
) -> None:
    store, seeded = seeded_eval
    candidate = get_candidate(store, seeded.candidates[0])
    before = load_dataset(store, DATASET).version
    page = tab.page
    tab.goto("/ui/datasets")
    page.get_by_role("link", name=DATASET, exact=True).click()
    page.wait_for_url(re.compile(rf"/ui/datasets/{DATASET}$"))
    form = page.get_by_role("form", name=f"Confirm {candidate.case.id}")
    form.get_by_label("Reviewer").fill("ana")
    form.get_by_label("Expected answer").fill("It ships within 2 business days.")
    tab.clean()

    form.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(rf"/ui/datasets/{DATASET}\?version={before + 1}$"))
    assert f"now version {before + 1}" in page.locator(".flash").inner_text()
    ids = page.locator("table.cases tbody tr td.mono").all_inner_texts()
    assert ids[-1] == candidate.case.id  # it is the new version's last case
    assert page.locator(f"#candidate-{candidate.id}").count() == 0  # no longer pending
    assert load_dataset(store, DATASET).cases[-1].expected.reference == (
        "It ships within 2 business days."
    )
    tab.clean()


def test_hostile_cases_and_candidates_stay_inert(
    tab: Watched, seeded_eval: tuple[Store, EvalSeeded]
) -> None:
    """A case whose input and expected answer are script, and a candidate proposed from the
    hostile trace (its input, name and suggestions are script), shown on every page that
    shows them: nothing executes and the CSP reports nothing."""
    store, seeded = seeded_eval
    candidate = add_from_trace(store, HOSTILE_TRACE, DATASET, added_by=PAYLOAD, reason=PAYLOAD)
    task = next(t for t in queue_candidates(store, DATASET) if t.case_id == candidate.case.id)
    head = seeded.head.run_id
    for path in (
        f"/ui/evaluations/{head}/cases/hostile",
        f"/ui/datasets/{DATASET}",
        "/ui/review",
        f"/ui/review/{task.id}",
    ):
        tab.goto(path)
        assert tab.page.get_by_text(PAYLOAD).count() >= 1, path  # shown, as text
        tab.clean()
