"""The pytest plugin: eval suites under pytest, gated like ``prodready eval gate``."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from prodready.evaluation import Case
from prodready.evaluation.datasets import save_dataset, stratified_subset
from prodready.evaluation.runner import list_runs, load_run
from prodready.store import Store

pytest_plugins = ["pytester"]

PLUGIN = "prodready.evaluation.pytest_plugin"
# Once installed with its pytest11 entry point the plugin loads itself; until then, by -p.
LOAD = [] if any(ep.value == PLUGIN for ep in entry_points(group="pytest11")) else ["-p", PLUGIN]

SUITE = """
import pytest
from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer

CASES = [Case(id=f"c{i}", input=f"q{i}", tags=[("card", "refund", "pin")[i % 3]])
         for i in range(12)]

@scorer(layer="check")
def pp_ok(bad: list[str]) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(float(case.id not in bad), passed=case.id not in bad)
    return score

@scorer(layer="judge")
def pp_judge() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(1.0, passed=True)
    return score

def agent(question: str) -> str:
    return "answer to " + question
"""
CRITERIA = "metrics:\n  ok: {source: ok, target: '>= 0.8'}\n"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'evals.db'}"


def suite(pytester: pytest.Pytester, body: str, criteria: str = CRITERIA) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".yaml", criteria=criteria)
    pytester.makepyfile(test_agent=SUITE + body)


def run(pytester: pytest.Pytester, url: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*LOAD, "--prodready-store", url, *args)


def test_a_suite_that_meets_its_criteria_passes_and_is_stored(
    pytester: pytest.Pytester, url: str
) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    run, report = prodready_eval.run(agent, CASES, [pp_ok(["c1"], name="ok")],
                                     criteria="criteria.yaml")
    assert report.passed and run.totals.cases == 12
""")  # fmt: skip
    run(pytester, url).assert_outcomes(passed=1)
    with Store(url) as store:
        [stored] = list_runs(store)
    assert stored.name == "test_agent.py::test_agent" and stored.totals.cases == 12


def test_a_failing_gate_fails_the_test_with_metric_estimate_interval_and_target(
    pytester: pytest.Pytester, url: str
) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_ok(["c1", "c2", "c3"], name="ok")],
                       criteria="criteria.yaml")
""")  # fmt: skip
    result = run(pytester, url)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "prodready gate failed (run " in out
    assert "metric  estimate  95% interval    n   errors  target  mode" in out
    assert "ok      0.75      [0.468, 0.911]  12  0       >= 0.8  point" in out
    assert "- ok: 0.75 [0.468, 0.911] (n=12) — 0.75 < target 0.8 (point)" in out


def test_the_marker_supplies_a_stored_dataset_criteria_and_scorers(
    pytester: pytest.Pytester, url: str
) -> None:
    with Store(url) as store:
        save_dataset(store, "support", [Case(id="a", input="hi"), Case(id="b", input="yo")])
    suite(pytester, """
@pytest.mark.prodready_eval(dataset="support@1", criteria="criteria.yaml",
                            scorers=[pp_ok([], name="ok")], release="agent@2")
def test_agent(prodready_eval):
    run, _ = prodready_eval.run(agent)
    assert (run.dataset.name, run.dataset.version, run.release) == ("support", 1, "agent@2")
""")  # fmt: skip
    run(pytester, url, "--strict-markers").assert_outcomes(passed=1)


def test_the_subset_option_draws_the_same_stratified_subset_every_time(
    pytester: pytest.Pytester, url: str
) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_ok([], name="ok")], criteria="criteria.yaml")
""")  # fmt: skip
    for _ in range(2):
        run(pytester, url, "--prodready-subset", "6", "--prodready-seed", "3").assert_outcomes(
            passed=1
        )
    cases = [Case(id=f"c{i}", input=f"q{i}", tags=[("card", "refund", "pin")[i % 3]])
             for i in range(12)]  # fmt: skip
    expected = [c.id for c in stratified_subset(cases, 6, seed=3)]
    with Store(url) as store:
        runs = [load_run(store, r.run_id) for r in list_runs(store)]
    assert [[r.case_id for r in each.results] for each in runs] == [expected, expected]


def test_the_release_option_is_stamped_on_the_run(pytester: pytest.Pytester, url: str) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    run, _ = prodready_eval.run(agent, CASES, [pp_ok([], name="ok")], criteria="criteria.yaml")
    assert run.release == "sha-abc123"
""")  # fmt: skip
    run(pytester, url, "--prodready-release", "sha-abc123").assert_outcomes(passed=1)


def test_an_uncalibrated_judge_fails_the_gate_and_says_why(
    pytester: pytest.Pytester, url: str
) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_judge(name="correct")], criteria="criteria.yaml")
""", criteria="metrics:\n  correct: {source: correct, target: '>= 0.8'}\n")  # fmt: skip
    result = run(pytester, url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*judge 'correct' is not calibrated (no calibration; floor 0.60)*"]
    )


def test_the_junit_option_writes_one_testcase_per_metric(
    pytester: pytest.Pytester, url: str, tmp_path: Path
) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_ok(["c1", "c2", "c3"], name="ok")],
                       criteria="criteria.yaml")
""")  # fmt: skip
    out = tmp_path / "reports" / "gates.xml"
    run(pytester, url, "--prodready-junit", str(out)).assert_outcomes(failed=1)
    gate, cases = ET.parse(out).getroot().findall("testsuite")
    assert gate.get("name") == "test_agent.py::test_agent gate" and gate.get("failures") == "1"
    failure = gate.find("testcase[@name='ok']/failure")
    assert failure is not None and "0.75 < target 0.8" in (failure.get("message") or "")
    assert (cases.get("tests"), cases.get("failures")) == ("12", "3")


def test_an_unknown_marker_argument_is_reported(pytester: pytest.Pytester, url: str) -> None:
    suite(pytester, """
@pytest.mark.prodready_eval(datset="support")
def test_agent(prodready_eval):
    pass
""")  # fmt: skip
    result = run(pytester, url)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown prodready_eval argument(s) datset*"])


def test_non_inferiority_compares_with_the_baseline_release(
    pytester: pytest.Pytester, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite(pytester, """
import os
def test_agent(prodready_eval):
    bad = os.environ["PP_BAD"].split(",") if os.environ["PP_BAD"] else []
    prodready_eval.run(agent, CASES, [pp_ok(bad, name="ok")], criteria="criteria.yaml")
""", criteria="metrics:\n  ok: {source: ok, gate: non_inferior, margin: 0.05}\n")  # fmt: skip
    monkeypatch.setenv("PP_BAD", "")
    run(pytester, url, "--prodready-release", "v1")  # fails: no baseline yet; it is v2's
    monkeypatch.setenv("PP_BAD", "c1,c2,c3,c4,c5,c6")
    result = run(pytester, url, "--prodready-release", "v2", "--prodready-baseline-release", "v1")
    result.assert_outcomes(failed=1)
    assert "ok: 0.5 [0.254, 0.746] (n=12) vs baseline 1: difference -0.500" in result.stdout.str()


def test_a_whole_suite_can_be_run(pytester: pytest.Pytester, url: str) -> None:
    suite(pytester, """
from prodready.evaluation.suite import Suite

def test_agent(prodready_eval):
    whole = Suite(target=agent, dataset=CASES, scorers=[pp_ok([], name="ok")],
                  criteria="criteria.yaml", name="support")
    run, report = prodready_eval.run(whole)
    assert run.name == "support" and report.passed
""")  # fmt: skip
    run(pytester, url).assert_outcomes(passed=1)


def test_without_criteria_the_run_is_stored_and_not_gated(
    pytester: pytest.Pytester, url: str
) -> None:
    suite(pytester, """
def test_agent(prodready_eval):
    run, report = prodready_eval.run(agent, CASES, [pp_ok(["c1"], name="ok")])
    assert report is None and run.totals.cases == 12
""")  # fmt: skip
    result = run(pytester, url)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_agent.py::test_agent: gate not gated, run *"])


# --- paths and the store, from wherever pytest is started ------------------------------------

from_elsewhere = pytest.mark.usefixtures("elsewhere")

SUITE_FILE = """
from prodready.evaluation import Case, CaseResult, ScoreFn, Verdict, scorer
from prodready.evaluation.suite import Suite, suite

@scorer(layer="check")
def pp_file_ok() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(1.0, passed=True)
    return score

@suite
def support() -> Suite:
    return Suite(target=str.upper, dataset=[Case(id="c1", input="q1")],
                 scorers=[pp_file_ok(name="ok")], criteria="criteria.yaml")
"""


@pytest.fixture
def elsewhere(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest is started from ``elsewhere/``, a folder beside the project's ``tests/``."""
    monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
    monkeypatch.chdir(pytester.mkdir("elsewhere"))


def project(pytester: pytest.Pytester, test: str, ini: str = "") -> Path:
    """``tests/`` under the rootdir, holding the test file, a suite file and criteria."""
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}")
    tests = pytester.mkdir("tests")
    (tests / "suite.py").write_text(SUITE_FILE)
    (tests / "criteria.yaml").write_text(CRITERIA)
    (tests / "test_agent.py").write_text(SUITE + test)
    return tests


def run_from_elsewhere(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*LOAD, str(pytester.path / "tests"), *args)


@from_elsewhere
def test_a_suite_file_is_read_from_the_test_files_folder(
    pytester: pytest.Pytester, url: str
) -> None:
    project(pytester, """
def test_agent(prodready_eval):
    run, report = prodready_eval.run("suite.py")
    assert run.name == "support" and report.passed
""")  # fmt: skip
    run_from_elsewhere(pytester, "--prodready-store", url).assert_outcomes(passed=1)


@from_elsewhere
def test_the_default_store_is_in_the_rootdir_not_the_current_directory(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_ok([], name="ok")], criteria="criteria.yaml")
""")  # fmt: skip
    run_from_elsewhere(pytester).assert_outcomes(passed=1)
    assert not (pytester.path / "elsewhere" / ".prodready").exists()
    with Store(f"sqlite:///{pytester.path / '.prodready' / 'prodready.db'}") as store:
        assert len(list_runs(store)) == 1


@from_elsewhere
def test_the_ini_option_names_a_store_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    project(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_ok([], name="ok")], criteria="criteria.yaml")
""", ini="prodready_store = sqlite:///stores/evals.db\n")  # fmt: skip
    run_from_elsewhere(pytester).assert_outcomes(passed=1)
    with Store(f"sqlite:///{pytester.path / 'stores' / 'evals.db'}") as store:
        assert len(list_runs(store)) == 1


@from_elsewhere
def test_no_calibration_names_the_store_the_gate_looked_in(
    pytester: pytest.Pytester, url: str
) -> None:
    project(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, CASES, [pp_judge(name="correct")], criteria="criteria.yaml")
""")  # fmt: skip
    (pytester.path / "tests" / "criteria.yaml").write_text(
        "metrics:\n  correct: {source: correct, target: '>= 0.8'}\n"
    )
    result = run_from_elsewhere(pytester, "--prodready-store", url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*prodready gate failed (run *, 12 cases, store {url}):*"])
    result.stdout.fnmatch_lines(
        ["*no calibration; floor 0.60*", "*prodready gates*", f"store {url}"]
    )


@from_elsewhere
def test_an_unknown_dataset_names_the_store_it_looked_in(
    pytester: pytest.Pytester, url: str
) -> None:
    project(pytester, """
def test_agent(prodready_eval):
    prodready_eval.run(agent, "support-golden", [pp_ok([], name="ok")])
""")  # fmt: skip
    result = run_from_elsewhere(pytester, "--prodready-store", url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*no dataset 'support-golden'*in the store {url}*"])
