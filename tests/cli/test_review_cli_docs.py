"""docs/review.md: the ``prodready review`` session runs through the real CLI on the run the
page's calibration example makes, and prints what the page shows. Run, task and trace ids
and times differ from run to run, so they are compared as shapes; the ids the page types are
mapped to the real ones by the case each task is for."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prodready.cli import app

DOC = (Path(__file__).parents[2] / "docs" / "review.md").read_text(encoding="utf-8")
EXAMPLE = re.search(r"## Calibrating a judge from the labels\n.*?```python\n(.*?)```", DOC, re.S)
CONSOLE = DOC.split("```console\n$ prodready review queue", 1)[1].split("```", 1)[0]
HEX = re.compile(r"\b[0-9a-f]{8,32}\b")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def session() -> list[tuple[list[str], str]]:
    steps: list[tuple[list[str], str]] = []
    for chunk in re.split(r"^\$ ", "$ prodready review queue" + CONSOLE, flags=re.M)[1:]:
        command, _, shown = chunk.partition("\n")
        program, *args = shlex.split(command)
        assert program == "prodready", command
        steps.append((args, shown))
    return steps


def matches(shown: str, output: str) -> bool:
    """Line by line, ids and times masked, trailing spaces dropped; ``…`` is any lines."""

    def masked(text: str) -> list[str]:
        return [TIME.sub("T", HEX.sub("ID", line)).rstrip() for line in text.splitlines()]

    pattern = "".join(
        r"(?:.*\n)*" if line == "…" else re.escape(line) + r"\n" for line in masked(shown)
    )
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in masked(output))) is not None


def by_case(queue_output: str) -> dict[str, str]:
    """Case id -> task id, from the rows of a ``review queue`` table."""
    rows = [line.split() for line in queue_output.splitlines() if HEX.match(line)]
    return {row[-3]: row[0] for row in rows}


def test_the_review_session_prints_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert EXAMPLE is not None
    names: dict[str, Any] = {"__name__": "review_doc"}
    run_only = EXAMPLE[1].split("\nfor task in queue_low_scores", 1)[0]
    exec(compile(run_only, "docs/review.md", "exec"), names)
    names["store"].close()
    env = {"COLUMNS": None, "PRODREADY_STORE_URL": "sqlite:///review-demo.db"}
    (queue, shown_queue), *rest = session()
    real_ids = {queue[2]: names["run"].run_id[: len(queue[2])]}
    result = CliRunner().invoke(app, [*queue[:2], real_ids[queue[2]], *queue[3:]], env=env)
    assert result.exit_code == 0 and matches(shown_queue, result.output), result.output
    real = by_case(result.output)
    real_ids |= {doc[:8]: real[case][:8] for case, doc in by_case(shown_queue).items()}
    for args, shown in rest:
        result = CliRunner().invoke(app, [real_ids.get(a, a) for a in args], env=env)
        assert result.exit_code == 0, (args, result.output)
        assert matches(shown, result.output), (args, result.output)
