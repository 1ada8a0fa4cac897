"""Datasets in the store: immutable, content-hashed versions (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from prodready.evaluation import Case, DatasetVersion, Expected, content_hash
from prodready.evaluation._tables import case_contents, dataset_cases
from prodready.evaluation.datasets import (
    DatasetError,
    DatasetNotFound,
    dataset_history,
    list_datasets,
    load_dataset,
    save_dataset,
)
from prodready.store import Store


def case(cid: str, question: str | dict[str, Any], reference: str = "ok", **kw: Any) -> Case:
    return Case(id=cid, input=question, expected=Expected(reference=reference), **kw)


CASES = [
    case("c1", "How do I reset my PIN?", "In the app, under Card.", tags=["card"]),
    case("c2", "What is the refund window?", "30 days.", tags=["refund"], split="holdout"),
    case("c3", {"question": "Freeze my card", "account": "A1"}, "Done.", provenance="incident:7"),
]


def test_first_save_is_version_1_and_loads_back_equal(store: Store) -> None:
    saved = save_dataset(store, "support", CASES, created_by="ana", message="expert cases")
    loaded = load_dataset(store, "support")
    assert saved.version == loaded.version == 1
    assert loaded.cases == CASES and loaded.created_by == "ana" and loaded.message == "expert cases"


def test_version_hash_is_hash_of_its_cases(store: Store) -> None:
    saved = save_dataset(store, "support", CASES)
    assert saved.content_hash == DatasetVersion.hash_cases(CASES)
    assert load_dataset(store, "support").content_hash == saved.content_hash


def test_saving_changed_cases_makes_next_version_and_keeps_the_old_one(store: Store) -> None:
    save_dataset(store, "support", CASES)
    v2 = save_dataset(store, "support", [*CASES[:2], case("c4", "Close my account")])
    assert v2.version == 2
    assert load_dataset(store, "support", 1).cases == CASES
    assert [c.id for c in load_dataset(store, "support").cases] == ["c1", "c2", "c4"]


def test_identical_save_is_a_no_op_returning_current_version(store: Store) -> None:
    save_dataset(store, "support", CASES, message="v1")
    again = save_dataset(store, "support", list(CASES), message="same again")
    assert again.version == 1 and again.message == "v1"
    assert [v.version for v in dataset_history(store, "support")] == [1]


def test_tag_only_change_is_a_new_version(store: Store) -> None:
    save_dataset(store, "support", CASES)
    retagged = [CASES[0].model_copy(update={"tags": ["card", "pin"]}), *CASES[1:]]
    assert save_dataset(store, "support", retagged).version == 2
    assert load_dataset(store, "support").cases[0].tags == ["card", "pin"]


def test_case_bodies_are_stored_once_keyed_by_full_body_hash(store: Store) -> None:
    save_dataset(store, "support", CASES)
    save_dataset(store, "support", [*CASES, case("c4", "Close my account")])
    with store.engine.connect() as conn:
        bodies = conn.execute(select(func.count()).select_from(case_contents)).scalar_one()
        hashes = set(conn.execute(select(dataset_cases.c.content_hash)).scalars())
    assert bodies == 4
    assert content_hash(CASES[0].model_dump(mode="json")) in hashes


def test_repeated_case_ids_are_refused_naming_them(store: Store) -> None:
    with pytest.raises(DatasetError, match="repeated: c1"):
        save_dataset(store, "support", [*CASES, case("c1", "Another question")])
    assert list_datasets(store) == []


def test_exact_duplicate_inputs_are_refused_unless_allowed(store: Store) -> None:
    dupe = case("c9", "  how do I RESET my pin ")
    with pytest.raises(DatasetError, match="c1 = c9"):
        save_dataset(store, "support", [*CASES, dupe])
    assert save_dataset(store, "support", [*CASES, dupe], allow_duplicates=True).version == 1


def test_invalid_name_is_refused(store: Store) -> None:
    with pytest.raises(DatasetError, match="invalid dataset name"):
        save_dataset(store, "my dataset!", CASES)


def test_unknown_dataset_error_lists_existing_names(store: Store) -> None:
    save_dataset(store, "support", CASES)
    save_dataset(store, "billing", CASES)
    with pytest.raises(DatasetNotFound, match="no dataset 'suport'; datasets: billing, support"):
        load_dataset(store, "suport")


def test_unknown_version_error_says_which_versions_exist(store: Store) -> None:
    save_dataset(store, "support", CASES)
    save_dataset(store, "support", CASES[:1])
    with pytest.raises(DatasetNotFound, match="has no version 5; it has versions 1 to 2"):
        load_dataset(store, "support", 5)


def test_list_datasets_shows_latest_version_and_case_count(store: Store) -> None:
    save_dataset(store, "support", CASES, created_by="ana", description="support agent")
    save_dataset(store, "support", CASES[:2])
    [info] = list_datasets(store)
    assert (info.name, info.latest_version, info.case_count) == ("support", 2, 2)
    assert info.description == "support agent" and info.created_by == "ana"
    assert info.updated_at_ns >= info.created_at_ns


def test_history_lists_versions_oldest_first_with_messages(store: Store) -> None:
    save_dataset(store, "support", CASES, message="expert cases", created_by="ana")
    save_dataset(store, "support", CASES[:1], message="trim", created_by="bo")
    history = dataset_history(store, "support")
    assert [(h.version, h.case_count, h.message, h.created_by) for h in history] == [
        (1, 3, "expert cases", "ana"),
        (2, 1, "trim", "bo"),
    ]


def test_empty_dataset_can_be_created(store: Store) -> None:
    assert save_dataset(store, "fresh", []).version == 1
    assert load_dataset(store, "fresh").cases == []
