"""The Python examples in docs/scorers.md run, in order, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "scorers.md"
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)


def examples() -> list[str]:
    return [m["code"] for m in BLOCK.finditer(DOC.read_text()) if "not run" not in m["before"]]


def test_docs_have_runnable_examples() -> None:
    assert len(examples()) >= 4


@pytest.mark.parametrize("index", range(len(examples())))
def test_docs_example_runs(index: int) -> None:
    exec(compile(examples()[index], f"{DOC}:example{index + 1}", "exec"), {"__name__": "docs"})
