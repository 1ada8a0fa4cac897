"""The Python examples in docs/datasets.md run, in order, as written; the first prints what
the page shows."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from prodready.evaluation.datasets import read_cases
from tests.cli.factories import T1, support_trace

DOC = Path(__file__).parents[2] / "docs" / "datasets.md"


def test_versions_example_prints_the_documented_diff(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    code, shown = re.search(
        r"## Versions\n\n```python\n(.*?)```\n\n```text\n(.*?)```", text, re.S
    ).groups()  # type: ignore[union-attr]
    exec(compile(code, str(DOC), "exec"), {})
    assert capsys.readouterr().out == shown


def test_the_candidate_example_runs_after_the_versions_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The page's examples share one session: the second uses the first's store and imports."""
    text = DOC.read_text(encoding="utf-8")
    versions = re.search(r"## Versions\n\n```python\n(.*?)```", text, re.S)
    candidates = re.search(r"## Candidates from production\n.*?```python\n(.*?)```", text, re.S)
    assert versions and candidates
    names: dict[str, Any] = {}
    exec(compile(versions[1], str(DOC), "exec"), names)
    names["trace_id"] = T1  # a support-agent trace: a classifier said "refund"
    names["store"].write_spans(support_trace(T1, time.time_ns() - 10**9))
    exec(compile(candidates[1], str(DOC), "exec"), names)
    candidate = names["candidate"]
    assert candidate.status == "pending" and candidate.case.provenance == f"trace:{T1}"
    assert candidate.suggested["intent"] == "refund"
    assert names["v3"].version == 3 and len(names["v3"].cases) == 3
    capsys.readouterr()


def test_the_jsonl_and_csv_samples_read_as_the_page_describes(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    jsonl = re.search(r"^```json\n(\{\"id\": \"pin\".*?)^```$", text, re.M | re.S)
    csv = re.search(r"^```csv\n(.*?)^```$", text, re.M | re.S)
    assert jsonl and csv
    (tmp_path / "cases.jsonl").write_text(jsonl[1], encoding="utf-8")
    (tmp_path / "cases.csv").write_text(csv[1], encoding="utf-8")
    pin, freeze = read_cases(tmp_path / "cases.jsonl")
    assert pin.expected.intent == "card" and freeze.input == {
        "question": "Freeze my card",
        "card": "1234",
    }
    assert freeze.expected.tools == ["freeze_card"] and freeze.expected.escalation is False
    pin, refund = read_cases(tmp_path / "cases.csv")
    assert (
        pin.expected.tools == []
        and pin.tags == ["card", "p1"]
        and pin.expected.custom == {"channel": "app"}
    )
    assert refund.expected.tools == ["lookup_order"] and refund.expected.escalation is None
    assert (refund.split, refund.expected.facts) == ("holdout", ["14 days"])
