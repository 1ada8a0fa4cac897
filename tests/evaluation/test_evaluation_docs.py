"""The worked example in docs/evaluation.md runs and prints what the page says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "evaluation.md"


def test_worked_example_prints_what_the_page_shows() -> None:
    text = DOC.read_text()
    section = text[text.index("## A worked example") :]
    code, expected = re.findall(r"```(?:python|)\n(.*?)```", section, re.S)[:2]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})
    assert out.getvalue() == expected
