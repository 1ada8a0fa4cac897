"""`northwind demo` tells the whole story: the golden set passes its criteria, the flaky-API
replay fails the gate on repeated calls alone, the fix clears it, and the low-confidence
cluster lands in the review queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from northwind.demo import run_demo
from northwind.intents import IntentClassifier, read_csv
from northwind.intents._data import TRAINING_SPLIT
from northwind.intents._model import dev_split
from prodready import tracing
from prodready.evaluation.review import list_tasks
from prodready.store import Store

pytestmark = pytest.mark.slow


def _failing(metrics: object) -> set[str]:
    return {m.name for m in metrics if m.passed is False}  # type: ignore[attr-defined]


def test_the_demo_tells_the_story(tmp_path: Path) -> None:
    # The TF-IDF model (no embeddings) keeps the test to a minute of training; the demo
    # itself trains the MiniLM + TF-IDF model.
    train, _ = dev_split(read_csv(TRAINING_SPLIT), dev_fraction=0.1, seed=0)
    IntentClassifier.train(train, embeddings=False).save(tmp_path / "intents.joblib")
    said: list[str] = []
    try:
        result = run_demo(tmp_path, traffic=150, say=said.append)
    finally:
        tracing.shutdown()
    text = "\n".join(said)

    assert result.golden.passed is True, result.golden.render_text()
    assert result.flaky.passed is False
    assert result.flaky.gate is not None and result.fixed.gate is not None
    assert _failing(result.flaky.gate.metrics) == {"duplicate_tool_calls"}
    assert result.fixed.passed is True, result.fixed.render_text()
    before, after = result.queries_per_question
    assert before > 2.5 and after <= 1.0
    assert result.review_tasks >= 1 and result.cluster is not None

    store = Store(f"sqlite:///{tmp_path / 'prodready.db'}")
    tasks = list_tasks(store)
    assert len(tasks) == result.review_tasks
    assert all(t.kind == "candidate_case" for t in tasks)
    for part in ("gate PASSED", "gate FAILED", "prodready --store sqlite:///", "/ui/review"):
        assert part in text
