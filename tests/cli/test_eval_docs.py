"""docs/ci.md and .github/workflows/eval.yml stay true: the worked example runs as documented,
and the workflow only uses options `prodready eval run` has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main
import yaml
from typer.testing import CliRunner, Result

from tests.cli.test_eval import Run, root_app

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
FILES = {m[1]: m[2] for m in re.finditer(r"^```\w+ (\S+)\n(.*?)^```$", DOC, re.M | re.S)}
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "eval.yml").read_text())


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """``prodready --store URL eval ARGS...`` on a store in ``tmp_path``."""
    command, runner, url = root_app(), CliRunner(), f"sqlite:///{tmp_path / 'store.db'}"

    def invoke(*args: str | Path) -> Result:
        env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None, "PRODREADY_RELEASE": None}
        return runner.invoke(command, ["--store", url, "eval", *map(str, args)], env=env)

    return invoke


def test_the_worked_example_passes_its_gate_as_documented(tmp_path: Path, run: Run) -> None:
    assert set(FILES) == {"evals/suite.py", "evals/criteria.yaml", "evals/cases.jsonl"}
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run("run", tmp_path / "evals" / "suite.py", "--junit", tmp_path / "eval.xml")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("facts "))
    assert row.split()[1:4] == ["1", "[0.566,", "1]"]
    assert "`facts 1 [0.566, 1]`" in DOC


def test_the_workflow_uses_only_options_eval_run_has() -> None:
    from prodready.cli import _eval

    command = typer.main.get_command(_eval.app)
    params = command.commands["run"].params  # type: ignore[attr-defined]
    known = {o for p in params for o in getattr(p, "opts", [])}
    steps = WORKFLOW["jobs"]["eval"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "eval")
    used = {w for w in shlex.split(script.replace("(", " ").replace(")", " ")) if w[:2] == "--"}
    assert used and used <= known, used - known


def test_the_workflow_saves_the_store_even_when_the_gate_fails() -> None:
    steps = WORKFLOW["jobs"]["eval"]["steps"]
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save"))
    assert save["if"] == "always()" and save["with"]["path"] == ".prodready/"
    assert "exit 0" in next(s["run"] for s in steps if s.get("id") == "eval")
