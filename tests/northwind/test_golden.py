"""The golden set: built from held-out BANKING77 queries, current, and saved as a dataset."""

from __future__ import annotations

import asyncio
import string
from collections import Counter
from pathlib import Path

import pytest

from northwind.agent.playbook import PLAYS
from northwind.golden import GOLDEN_DATASET, golden_texts, load_golden, save_golden
from northwind.golden._references import REFERENCES
from northwind.golden.build import _rows, main
from northwind.intents import TRAINING_SPLIT, dev_split, read_csv
from prodready.data import detect_pii
from prodready.evaluation import Case, CaseResult, Score
from prodready.evaluation.scorers import required_facts
from prodready.store import Store

CASES = load_golden()


def test_the_file_is_current() -> None:
    assert main(["--check"]) == 0


def test_three_cases_per_intent_one_per_split() -> None:
    assert len(CASES) >= 200
    assert Counter(case.expected.intent for case in CASES) == {intent: 3 for intent in PLAYS}
    assert Counter(case.split for case in CASES) == {"dev": 77, "validation": 77, "holdout": 77}
    assert len(load_golden(split="holdout")) == 77


def test_queries_come_from_the_development_part_only() -> None:
    train, dev = dev_split(read_csv(TRAINING_SPLIT), dev_fraction=0.1, seed=0)
    assert len(golden_texts()) == len(CASES)
    assert golden_texts() <= set(dev.texts)
    assert not golden_texts() & set(train.texts)


def test_each_reason_names_the_line_of_its_query() -> None:
    rows = {line: (text, category) for line, text, category in _rows(TRAINING_SPLIT)}
    for case in CASES:
        assert isinstance(case.input, dict)
        assert case.reason is not None
        line = int(case.reason.split("line ")[1].split(" ")[0])
        assert rows[line] == (case.input["text"], case.expected.intent)


def test_no_query_holds_pii_and_each_case_has_its_own_customer() -> None:
    assert not any(detect_pii(text) for text in golden_texts())
    customers = [case.input["customer"] for case in CASES if isinstance(case.input, dict)]
    assert len(set(customers)) == len(CASES)


def test_expected_behaviour_follows_the_playbook() -> None:
    for case in CASES:
        play = PLAYS[str(case.expected.intent)]
        assert case.expected.tools == list(play.tools)
        assert case.expected.escalation is play.human
        assert case.expected.facts[: len(play.facts)] == play.fact_values()
        assert case.tags == [play.intent, play.document]
        assert case.input_kind == "arguments"


def _score(case: Case, output: str) -> Score:
    result = CaseResult(case_id=case.id, case_hash=case.content_hash(), output=output)
    score: Score = asyncio.run(required_facts()(case, result))
    return score


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_reference_states_its_required_facts(case: Case) -> None:
    assert case.expected.reference is not None
    score = _score(case, case.expected.reference)
    assert score.passed is (True if case.expected.facts else None), score.rationale


def test_references_are_written_apart_from_the_playbook() -> None:
    assert set(REFERENCES) == set(PLAYS)
    for intent, template in REFERENCES.items():
        quoted = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert set(PLAYS[intent].facts) <= quoted
        assert template != PLAYS[intent].answer


def test_saving_twice_makes_one_version(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/golden.db")
    first = save_golden(store)
    again = save_golden(store)
    assert (first.name, first.version, again.version) == (GOLDEN_DATASET, 1, 1)
    assert len(first.cases) == len(CASES)
