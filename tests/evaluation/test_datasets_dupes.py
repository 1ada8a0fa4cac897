"""Duplicate inputs: exact after normalisation, and near duplicates by token-set Jaccard."""

from __future__ import annotations

import pytest

from prodready.evaluation import Case
from prodready.evaluation.datasets import DuplicateGroup, find_duplicates, normalise_text


def cases(*inputs: str | dict[str, str]) -> list[Case]:
    return [Case(id=f"c{i}", input=text) for i, text in enumerate(inputs, start=1)]


def test_normalise_ignores_case_punctuation_and_spacing() -> None:
    assert normalise_text("  What's the REFUND-policy?!\n") == "whats the refund policy"


def test_exact_duplicates_after_normalisation_are_grouped() -> None:
    found = find_duplicates(
        cases("Reset my PIN", "reset   my pin!", "Close account", "RESET MY PIN.")
    )
    assert found == [DuplicateGroup(kind="exact", case_ids=("c1", "c2", "c4"), similarity=1.0)]


def test_object_inputs_compare_by_normalised_values() -> None:
    found = find_duplicates(
        cases({"q": "Reset PIN", "acct": "1"}, {"acct": "1", "q": "reset pin?"})
    )
    assert [g.case_ids for g in found] == [("c1", "c2")]


def test_near_duplicates_reach_the_jaccard_threshold() -> None:
    base = "how long does a refund for a damaged parcel take to arrive on my card"
    found = find_duplicates(cases(base, base + " please", "how do I reset my card pin"))
    [group] = found
    assert group.kind == "near" and group.case_ids == ("c1", "c2")
    assert group.similarity == pytest.approx(14 / 15)  # 14 distinct words, then "please"


def test_near_threshold_is_configurable() -> None:
    pair = cases("refund for damaged parcel", "refund for broken parcel")
    assert find_duplicates(pair) == []
    assert [g.kind for g in find_duplicates(pair, threshold=0.6)] == ["near"]


def test_near_detection_can_be_turned_off() -> None:
    base = "one two three four five six seven eight nine ten"
    assert find_duplicates(cases(base, base + " eleven"), near=False) == []


def test_word_order_change_is_near_not_exact() -> None:
    [group] = find_duplicates(cases("card frozen why", "why card frozen"))
    assert group.kind == "near" and group.similarity == 1.0


def test_threshold_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        find_duplicates(cases("a"), threshold=0)


def test_near_detection_matches_brute_force_on_many_cases() -> None:
    import itertools
    import random

    rng = random.Random(3)
    words = [f"w{i}" for i in range(30)]
    inputs = [" ".join(rng.sample(words, rng.randint(8, 12))) for _ in range(300)]
    found = {g.case_ids for g in find_duplicates(cases(*inputs), threshold=0.7) if g.kind == "near"}
    sets = [set(t.split()) for t in inputs]
    pairs = {
        (f"c{i + 1}", f"c{j + 1}")
        for i, j in itertools.combinations(range(len(sets)), 2)
        if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.7 and sets[i] != sets[j]
    }
    linked = {pair for group in found for pair in itertools.combinations(group, 2)}
    assert pairs and pairs <= linked
