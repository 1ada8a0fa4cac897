"""docs/ci.md and .github/workflows/eval.yml stay true: the worked example runs as documented,
the console example's gate is what the gate prints, and the workflow only uses options
`prodready eval run` has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main
import yaml
from typer.testing import CliRunner, Result

from prodready.evaluation import CaseResult, Score
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.gate import evaluate_gate
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


CONSOLE = DOC.split("```console\n", 1)[1].split("```", 1)[0]
HEADER, GATE = CONSOLE.split("\n\n", 1)
ROW = re.compile(r"(\w+) +([\d.]+) +\[.*?\] +(\d+) +(\d+) +(\S+ \S+) +(\w+) ")


def score(name: str, ok: bool) -> Score:
    return Score(name=name, value=float(ok), passed=ok, layer="check", scorer=name, version="1")


def test_the_console_example_gate_is_what_the_gate_prints_for_its_counts() -> None:
    """The table's rows give the criteria and the counts (one case errored, as the header
    says); the intervals, mde, reasons and verdict are the gate's own."""
    rows = [ROW.match(line) for line in GATE.splitlines()[2:4]]
    metrics = {m[1]: {"source": m[1], "target": m[5], "gate": m[6]} for m in rows if m}
    n, errors = int(rows[0][3]), int(rows[0][4])  # type: ignore[index]
    passes = {m[1]: round(float(m[2]) * n) for m in rows if m}
    results = [CaseResult(case_id=f"e{i}", case_hash="h", error="Timeout") for i in range(errors)]
    results += [
        CaseResult(case_id=f"c{i}", case_hash="h",
                   scores=[score(name, i < passes[name]) for name in metrics])
        for i in range(n - errors)
    ]  # fmt: skip
    report = evaluate_gate(parse_criteria(yaml.safe_dump({"metrics": metrics})), results)
    assert report.render_text() + "\n" == GATE
    assert report.exit_code == 1


def test_the_console_example_header_has_the_shape_eval_run_prints(tmp_path: Path, run: Run) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run("run", tmp_path / "evals" / "suite.py", "--subset", "3", "--seed", "1234")
    value = r"[^\s,:()]+"
    for shown in HEADER.splitlines()[1:]:
        parts = re.split(r"(\b[0-9a-f]{7,32}\b|\$?\d[\d.]*s?)", shown)
        pattern = "".join(value if i % 2 else re.escape(p) for i, p in enumerate(parts))
        assert re.search(pattern, result.output), (shown, result.output)


def test_the_pytest_failure_in_review_md_shows_the_same_gate() -> None:
    review = (ROOT / "docs" / "review.md").read_text(encoding="utf-8")
    failure = review.split("```text\n____", 1)[1].split("```", 1)[0]
    head, _, table = failure.partition("\n\n")
    cases = re.search(r"\d+ cases", HEADER)
    assert cases and re.fullmatch(
        rf"_+ test_support_agent _+\nprodready gate failed \(run [0-9a-f]{{32}}, {cases[0]}, "
        r"store sqlite:///\S+\):",
        "____" + head,
    )
    *rows, rest = table.splitlines()
    assert rest == "…" and GATE.startswith("\n".join(rows) + "\n")
