"""A probe of malformed criteria and dataset files through the CLI: each one exits 2 with an
error naming the file and its line (or the whole file), never a traceback or a hang, and
leaves the store's datasets and runs as they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from prodready.cli import app
from prodready.evaluation.datasets import list_datasets
from prodready.evaluation.runner import list_runs
from prodready.store import Store
from tests.cli.test_eval import write_project

GOOD = "version: 1\nmetrics:\n  c: {source: correct, target: '>= 0.5'}\n"
DEEP_OBJECT = '{"a": ' * 3000 + "1" + "}" * 3000


def laughs() -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n" + GOOD.replace("}", ", description: *l9}")


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# name -> (file contents, where the error must point: ":LINE:" or ": " for the whole file)
CRITERIA: dict[str, tuple[str | bytes, str]] = {
    "billion-laughs.yaml": (laughs(), ":5:"),
    "alias-in-own-anchor.yaml": ("version: 1\nmetrics:\n  c: &a {source: c, x: [*a]}\n", ":3:"),
    "nested-5000.yaml": (f"version: 1\nmetrics:\n  c: {'[' * 5000}{']' * 5000}\n", ":3:"),
    "unknown-tag.yaml": ("version: 1\nmetrics:\n  c: !foo {source: c}\n", ":3:"),
    "python-tag.yaml": ("!!python/object/apply:os.system ['true']\n", ":1:"),
    "not-utf8.yaml": (GOOD.encode() + b"# caf\xe9\n", ":4:"),
    "utf16.yaml": (GOOD.encode("utf-16"), ":1:"),
    "nul.yaml": (GOOD + "# \x00\n", ":4:"),
    "rate-target-5.yaml": (GOOD.replace("'>= 0.5'", "'<= 5'"), ":3:"),
    "rate-margin-2.yaml": (
        "version: 1\nmetrics:\n  c: {source: correct, gate: non_inferior, margin: 2}\n",
        ":3:",
    ),
    "better-contradicts.yaml": (GOOD.replace("}", ", better: lower}"), ":3:"),
    "empty.yaml": ("", ":1:"),
    "a-list.yaml": ("- 1\n- 2\n", ":1:"),
}

DATASETS: dict[str, tuple[str | bytes, str]] = {
    "empty.jsonl": ("", ": no cases"),
    "blank.jsonl": ("\n  \n\n", ": no cases"),
    "empty.csv": ("", ": no cases"),
    "blank.csv": ("\n \n", ": no cases"),
    "header-only.csv": ("id,input,reference\n", ": no cases"),
    "unclosed-quote.csv": ('id,input\na,q1\nb,"q2\nc,q3\nd,q4\n', ":3:"),
    "text-after-quote.csv": ('id,input\na,"q1"x\nb,q2\n', ":2:"),
    "deep-input-cell.csv": (f"id,input\na,{quoted(DEEP_OBJECT)}\n", ":2: field 'input'"),
    "deep-facts-cell.csv": (f"id,input,facts\na,q,{'[' * 3000}{']' * 3000}\n", ":2:"),
    "deep-custom-cell.csv": (f"id,input,extra\na,q,{quoted(DEEP_OBJECT)}\n", ":2:"),
    "deep-3000.jsonl": (f'{{"id": "a", "input": {DEEP_OBJECT}}}\n', ":1:"),
    "deep-500.jsonl": (f'{{"id": "a", "input": {"[" * 500}{"]" * 500}}}\n', ":1: field 'input'"),
    "not-utf8.jsonl": (b'{"id": "a", "input": "q"}\n{"id": "b", "input": "caf\xe9"}\n', ":2:"),
    "not-utf8.csv": (b"id,input\na,caf\xe9\n", ":2:"),
    "utf16.jsonl": ('{"id": "a", "input": "q"}\n'.encode("utf-16"), ":1:"),
    "nul-line.jsonl": ('{"id": "a", "input": "q"}\n\x00\n', ":2:"),
    "huge-cell.csv": ("id,input\na," + "x" * 10_000_000 + "\n", ":2:"),
    "repeated-id.jsonl": ('{"id": "a", "input": "q"}\n{"id": "a", "input": "r"}\n', ":2:"),
    "repeated-id.csv": ("id,input\na,q\na,r\n", ":3:"),
    "array-line.jsonl": ('{"id": "a", "input": "q"}\n[1, 2]\n', ":2:"),
    "wrong-types.jsonl": ('{"id": 5, "input": ["x"], "tags": "a"}\n', ":1: field 'id'"),
    "bad-split.csv": ("id,input,split\na,q,prod\n", ":2: field 'split'"),
    "no-input-column.csv": ("id,question\na,q\n", ":1: field 'input'"),
    "whole-file-json.json": ('[{"id": "a", "input": "q"}]\n', ": unsupported file type"),
}


@dataclass
class Project:
    folder: Path
    url: str
    run_id: str
    invoke: Callable[..., Result]

    def stored(self) -> tuple[list[tuple[str, int]], list[str]]:
        """Every dataset's latest version and every run: what a refused file must not change."""
        with Store(self.url) as store:
            datasets = [(d.name, d.latest_version) for d in list_datasets(store)]
            return datasets, [r.run_id for r in list_runs(store)]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A store holding dataset 'support' v1 and one finished eval run."""
    folder = tmp_path_factory.mktemp("project")
    url = f"sqlite:///{folder / 'store.db'}"
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None, "PRODREADY_RELEASE": "v1"}
        return runner.invoke(app, ["--store", url, *map(str, args)], env=env)

    suite = write_project(folder)
    assert invoke("datasets", "import", "support", folder / "cases.jsonl").exit_code == 0
    assert invoke("eval", "run", suite).exit_code == 0
    with Store(url) as store:
        (run,) = list_runs(store)
    return Project(folder, url, run.run_id, invoke)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / "bad" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def assert_refused(result: Result, path: Path, where: str) -> None:
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception), result.exception  # SystemExit only
    assert "Traceback" not in result.output
    assert f"{path}{where}" in result.stderr, result.stderr


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", CRITERIA)
def test_eval_gate_refuses_a_bad_criteria_file(project: Project, name: str) -> None:
    content, where = CRITERIA[name]
    path = write(project.folder, name, content)
    before = project.stored()
    result = project.invoke("eval", "gate", project.run_id, "--criteria", path)
    assert_refused(result, path, where)
    assert "the success criteria cannot be used" in result.stderr
    assert project.stored() == before


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", DATASETS)
def test_datasets_import_refuses_a_bad_file_and_stores_nothing(project: Project, name: str) -> None:
    content, where = DATASETS[name]
    path = write(project.folder, name, content)
    before = project.stored()
    result = project.invoke("datasets", "import", "support", path)
    assert_refused(result, path, where)
    assert project.stored() == before


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", ["header-only.csv", "unclosed-quote.csv", "deep-input-cell.csv"])
def test_eval_gate_refuses_a_bad_dataset_file(project: Project, name: str) -> None:
    content, where = DATASETS[name]
    path = write(project.folder, name, content)
    criteria = project.folder / "criteria.yaml"
    result = project.invoke(
        "eval", "gate", project.run_id, "--criteria", criteria, "--dataset", path
    )
    assert_refused(result, path, where)


@pytest.mark.timeout(10)
def test_eval_run_refuses_a_billion_laughs_before_running_anything(project: Project) -> None:
    (project.folder / "calls.log").unlink(missing_ok=True)
    criteria = project.folder / "criteria.yaml"
    good = criteria.read_text()
    criteria.write_text(laughs())
    try:
        result = project.invoke("eval", "run", project.folder / "suite.py")
    finally:
        criteria.write_text(good)
    assert_refused(result, criteria, ":5:")
    assert not (project.folder / "calls.log").exists()
