"""A stored run: the cases it remembers (from a stored dataset, a file or a list), its id."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from prodready.evaluation import Case, CaseResult, Expected, ScoreFn, Verdict, scorer
from prodready.evaluation._tables import eval_results
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.datasets import save_dataset
from prodready.evaluation.runner import evaluate_sync, find_run_id, load_run_cases
from prodready.evaluation.suite import gate_run
from prodready.store import Store

CASES = [
    Case(id="a", input="talk to a human", expected=Expected(escalation=True), tags=["esc"]),
    Case(id="b", input="balance", expected=Expected(escalation=False, reference="100")),
]


@scorer(layer="check")
def rc_echo() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        return Verdict(1.0, passed=True)

    return score


def answer(question: str) -> str:
    return "connecting you" if "human" in question else "done"


def test_a_run_remembers_the_cases_it_ran(store: Store) -> None:
    run = evaluate_sync(answer, CASES, [rc_echo()], store=store, progress=False, repeats=2)
    assert load_run_cases(store, run.run_id) == CASES


def test_a_run_of_a_stored_dataset_remembers_its_cases(store: Store) -> None:
    dataset = save_dataset(store, "support", CASES, created_by="ana")
    run = evaluate_sync(answer, dataset, [rc_echo()], store=store, progress=False)
    assert load_run_cases(store, run.run_id) == CASES


def test_a_run_stored_before_runs_remembered_cases_falls_back_to_its_dataset(
    store: Store,
) -> None:
    dataset = save_dataset(store, "support", CASES, created_by="ana")
    stored = evaluate_sync(answer, dataset, [rc_echo()], store=store, progress=False)
    listed = evaluate_sync(answer, CASES, [rc_echo()], store=store, progress=False)
    with store.engine.begin() as conn:  # as migration 0006 leaves older runs
        conn.execute(update(eval_results).values(case_content=None))
    assert load_run_cases(store, stored.run_id) == CASES
    assert load_run_cases(store, listed.run_id) is None


def test_gate_run_reads_the_cases_the_run_remembers(store: Store) -> None:
    run = evaluate_sync(answer, CASES, [rc_echo()], store=store, progress=False)
    criteria = parse_criteria(
        "metrics:\n  wrong: {source: business.wrong_escalation, target: '== 0'}\n"
    )
    (metric,) = gate_run(store, run, criteria).metrics
    assert metric.n == 2 and "needs the cases" not in metric.reason


def test_upgrade_to_evaluation_0002_keeps_results_without_a_case_body(store_url: str) -> None:
    old = Store(store_url, migrate=False)
    old.migrate("evaluation_0001")  # the evaluation branch before case_content
    with old.db.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO eval_results (run_id, case_id, repeat, case_hash, cached, finished_at_ns)"
            " VALUES ('r1', 'a', 0, 'sha256:x', false, 1)"
        )
    old.migrate()
    with old.db.connect() as conn:
        assert conn.execute(select(eval_results.c.case_content)).scalars().all() == [None]
    old.db.downgrade("evaluation_0001")  # and back: the column goes, the result stays
    with old.db.connect() as conn:
        assert list(conn.exec_driver_sql("SELECT * FROM eval_results").keys()) == [
            c.name for c in eval_results.columns if c.name != "case_content"
        ]
        assert conn.exec_driver_sql("SELECT case_id FROM eval_results").scalars().all() == ["a"]
    old.close()


def test_find_run_id_takes_the_id_or_a_unique_prefix(store: Store) -> None:
    for run_id in ("ab_1", "ab%2", "abc3"):
        evaluate_sync(answer, CASES, [rc_echo()], store=store, run_id=run_id, progress=False)
    assert find_run_id(store, "ab_") == "ab_1"  # not a LIKE wildcard
    assert find_run_id(store, " abc3 ") == "abc3"
    with pytest.raises(ValueError, match="ambiguous: ab%2, ab_1, abc3"):
        find_run_id(store, "ab")
    with pytest.raises(KeyError, match="no eval run 'x'"):
        find_run_id(store, "x")
