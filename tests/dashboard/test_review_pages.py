"""The Review queue over HTTP, on SQLite and PostgreSQL: tasks by status, a task with its
context, and claim, label and resolve through CSRF-checked forms over the human-task core
(a label is a human score; a candidate's confirmation makes a dataset version)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from fastapi.testclient import TestClient

from prodready.evaluation.datasets import load_dataset
from prodready.evaluation.review import create_task, get_task, human_labels
from tests.dashboard.conftest import Seeded
from tests.dashboard.seed_eval import DATASET, seed_eval
from tests.dashboard.seed_eval import Seeded as EvalSeeded
from tests.dashboard.test_pages import inert


@pytest.fixture(scope="module")
def evals(seeded: Seeded) -> EvalSeeded:
    return seed_eval(seeded.store)


def _text(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _token(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/review").text)
    assert found is not None
    return found.group(1)


def _listed(client: TestClient, status: str) -> dict[str, str]:
    html = client.get(f"/ui/review?status={status}").text
    rows = re.findall(
        r'<tr data-href="/ui/review/(\w+)" id="task-\w+" [^>]*>(.*?)</tr>', html, re.S
    )
    return {task_id: _text(f"<main>{body}</main>") for task_id, body in rows}


def _score_task(seeded: Seeded, evals: EvalSeeded, case_id: str) -> str:
    for task_id in evals.tasks:
        task = get_task(seeded.store, task_id)
        if task.kind == "score_review" and task.case_id == case_id:
            return task.id
    raise AssertionError(f"no score task for {case_id}")


def test_open_tasks_are_listed_oldest_first_with_their_trace(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    r = client.get("/ui/review")
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    markup = inert(r.text)
    assert markup.inline_scripts == 0 and markup.style_attrs == [] and markup.handlers == []
    listed = _listed(client, "open")
    assert list(listed)[: len(evals.tasks)] == evals.tasks
    task = get_task(seeded.store, evals.tasks[0])
    assert task.title in listed[task.id] and "score_review" in listed[task.id]
    assert f'href="/ui/traces/{task.trace_id}"' in r.text
    bad = client.get("/ui/review?status=maybe")
    assert bad.status_code == 400 and "status: 'maybe' is not one of" in html_lib.unescape(bad.text)


def test_task_page_shows_the_context_a_reviewer_needs(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    task_id = _score_task(seeded, evals, "fx")
    task = get_task(seeded.store, task_id)
    html = client.get(f"/ui/review/{task_id}").text
    text = _text(html)
    assert "What exchange rate do you use?" in text  # input
    assert "the interbank rate plus 0.5%" in text  # expected
    assert "Please contact support." in text  # output
    assert "does not say" in text  # the score's rationale
    assert f'href="/ui/traces/{task.trace_id}"' in html
    assert f'href="/ui/evaluations/{task.run_id}/cases/fx"' in html
    assert 'value="pass"' in html and 'value="fail"' in html
    assert client.get("/ui/review/nosuchtask").status_code == 404


def test_claim_label_resolve_a_score_review(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    store = seeded.store
    task_id = _score_task(seeded, evals, "pin")
    client.cookies.clear()
    token = _token(client)
    claim = f"/ui/review/{task_id}/claim"
    assert client.post(claim, data={"reviewer": "ana"}).status_code == 403  # no token
    assert get_task(store, task_id).status == "open"

    r = client.post(claim, data={"csrf": token, "reviewer": "ana"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/ui/review/{task_id}"
    assert get_task(store, task_id).claimed_by == "ana"
    claimed = _listed(client, "claimed")
    assert "ana" in claimed[task_id] and task_id not in _listed(client, "open")

    # someone else cannot claim or label it while ana holds it
    other = {"csrf": token, "reviewer": "bo"}
    assert client.post(claim, data=other).status_code == 409
    label = f"/ui/review/{task_id}/label"
    held = client.post(label, data=other | {"verdict": "pass"})
    assert held.status_code == 409 and get_task(store, task_id).is_pending
    bad = client.post(label, data={"csrf": token, "reviewer": "ana", "verdict": "maybe"})
    assert (
        bad.status_code == 400
        and "verdict: 'maybe' is not one of pass, fail" in html_lib.unescape(bad.text)
    )

    form = {"csrf": token, "reviewer": "ana", "verdict": "fail", "note": "the PIN answer is wrong"}
    done = client.post(label, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/ui/review?status=resolved"
    task = get_task(store, task_id)
    assert task.status == "done" and task.decision == "fail" and task.resolved_by == "ana"
    labels = [s for s in human_labels(store, "correctness") if s.metadata["task_id"] == task_id]
    assert [(s.passed, s.author, s.rationale) for s in labels] == [
        (False, "ana", "the PIN answer is wrong")
    ]
    page = client.get(done.headers["location"]).text
    assert "Labelled" in _text(page)
    assert "resolved" in _listed(client, "resolved")[task_id]
    assert "fail by ana" in _listed(client, "resolved")[task_id]
    assert client.post(label, data=form).status_code == 409  # decided once


def test_confirming_a_candidate_task_adds_it_to_the_dataset(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    store = seeded.store
    task_id = next(t for t in evals.tasks if get_task(store, t).kind == "candidate_case")
    token = _token(client)
    before = load_dataset(store, DATASET).version
    label = f"/ui/review/{task_id}/label"
    no_answer = {"csrf": token, "reviewer": "ana", "verdict": "reject"}
    refused = client.post(label, data=no_answer)
    assert refused.status_code == 400 and "note: say why" in refused.text
    form = {"csrf": token, "reviewer": "ana", "verdict": "confirm", "reference": "2 days"}
    r = client.post(label, data=form, follow_redirects=False)
    assert r.status_code == 303
    after = load_dataset(store, DATASET)
    assert after.version == before + 1 and after.cases[-1].expected.reference == "2 days"
    assert get_task(store, task_id).decision == "confirm"


def test_an_escalation_is_resolved_with_one_of_its_decisions(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    store = seeded.store
    task = create_task(
        store,
        kind="escalation",
        title="refund over 500 EUR?",
        decisions=["approve", "deny"],
        payload={"reason": "amount 620 EUR"},
    )
    token = _token(client)
    html = client.get(f"/ui/review/{task.id}").text
    assert '<option value="approve">' in html and "amount 620 EUR" in _text(html)
    url = f"/ui/review/{task.id}/resolve"
    wrong = client.post(url, data={"csrf": token, "reviewer": "ana", "decision": "maybe"})
    assert wrong.status_code == 400 and "decision" in wrong.text
    no_name = client.post(url, data={"csrf": token, "decision": "deny"})
    assert no_name.status_code == 400 and "reviewer: required" in no_name.text
    r = client.post(
        url, data={"csrf": token, "reviewer": "ana", "decision": "deny", "note": "over limit"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    done = get_task(store, task.id)
    assert done.decision == "deny" and done.resolution == {"note": "over limit"}
    labelled = client.post(f"/ui/review/{task.id}/label",
                           data={"csrf": token, "reviewer": "ana", "verdict": "pass"})  # fmt: skip
    assert labelled.status_code == 400


@pytest.mark.parametrize("action", ["claim", "release", "label", "resolve"])
def test_every_task_action_needs_the_csrf_token(
    client: TestClient, seeded: Seeded, evals: EvalSeeded, action: str
) -> None:
    task_id = _score_task(seeded, evals, "fx")
    before = get_task(seeded.store, task_id)
    form = {"reviewer": "eve", "verdict": "pass", "decision": "pass"}
    r = client.post(f"/ui/review/{task_id}/{action}", data=form | {"csrf": "forged" * 8})
    assert r.status_code == 403 and "CSRF" in r.text
    assert get_task(seeded.store, task_id) == before
