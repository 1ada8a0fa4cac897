"""Capture and replay round-trip: a case made from a trace calls the target as the traced
call did (trace a decorated agent, `datasets add-trace`, `datasets confirm`, evaluate)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

import prodready
from prodready.evaluation import Case, Expected
from prodready.evaluation.datasets import list_candidates, load_dataset, save_dataset
from prodready.evaluation.runner import evaluate_sync
from prodready.evaluation.scorers import required_facts
from prodready.store import Store
from prodready.testing import capture
from tests.cli.test_datasets_cli import root_app

CALLS: list[tuple[str, str]] = []


@prodready.trace(kind="agent")
def answer(question: str, *, channel: str = "app") -> str:
    CALLS.append((question, channel))
    return "Refunds reach your card within 14 days."


def datasets(url: str, *args: str) -> str:
    env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None}
    result = CliRunner().invoke(root_app(), ["--store", url, "datasets", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_case_added_from_a_trace_calls_the_target_as_the_traced_call_did(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(url)
    typed = Case(id="fee", input="What does a card cost?", expected=Expected(facts=["14 days"]))
    save_dataset(store, "support", [typed], created_by="ana")
    with capture(store=store) as cap:
        answer("Where is my refund?", channel="chat")
        trace_id = cap.trace().summary.trace_id
    added = datasets(url, "add-trace", "support", trace_id, "--by", "ops", "--reason", "late")
    assert re.search(r'Arguments +\{"question": "Where is my refund\?", "channel": "chat"\}', added)
    [candidate] = list_candidates(store, "support")
    datasets(url, "confirm", candidate.id, "--by", "lead", "--fact", "14 days")
    CALLS.clear()
    run = evaluate_sync(answer, load_dataset(store, "support"), [required_facts()],
                        store=store, progress=False)  # fmt: skip
    assert [r.error for r in run.results] == [None, None]
    assert CALLS == [("What does a card cost?", "app"), ("Where is my refund?", "chat")]
    store.close()
