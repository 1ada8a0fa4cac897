"""docs/cli.md stays true: every console example runs through the real CLI and prints what
the page shows.

The page's store is the CLI tests' seeded one (three support-agent traces: 10 minutes, 3
hours and 10 days old), at the default path in the working directory. Times on the page
stand for any time; ``...`` stands for any text, and a line of ``...`` for any lines.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodready.cli import app
from tests.cli.conftest import Seeded

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
CONSOLES = re.findall(r"^```console\n(.*?)^```$", DOC, re.M | re.S)
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"


def session() -> list[tuple[str, str]]:
    """Every ``$ command`` on the page, in order, with the output shown under it."""
    steps: list[tuple[str, str]] = []
    for block in CONSOLES:
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], ""))
            else:
                steps[-1] = (steps[-1][0], steps[-1][1] + line + "\n")
    return steps


def line_pattern(line: str) -> str:
    if line == "...":
        return r"(?:[^\n]*\n)*"
    parts = re.split(f"(\\.\\.\\.|{TIME})", line)
    return "".join(piece(part) for part in parts) + r"\n"


def piece(part: str) -> str:
    return ".*" if part == "..." else TIME if re.fullmatch(TIME, part) else re.escape(part)


def matches(shown: str, output: str) -> bool:
    """Does the output, trailing spaces dropped, read as the shown text (times, ``...`` free)?"""
    text = "".join(line.rstrip() + "\n" for line in output.splitlines())
    regex = "".join(line_pattern(line) for line in shown.splitlines())
    return re.fullmatch(regex, text) is not None


@pytest.fixture
def page_store(seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeded traces at the default store path, ``.prodready/prodready.db``, in cwd."""
    workdir = tmp_path / "work"
    (workdir / ".prodready").mkdir(parents=True)
    shutil.copy(seeded.path, workdir / ".prodready" / "prodready.db")
    monkeypatch.chdir(workdir)
    return workdir


def test_every_console_example_prints_what_the_page_shows(page_store: Path) -> None:
    runner = CliRunner()  # output is not a terminal: written for a log, no width limit
    steps = session()
    assert len(steps) >= 12
    for command, shown in steps:
        words = shlex.split(command, comments=True)
        if words[-2:] == ["--host", "0.0.0.0"]:  # serve runs until stopped: test_serve.py
            assert words[1:] == ["prodready", "serve", "--host", "0.0.0.0"]
            continue
        program, *args = command.split(" | ")[0].split() if "|" in command else words
        assert program == "prodready", command
        result = runner.invoke(app, args, env={"COLUMNS": None, "PRODREADY_STORE_URL": None})
        if "| jq -r '.[].trace_id'" in command:
            rows = json.loads(result.stdout)
            assert rows and all(len(row["trace_id"]) == 32 for row in rows)
        expected_code = 2 if shown.startswith("error:") else 0
        assert result.exit_code == expected_code, (command, result.output)
        assert not shown or matches(shown, result.output), (command, result.output)
