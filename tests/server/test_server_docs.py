"""docs/server.md stays true: the exporter setup runs as written, the read API answers the
curl examples with what the page shows, and the filter-parsing calls return what their
comments say."""

from __future__ import annotations

import ast
import re
import time
import warnings
from pathlib import Path
from typing import Any

from prodready.server import create_app
from prodready.store import Store
from tests.cli.factories import MIN, T1, T2, T3, support_trace

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

DOC = (Path(__file__).parents[2] / "docs" / "server.md").read_text(encoding="utf-8")
PYTHON: list[str] = re.findall(r"^```python\n(.*?)^```$", DOC, re.M | re.S)


def block(starting: str) -> str:
    return next(code for code in PYTHON if code.startswith(starting))


def test_the_exporter_setup_runs_as_written() -> None:
    names: dict[str, Any] = {}
    exec(compile(block("from opentelemetry"), "docs/server.md", "exec"), names)
    names["provider"].shutdown()  # nothing was sent: the example only sets the exporter up


def test_the_curl_examples_answer_what_the_page_shows(store: Store) -> None:
    """The store is the CLI page's: three traces, 10 minutes, 3 hours and 10 days old."""
    now = time.time_ns()
    store.write_spans(support_trace(T1, now - 10 * MIN))
    store.write_spans(support_trace(T2, now - 180 * MIN, release="v1.1.0", guardrail=False,
                                    tool_fails_first=False))  # fmt: skip
    store.write_spans(support_trace(T3, now - 14_400 * MIN, release="v1.1.0", escalate=True,
                                    tool_fails_first=False))  # fmt: skip
    console = DOC.split("```console\n$ curl", 1)[1].split("```", 1)[0]
    steps = re.findall(r"'localhost:4318(/api/[^']+)'\n(.*)\n", "$ curl" + console)
    assert len(steps) == 2
    with TestClient(create_app(store)) as client:
        for path, shown in steps:
            response = client.get(path)
            assert response.status_code == 200, response.text
            pattern = ".*".join(map(re.escape, shown.split("...")))
            assert re.fullmatch(pattern, response.text), (path, response.text)


def test_the_filter_parsing_calls_return_what_their_comments_say() -> None:
    code = block("from prodready.store.filters")
    names: dict[str, Any] = {}
    exec(compile(code, "docs/server.md", "exec"), names)
    checked = 0
    for line in code.splitlines():
        call, _, comment = line.partition("  # ")
        shown = re.split(r";| \(", comment)[0].strip()
        try:
            value = ast.literal_eval(shown)
        except (ValueError, SyntaxError):
            continue  # a description ("Unix ns, 15 minutes ago"), not a value
        assert eval(call, names) == value, line
        checked += 1
    assert checked == 4
