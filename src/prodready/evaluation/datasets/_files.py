"""Dataset files: JSONL (one case object per line) and CSV (one case per row), both ways.

Reading collects every problem in the file (up to a cap), each located by line and field,
and returns cases only if there were none: a malformed file yields nothing to store.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from prodready.evaluation._types import Case, Expected
from prodready.evaluation.datasets._models import DatasetFileError, FileProblem

MAX_PROBLEMS = 50
"""Reading stops after this many problems."""

MAX_DEPTH = 100
"""The deepest JSON nesting a case field may have: deeper values are refused, since
hashing, storing and rendering a case walk its values recursively."""

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "input",
    "input_kind",
    "reference",
    "facts",
    "intent",
    "tools",
    "escalation",
    "tags",
    "split",
    "provenance",
    "added_by",
    "reason",
)
"""The CSV columns prodready knows; any other column becomes an ``expected.custom`` field.
``input_kind`` is written only when a case's input is the call's arguments."""

_EXPECTED_COLUMNS = ("reference", "facts", "intent", "tools", "escalation")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_JSONL = (".jsonl", ".ndjson")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _JSONL:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise DatasetFileError(
        [
            FileProblem(
                file=str(path),
                line=None,
                field=None,
                reason=f"unsupported file type {suffix or '(none)'!r}: use .jsonl or .csv",
            )
        ]
    )


class _Problems:
    """Collects problems up to the cap; ``full`` says when to stop reading."""

    def __init__(self, file: str, cap: int) -> None:
        self.file, self.cap = file, cap
        self.items: list[FileProblem] = []

    @property
    def full(self) -> bool:
        return len(self.items) >= self.cap

    def add(self, line: int | None, field: str | None, reason: str) -> None:
        if not self.full:
            self.items.append(FileProblem(file=self.file, line=line, field=field, reason=reason))

    def raise_if_any(self, *, truncated: bool = False) -> None:
        if self.items:
            raise DatasetFileError(self.items, truncated=truncated or self.full)


def read_cases(path: str | os.PathLike[str], *, max_errors: int = MAX_PROBLEMS) -> list[Case]:
    """Read cases from a ``.jsonl`` or ``.csv`` file (see ``docs/datasets.md`` for formats).

    Args:
        path: the file; its extension chooses the format.
        max_errors: stop after this many problems.

    Raises:
        DatasetFileError: the file is malformed; ``problems`` locates each problem by line
            and field, e.g. ``cases.jsonl:17: field 'split': must be one of dev,
            validation, holdout``. No cases are returned from a file with any problem.
        OSError: the file cannot be read.
    """
    path = Path(path)
    kind = _kind(path)
    problems = _Problems(str(path), max(1, max_errors))
    text = _decode(path.read_bytes(), problems)
    records = _jsonl_records(text, problems) if kind == "jsonl" else _csv_records(text, problems)
    cases: list[Case] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        deep = _too_deep(record)
        if deep is not None:
            problems.add(line, deep, f"JSON nested deeper than {MAX_DEPTH} levels")
            continue
        case = _validate(record, line, problems)
        if case is None:
            continue
        if case.id in first_line:
            problems.add(
                line, "id", f"repeated id {case.id!r} (first on line {first_line[case.id]})"
            )
        else:
            first_line[case.id] = line
            cases.append(case)
        if problems.full:
            break
    if not cases and not problems.items:
        problems.add(None, None, "no cases in the file")
    problems.raise_if_any()
    return cases


def _decode(raw: bytes, problems: _Problems) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(line, None, f"not UTF-8 (byte {exc.start}); save the file as UTF-8")
        problems.raise_if_any()
        raise  # unreachable: a problem was just added


def _too_deep(record: dict[str, Any]) -> str | None:
    """The path of the first field nested deeper than :data:`MAX_DEPTH`, else ``None``.

    Walked with a stack rather than recursion, so no depth can exhaust Python's stack.
    """
    stack: list[tuple[Any, tuple[str, ...], int]] = [(record, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:  # named down to an expected.custom field, else the field
            return ".".join(path[:3] if path[0] == "expected" else path[:1])
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k)), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, path, depth + 1) for v in value)
    return None


def _jsonl_records(text: str, problems: _Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            problems.add(number, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        if not isinstance(value, dict):
            problems.add(number, None, f"expected a JSON object, got {_json_type(value)}")
            continue
        yield number, value


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _validate(record: dict[str, Any], line: int, problems: _Problems) -> Case | None:
    try:
        case = Case.model_validate(record)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            field = ".".join(str(part) for part in error["loc"]) or None
            problems.add(line, field, _reason(error))
        return None
    if isinstance(case.input, str) and not case.input.strip():
        problems.add(line, "input", "must not be blank")
        return None
    return case


def _reason(error: Any) -> str:
    """A short reason for one pydantic error, in the file's terms."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}"
    if kind in ("string_type", "dict_type", "list_type", "bool_type", "bool_parsing"):
        noun = {"string": "text", "dict": "an object", "list": "a list"}.get(kind.split("_")[0])
        return f"must be {noun or 'true or false'}, got {error['input']!r}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"longer than {ctx.get('max_length')} characters"
    if kind == "value_error":  # a validator's own message, without pydantic's prefix
        return str(ctx.get("error", error["msg"]))
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


# --- CSV -------------------------------------------------------------------------------------


def _csv_records(text: str, problems: _Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    if not text.strip():
        return  # no header and no cases: read_cases says so
    # strict: a quote that never closes is an error, not the rest of the file in one cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        problems.add(1, None, _csv_error(exc))
        return
    header = [h.strip() for h in header]
    if not _check_header(header, problems):
        return
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(start, None, _csv_error(exc))
            return
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.add(start, None, f"{len(row)} cells, but the header has {len(header)}")
            continue
        record = _csv_record(dict(zip(header, row, strict=True)), start, problems)
        if record is not None:
            yield start, record


def _check_header(header: list[str], problems: _Problems) -> bool:
    ok = True
    for required in ("id", "input"):
        if required not in header:
            problems.add(1, required, "missing column")
            ok = False
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.add(1, None, "a column has no name")
            ok = False
        elif name in seen:
            problems.add(1, name, "repeated column")
            ok = False
        seen.add(name)
    return ok


def _csv_error(exc: csv.Error) -> str:
    """What a csv module error means in the file's terms."""
    text = str(exc)
    if text == "unexpected end of data":
        return (
            "a quote opened in this row never closes, so the rest of the file would be one "
            'cell (write "" for a quote inside a quoted cell)'
        )
    if text.startswith("',' expected after"):
        return 'text after a closing quote: a quoted cell ends at a comma (write "" inside it)'
    if text.startswith("field larger than field limit"):
        return f"a cell is longer than {csv.field_size_limit()} characters; use JSONL for it"
    return f"unreadable row: {text}"


class _TooDeep(Exception):
    """A cell holds JSON nested too deep for ``json.loads``, which recurses per level."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def _json(text: str, column: str) -> Any:
    """``json.loads``, with a ``RecursionError`` from deep nesting turned into
    :class:`_TooDeep` (orjson would bound the depth itself, but reads big integers as
    floats, which would change custom values)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise _TooDeep(column) from None


def _csv_record(cells: dict[str, str], line: int, problems: _Problems) -> dict[str, Any] | None:
    """A case record from one row's cells; blank cells mean "not given"."""
    try:
        return _csv_cells(cells, line, problems)
    except _TooDeep as exc:
        problems.add(line, exc.column, f"JSON nested deeper than {MAX_DEPTH} levels")
        return None


def _csv_cells(cells: dict[str, str], line: int, problems: _Problems) -> dict[str, Any] | None:
    before = len(problems.items)
    record: dict[str, Any] = {"id": cells["id"].strip(), "input": _csv_input(cells["input"])}
    expected: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column, raw in cells.items():
        value = raw.strip()
        if column in ("id", "input") or not value:
            continue
        if column == "reference":
            expected[column] = raw  # free text: kept exactly as written
        elif column == "intent":
            expected[column] = value
        elif column in ("facts", "tools"):
            expected[column] = _csv_list(value, line, column, problems)
        elif column == "escalation":
            expected[column] = _csv_bool(value, line, problems)
        elif column == "tags":
            record[column] = _csv_list(value, line, column, problems)
        elif column in ("added_by", "reason"):
            record[column] = raw
        elif column in CSV_COLUMNS:
            record[column] = value
        else:
            custom[column] = _csv_custom(value, column)
    if custom:
        expected["custom"] = custom
    if expected:
        record["expected"] = expected
    return record if len(problems.items) == before else None


def _csv_input(raw: str) -> str | dict[str, Any]:
    """A cell holding a JSON object is an object input; anything else is text, as written."""
    if raw.lstrip().startswith("{"):
        try:
            value = _json(raw, "input")
        except ValueError:
            return raw
        if isinstance(value, dict):
            return value
    return raw


def _csv_list(value: str, line: int, column: str, problems: _Problems) -> list[str]:
    """``a; b; c`` or a JSON list ``["a", "b"]`` (for items that contain ``;``)."""
    if value.startswith("["):
        try:
            items = _json(value, column)
        except ValueError as exc:
            problems.add(line, column, f"invalid JSON list: {exc}")
            return []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            problems.add(line, column, "must be a JSON list of strings")
            return []
        return items
    return [part.strip() for part in value.split(";") if part.strip()]


def _csv_bool(value: str, line: int, problems: _Problems) -> bool | None:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.add(line, "escalation", f"must be true, false or blank, got {value!r}")
    return None


def _csv_custom(value: str, column: str) -> Any:
    """JSON if the cell parses as JSON (numbers, true, lists, quoted text), else the text."""
    try:
        return _json(value, column)
    except ValueError:
        return value


# --- writing ---------------------------------------------------------------------------------


def write_cases(path: str | os.PathLike[str], cases: Iterable[Case]) -> Path:
    """Write cases to a ``.jsonl`` or ``.csv`` file (chosen by extension), replacing it.

    The file is written whole or not at all. :func:`read_cases` reads it back to equal cases.

    Raises:
        DatasetFileError: unsupported extension.
        ValueError: a case cannot be written as CSV (text input that is itself a JSON object,
            which CSV would read back as an object input); use JSONL for it.
    """
    path = Path(path)
    kind = _kind(path)
    cases = list(cases)
    text = _jsonl_text(cases) if kind == "jsonl" else _csv_text(cases)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _jsonl_text(cases: Sequence[Case]) -> str:
    lines = [orjson.dumps(c.model_dump(mode="json", exclude_defaults=True)) for c in cases]
    return "".join(line.decode() + "\n" for line in lines)


def _csv_text(cases: Sequence[Case]) -> str:
    custom = sorted({key for c in cases for key in c.expected.custom})
    clash = [key for key in custom if key in CSV_COLUMNS]
    if clash:
        raise ValueError(f"custom expected fields named like CSV columns: {clash}; use JSONL")
    needed = any(c.input_kind != "value" for c in cases)
    columns = [c for c in CSV_COLUMNS if needed or c != "input_kind"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, *custom])
    for case in cases:
        writer.writerow(_csv_row(case, columns, custom))
    return out.getvalue()


def _csv_row(case: Case, columns: Sequence[str], custom: Sequence[str]) -> list[str]:
    e: Expected = case.expected
    if isinstance(case.input, str):
        try:
            as_text = _csv_input(case.input) == case.input
        except _TooDeep:
            as_text = False  # the reader would refuse it
        if not as_text:
            raise ValueError(
                f"case {case.id!r}: its text input is a JSON object, which CSV would not read "
                "back as text; use JSONL"
            )
        text = case.input
    else:
        text = json.dumps(case.input, ensure_ascii=False)
    row = {
        "id": case.id,
        "input": text,
        "input_kind": case.input_kind,
        "reference": e.reference or "",
        "facts": _list_cell(e.facts),
        "intent": e.intent or "",
        "tools": "" if e.tools is None else (_list_cell(e.tools) or "[]"),
        "escalation": "" if e.escalation is None else str(e.escalation).lower(),
        "tags": _list_cell(case.tags),
        "split": case.split,
        "provenance": case.provenance,
        "added_by": case.added_by or "",
        "reason": case.reason or "",
    }
    cells = [row[c] for c in columns]
    cells.extend(_custom_cell(e.custom[k]) if k in e.custom else "" for k in custom)
    return cells


def _list_cell(items: Sequence[str]) -> str:
    if any(";" in i or i != i.strip() or not i or i.startswith("[") for i in items):
        return json.dumps(list(items), ensure_ascii=False)
    return "; ".join(items)


def _custom_cell(value: Any) -> str:
    if isinstance(value, str) and value.strip() == value and value:
        try:
            if _csv_custom(value, "") == value:
                return value
        except _TooDeep:
            pass  # deep JSON text: quoted below, it reads back as this text
    return json.dumps(value, ensure_ascii=False)
