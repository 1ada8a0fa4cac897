"""`eval show` and `eval compare` on runs with not-applicable scores and scorer errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from prodready.evaluation import Case, CaseResult, Expected, ScoreFn, Verdict, scorer
from prodready.evaluation.runner import evaluate_sync
from prodready.evaluation.scorers import required_facts
from prodready.store import Store
from tests.cli.test_eval import root_app

Run = Callable[..., Result]

CASES = [
    *(
        Case(id=f"f{i}", input=f"refund {i}?", expected=Expected(facts=["14 days"]))
        for i in range(4)
    ),
    *(Case(id=f"e{i}", input=f"sue {i}", expected=Expected(escalation=True)) for i in range(2)),
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def run(url: str) -> Run:
    """``prodready --store URL eval ARGS...``, in process."""
    command, runner = root_app(), CliRunner()
    env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None}
    return lambda *args: runner.invoke(command, ["--store", url, "eval", *args], env=env)


@scorer(layer="check")
def picky() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        if result.output == "unsure":
            raise ValueError("cannot read an unsure answer")
        return Verdict(1.0, passed=True)

    return score


def _evaluate(url: str, release: str, unsure: frozenset[str] = frozenset()) -> str:
    def answer(question: str) -> str:
        return "unsure" if question in unsure else "Refunds take 14 days."

    with Store(url) as store:
        done = evaluate_sync(answer, CASES, [required_facts(), picky()], store=store,
                             release=release, progress=False)  # fmt: skip
    return done.run_id


def test_show_leaves_not_applicable_scores_out_of_the_pass_rate(run: Run, url: str) -> None:
    shown = run("show", _evaluate(url, "a"))
    assert shown.exit_code == 0, shown.output
    assert re.search(r"required_facts\s+check\s+4/4\s+100\.0%\s+1\.000\s+0\s+2", shown.stdout)


def test_compare_counts_not_applicable_cases_apart_and_scorer_errors_as_errors(
    run: Run, url: str
) -> None:
    a, b = _evaluate(url, "a"), _evaluate(url, "b", unsure=frozenset({"refund 0?", "refund 1?"}))
    text = run("compare", a, b, "--metric", "required_facts").stdout
    assert "on 4 shared case(s); 2 case(s) not applicable" in text and "dropped" not in text
    ranked = json.loads(run("compare", a, b, "--metric", "picky", "--json").stdout)
    errors = {c["label"]: c["errors"] for c in ranked["candidates"]}
    assert errors == {"a": 0, "b": 2}
