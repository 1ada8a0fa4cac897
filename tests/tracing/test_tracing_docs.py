"""docs/tracing.md and docs/conventions.md: their Python examples run as written and record
what the pages say they record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import prodready
from prodready.testing import capture

DOCS = Path(__file__).parents[2] / "docs"


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```$", text, re.M | re.S)


def test_the_span_and_context_examples_record_what_the_page_says() -> None:
    _configure, spans, contexts = python_blocks("tracing.md")
    namespace: dict[str, Any] = {"prodready": prodready}  # imported by the page's first example
    with capture() as cap:
        exec(compile(spans + contexts, "docs/tracing.md", "exec"), namespace)
        (parse,) = cap.spans(name="parse reply")
        answers = cap.spans(name="answer")
    assert parse.kind == "step"
    assert parse.attributes["reply.length"] == 120 and parse.attributes["a"] == 1
    assert parse.attributes["b"] == [1, 2]  # stored as JSON, read back as the list
    assert [(e["name"], e["attributes"]) for e in parse.events] == [
        ("fallback", {"reason": "timeout"})
    ]
    first, second = answers
    assert first.kind == "agent"
    assert json.loads(first.attributes["prodready.input"]) == {"question": "where is my card?"}
    assert first.attributes["prodready.input.kind"] == "arguments"
    assert (first.attributes["session.id"], first.attributes["user.id"]) == ("s-42", "u-7")
    assert second.attributes["prodready.release"] == "candidate-2"


def test_the_translate_example_runs_on_an_openinference_span() -> None:
    (example,) = python_blocks("conventions.md")
    namespace: dict[str, Any] = {
        "span_attributes": {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"},
        "span_name": "ChatOpenAI",
    }
    exec(compile(example, "docs/conventions.md", "exec"), namespace)
    assert namespace["kind"] == "llm"
    assert namespace["attributes"]["gen_ai.request.model"] == "gpt-4o"
