"""Dataset files that hold no cases, or are malformed in ways that used to pass silently or
raise from deep inside the reader: each is a located DatasetFileError."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready.evaluation import Case, Expected
from prodready.evaluation.datasets import DatasetFileError, read_cases, write_cases

DEEP = '{"a": ' * 3000 + "1" + "}" * 3000


def problems(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetFileError) as info:
        read_cases(path)
    return [str(p).removeprefix(f"{path}") for p in info.value.problems]


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("cases.jsonl", ""),
        ("cases.jsonl", "\n   \n\n"),
        ("cases.csv", ""),
        ("cases.csv", "\n  \n"),
        ("cases.csv", "id,input\n"),
        ("cases.csv", "id,input\n,\n\n"),
    ],
)
def test_a_file_without_cases_is_refused(tmp_path: Path, name: str, text: str) -> None:
    (problem,) = problems(tmp_path, name, text)
    assert problem.startswith(": no cases in the file")


def test_a_quote_that_never_closes_is_located_where_its_row_starts(tmp_path: Path) -> None:
    text = 'id,input\na,q1\nb,"q2\nc,q3\nd,q4\n'
    assert problems(tmp_path, "cases.csv", text) == [
        ":3: a quote opened in this row never closes, so the rest of the file would be one "
        'cell (write "" for a quote inside a quoted cell)'
    ]


def test_text_after_a_closing_quote_is_refused(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, "cases.csv", 'id,input\na,"q1"x\nb,q2\n')
    assert problem.startswith(":2: text after a closing quote")


def test_a_csv_cell_longer_than_the_csv_limit_says_so(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, "cases.csv", "id,input\na," + "x" * 200_000 + "\n")
    assert problem.startswith(":2: a cell is longer than 131072 characters")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("header", "row", "column"),
    [
        ("id,input", f"a,{csv_cell(DEEP)}", "input"),
        ("id,input,facts", f"a,q,{'[' * 3000}{']' * 3000}", "facts"),
        ("id,input,channel", f"a,q,{csv_cell(DEEP)}", "channel"),
    ],
)
def test_json_nested_thousands_deep_in_a_csv_cell_is_located(
    tmp_path: Path, header: str, row: str, column: str
) -> None:
    (problem,) = problems(tmp_path, "cases.csv", f"{header}\n{row}\n")
    assert problem == f":2: field '{column}': JSON nested deeper than 100 levels"


def test_json_nested_deeper_than_the_limit_in_a_jsonl_line_is_located(tmp_path: Path) -> None:
    deep = '{"a": ' * 500 + "1" + "}" * 500
    text = '{"id": "a", "input": "q"}\n' + f'{{"id": "b", "input": {deep}}}\n'
    assert problems(tmp_path, "cases.jsonl", text) == [
        ":2: field 'input': JSON nested deeper than 100 levels"
    ]


def test_deep_json_in_expected_custom_names_its_path(tmp_path: Path) -> None:
    deep = "[" * 200 + "]" * 200
    text = f'{{"id": "a", "input": "q", "expected": {{"custom": {{"x": {deep}}}}}}}\n'
    assert problems(tmp_path, "cases.jsonl", text) == [
        ":1: field 'expected.custom.x': JSON nested deeper than 100 levels"
    ]


def test_json_at_the_nesting_limit_is_read(tmp_path: Path) -> None:
    nested = '{"a": ' * 99 + "1" + "}" * 99
    path = tmp_path / "cases.csv"
    path.write_text(f"id,input\na,{csv_cell(nested)}\n", encoding="utf-8")
    (case,) = read_cases(path)
    assert isinstance(case.input, dict)


def test_csv_refuses_text_input_that_is_json_too_deep_to_read_back(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use JSONL"):
        write_cases(tmp_path / "c.csv", [Case(id="a", input=DEEP)])
    assert not (tmp_path / "c.csv").exists()


def test_a_custom_text_that_is_deep_json_round_trips_through_csv(tmp_path: Path) -> None:
    cases = [Case(id="a", input="q", expected=Expected(custom={"raw": DEEP}))]
    path = write_cases(tmp_path / "c.csv", cases)
    assert read_cases(path) == cases


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("cases.jsonl", b'\xef\xbb\xbf{"id": "a", "input": "q"}\r\n'),
        ("cases.csv", b"\xef\xbb\xbfid,input\r\na,q\r\n"),
        ("cases.csv", b'id,input\ra,"q, ""quoted"""\r'),
    ],
)
def test_a_byte_order_mark_and_other_line_ends_are_read(
    tmp_path: Path, name: str, raw: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    assert [c.id for c in read_cases(path)] == ["a"]
