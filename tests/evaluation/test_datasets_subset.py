"""Seeded stratified subsets: deterministic, proportional, every stratum when n allows."""

from __future__ import annotations

from collections import Counter

import pytest

from prodready.evaluation import Case, Expected
from prodready.evaluation.datasets import stratified_subset

# 60 refund, 30 card, 10 fraud cases.
CASES = [
    Case(id=f"{tag}-{i}", input=f"{tag} question {i}", tags=[tag], expected=Expected(intent=tag))
    for tag, count in (("refund", 60), ("card", 30), ("fraud", 10))
    for i in range(count)
]


def by_tag(cases: list[Case]) -> Counter[str]:
    return Counter(c.tags[0] for c in cases)


def test_same_seed_same_subset_whatever_the_order() -> None:
    first = stratified_subset(CASES, 20, seed=7)
    again = stratified_subset(list(reversed(CASES)), 20, seed=7)
    assert {c.id for c in first} == {c.id for c in again}


def test_other_seed_draws_other_cases_in_same_proportions() -> None:
    a, b = stratified_subset(CASES, 20, seed=1), stratified_subset(CASES, 20, seed=2)
    assert {c.id for c in a} != {c.id for c in b}
    assert by_tag(a) == by_tag(b)


def test_allocation_is_proportional() -> None:
    assert by_tag(stratified_subset(CASES, 20, seed=0)) == {"refund": 12, "card": 6, "fraud": 2}


def test_every_stratum_gets_one_when_n_allows() -> None:
    assert by_tag(stratified_subset(CASES, 5, seed=0)) == {"refund": 3, "card": 1, "fraud": 1}


def test_n_below_stratum_count_takes_the_largest_strata() -> None:
    assert by_tag(stratified_subset(CASES, 2, seed=0)) == {"refund": 1, "card": 1}


def test_subset_keeps_dataset_order() -> None:
    subset = stratified_subset(CASES, 10, seed=3)
    positions = [CASES.index(c) for c in subset]
    assert positions == sorted(positions) and len(subset) == 10


def test_n_at_least_size_returns_everything() -> None:
    assert stratified_subset(CASES, 500, seed=0) == CASES


def test_stratify_by_intent_or_function() -> None:
    assert by_tag(stratified_subset(CASES, 10, seed=0, by="intent")) == {
        "refund": 6, "card": 3, "fraud": 1,
    }  # fmt: skip
    halves = stratified_subset(CASES, 10, seed=0, by=lambda c: str(int(c.id.split("-")[1]) % 2))
    assert Counter(int(c.id.split("-")[1]) % 2 for c in halves) == {0: 5, 1: 5}


def test_adding_cases_to_one_stratum_keeps_the_others_draw() -> None:
    more = [*CASES, *(Case(id=f"fraud-x{i}", input=f"f {i}", tags=["fraud"]) for i in range(10))]
    before = [c.id for c in stratified_subset(CASES, 20, seed=5) if c.tags[0] == "card"]
    after = [c.id for c in stratified_subset(more, 22, seed=5) if c.tags[0] == "card"]
    assert before == after


def test_unknown_strata_name_is_refused() -> None:
    with pytest.raises(ValueError, match="by must be"):
        stratified_subset(CASES, 5, seed=0, by="colour")  # type: ignore[arg-type]
