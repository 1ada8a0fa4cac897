"""Suites: found in a file with clear errors; their cases, criteria, release and baseline."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from prodready.evaluation import Case
from prodready.evaluation.criteria import Criteria, CriteriaError, parse_criteria
from prodready.evaluation.datasets import DatasetFileError, save_dataset
from prodready.evaluation.runner import evaluate_sync
from prodready.evaluation.suite import (
    RELEASE_ENV,
    Suite,
    SuiteError,
    find_baseline,
    gate_run,
    load_suite,
)
from prodready.store import Store

HEADER = "from prodready.evaluation.suite import Suite, suite\n\n\ndef echo(q):\n    return q\n\n\n"
ONE = HEADER + "@suite\ndef support():\n    return Suite(target=echo, dataset='cases.jsonl')\n"
CASES = [
    Case(id=f"{tag}{i}", input=f"{tag} question {i}", tags=[tag], split=split)
    for tag, n in (("cards", 6), ("loans", 3), ("fees", 3))
    for i in range(n)
    for split in ("holdout" if i == 0 else "dev",)
]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/suite.db")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def fixed_release(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RELEASE_ENV, "test-release")


def test_a_file_with_one_suite_needs_no_name(tmp_path: Path) -> None:
    loaded = load_suite(write(tmp_path, "suite.py", ONE))
    assert loaded.name == "support" and loaded.root == tmp_path.resolve()
    assert loaded.target("hi") == "hi"


def test_a_suite_is_picked_by_name_after_a_colon(tmp_path: Path) -> None:
    text = (
        ONE + "\n\n@suite(name='quick')\ndef other():\n    return Suite(target=echo, dataset=[])\n"
    )
    path = write(tmp_path, "suite.py", text)
    assert load_suite(f"{path}:quick").dataset == []
    with pytest.raises(SuiteError, match=r"several suites \(support, quick\)"):
        load_suite(path)
    with pytest.raises(SuiteError, match="no suite 'nope'; it defines: support, quick"):
        load_suite(f"{path}:nope")


def test_a_missing_file_or_a_file_without_suites_is_named(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"suite file '.*missing\.py' not found"):
        load_suite(tmp_path / "missing.py")
    empty = write(tmp_path, "empty.py", HEADER)
    with pytest.raises(SuiteError, match=r"empty\.py defines no suite: decorate .* with @suite"):
        load_suite(empty)


def test_a_broken_suite_file_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.py", "x = 1\ndef broken(:\n")
    with pytest.raises(SuiteError, match=r"bad\.py:2: syntax error"):
        load_suite(bad)
    failing = write(tmp_path, "failing.py", "import os\nimport no_such_module_here\n")
    with pytest.raises(SuiteError, match=r"failing\.py:2: .*ModuleNotFoundError"):
        load_suite(failing)


def test_a_suite_function_must_return_a_suite(tmp_path: Path) -> None:
    path = write(tmp_path, "s.py", HEADER + "@suite\ndef wrong():\n    return 42\n")
    with pytest.raises(SuiteError, match="returned int, not a Suite"):
        load_suite(path)


def test_the_suite_can_import_modules_beside_it(tmp_path: Path) -> None:
    write(tmp_path, "my_agent_mod.py", "def answer(q):\n    return 'agent: ' + q\n")
    text = (
        "from my_agent_mod import answer\nfrom prodready.evaluation.suite import Suite, suite\n"
        "@suite\ndef s():\n    return Suite(target=answer, dataset=[])\n"
    )
    assert load_suite(write(tmp_path, "s.py", text)).target("x") == "agent: x"


def test_dataset_and_criteria_paths_are_relative_to_the_suite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "evals"
    folder.mkdir()
    write(folder, "cases.jsonl", '{"id": "a", "input": "hi"}\n')
    write(folder, "criteria.yaml", "metrics:\n  ok: {source: ok, target: '>= 0.5'}\n")
    text = HEADER + "@suite\ndef s():\n    return Suite(target=echo, dataset='cases.jsonl', "
    path = write(folder, "suite.py", text + "criteria='criteria.yaml')\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_suite(path.relative_to(tmp_path))
    assert [c.id for c in loaded.load_cases()] == ["a"]
    criteria = loaded.load_criteria()
    assert criteria is not None and list(criteria.metrics) == ["ok"]


def test_malformed_files_raise_their_located_errors(tmp_path: Path) -> None:
    write(tmp_path, "cases.jsonl", '{"id": "a", "input": "hi"}\n{"id": "b"}\n')
    write(tmp_path, "criteria.yaml", "metrics:\n  ok: {source: ok, target: 'high'}\n")
    loaded = Suite(target=str, dataset="cases.jsonl", criteria="criteria.yaml", root=tmp_path)
    with pytest.raises(DatasetFileError, match=r"cases\.jsonl:2"):
        loaded.load_cases()
    with pytest.raises(CriteriaError, match=r"criteria\.yaml:2"):
        loaded.load_criteria()


def test_a_named_dataset_is_loaded_from_the_store_at_a_version(lite: Store) -> None:
    save_dataset(lite, "golden", CASES[:3])
    save_dataset(lite, "golden", CASES)
    data = Suite(target=str, dataset="golden@1").load_cases(lite)
    assert not isinstance(data, list) and data.version == 1 and len(data.cases) == 3
    latest = Suite(target=str, dataset="golden").load_cases(lite)
    assert not isinstance(latest, list) and latest.version == 2


def test_split_and_subset_keep_the_dataset_version_with_the_hash_of_what_runs(
    lite: Store,
) -> None:
    saved = save_dataset(lite, "golden", CASES)
    data = Suite(target=str, dataset="golden").load_cases(lite, split="dev", subset=6, seed=3)
    assert not isinstance(data, list) and (data.name, data.version) == ("golden", 1)
    assert len(data.cases) == 6 and all(c.split == "dev" for c in data.cases)
    assert data.content_hash == data.hash_cases(data.cases) != saved.content_hash


def test_the_subset_is_seeded_and_stratified_by_tag() -> None:
    suite_ = Suite(target=str, dataset=CASES)
    first = suite_.load_cases(subset=4, seed=7)
    assert first == suite_.load_cases(subset=4, seed=7)
    assert {c.tags[0] for c in first} == {"cards", "loans", "fees"}
    assert sum(c.tags[0] == "cards" for c in first) == 2


def test_an_empty_split_is_a_suite_error() -> None:
    with pytest.raises(SuiteError, match="no case in split 'validation'"):
        Suite(target=str, dataset=CASES).load_cases(split="validation")


def test_the_release_comes_from_the_suite_else_the_environment(tmp_path: Path) -> None:
    assert load_suite(write(tmp_path, "a.py", ONE)).release == "test-release"
    pinned = ONE.replace("dataset='cases.jsonl'", "dataset='cases.jsonl', release='v9'")
    assert load_suite(write(tmp_path, "b.py", pinned)).release == "v9"


def test_a_suite_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="concurrency and repeats"):
        Suite(target=str, dataset=[], concurrency=0)
    with pytest.raises(TypeError, match="scorers"):
        Suite(target=str, dataset=[], scorers=[str])  # type: ignore[list-item]


def test_find_baseline_takes_the_latest_run_of_the_release_on_the_same_cases(
    lite: Store,
) -> None:
    older = evaluate_sync(str, CASES, [], store=lite, release="prod", progress=False)
    newer = evaluate_sync(str, CASES, [], store=lite, release="prod", progress=False)
    evaluate_sync(str, CASES[:2], [], store=lite, release="prod", progress=False)  # other cases
    candidate = evaluate_sync(str, CASES, [], store=lite, release="pr", progress=False)
    found = find_baseline(lite, "prod", candidate)
    assert found is not None and found.run_id == newer.run_id != older.run_id
    assert find_baseline(lite, "staging", candidate) is None


def test_a_subset_run_finds_a_baseline_covering_its_cases(lite: Store) -> None:
    full = evaluate_sync(str, CASES, [], store=lite, release="prod", progress=False)
    subset = evaluate_sync(str, CASES[:4], [], store=lite, release="pr", progress=False)
    found = find_baseline(lite, "prod", subset)
    assert found is not None and found.run_id == full.run_id
    assert [r.case_id for r in found.results] == [c.id for c in CASES[:4]]


JUDGED: Criteria = parse_criteria(
    "metrics:\n  correct: {source: correct, target: '>= 0.5'}\n", source="inline"
)


def test_gate_run_refuses_an_uncalibrated_judge_and_accepts_a_calibrated_one(
    lite: Store,
) -> None:
    from prodready.evaluation import CaseResult, ScoreFn, Verdict, scorer
    from prodready.evaluation.calibration import Calibration, save_calibration

    @scorer(layer="judge", name="suite_test_judge")
    def correct() -> ScoreFn:
        def score(case: Case, result: CaseResult) -> Verdict:
            return Verdict(1.0, passed=True)

        return score

    run = evaluate_sync(str, CASES, [correct(name="correct")], store=lite, progress=False)
    refused = gate_run(lite, run, JUDGED)
    assert not refused.passed and "not calibrated" in refused.metrics[0].reason
    agreement = Calibration(n=40, agreement=0.95, kappa=0.9, tp=20, fp=1, fn=1, tn=18)
    save_calibration(lite, "correct", agreement)
    assert gate_run(lite, run, JUDGED).passed


def test_a_missing_relative_suite_file_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SuiteError) as caught:
        load_suite("evals/suite.py")
    assert str(caught.value) == (
        f"suite file 'evals/suite.py' not found (looked for {tmp_path / 'evals' / 'suite.py'}: "
        "a relative path is read from the current directory)"
    )
