"""docs/testing.md: the opening example is a real test. Its ``answer`` is the reader's agent,
so this test supplies one that escalates when unsure, then runs the example's test function."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import prodready

DOC = (Path(__file__).parents[1] / "docs" / "testing.md").read_text(encoding="utf-8")


@prodready.trace(kind="agent", name="support turn")
def answer(question: str) -> str:
    with prodready.span("guardrail prompt_injection", kind="guardrail") as g:
        g.verdict("pass")
    with prodready.span("classify intent", kind="classifier") as c:
        c.intent("unknown", 0.31)
    with prodready.span("escalate to human", kind="escalation"):
        return "A colleague will answer you shortly."


def test_the_opening_example_passes_for_an_agent_that_escalates_when_unsure() -> None:
    example = re.search(r"^```python\n(.*?)^```$", DOC, re.M | re.S)
    assert example is not None
    names: dict[str, Any] = {"answer": answer}
    exec(compile(example[1], "docs/testing.md", "exec"), names)
    names["test_agent_escalates_when_unsure"]()
