"""Evaluation in one call: evaluate / evaluate_sync / Suite.run return the run with its gate."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import prodready
import prodready.evaluation as evaluation
from prodready.evaluation import (
    Case,
    Evaluation,
    Expected,
    Suite,
    evaluate,
    evaluate_sync,
    load_criteria,
)
from prodready.evaluation.criteria import CriteriaError, parse_criteria
from prodready.evaluation.datasets import DatasetError, save_dataset, write_cases
from prodready.evaluation.runner import load_run
from prodready.evaluation.scorers import contains, required_facts
from prodready.store import Store

CASES = [
    Case(id="eta", input="Where is my order?", expected=Expected(facts=["3 days"])),
    Case(id="refund", input="Can I get a refund?", expected=Expected(facts=["14 days"])),
]
PASSING = "version: 1\nmetrics:\n  facts: {source: required_facts, target: '>= 0.5'}\n"
FAILING = "version: 1\nmetrics:\n  facts: {source: required_facts, target: '>= 0.9'}\n"


def agent(question: str) -> str:
    return "It arrives in 3 days." if "order" in question else "Please ask support."


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/eval.db")
    yield s
    s.close()


def files(folder: Path, criteria: str = FAILING) -> tuple[Path, Path]:
    (folder / "criteria.yaml").write_text(criteria, encoding="utf-8")
    write_cases(folder / "cases.jsonl", CASES)
    return folder / "criteria.yaml", folder / "cases.jsonl"


def test_one_call_reads_the_files_runs_scores_and_gates(tmp_path: Path, lite: Store) -> None:
    criteria, cases = files(tmp_path)
    result = evaluate_sync(agent, cases, [required_facts()], criteria=criteria, store=lite,
                           release="agent@1", progress=False)  # fmt: skip
    assert isinstance(result, Evaluation)
    assert (result.passed, result.exit_code) == (False, 1)
    assert result.gate is not None and result.gate.metrics[0].estimate == 0.5
    assert load_run(lite, result.run.run_id).totals.cases == 2  # stored
    assert result.run.dataset is not None and result.run.dataset.name == str(cases)
    assert str(result) == result.render_text() == result.gate.render_text()


def test_a_gate_that_passes_exits_zero(tmp_path: Path, lite: Store) -> None:
    criteria, _ = files(tmp_path, PASSING)
    result = evaluate_sync(agent, CASES, [required_facts()], criteria=criteria, store=lite,
                           progress=False)  # fmt: skip
    assert (result.passed, result.exit_code) == (True, 0)


def test_criteria_may_be_an_object(lite: Store, tmp_path: Path) -> None:
    criteria, _ = files(tmp_path, PASSING)
    result = evaluate_sync(agent, CASES, [required_facts()], criteria=load_criteria(criteria),
                           store=lite, progress=False)  # fmt: skip
    assert result.passed is True


def test_without_criteria_nothing_is_gated_and_each_score_is_summarised(lite: Store) -> None:
    result = evaluate_sync(agent, CASES, [required_facts()], store=lite, progress=False)
    assert (result.gate, result.passed, result.exit_code) == (None, None, 0)
    text = result.render_text()
    assert re.search(r"^required_facts\s+1/2\s+0\s+0$", text, re.M), text
    assert text.endswith("no success criteria: nothing was gated")


def test_a_malformed_criteria_file_fails_before_the_agent_is_called(tmp_path: Path) -> None:
    calls: list[str] = []
    (tmp_path / "criteria.yaml").write_text("metrics:\n  facts: {source: x, target: 0.9}\n")
    with pytest.raises(CriteriaError, match=r"criteria\.yaml:2"):
        evaluate_sync(calls.append, CASES, criteria=tmp_path / "criteria.yaml",
                      store=Store("sqlite://"), progress=False)  # fmt: skip
    assert calls == []


def test_a_missing_dataset_file_names_it(tmp_path: Path, lite: Store) -> None:
    with pytest.raises(OSError, match=r"nowhere\.jsonl"):
        evaluate_sync(agent, tmp_path / "nowhere.jsonl", store=lite, progress=False)


def test_a_stored_dataset_is_named_with_its_version(lite: Store) -> None:
    save_dataset(lite, "support", CASES, created_by="test")
    result = evaluate_sync(agent, "support@1", [required_facts()], store=lite, progress=False)
    assert result.run.dataset is not None and result.run.dataset.label == "support@1"
    with pytest.raises(DatasetError):
        evaluate_sync(agent, "support@7", store=lite, progress=False)


def test_the_async_form_returns_the_same_shape(tmp_path: Path, lite: Store) -> None:
    criteria, cases = files(tmp_path)

    async def answer(question: str) -> str:
        return agent(question)

    result = asyncio.run(evaluate(answer, cases, [required_facts()], criteria=criteria,
                                  store=lite, progress=False))  # fmt: skip
    assert result.passed is False and result.run.totals.runs == 2


def test_a_suite_runs_from_its_own_folder_with_a_subset(tmp_path: Path, lite: Store) -> None:
    files(tmp_path, PASSING)
    suite = Suite(target=agent, dataset="cases.jsonl", scorers=[required_facts()],
                  criteria="criteria.yaml", root=tmp_path)  # fmt: skip
    result = suite.run_sync(lite, subset=1, seed=3, progress=False)
    assert result.run.totals.cases == 1 and result.gate is not None


def test_non_inferior_metrics_find_their_baseline_by_release(lite: Store) -> None:
    text = "metrics:\n  vs_prod: {source: contains, gate: non_inferior, margin: 0.2}\n"
    cases = [Case(id=f"c{i}", input=f"order {i}") for i in range(20)]
    scorers = [contains("arrives")]
    evaluate_sync(agent, cases, scorers, store=lite, release="prod", progress=False)
    crit = parse_criteria(text)
    result = evaluate_sync(agent, cases, scorers, criteria=crit, store=lite, release="pr",
                           baseline_release="prod", progress=False)  # fmt: skip
    assert result.baseline is not None and result.baseline.release == "prod"
    assert result.passed is True
    with pytest.raises(ValueError, match="not both"):
        evaluate_sync(agent, cases, scorers, store=lite, baseline=result.run,
                      baseline_release="prod", progress=False)  # fmt: skip


def test_without_a_store_it_uses_the_store_tracing_writes_to(tmp_path: Path) -> None:
    traced = Store(f"sqlite:///{tmp_path}/traced.db")
    prodready.configure(store=traced)
    try:
        result = evaluate_sync(agent, CASES, [required_facts()], progress=False)
        assert load_run(traced, result.run.run_id).run_id == result.run.run_id
    finally:
        prodready.shutdown()
        traced.close()


def test_without_a_store_or_tracing_it_uses_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
    result = evaluate_sync(agent, CASES, [required_facts()], progress=False)
    with Store() as default:
        assert load_run(default, result.run.run_id).totals.cases == 2


def test_the_result_writes_the_ci_reports(tmp_path: Path, lite: Store) -> None:
    criteria, cases = files(tmp_path)
    result = evaluate_sync(agent, cases, [required_facts()], criteria=criteria, store=lite,
                           progress=False)  # fmt: skip
    written = result.write_reports(junit=tmp_path / "junit.xml", markdown=tmp_path / "pr.md")
    assert written == [tmp_path / "junit.xml", tmp_path / "pr.md"]
    assert "failures=" in (tmp_path / "junit.xml").read_text()


def test_the_package_docstring_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
    files(tmp_path)
    block = re.search(r"::\n\n((?:    .*\n|\n)+)", evaluation.__doc__ or "")
    assert block is not None
    code = textwrap.dedent(block[1])
    with pytest.raises(SystemExit) as exited:
        exec(compile(code, "prodready.evaluation", "exec"), {"agent": agent})
    assert exited.value.code == 1


def test_the_suite_module_docstring_example_builds_a_suite() -> None:
    from types import SimpleNamespace

    from prodready.evaluation import suite as suite_module

    block = re.search(r"::\n\n((?:    .*\n|\n)+)", suite_module.__doc__ or "")
    assert block is not None
    namespace = {"agent": SimpleNamespace(answer=agent)}
    exec(compile(textwrap.dedent(block[1]), "suite.py docstring", "exec"), namespace)
    built = namespace["support_agent"]()
    assert isinstance(built, Suite) and built.criteria == "criteria.yaml"


EXAMPLE = Path(__file__).parents[2] / "examples" / "evaluate" / "suite.py"


def test_the_shipped_example_suite_passes_when_run_with_python(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODREADY_")}
    env["PRODREADY_RELEASE"] = "ex@1"
    done = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, capture_output=True,
                          text=True, check=False, env=env)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("gate PASSED")
    assert (tmp_path / ".prodready" / "prodready.db").is_file()  # the run was stored


def test_the_shipped_example_suite_passes_under_prodready_eval_run(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prodready.cli import app

    args = ["--store", f"sqlite:///{tmp_path}/cli.db", "eval", "run", str(EXAMPLE)]
    result = CliRunner().invoke(app, args, env={"PRODREADY_RELEASE": "ex@1"})
    assert result.exit_code == 0, result.output
    assert "gate PASSED" in result.stdout
