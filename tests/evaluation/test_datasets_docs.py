"""The worked example in docs/datasets.md runs and prints what the page shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "datasets.md"


def test_versions_example_prints_the_documented_diff(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    code, shown = re.search(
        r"## Versions\n\n```python\n(.*?)```\n\n```text\n(.*?)```", text, re.S
    ).groups()  # type: ignore[union-attr]
    exec(compile(code, str(DOC), "exec"), {})
    assert capsys.readouterr().out == shown
