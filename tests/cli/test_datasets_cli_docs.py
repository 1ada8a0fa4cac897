"""docs/datasets.md's console examples run through the real CLI and print what the page
shows: the located errors for the file the page shows, and the import, add-trace, confirm,
diff session (on 212 generated cases and a trace with the page's id; hashes and candidate ids
depend on the data, so they are compared as shapes)."""

from __future__ import annotations

import csv
import re
import shlex
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodready.cli import app
from prodready.store import SpanRecord, Store

DOC = (Path(__file__).parents[2] / "docs" / "datasets.md").read_text(encoding="utf-8")
CONSOLES = re.findall(r"^```console\n(.*?)^```$", DOC, re.M | re.S)
TRACE_ID = "dde204345a7e00000000000000000001"
CANDIDATE = re.compile(r"\b[0-9a-f]{16}\b")


def session(console: str) -> list[tuple[list[str], str]]:
    """(arguments after ``prodready``, output shown) per command; ``\\`` joins lines."""
    steps: list[tuple[list[str], str]] = []
    for chunk in re.split(r"^\$ ", console.replace("\\\n", ""), flags=re.M)[1:]:
        command, _, shown = chunk.partition("\n")
        program, *args = shlex.split(command)
        assert program == "prodready", command
        steps.append((args, shown))
    return steps


def shape(text: str) -> list[str]:
    """The lines, trailing spaces dropped, hashes and candidate ids masked."""
    text = re.sub(r"sha256:[0-9a-f]+(\.\.\.)?", "sha256:HASH", text)
    return [CANDIDATE.sub("ID", line).rstrip() for line in text.splitlines()]


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env={"COLUMNS": None, "PRODREADY_STORE_URL": None})
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_a_malformed_file_prints_the_located_errors_the_page_shows(tmp_path: Path) -> None:
    name, text = re.findall(r"^```json (\S+)\n(.*?)^```$", DOC, re.M | re.S)[0]
    (tmp_path / name).write_text(text, encoding="utf-8")
    [(args, shown)] = session(next(c for c in CONSOLES if name in c and "error:" in c))
    assert invoke(args) == (2, shown)


def test_the_import_add_trace_confirm_diff_session_prints_what_the_page_shows(
    tmp_path: Path,
) -> None:
    with (tmp_path / "cases.csv").open("w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f)
        rows.writerow(["id", "input", "reference"])
        rows.writerows([f"case-{i:03d}", f"Question {i}?", f"Answer {i}."] for i in range(212))
    steps = session(next(c for c in CONSOLES if "add-trace" in c))
    candidate = ""
    for documented, shown in steps:
        if documented[:2] == ["datasets", "add-trace"]:  # the agent's production trace
            store_the_trace(tmp_path)
        args = [candidate if CANDIDATE.fullmatch(a) else a for a in documented]
        code, output = invoke(args)
        assert code == 0, (args, output)
        assert shape(output) == shape(shown), (args, output)
        candidate = m[1] if (m := re.match(r"Candidate (\w+)", output)) else candidate


def store_the_trace(workdir: Path) -> None:
    """What ``@prodready.trace`` records for ``answer("Can I get my refund in cash?")``."""
    now = time.time_ns()
    span = SpanRecord(
        trace_id=TRACE_ID, span_id="dde204345a7e0001", parent_span_id=None, name="answer",
        kind="agent", start_ns=now - 10**9, end_ns=now, status="ok",
        attributes={
            "prodready.input": '{"question": "Can I get my refund in cash?"}',
            "prodready.input.kind": "arguments",
            "prodready.output": "Yes, we refund in cash.",
        },
    )  # fmt: skip
    with Store(f"sqlite:///{workdir}/.prodready/prodready.db") as store:
        store.write_spans([span])
