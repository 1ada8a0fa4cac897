"""Reading ``text,category`` CSV files, with errors that name the file, line and column."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("text", "category")
#: BANKING77's training split, shipped with northwind (CC BY 4.0; see its README).
TRAINING_SPLIT = Path(__file__).resolve().parent.parent / "data" / "banking77" / "train.csv"


class CsvError(ValueError):
    """A CSV file that cannot be read as ``text,category`` rows.

    The message names the file, and the line and column where they apply.
    """


@dataclass(frozen=True)
class Examples:
    """Labelled queries: ``texts[i]`` has the intent ``labels[i]``."""

    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def read_csv(path: Path | str) -> Examples:
    """Read a CSV file with a header naming the columns ``text`` and ``category``.

    Other columns are ignored. Every row needs a non-empty ``text`` and ``category``.

    Raises:
        CsvError: the file is missing, unreadable, not UTF-8, has no such header, a row has
            the wrong number of fields or an empty value, or it has no rows.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise CsvError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CsvError(f"{path}: cannot read: {exc.strerror}") from None
    reader = csv.reader(raw.splitlines(keepends=True), strict=True)
    texts: list[str] = []
    labels: list[str] = []
    try:
        header = next(reader, None)
        if header is None:
            raise CsvError(f"{path}: line 1: empty file; expected the header 'text,category'")
        names = [h.strip() for h in header]
        index = {}
        for column in COLUMNS:
            if column not in names:
                raise CsvError(
                    f"{path}: line 1: the header has no column {column!r} "
                    f"(found {', '.join(repr(n) for n in names)})"
                )
            index[column] = names.index(column)
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != len(names):
                raise CsvError(
                    f"{path}: line {line}: {len(row)} fields, the header has {len(names)}"
                )
            values = {}
            for column in COLUMNS:
                value = row[index[column]].strip()
                if not value:
                    raise CsvError(
                        f"{path}: line {line}, column {index[column] + 1} ({column!r}): empty"
                    )
                values[column] = value
            texts.append(values["text"])
            labels.append(values["category"])
    except csv.Error as exc:
        raise CsvError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from None
    if not texts:
        raise CsvError(f"{path}: no rows after the header")
    return Examples(texts, labels)
