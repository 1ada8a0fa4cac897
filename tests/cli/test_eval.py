"""`prodready eval ...`: run a suite and gate it, re-gate a stored run, compare, list, show.

Each test writes a small project in ``tmp_path``: a suite file with a deterministic target and
a check, a JSONL dataset and a criteria file. Until ``prodready.cli`` mounts the ``eval``
group, the tests mount it on a copy of the root command (so ``--store`` works as for users).
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.models import TyperInfo
from typer.testing import CliRunner, Result

from prodready.cli import _eval, app
from prodready.evaluation.runner import list_runs, load_run
from prodready.store import Store

SUITE = """
from pathlib import Path

from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer
from prodready.evaluation.suite import Suite, suite

WRONG = {wrong!r}
CALLS = Path(__file__).with_name("calls.log")


def answer(question: str) -> str:
    with CALLS.open("a") as log:
        log.write(question + "\\n")
    return "I do not know" if question in WRONG else "answer " + question.split()[-1]


@scorer(layer="check")
def cli_exact() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        ok = result.output == case.expected.reference
        return Verdict(float(ok), passed=ok, rationale="matches" if ok else "differs")

    return score


@suite
def support() -> Suite:
    return Suite(target=answer, dataset={dataset!r}, scorers=[cli_exact(name="correct")],
                 criteria="criteria.yaml")
"""
TAGS = ["cards"] * 10 + ["loans"] * 6 + ["fees"] * 4
CRITERIA = "version: 1\nmetrics:\n  correctness:\n    source: correct\n    target: '{target}'\n"

Run = Callable[..., Result]


def write_project(
    folder: Path, *, wrong: int = 3, target: str = ">= 0.5", dataset: str = "cases.jsonl"
) -> Path:
    """A suite whose target gets the first ``wrong`` of 20 cases wrong."""
    lines = [
        json.dumps({"id": f"c{i:02d}", "input": f"question {i}", "tags": [tag],
                    "expected": {"reference": f"answer {i}"}})
        for i, tag in enumerate(TAGS)
    ]  # fmt: skip
    (folder / "cases.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "criteria.yaml").write_text(CRITERIA.format(target=target))
    wrong_inputs = {f"question {i}" for i in range(wrong)}
    suite = folder / "suite.py"
    suite.write_text(SUITE.format(wrong=wrong_inputs, dataset=dataset))
    return suite


def root_app() -> typer.Typer:
    """``prodready.cli.app``, with the ``eval`` group added if it is not wired in yet."""
    if any(group.typer_instance is _eval.app for group in app.registered_groups):
        return app
    root = copy.copy(app)  # shallow: the real app's lists are not touched
    root.registered_groups = [*app.registered_groups, TyperInfo(_eval.app, name="eval")]
    return root


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def run(url: str) -> Run:
    """``prodready --store URL eval ARGS...``, in process."""
    command, runner = root_app(), CliRunner()

    def invoke(*args: str | Path) -> Result:
        env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None, "PRODREADY_RELEASE": "v1"}
        return runner.invoke(command, ["--store", url, "eval", *map(str, args)], env=env)

    return invoke


def runs(url: str) -> list[str]:
    with Store(url) as store:
        return [r.run_id for r in list_runs(store)]


def case_ids(url: str, run_id: str) -> list[str]:
    with Store(url) as store:
        return [r.case_id for r in load_run(store, run_id).results]


def test_run_exits_0_when_the_gate_passes(tmp_path: Path, run: Run) -> None:
    result = run("run", write_project(tmp_path))
    assert result.exit_code == 0, result.output
    assert "correctness  0.85" in result.stdout and "gate PASSED" in result.stdout


def test_run_exits_1_and_shows_metric_estimate_interval_and_target_when_criteria_fail(
    tmp_path: Path, run: Run
) -> None:
    result = run("run", write_project(tmp_path, target=">= 0.95"))
    assert result.exit_code == 1, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("correctness"))
    assert row.split()[:4] == ["correctness", "0.85", "[0.64,", "0.948]"]
    assert ">= 0.95" in row and "FAIL" in row and "gate FAILED" in result.stdout


def test_a_malformed_criteria_file_exits_2_with_file_and_line(tmp_path: Path, run: Run) -> None:
    suite = write_project(tmp_path, target="at least 0.9")
    result = run("run", suite)
    assert result.exit_code == 2
    assert f"{tmp_path / 'criteria.yaml'}:5" in result.stderr
    assert not (tmp_path / "calls.log").exists()  # nothing ran


def test_a_missing_suite_exits_2_naming_the_file(tmp_path: Path, run: Run) -> None:
    result = run("run", tmp_path / "nope.py")
    assert result.exit_code == 2 and "nope.py' not found" in result.stderr


def test_a_malformed_dataset_file_exits_2_with_its_line(tmp_path: Path, run: Run) -> None:
    suite = write_project(tmp_path)
    with (tmp_path / "cases.jsonl").open("a") as f:
        f.write('{"id": "bad", "input": "x", "split": "prod"}\n')
    result = run("run", suite)
    assert result.exit_code == 2 and "cases.jsonl:21: field 'split'" in result.stderr


def test_an_unknown_dataset_exits_2_listing_what_exists(tmp_path: Path, run: Run) -> None:
    result = run("run", write_project(tmp_path, dataset="golden@2"))
    assert result.exit_code == 2 and "no dataset 'golden'" in result.stderr


def test_a_bad_option_exits_2(tmp_path: Path, run: Run) -> None:
    assert run("run", write_project(tmp_path), "--subset", "0").exit_code == 2
    both = run("run", tmp_path / "suite.py", "--baseline", "x", "--baseline-release", "y")
    assert both.exit_code == 2 and "not both" in both.stderr


def test_subset_with_a_seed_is_deterministic_and_stratified_by_tag(
    tmp_path: Path, run: Run, url: str
) -> None:
    suite = write_project(tmp_path)
    for seed in ("7", "7", "8"):
        assert run("run", suite, "--subset", "10", "--seed", seed).exit_code == 0
    third, second, first = (case_ids(url, r) for r in runs(url))
    assert first == second != third and len(first) == 10
    tags = [TAGS[int(c[1:])] for c in first]
    assert (tags.count("cards"), tags.count("loans"), tags.count("fees")) == (5, 3, 2)


def test_a_metric_whose_score_the_run_lacks_names_it_and_the_scores_there_are(
    tmp_path: Path, run: Run
) -> None:
    suite = write_project(tmp_path)
    (tmp_path / "criteria.yaml").write_text(
        "version: 1\nmetrics:\n  polite: {source: polite, target: '>= 0.5'}\n"
    )
    result = run("run", suite)
    assert result.exit_code == 1, result.output
    assert (
        "20 errors counted as failures: 20 without a 'polite' score (scores in the run: correct)"
    ) in result.stdout


def test_a_run_on_a_file_shows_the_file_its_case_count_and_hash(
    tmp_path: Path, run: Run, url: str
) -> None:
    out = tmp_path / "out"
    suite = write_project(tmp_path)
    reports = ("--junit", out / "j.xml", "--html", out / "r.html")
    assert run("run", suite, "--subset", "5", *reports).exit_code == 0
    [run_id] = runs(url)
    with Store(url) as store:
        d = load_run(store, run_id).dataset
    assert d is not None and (d.name, d.version, d.cases) == ("cases.jsonl", None, 5)
    assert f"Dataset  cases.jsonl (5 cases, {d.hash})" in run("show", run_id[:8]).stdout
    assert run("list").stdout.splitlines()[1].split()[4] == "cases.jsonl"
    junit = {p.get("name"): p.get("value") for p in ET.parse(out / "j.xml").iter("property")}
    assert (junit["dataset_file"], junit["dataset_cases"], junit["dataset_hash"]) == (
        "cases.jsonl", "5", d.hash
    )  # fmt: skip
    assert "<dt>dataset</dt><dd>cases.jsonl (5 cases)</dd>" in (out / "r.html").read_text()


def test_a_seed_without_subset_warns_that_every_case_runs(
    tmp_path: Path, run: Run, url: str
) -> None:
    result = run("run", write_project(tmp_path), "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "warning: --seed only chooses the cases of --subset N" in result.stderr
    assert len(case_ids(url, runs(url)[0])) == 20


def test_a_seed_with_subset_gives_no_warning(tmp_path: Path, run: Run) -> None:
    result = run("run", write_project(tmp_path), "--subset", "5", "--seed", "7")
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_reports_are_written_and_the_junit_parses(tmp_path: Path, run: Run) -> None:
    out = tmp_path / "out"
    result = run("run", write_project(tmp_path), "--junit", out / "eval.xml",
                 "--markdown", out / "eval.md", "--html", out / "eval.html",
                 "--trace-url", "http://obs/traces/{trace_id}")  # fmt: skip
    assert result.exit_code == 0, result.output
    suites = ET.parse(out / "eval.xml").getroot().iter("testsuite")
    assert {s.get("name") for s in suites} >= {"gate", "cases"}
    assert "correctness" in (out / "eval.md").read_text()
    assert (out / "eval.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_gate_reapplies_other_criteria_to_a_stored_run(tmp_path: Path, run: Run, url: str) -> None:
    assert run("run", write_project(tmp_path)).exit_code == 0
    strict = tmp_path / "strict.yaml"
    strict.write_text(CRITERIA.format(target=">= 0.9"))
    run_id = runs(url)[0]
    result = run("gate", run_id[:8], "--criteria", strict)
    assert result.exit_code == 1 and "0.85" in result.stdout and "gate FAILED" in result.stdout
    assert run("gate", run_id, "--criteria", tmp_path / "criteria.yaml").exit_code == 0


def test_gate_on_an_unknown_run_exits_2(tmp_path: Path, run: Run) -> None:
    write_project(tmp_path)
    assert run("run", tmp_path / "suite.py").exit_code == 0
    result = run("gate", "ffff", "--criteria", tmp_path / "criteria.yaml")
    assert result.exit_code == 2 and "no eval run 'ffff'" in result.stderr


def test_compare_ranks_two_candidates_with_paired_significance(
    tmp_path: Path, run: Run, url: str
) -> None:
    strong_suite = write_project(tmp_path, wrong=2, target=">= 0.2")
    assert run("run", strong_suite, "--release", "strong").exit_code == 0
    weak_suite = write_project(tmp_path, wrong=14, target=">= 0.2")
    assert run("run", weak_suite, "--release", "weak").exit_code == 0
    weak, strong = runs(url)
    result = run("compare", weak, strong, "--metric", "correct", "--json")
    assert result.exit_code == 0, result.output
    ranked = json.loads(result.stdout)["candidates"]
    assert [c["label"] for c in ranked] == ["strong", "weak"]
    assert ranked[1]["vs_best"]["method"] == "mcnemar-exact"
    assert ranked[1]["p_adjusted"] < 0.05 and not ranked[1]["indistinguishable"]


def test_non_inferiority_against_a_baseline_release(tmp_path: Path, run: Run) -> None:
    suite = write_project(tmp_path, wrong=3)
    assert run("run", suite, "--release", "prod").exit_code == 0
    (tmp_path / "criteria.yaml").write_text(
        "metrics:\n  vs_prod: {source: correct, gate: non_inferior, margin: 0.15}\n"
    )
    same = run("run", suite, "--release", "pr-1", "--baseline-release", "prod")
    assert same.exit_code == 0, same.output
    write_project(tmp_path, wrong=12)
    (tmp_path / "criteria.yaml").write_text(
        "metrics:\n  vs_prod: {source: correct, gate: non_inferior, margin: 0.15}\n"
    )
    worse = run("run", suite, "--release", "pr-2", "--baseline-release", "prod")
    assert worse.exit_code == 1 and "vs baseline 0.85" in worse.stdout


def test_resume_runs_only_the_cases_not_yet_finished(tmp_path: Path, run: Run, url: str) -> None:
    suite = write_project(tmp_path)
    assert run("run", suite, "--subset", "5").exit_code == 0
    first = runs(url)[0]
    (tmp_path / "calls.log").unlink()
    result = run("run", suite, "--resume", first[:10], "--no-cache")
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "calls.log").read_text().splitlines()) == 15
    assert runs(url) == [first] and len(case_ids(url, first)) == 20


def test_a_judge_without_calibration_cannot_gate(tmp_path: Path, run: Run, url: str) -> None:
    suite = write_project(tmp_path, wrong=0)
    suite.write_text(suite.read_text().replace('layer="check"', 'layer="judge"'))
    result = run("run", suite)
    assert result.exit_code == 1 and "judge 'correct' is not calibrated" in result.stdout
    from prodready.evaluation.calibration import Calibration, save_calibration

    with Store(url) as store:
        calibrated = Calibration(n=50, agreement=0.96, kappa=0.9, tp=25, fp=1, fn=1, tn=23)
        save_calibration(store, "correct", calibrated)
    assert run("run", suite).exit_code == 0


def test_run_json_has_the_run_and_the_gate(tmp_path: Path, run: Run) -> None:
    result = run("run", write_project(tmp_path), "--json")
    payload = json.loads(result.stdout)
    assert payload["gate"]["passed"] is True and payload["run"]["totals"]["cases"] == 20


def test_list_and_show_stored_runs(tmp_path: Path, run: Run, url: str) -> None:
    assert run("run", write_project(tmp_path), "--release", "v7").exit_code == 0
    listed = run("list", "--release", "v7", "--json")
    assert [r["release"] for r in json.loads(listed.stdout)] == ["v7"]
    shown = run("show", runs(url)[0][:8])
    assert shown.exit_code == 0 and "correct" in shown.stdout and "c00" in shown.stdout
    assert "1 run" in run("list").stdout


ESCALATING = """
import prodready
from prodready.evaluation.suite import Suite, suite


def answer(question: str) -> str:
    if "human" in question:
        with prodready.span("hand off", kind="escalation"):
            return "connecting you"
    return "done"


@suite
def escalating() -> Suite:
    return Suite(target=answer, dataset="cases.jsonl")
"""


def escalation_run(folder: Path, run: Run, url: str) -> tuple[str, Path]:
    """A run of ESCALATING on a dataset file; its id, and a wrong_escalation criteria file."""
    cases = [("a", "talk to a human", True), ("b", "balance", False), ("c", "hours", False)]
    (folder / "cases.jsonl").write_text("".join(
        json.dumps({"id": i, "input": q, "expected": {"escalation": e}}) + "\n"
        for i, q, e in cases
    ))  # fmt: skip
    (folder / "suite.py").write_text(ESCALATING)
    criteria = folder / "esc.yaml"
    criteria.write_text("metrics:\n  wrong: {source: business.wrong_escalation, target: '== 0'}\n")
    assert run("run", folder / "suite.py").exit_code == 0
    return runs(url)[0], criteria


def test_gate_reads_traces_and_the_cases_of_a_dataset_file_run(
    tmp_path: Path, run: Run, url: str
) -> None:
    run_id, criteria = escalation_run(tmp_path, run, url)
    remembered = run("gate", run_id, "--criteria", criteria)
    assert remembered.exit_code == 0, remembered.output
    with_cases = run("gate", run_id, "--criteria", criteria, "--dataset", tmp_path / "cases.jsonl")
    assert with_cases.exit_code == 0, with_cases.output


def test_gate_without_the_runs_cases_names_the_dataset_option(
    tmp_path: Path, run: Run, url: str
) -> None:
    from sqlalchemy import update

    from prodready.evaluation._tables import eval_results

    run_id, criteria = escalation_run(tmp_path, run, url)
    with Store(url) as store, store.engine.begin() as conn:  # as stored before revision 0006
        conn.execute(update(eval_results).values(case_content=None))
    result = run("gate", run_id, "--criteria", criteria)
    assert result.exit_code == 2 and "pass --dataset" in result.stderr
    assert "cases=" not in result.output


def test_an_unknown_baseline_run_exits_2_before_anything_runs(tmp_path: Path, run: Run) -> None:
    result = run("run", write_project(tmp_path), "--baseline", "feedbeef")
    assert result.exit_code == 2 and "no eval run 'feedbeef'" in result.stderr
    assert not (tmp_path / "calls.log").exists()


def test_show_lists_human_labels_apart_from_the_runs_scores(
    tmp_path: Path, run: Run, url: str
) -> None:
    from prodready.evaluation.review import label, queue_low_scores

    assert run("run", write_project(tmp_path)).exit_code == 0
    run_id = runs(url)[0]
    with Store(url) as store:
        tasks = queue_low_scores(store, run_id)
        for task, verdict in zip(tasks, (True, False, False), strict=True):
            label(store, task.id, passed=verdict, author="ana")
    shown = run("show", run_id).stdout
    assert next(x for x in shown.splitlines() if x.startswith("correct")).split()[:3] == [
        "correct", "check", "17/20"
    ]  # fmt: skip
    labels = shown.split("Human labels")[1].splitlines()
    assert next(x for x in labels if x.startswith("correct")).split() == [
        "correct", "3", "1/3", "2/3", "ana"
    ]  # fmt: skip
