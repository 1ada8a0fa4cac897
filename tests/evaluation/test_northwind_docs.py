"""The examples written for the reader's own agent run as written against stand-ins.

docs/ci.md's suite file and docs/review.md's pytest test import ``agent`` from ``my_agent``,
read the stored dataset ``banking-golden`` and a ``criteria.yaml`` the pages do not show, and
use the ``correctness`` judge. Here ``my_agent`` is a table of answers, the dataset five
cases, the criteria the two metrics the pages' gate shows, and the judge the scripted one
(``prodready.testing``), passing every answer. The suite runs through ``prodready eval run``
with the page's arguments, the test through the pytest plugin; both fail their gate as the
pages show, since five cases cannot show ``correctness >= 0.85`` with confidence.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodready.cli import app
from prodready.evaluation import Case, Expected
from prodready.evaluation.datasets import save_dataset
from prodready.evaluation.scorers import JudgeCache, using_judge_cache
from prodready.store import Store
from prodready.testing import ScriptedJudge, ScriptedModelServer
from tests.evaluation.test_pytest_plugin import LOAD

pytest_plugins = ["pytester"]

DOCS = Path(__file__).parents[2] / "docs"
CI = (DOCS / "ci.md").read_text(encoding="utf-8")
REVIEW = (DOCS / "review.md").read_text(encoding="utf-8")
SUITE = CI.split("## The suite file", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
TEST = REVIEW.split("## Eval suites under pytest", 1)[1].split("```python\n", 1)[1]
TEST = TEST.split("```", 1)[0]
GATE_HEADER = re.compile(r"^metric +estimate +95% interval +n +errors +target +mode +mde +verdict$")

QA = {
    "How long does a refund take?": ("Refunds arrive within 5 working days.", "5 working days"),
    "What does a replacement card cost?": ("A replacement card costs 5 EUR.", "5 EUR"),
    "How do I reset my PIN?": ("Open Settings, then Card, then Reset PIN.", "Settings"),
    "Can I pay abroad?": ("Yes, wherever the card network is accepted.", "Yes"),
    "What is the daily ATM limit?": ("You can withdraw up to 500 EUR a day.", "500 EUR"),
}
NORTHWIND = f"""
ANSWERS = {{q: a for q, (a, _) in {QA!r}.items()}}


class Agent:
    def answer(self, question: str) -> str:
        return ANSWERS.get(question, "Let me connect you with a colleague.")


agent = Agent()
"""
CRITERIA = """version: 1
metrics:
  correctness: {source: correctness, target: ">= 0.85", gate: confident}
  facts: {source: facts, target: ">= 0.9"}
"""


def banking_golden(url: str) -> None:
    cases = [
        Case(id=f"q{i}", input=q, expected=Expected(reference=a, facts=[fact]))
        for i, (q, (a, fact)) in enumerate(QA.items())
    ]
    with Store(url) as store:
        save_dataset(store, "banking-golden", cases, created_by="ana")


@pytest.fixture(autouse=True)
def judge(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The scripted judge, as ``prodready testing judge-server`` serves it, passing all."""
    with (
        using_judge_cache(JudgeCache()),
        ScriptedModelServer(ScriptedJudge(default="pass"), model="judge") as server,
    ):
        monkeypatch.setenv("PRODREADY_JUDGE_MODEL", "scripted:judge")
        monkeypatch.setenv("PRODREADY_JUDGE_BASE_URL", server.base_url)
        monkeypatch.delenv("PRODREADY_JUDGE_API_KEY", raising=False)
        monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
        monkeypatch.setenv("PRODREADY_RELEASE", "northwind@1.4.0")
        yield
    sys.modules.pop("my_agent", None)  # the stand-in, imported by the suite or the test


def test_the_ci_suite_file_runs_with_the_pages_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evals").mkdir()
    for name, text in {
        "suite.py": SUITE,
        "my_agent.py": NORTHWIND,
        "criteria.yaml": CRITERIA,
    }.items():
        (tmp_path / "evals" / name).write_text(text, encoding="utf-8")
    (tmp_path / ".prodready").mkdir()
    banking_golden("sqlite:///.prodready/prodready.db")
    command = CI.split("```console\n$ ", 1)[1].split("\n", 1)[0]
    program, *args = shlex.split(command)
    result = CliRunner().invoke(app, args, env={"COLUMNS": None})
    assert program == "prodready" and result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if GATE_HEADER.match(line)) :]
    assert [row.split()[0] for row in table[2:4]] == ["correctness", "facts"]
    assert table[-1] == "gate FAILED (1 of 2 gating metrics)"


def test_the_review_pages_pytest_test_fails_with_the_gate_it_shows(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    tests = pytester.mkdir("tests")
    (tests / "test_agent.py").write_text(TEST, encoding="utf-8")
    (tests / "criteria.yaml").write_text(CRITERIA, encoding="utf-8")
    pytester.makepyfile(my_agent=NORTHWIND)
    pytester.syspathinsert()
    url = f"sqlite:///{pytester.path / 'evals.db'}"
    banking_golden(url)
    result = pytester.runpytest(*LOAD, "--prodready-store", url, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    shown = REVIEW.split("```text\n____", 1)[1].split("```", 1)[0].splitlines()
    section, failed, _, header = ("____" + shown[0], *shown[1:4])
    assert GATE_HEADER.match(header)  # the widths follow the numbers; the columns do not
    ran = rf"\(run [0-9a-f]{{32}}, 5 cases, store {re.escape(url)}\):"
    result.stdout.re_match_lines(
        [
            re.escape(section),
            re.escape(failed.split(" (run ")[0]) + " " + ran,
            "",
            GATE_HEADER.pattern,
        ],
        consecutive=True,
    )
