"""Diffing two dataset versions: added, removed, changed cases with field-level changes."""

from __future__ import annotations

from prodready.evaluation import Case, DatasetVersion, Expected
from prodready.evaluation.datasets import FieldChange, diff_datasets, load_dataset, save_dataset
from prodready.store import Store


def version(number: int, cases: list[Case]) -> DatasetVersion:
    return DatasetVersion(
        name="support", version=number, content_hash=DatasetVersion.hash_cases(cases), cases=cases
    )


A = Case(id="a", input="Refund?", expected=Expected(reference="30 days"), tags=["refund"])
B = Case(id="b", input="Reset PIN?")
C = Case(id="c", input="Close account?")
V1 = version(1, [A, B])


def test_added_and_removed_cases_are_listed_by_id() -> None:
    diff = diff_datasets(V1, version(2, [A, C]))
    assert (diff.added, diff.removed, diff.changed, diff.unchanged) == (["c"], ["b"], [], 1)


def test_changed_case_lists_each_changed_field() -> None:
    a2 = A.model_copy(update={"expected": Expected(reference="14 days"), "tags": ["refund", "p1"]})
    [change] = diff_datasets(V1, version(2, [a2, B])).changed
    assert change.case_id == "a"
    assert change.changes == [
        FieldChange(field="expected.reference", before="30 days", after="14 days"),
        FieldChange(field="tags", before=["refund"], after=["refund", "p1"]),
    ]


def test_custom_and_object_input_fields_are_compared_key_by_key() -> None:
    old = Case(id="x", input={"q": "hi", "acct": "1"}, expected=Expected(custom={"turns": 2}))
    new = Case(id="x", input={"q": "hi", "acct": "2"}, expected=Expected(custom={"turns": 3}))
    [change] = diff_datasets(version(1, [old]), version(2, [new])).changed
    assert [c.field for c in change.changes] == ["input.acct", "expected.custom.turns"]


def test_identical_versions_have_an_empty_diff() -> None:
    diff = diff_datasets(V1, version(2, [A, B]))
    assert diff.empty and not diff.reordered and diff.unchanged == 2


def test_reordering_is_reported() -> None:
    diff = diff_datasets(V1, version(2, [B, A]))
    assert diff.empty and diff.reordered


def test_render_is_readable() -> None:
    a2 = A.model_copy(update={"expected": Expected(reference="14 days")})
    text = str(diff_datasets(V1, version(2, [a2, C])))
    assert text.splitlines()[0].startswith("support@v1 -> support@v2  (sha256:")
    assert "1 added, 1 removed, 1 changed, 0 unchanged" in text
    assert '+ c\n- b\n~ a\n    expected.reference: "30 days" -> "14 days"' in text


def test_diff_of_stored_versions(store: Store) -> None:
    save_dataset(store, "support", [A, B])
    save_dataset(store, "support", [A, B, C])
    diff = diff_datasets(load_dataset(store, "support", 1), load_dataset(store, "support", 2))
    assert diff.added == ["c"] and diff.a == "support@v1" and diff.b == "support@v2"
