"""Dataset files: JSONL and CSV import with located errors, export, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready.evaluation import Case, Expected
from prodready.evaluation.datasets import (
    DatasetFileError,
    list_datasets,
    read_cases,
    save_dataset,
    write_cases,
)
from prodready.store import Store

RICH = [
    Case(
        id="c1",
        input="How long do refunds take?",
        expected=Expected(
            reference="Refunds arrive within 5 business days.",
            facts=["5 business days", "original card; not cash"],
            intent="refund",
            tools=["lookup_order"],
            escalation=False,
            custom={"max_turns": 3, "tone": "warm", "code": "007", "flags": ["a"]},
        ),
        tags=["refund", "p1"],
        split="validation",
        provenance="trace:" + "ab" * 16,
        added_by="ana",
        reason="agent quoted 30 days",
    ),
    Case(id="c2", input={"question": "Freeze my card", "card": "****1234"}, tags=["card"]),
    Case(id="c3", input="Close my account", expected=Expected(tools=[], escalation=True)),
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(DatasetFileError) as info:
        read_cases(path)
    return [str(p) for p in info.value.problems]


def test_jsonl_reads_one_case_per_line_skipping_blank_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "cases.jsonl", '{"id": "a", "input": "hi"}\n\n{"id": "b", "input": "yo"}\n'
    )
    assert [c.id for c in read_cases(path)] == ["a", "b"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_write_then_read_round_trips_every_field(tmp_path: Path, suffix: str) -> None:
    path = write_cases(tmp_path / f"out{suffix}", RICH)
    assert read_cases(path) == RICH


def test_jsonl_errors_are_located_and_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.jsonl",
        '{"id": "a", "input": "hi"}\n'
        '{"id": "b", "input": "yo", "split": "test"}\n'
        "{not json}\n"
        '{"input": "no id"}\n'
        '{"id": "a", "input": "again"}\n',
    )
    found = problems(path)
    assert f"{path}:2: field 'split': must be one of dev, validation, holdout" in found
    assert any(p.startswith(f"{path}:3: invalid JSON") for p in found)
    assert f"{path}:4: field 'id': required" in found
    assert f"{path}:5: field 'id': repeated id 'a' (first on line 1)" in found


def test_unknown_and_mistyped_fields_are_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.jsonl",
        '{"id": "a", "input": "hi", "expected": {"refrence": "x", "facts": "y"}}\n',
    )
    assert set(problems(path)) == {
        f"{path}:1: field 'expected.refrence': unknown field",
        f"{path}:1: field 'expected.facts': must be a list, got 'y'",
    }


def test_error_count_is_capped(tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl", "[]\n" * 500)
    with pytest.raises(DatasetFileError) as info:
        read_cases(path, max_errors=10)
    assert len(info.value.problems) == 10 and info.value.truncated
    assert "stopped after 10 problems" in str(info.value)


def test_malformed_file_stores_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl", '{"id": "a", "input": "hi"}\n{"id": "b"}\n')
    with pytest.raises(DatasetFileError):
        save_dataset(store, "support", read_cases(path))
    assert list_datasets(store) == []


def test_csv_columns_map_to_case_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.csv",
        "id,input,reference,facts,intent,tools,escalation,tags,split,channel\n"
        'c1,Refund?,"Within 5 days.",5 days; card,refund,lookup_order,false,refund;p1,'
        "holdout,chat\n",
    )
    [c] = read_cases(path)
    assert c.expected == Expected(
        reference="Within 5 days.", facts=["5 days", "card"], intent="refund",
        tools=["lookup_order"], escalation=False, custom={"channel": "chat"},
    )  # fmt: skip
    assert (c.tags, c.split, c.provenance) == (["refund", "p1"], "holdout", "expert")


def test_csv_lists_accept_json_for_items_with_semicolons(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", 'id,input,facts\nc1,Hi,"[""a; b"", ""c""]"\n')
    assert read_cases(path)[0].expected.facts == ["a; b", "c"]


def test_csv_json_object_input_is_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", 'id,input\nc1,"{""question"": ""hi""}"\n')
    assert read_cases(path)[0].input == {"question": "hi"}


def test_csv_errors_are_located_by_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.csv",
        'id,input,escalation,split\nc1,"multi\nline",maybe,dev\nc2,ok,,prod\nc3,too,many,cells,here\n',
    )
    assert problems(path) == [
        f"{path}:2: field 'escalation': must be true, false or blank, got 'maybe'",
        f"{path}:4: field 'split': must be one of dev, validation, holdout",
        f"{path}:5: 5 cells, but the header has 4",
    ]


def test_csv_without_id_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "question,reference\nhi,hello\n")
    assert problems(path) == [
        f"{path}:1: field 'id': missing column",
        f"{path}:1: field 'input': missing column",
    ]


def test_blank_input_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "id,input\nc1,  \n")
    assert problems(path) == [f"{path}:2: field 'input': must not be blank"]


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    assert "unsupported file type '.txt'" in problems(write(tmp_path, "c.txt", ""))[0]


def test_csv_refuses_text_input_that_reads_back_as_object(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use JSONL"):
        write_cases(tmp_path / "c.csv", [Case(id="a", input='{"q": 1}')])
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_case_of_call_arguments_round_trips_with_its_input_kind(
    tmp_path: Path, suffix: str
) -> None:
    traced = Case(id="t", input={"question": "Refund?", "channel": "chat"}, input_kind="arguments")
    path = write_cases(tmp_path / f"out{suffix}", [*RICH, traced])
    assert read_cases(path) == [*RICH, traced]


def test_csv_writes_the_input_kind_column_only_when_a_case_needs_it(tmp_path: Path) -> None:
    header = write_cases(tmp_path / "out.csv", RICH).read_text().splitlines()[0]
    assert "input_kind" not in header


def test_an_arguments_case_whose_input_is_text_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "id,input,input_kind\nc1,hi,arguments\n")
    assert problems(path) == [
        f"{path}:2: field 'input_kind': 'arguments' needs an object input: the call's "
        "arguments by parameter name"
    ]
