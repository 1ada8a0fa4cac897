"""docs/runner.md: the opening example runs as written, on a stored dataset version and an
agent the test supplies (the names the page leaves to the reader)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prodready.evaluation import Case
from prodready.evaluation.datasets import save_dataset
from prodready.store import Store

DOC = (Path(__file__).parents[2] / "docs" / "runner.md").read_text(encoding="utf-8")


def test_the_opening_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".prodready").mkdir()
    with Store("sqlite:///.prodready/prodready.db") as store:
        cases = [Case(id="refund", input="Refund?"), Case(id="card", input="Card fee?")]
        version = save_dataset(store, "support", cases)
    agent = SimpleNamespace(answer=lambda q: "A refund takes 5 days." if "Refund" in q else "5 EUR")
    example = re.search(r"^```python\n(.*?)^```$", DOC, re.M | re.S)
    assert example is not None
    names: dict[str, Any] = {"agent": agent, "dataset_version": version}
    exec(compile(example[1], "docs/runner.md", "exec"), names)
    run = names["run"]
    names["store"].close()
    assert (run.totals.cases, run.totals.runs, run.totals.errors) == (2, 2, 0)
    assert [s.passed for s in run.scores_named("contains")] == [True, False]
