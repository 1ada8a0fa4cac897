"""docs/review.md: the worked example runs and prints what the page shows; the queuing and
labelling examples run on its run."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from prodready.cli import _review
from prodready.evaluation.datasets import add_from_trace, load_dataset, save_dataset
from prodready.evaluation.review import get_task, list_tasks, queue_candidates
from tests.cli.factories import T1, support_trace

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


def test_the_queuing_and_labelling_examples_run_on_the_calibration_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``store`` and ``run`` are the calibration example's; ``task`` is a queued score review
    and ``candidate_task`` the review of a candidate made from a support-agent trace."""
    monkeypatch.chdir(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    blocks = {
        title: re.search(rf"## {title}\n.*?```python\n(.*?)```", text, re.S)[1]  # type: ignore[index]
        for title in ("Queuing", "Labelling", "Calibrating a judge from the labels")
    }
    names: dict[str, Any] = {"__name__": "review_doc"}
    run_only = blocks["Calibrating a judge from the labels"].split("\nfor task in", 1)[0]
    exec(compile(run_only, str(DOC), "exec"), names)
    store = names["store"]
    exec(compile(blocks["Queuing"], str(DOC), "exec"), names)
    assert {t.case_id for t in list_tasks(store)} == {"card", "pin", "twice", "refund"}
    save_dataset(store, "support", names["cases"])
    store.write_spans(support_trace(T1, time.time_ns() - 10**9))
    add_from_trace(store, T1, "support", added_by="ops", reason="promised a cash refund")
    names["task"] = list_tasks(store, kind="score_review")[0]
    (names["candidate_task"],) = queue_candidates(store)
    exec(compile(blocks["Labelling"], str(DOC), "exec"), names)
    assert get_task(store, names["task"].id).status == "done"
    assert len(load_dataset(store, "support").cases) == 5  # the candidate was confirmed
    store.close()
