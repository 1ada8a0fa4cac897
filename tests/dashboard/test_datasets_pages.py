"""The Datasets pages over HTTP, on SQLite and PostgreSQL: the list, a dataset's versions and
paged cases, diffs, and candidates confirmed or rejected through CSRF-checked forms that go
through the datasets repository and redirect back with a message."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from prodready.evaluation.datasets import get_candidate, load_dataset
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
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/ui/datasets/{DATASET}").text)
    assert found is not None
    return found.group(1)


def test_list_shows_each_dataset_with_its_pending_candidates(
    client: TestClient, evals: EvalSeeded
) -> None:
    r = client.get("/ui/datasets")
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    row = re.search(r'<tr data-href="/ui/datasets/support">(.*?)</tr>', r.text, re.S)
    assert row is not None
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).split()[:5] == [
        "support", "v2", "12", "2", "pending"
    ]  # fmt: skip


def test_dataset_page_shows_versions_paged_cases_and_candidate_forms(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    html = client.get(f"/ui/datasets/{DATASET}?version=2").text
    markup = inert(html)
    assert markup.inline_scripts == 0 and markup.style_attrs == [] and markup.handlers == []
    assert re.findall(r'<a href="/ui/datasets/support\?version=(\d+)">v\d+</a>', html) == [
        "2", "1"
    ]  # fmt: skip
    cases = [c.id for c in load_dataset(seeded.store, DATASET, 2).cases]
    assert re.findall(r'<tr id="case-\d+">\s*<td class="mono">([^<]+)</td>', html) == cases
    second = client.get(f"/ui/datasets/{DATASET}?version=2&offset=10").text
    assert re.findall(r'<tr id="case-\d+">\s*<td class="mono">([^<]+)</td>', second) == cases[10:]
    old = client.get(f"/ui/datasets/{DATASET}?version=1").text
    assert "statement" not in re.findall(r'<td class="mono">([^<]+)</td>', old)
    for forms in re.findall(r'<form method="post".*?</form>', html, re.S):
        assert 'name="csrf" value="' in forms  # every state-changing form carries the token
    assert len(re.findall(r'/candidates/[0-9a-f]+/confirm"', html)) == 2
    # the pending candidates show their trace and what it suggests
    assert 'href="/ui/traces/00000003' in html and "suggested reference" in _text(html)


def test_diff_lists_added_removed_and_changed_cases(client: TestClient, evals: EvalSeeded) -> None:
    r = client.get(f"/ui/datasets/{DATASET}/diff?from=1&to=2")
    assert r.status_code == 200
    assert re.findall(r'data-diff="(\w+)"><td>[^<]*</td><td class="mono">([^<]*)<', r.text) == [
        ("added", "statement")
    ]
    back = client.get(f"/ui/datasets/{DATASET}/diff?from=2&to=1").text
    assert re.findall(r'data-diff="(\w+)"><td>[^<]*</td><td class="mono">([^<]*)<', back) == [
        ("removed", "statement")
    ]


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/ui/datasets/support/diff?from=abc&to=2", 400, "from: 'abc' is not a whole number"),
        ("/ui/datasets/support/diff?from=1&to=99", 404, "to: dataset 'support' has no version 99"),
        ("/ui/datasets/support?version=0", 400, "version: '0' is not a whole number >= 1"),
        ("/ui/datasets/support?version=7", 404, "has no version 7"),
        ("/ui/datasets/nope", 404, "no dataset 'nope'"),
        ("/ui/datasets/support?offset=x", 400, "offset"),
    ],
)
def test_bad_versions_are_4xx_pages_naming_the_field(
    client: TestClient, evals: EvalSeeded, path: str, status: int, says: str
) -> None:
    r = client.get(path)
    assert r.status_code == status and says in html_lib.unescape(r.text) and "<html" in r.text


def test_confirming_a_candidate_makes_the_next_version(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    store = seeded.store
    first = evals.candidates[0]
    url = f"/ui/datasets/{DATASET}/candidates/{first}/confirm"
    form: dict[str, Any] = {"reviewer": "ana", "reference": "It ships within 2 days."}
    before = load_dataset(store, DATASET).version
    client.cookies.clear()
    token = _token(client)
    assert client.post(url, data=form).status_code == 403  # no CSRF token
    cross = {"origin": "https://evil.example"}
    assert client.post(url, data=form | {"csrf": token}, headers=cross).status_code == 403
    assert get_candidate(store, first).status == "pending"
    assert load_dataset(store, DATASET).version == before  # nothing changed

    missing = client.post(url, data={"csrf": token, "reference": "x"})
    assert missing.status_code == 400 and "reviewer: required" in missing.text

    r = client.post(url, data=form | {"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/ui/datasets/{DATASET}?version={before + 1}"
    after = load_dataset(store, DATASET)
    assert after.version == before + 1
    added = after.cases[-1]
    assert added.provenance == "trace:" + "00000003" + "d0" * 12
    assert added.expected.reference == "It ships within 2 days."
    confirmed = get_candidate(store, first)
    assert confirmed.status == "confirmed" and confirmed.reviewed_by == "ana"

    page = client.get(r.headers["location"])
    assert f"Confirmed {added.id}: support is now version {after.version}." in _text(page.text)
    assert 'name="reviewer" value="ana"' in page.text  # the name is remembered
    assert "Confirmed" not in _text(client.get(r.headers["location"]).text)  # shown once

    again = client.post(url, data=form | {"csrf": token})
    assert again.status_code == 409 and "already confirmed by ana" in again.text


def test_rejecting_a_candidate_asks_a_reason(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    store = seeded.store
    second = evals.candidates[1]
    url = f"/ui/datasets/{DATASET}/candidates/{second}/reject"
    token = _token(client)
    no_reason = client.post(url, data={"csrf": token, "reviewer": "bo", "reason": " "})
    assert no_reason.status_code == 400 and "reason: required" in no_reason.text
    assert get_candidate(store, second).status == "pending"
    r = client.post(
        url,
        data={"csrf": token, "reviewer": "bo", "reason": "a duplicate question"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/ui/datasets/{DATASET}"
    rejected = get_candidate(store, second)
    assert rejected.status == "rejected" and rejected.review_note == "a duplicate question"
    assert rejected.reviewed_by == "bo"
    unknown = client.post(
        f"/ui/datasets/{DATASET}/candidates/ffffffff/reject",
        data={"csrf": token, "reviewer": "bo", "reason": "x"},
    )
    assert unknown.status_code == 404


def test_reject_needs_the_csrf_token(client: TestClient, seeded: Seeded, evals: EvalSeeded) -> None:
    candidate = evals.candidates[-1]
    before = get_candidate(seeded.store, candidate)
    url = f"/ui/datasets/{DATASET}/candidates/{candidate}/reject"
    r = client.post(url, data={"reviewer": "eve", "reason": "spam"})
    assert r.status_code == 403
    assert get_candidate(seeded.store, candidate) == before
