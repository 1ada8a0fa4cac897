"""Parsing of option values: durations, points in time, attribute filters.

Pure functions raising ``ValueError`` with a message fit for a user; the commands attach the
option name. No third-party imports, so the CLI neither needs the server extra nor pays for it
at import time.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

AttributeValue = str | int | float | bool

_UNIT_NS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3_600 * 1_000_000_000,
    "d": 86_400 * 1_000_000_000,
    "w": 7 * 86_400 * 1_000_000_000,
}
# Longer units first, so "15ms" is milliseconds rather than 15 minutes and a stray "s".
_UNIT = "ns|us|µs|ms|s|m|h|d|w"
_PART = re.compile(rf"(\d+(?:\.\d+)?)({_UNIT})")
_DURATION = re.compile(rf"(?:\d+(?:\.\d+)?(?:{_UNIT}))+")
_INT = re.compile(r"[+-]?\d+")
# Plain decimals only: "1e5", "nan" and "inf" stay strings, as they are more often ids than
# numbers (the same rule as prodready.server.query).
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_duration(text: str) -> int:
    """Nanoseconds in a duration such as ``500ms``, ``2s``, ``15m``, ``2h``, ``7d`` or ``1h30m``.

    Units: ns, us (or µs), ms, s, m, h, d, w. A unit is required: a bare ``5`` is ambiguous.
    """
    value = text.strip().lower()
    if not _DURATION.fullmatch(value):
        raise ValueError(
            f"invalid duration {text!r}: "
            "expected a number and a unit, like 500ms, 2s, 15m, 2h or 7d"
        )
    return round(sum(float(number) * _UNIT_NS[unit] for number, unit in _PART.findall(value)))


def parse_time(text: str, *, now_ns: int | None = None) -> int:
    """A point in time, in Unix nanoseconds: a duration ago (``15m``) or an ISO 8601 date/time.

    A date/time without a UTC offset is local time.
    """
    try:
        ago = parse_duration(text)
    except ValueError:
        pass
    else:
        return (now_ns if now_ns is not None else time.time_ns()) - ago
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"invalid time {text!r}: expected a duration ago like 15m, 2h or 7d, "
            "or an ISO date/time like 2024-05-01T12:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local time
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


def parse_attr(text: str) -> tuple[str, AttributeValue]:
    """A ``KEY=VALUE`` attribute filter; see :func:`parse_attr_value` for how VALUE is typed."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(
            f"invalid attribute filter {text!r}: "
            "expected KEY=VALUE, like gen_ai.request.model=gpt-4o"
        )
    if '"' in key:
        raise ValueError(f"invalid attribute filter {text!r}: a key cannot contain '\"'")
    return key, parse_attr_value(raw)


def parse_attr_value(raw: str) -> AttributeValue:
    """Type a filter value the way attributes are stored.

    ``true``/``false`` are booleans, ``42`` an int, ``0.5`` a float, anything else (``1e3``
    too) a string. Quotes force a string: ``"42"`` (or ``'42'``) matches the string ``42``.
    """
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        return float(raw)
    return raw
