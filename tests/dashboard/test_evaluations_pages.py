"""The Evaluations pages over HTTP, on SQLite and PostgreSQL: the run list in the scope, a
run's scorecard as the gate computes it, distributions and cases, a case's drill-down to its
trace, run comparison with regressed cases first, trends, and the 4xx pages."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.runs import list_runs, run_criteria
from prodready.evaluation.suite import gate_run
from tests.dashboard.conftest import Seeded
from tests.dashboard.seed import PAYLOAD
from tests.dashboard.seed_eval import CRITERIA, IMPROVED, REGRESSED, seed_eval
from tests.dashboard.seed_eval import Seeded as EvalSeeded
from tests.dashboard.test_pages import inert


@pytest.fixture(scope="module")
def evals(seeded: Seeded) -> EvalSeeded:
    return seed_eval(seeded.store)


def _text(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_run_list_shows_runs_in_scope_with_verdicts(client: TestClient, evals: EvalSeeded) -> None:
    r = client.get("/ui/evaluations?range=24h")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    markup = inert(r.text)
    assert markup.inline_scripts == 0 and markup.style_attrs == [] and markup.handlers == []
    rows = re.findall(r'<tr data-href="/ui/evaluations/([0-9a-f]{32})">(.*?)</tr>', r.text, re.S)
    by_id = {run_id: _text(f"<main>{body}</main>") for run_id, body in rows}
    head, base = by_id[evals.head.run_id], by_id[evals.base.run_id]
    assert "support@2" in head and "v1.5.0" in head and "failed" in head
    assert "support@2" in base and "v1.4.0" in base and "passed" in base
    assert list(by_id).index(evals.head.run_id) < list(by_id).index(evals.base.run_id)

    only = client.get("/ui/evaluations?range=24h&release=v1.4.0").text
    assert evals.base.run_id in only and f"/ui/evaluations/{evals.head.run_id}" not in only
    past = client.get("/ui/evaluations?range=custom&from=2020-01-01T00:00&to=2020-01-02T00:00")
    assert "No evaluation run started" in past.text
    client.get("/ui/evaluations?range=24h&release=")  # leave the scope as it was
    bad = client.get("/ui/evaluations?offset=-1")
    assert bad.status_code == 400 and "offset" in bad.text


def test_scorecard_is_the_gate_on_the_recorded_criteria(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    store = seeded.store
    criteria = run_criteria(store, evals.head.run_id)
    assert criteria == parse_criteria(CRITERIA)
    report = gate_run(store, evals.head, criteria, record=False)
    correctness = report.metrics[0]
    assert correctness.passed is False and correctness.interval is not None

    html = client.get(f"/ui/evaluations/{evals.head.run_id[:10]}").text  # a prefix will do
    text = _text(html)
    assert "gate failed" in text and "Against the success criteria" in text
    low, high = correctness.interval.low, correctness.interval.high
    assert f"[{low:.3f}, {high:.3f}]" in text
    assert f"{correctness.estimate:.3f}" in text and ">= 0.8" in text and "FAIL" in text
    assert correctness.reason in text
    assert html.count('<svg class="forest"') == 2
    assert html.count('<svg class="histogram"') == 2
    bars = re.findall(r'<svg class="histogram".*?</svg>', html, re.S)[0]
    # correctness: 9 passes at 1.0 (last bin), 3 failures at 0.0 (first bin)
    assert re.findall(r"<title>([^<]*)</title>", bars)[0].endswith(": 3")
    assert re.findall(r"<title>([^<]*)</title>", bars)[-1].endswith(": 9")
    assert "9 passed · 3 failed" in text


def test_run_case_table_links_every_case_and_filters_failing(
    client: TestClient, evals: EvalSeeded
) -> None:
    run_id = evals.head.run_id
    html = client.get(f"/ui/evaluations/{run_id}").text
    linked = re.findall(rf'<a href="/ui/evaluations/{run_id}/cases/([^"]+)">', html)
    assert linked == [quote(r.case_id) for r in evals.head.results]
    failing = client.get(f"/ui/evaluations/{run_id}?failing=1").text
    shown = re.findall(rf'<a href="/ui/evaluations/{run_id}/cases/([^"]+)">', failing)
    assert sorted(shown) == sorted(REGRESSED)


def test_never_gated_run_gets_report_only_pass_rates(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    from prodready.evaluation.runner import evaluate_sync
    from tests.dashboard.seed_eval import agent, cases, seed_correctness

    run = evaluate_sync(agent("v1.5.0"), cases()[:4], [seed_correctness(name="correctness")],  # type: ignore[call-arg]
                        store=seeded.store, release="ungated", progress=False)  # fmt: skip
    assert run_criteria(seeded.store, run.run_id) is None
    text = _text(client.get(f"/ui/evaluations/{run.run_id}").text)
    assert "never gated" in text and "report" in text and "FAIL" not in text


def test_case_page_shows_input_expected_output_scores_and_trace(
    client: TestClient, evals: EvalSeeded
) -> None:
    run_id = evals.head.run_id
    result = next(r for r in evals.head.results if r.case_id == "fx")
    r = client.get(f"/ui/evaluations/{run_id}/cases/fx")
    text = _text(r.text)
    assert "What exchange rate do you use?" in text  # input
    assert "the interbank rate plus 0.5%" in text  # expected
    assert "Please contact support." in text  # output
    assert "does not say" in text and "tone 0.50" in text  # every score's rationale
    assert f'href="/ui/traces/{result.trace_id}"' in r.text
    assert client.get(f"/ui/traces/{result.trace_id}").status_code == 200

    hostile = client.get(f"/ui/evaluations/{run_id}/cases/hostile").text
    assert PAYLOAD not in hostile and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hostile


def test_compare_shows_deltas_and_regressed_cases_first(
    client: TestClient, evals: EvalSeeded
) -> None:
    base, head = evals.base.run_id, evals.head.run_id
    r = client.get(f"/ui/evaluations/compare?base={base}&head={head}")
    assert r.status_code == 200
    text = _text(r.text)
    assert "91.7%" in text and "75.0%" in text and "-16.7 pts" in text  # 11/12 -> 9/12
    changes = re.findall(
        rf'<tr data-href="/ui/evaluations/{head}/cases/([^"]+)" data-change="(\w+)"', r.text
    )
    assert [c for c, kind in changes if kind == "regressed"] == list(REGRESSED)
    assert [c for c, kind in changes if kind == "improved"] == list(IMPROVED)
    kinds = [kind for _, kind in changes]
    assert kinds == sorted(kinds, key=["regressed", "improved", "same"].index)
    assert len(changes) == 12
    # without a base, the previous run of the dataset is the base
    default = client.get(f"/ui/evaluations/compare?head={head}")
    assert default.status_code == 200 and f"/ui/evaluations/{base}" in default.text


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("head=", 400, "head: required"),
        ("base=ffffffffff&head={head}", 404, "base: no evaluation run"),
        ("base={head}&head={head}", 400, "same run"),
    ],
)
def test_compare_refuses_bad_runs(
    client: TestClient, evals: EvalSeeded, query: str, status: int, says: str
) -> None:
    r = client.get("/ui/evaluations/compare?" + query.format(head=evals.head.run_id))
    assert r.status_code == status and says in r.text


def test_trend_follows_a_score_across_the_dataset_runs(
    client: TestClient, seeded: Seeded, evals: EvalSeeded
) -> None:
    r = client.get("/ui/evaluations/trends?dataset=support&metric=correctness")
    runs = list_runs(seeded.store, dataset="support")
    html = r.text
    assert html.count('<circle class="dot s0"') == len(runs) >= 2
    assert '<polyline class="line s0"' in html
    assert "91.7%" in _text(html) and "75.0%" in _text(html)
    assert client.get("/ui/evaluations/trends?dataset=nope").status_code == 404
    bad = client.get("/ui/evaluations/trends?dataset=support&metric=nope")
    assert bad.status_code == 400 and "metric" in bad.text


def test_unknown_runs_and_cases_are_404_pages(client: TestClient, evals: EvalSeeded) -> None:
    r = client.get("/ui/evaluations/0123456789abcdef")
    assert r.status_code == 404 and "no evaluation run" in r.text and "<html" in r.text
    missing = client.get(f"/ui/evaluations/{evals.head.run_id}/cases/nope")
    assert missing.status_code == 404 and "no case" in missing.text


def test_list_runs_bounds_by_start_time_and_pages(seeded: Seeded, evals: EvalSeeded) -> None:
    store = seeded.store
    head, base = evals.head, evals.base
    newest = list_runs(store, dataset="support")
    assert [r.run_id for r in newest[:2]] == [head.run_id, base.run_id]
    assert [r.verdict for r in newest[:2]] == ["failed", "passed"]
    assert list_runs(store, dataset="support", offset=1)[0].run_id == base.run_id
    since = list_runs(store, dataset="support", since_ns=head.started_at_ns)
    assert [r.run_id for r in since] == [head.run_id]
    until = list_runs(store, dataset="support", until_ns=head.started_at_ns)
    assert [r.run_id for r in until] == [base.run_id]
