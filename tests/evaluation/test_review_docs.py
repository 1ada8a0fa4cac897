"""docs/review.md: the worked example runs and prints what the page shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prodready.cli import _review

DOC = Path(__file__).parents[2] / "docs" / "review.md"


def test_calibration_example_prints_the_documented_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the example's store is a file in the working directory
    text = DOC.read_text(encoding="utf-8")
    code, shown = re.search(
        r"## Calibrating a judge from the labels\n.*?```python\n(.*?)```\n\n```text\n(.*?)```",
        text,
        re.S,
    ).groups()  # type: ignore[union-attr]
    exec(compile(code, str(DOC), "exec"), {"__name__": "review_doc"})
    assert capsys.readouterr().out == shown


def test_the_documented_commands_are_the_review_commands() -> None:
    text = DOC.read_text(encoding="utf-8")
    synopsis = re.search(r"prodready \[--store URL\] review\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    documented = {line.split()[0] for line in synopsis.splitlines() if line.strip()}
    commands = {
        c.name or getattr(c.callback, "__name__", "") for c in _review.app.registered_commands
    }
    assert documented == commands
