"""`eval compare` measures a metric as `eval gate` does: business metrics from the stored
traces and each run's cases; a metric that names nothing is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner, Result

import prodready
from prodready.evaluation import Case, Expected
from prodready.evaluation._tables import eval_results
from prodready.evaluation.runner import evaluate_sync
from prodready.evaluation.scorers import expected_tools
from prodready.store import Store
from tests.cli.test_eval import root_app

Run = Callable[..., Result]

CASES = [
    Case(id="a", input="talk to a human", expected=Expected(escalation=True)),
    *(Case(id=f"q{i}", input=f"question {i}", expected=Expected(escalation=False))
      for i in range(5)),
]  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def run(url: str) -> Run:
    """``prodready --store URL eval ARGS...``, in process."""
    command, runner = root_app(), CliRunner()
    env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None}
    return lambda *args: runner.invoke(command, ["--store", url, "eval", *map(str, args)], env=env)


def _evaluate(url: str, release: str, escalates: Callable[[str], bool]) -> str:
    """A run whose target hands the questions ``escalates`` picks to a human."""

    def answer(question: str) -> str:
        if escalates(question):
            with prodready.span("hand off", kind="escalation"):
                return "connecting you"
        return "done"

    with Store(url) as store:
        done = evaluate_sync(answer, CASES, [expected_tools()], store=store, release=release,
                             progress=False)  # fmt: skip
    return done.run_id


@pytest.fixture
def careful_and_eager(url: str) -> tuple[str, str]:
    """Two runs: one escalates only "talk to a human", one escalates every question."""
    careful = _evaluate(url, "careful", lambda q: "human" in q)
    eager = _evaluate(url, "eager", lambda q: True)
    return careful, eager


def _ranked(result: Result) -> list[tuple[str, float, int]]:
    assert result.exit_code == 0, result.output
    return [
        (c["label"], c["estimate"], c["errors"]) for c in json.loads(result.stdout)["candidates"]
    ]


def test_deflection_is_read_from_each_runs_stored_traces(
    run: Run, careful_and_eager: tuple[str, str]
) -> None:
    result = run("compare", *careful_and_eager, "--metric", "business.deflection", "--json")
    assert _ranked(result) == [("careful", 5 / 6, 0), ("eager", 0.0, 0)]


def test_wrong_escalation_reads_the_cases_each_run_remembers_and_lower_is_better(
    run: Run, careful_and_eager: tuple[str, str]
) -> None:
    result = run("compare", *careful_and_eager, "--metric", "business.wrong_escalation", "--json")
    assert _ranked(result) == [("careful", 0.0, 0), ("eager", 5 / 6, 0)]
    assert json.loads(result.stdout)["better"] == "lower"


def test_without_a_runs_cases_compare_names_the_dataset_option(
    run: Run, url: str, careful_and_eager: tuple[str, str], tmp_path: Path
) -> None:
    with Store(url) as store, store.engine.begin() as conn:  # as stored before revision 0006
        conn.execute(update(eval_results).values(case_content=None))
    args = ("compare", *careful_and_eager, "--metric", "business.wrong_escalation")
    refused = run(*args)
    assert refused.exit_code == 2 and "pass --dataset" in refused.stderr
    assert "cases=" not in refused.output
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(c.model_dump_json() + "\n" for c in CASES))
    assert _ranked(run(*args, "--dataset", cases, "--json"))[0] == ("careful", 0.0, 0)


def test_a_metric_that_is_neither_a_score_nor_a_business_metric_exits_2(
    run: Run, careful_and_eager: tuple[str, str]
) -> None:
    result = run("compare", *careful_and_eager, "--metric", "deflection")
    assert result.exit_code == 2
    assert (
        "no run has a score named 'deflection'; scores in these runs: expected_tools "
        "(or business.<name>)" in result.stderr
    )
