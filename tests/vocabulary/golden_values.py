"""The values the canonical-JSON golden file was recorded on (see test_canonical.py).

Each has a name; ``canonical_golden.json`` holds, per name, what each of the five JSON and
hash spellings returned for it before they were unified (or the error type they raised).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections import namedtuple
from typing import Any

from pydantic import BaseModel


class Colour(enum.Enum):
    RED = "red"


class Model(BaseModel):
    b: int = 2
    a: str = "x"


class Plain:
    """An object JSON does not know, whose ``str`` and ``repr`` differ."""

    def __str__(self) -> str:
        return "plain-str"

    def __repr__(self) -> str:
        return "Plain()"


class ArrayLike:
    """Anything with ``tolist`` (numpy arrays, pandas series)."""

    def tolist(self) -> list[int]:
        return [1, 2, 3]

    def __repr__(self) -> str:
        return "ArrayLike()"


Point = namedtuple("Point", "y x")

UTC = dt.UTC

# JSON-native to orjson: the unified functions must reproduce every current output for these.
NATIVE: dict[str, Any] = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "negative": -5,
    "int64_max": 2**63 - 1,
    "uint64_max": 2**64 - 1,
    "float": 0.1,
    "float_big": 1e300,
    "float_negative_zero": -0.0,
    "float_whole": 1.0,
    "empty_string": "",
    "ascii": "hello",
    "unicode": "héllo — 日本語 🙂 \u2028",
    "escapes": 'quote " backslash \\ tab \t newline \n',
    "empty_list": [],
    "empty_dict": {},
    "list": [3, "x", [], {}, None, 1.5, False],
    "tuple": (1, "two", 3.0),
    "nested_unsorted": {"b": 1, "a": {"d": [1, 2.5, None], "c": True}, "C": "upper"},
    "deep": {"z": [{"y": {"x": [{"w": "v", "b": 0}]}}], "a": "é"},
    "int_keys": {2: "b", 1: "a"},
    "mixed_keys": {"b": 1, 1: "a", None: "n", 2.5: "f"},
    "bool_key": {False: "f"},
    "unicode_keys": {"ü": 1, "a": 2, "日": 3},
    "datetime": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    "datetime_naive": dt.datetime(2026, 1, 2, 3, 4, 5),
    "date": dt.date(2026, 1, 2),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "enum": Colour.RED,
    "in_dict": {"when": dt.datetime(2026, 1, 2, tzinfo=UTC), "id": uuid.UUID(int=1)},
    "case_like": {"input": "What is my balance?", "expected": {"facts": ["42 €"], "tools": []}},
    "nul": "a\x00b",
    "nul_in_dict": {"k\x00": ["v\x00"]},
}

# Not JSON-native: outputs recorded to document where the spellings differed.
OTHER: dict[str, Any] = {
    "set": {3, 1, 2},
    "frozenset_in_list": [frozenset({20, 10})],  # ints: str() of a set of text varies by run
    "model": Model(),
    "model_in_dict": {"m": Model(b=5)},
    "plain": Plain(),
    "plain_in_dict": {"p": Plain()},
    "array_like": ArrayLike(),
    "namedtuple": Point(y=1, x=2),
    "big_int": 2**70,
    "big_int_in_dict": {"n": 2**70, "s": "ok"},
    "lone_surrogate": "a\ud800b",
    "lone_surrogate_in_dict": {"k": "a\udfffb", "n": 1},
    "tuple_key": {(1, 2): "t"},
    "bytes": b"raw",
}

VALUES: dict[str, Any] = {**NATIVE, **OTHER}

# Review task keys as _review_queue builds them, and texts as digest() receives them.
TEXTS: dict[str, str] = {
    "empty": "",
    "score_review": '["score_review","run-1","case-1",0,"faithfulness"]',
    "candidate_case": '["candidate_case","c-1"]',
    "unicode": "héllo 日本 🙂",
}


def _log_records() -> dict[str, Any]:
    from prodready.store import SpanLogRecord

    ids = {"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331"}
    return {
        "minimal": SpanLogRecord(**ids),
        "full": SpanLogRecord(
            **ids,
            time_ns=1_700_000_000_000_000_001,
            observed_time_ns=1_700_000_000_000_000_002,
            severity_number=9,
            severity_text="INFO",
            event_name="gen_ai.choice",
            body={"message": {"role": "assistant", "content": "héllo"}, "index": 0},
            attributes={"gen_ai.system": "openai", "a": [1, 2]},
            resource={"service.name": "agent"},
            scope="opentelemetry.instrumentation.openai",
        ),
        "event_name_attribute": SpanLogRecord(
            **ids, attributes={"event.name": "gen_ai.user.message"}, body="a\x00b"
        ),
    }


LOG_RECORDS: dict[str, Any] = _log_records()
