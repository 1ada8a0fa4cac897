"""Parsing of trace filters written as text: ``--attr key:value``, ``--since 2h``.

Shared by the read API's query parameters and the CLI's options, so both accept exactly the
same spellings. Plain Python: importing it does not import the web stack.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable
from typing import Final

from prodready.store.records import AttributeValue

__all__ = ["parse_attr", "parse_attrs", "parse_duration", "parse_since"]

_UNITS_NS: Final[dict[str, int]] = {
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
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d|w)\s*", re.IGNORECASE)
_SEPARATOR = re.compile(r"[:=]")
_INT = re.compile(r"[+-]?\d+")
# Only plain decimal spellings count as floats: "nan", "inf" and "1e5" stay strings, since
# attribute values like those are far more often identifiers than numbers.
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+)")


def parse_attr(text: str) -> tuple[str, AttributeValue]:
    """Parse an attribute filter ``key:value`` (or ``key=value``) into the key and a typed value.

    The text is split at the first ``:`` or ``=``: attribute keys contain neither, values may.
    ``true``/``false`` become bools, integers ints, decimals floats, anything else a string;
    quote the value (``key:"42"`` or ``key:'true'``) to force a string.

    Args:
        text: the filter, e.g. ``"gen_ai.request.model:gpt-4o"`` or ``"prodready.tool.attempt:2"``.

    Returns:
        ``(key, value)``.

    Raises:
        ValueError: there is no separator or the key is empty.
    """
    separator = _SEPARATOR.search(text)
    key = text[: separator.start()].strip() if separator else ""
    if separator is None or not key:
        raise ValueError(f"attribute filter {text!r} must look like key:value")
    return key, _typed(text[separator.end() :].strip())


def _typed(raw: str) -> AttributeValue:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        return float(raw)
    return raw


def parse_attrs(texts: Iterable[str]) -> dict[str, AttributeValue]:
    """Parse several ``key:value`` filters (see :func:`parse_attr`); a repeated key must match
    its last value."""
    return dict(parse_attr(text) for text in texts)


def parse_duration(text: str) -> int:
    """Parse a duration like ``500ms``, ``30s``, ``15m``, ``2h``, ``7d``, ``1w`` (or ``1h30m``).

    Units: ns, us (or µs), ms, s, m, h, d, w; a unit is required (a bare ``5`` is ambiguous).

    Returns:
        The duration in nanoseconds.

    Raises:
        ValueError: the text is not a duration.
    """
    pos, total, parts = 0, 0.0, 0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS_NS[match.group(2).lower()]
        pos, parts = match.end(), parts + 1
    if parts == 0 or pos != len(text):
        raise ValueError(f"{text!r} is not a duration; use e.g. 30s, 15m, 2h, 7d")
    return round(total)


def parse_since(text: str, *, now_ns: int | None = None) -> int:
    """Parse a ``since`` filter into the Unix time (ns) traces must start at or after.

    Args:
        text: a duration back from now (``15m``, ``2h``, ``7d``; see :func:`parse_duration`)
            or an ISO 8601 date or time (``2024-05-01``, ``2024-05-01T12:00:00+02:00``;
            UTC when it has no offset).
        now_ns: the current time, for tests; defaults to the clock.

    Returns:
        A Unix timestamp in nanoseconds, for ``TraceQuery.start_after_ns``.

    Raises:
        ValueError: the text is neither a duration nor a date.
    """
    try:
        duration = parse_duration(text)
    except ValueError:
        return _parse_instant(text)
    return (now_ns if now_ns is not None else time.time_ns()) - duration


def _parse_instant(text: str) -> int:
    try:
        instant = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"since {text!r} is neither a duration (15m, 2h, 7d) nor an ISO 8601 date"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    # Whole seconds and microseconds separately: a float timestamp would lose nanoseconds.
    seconds = int(instant.timestamp() // 1)
    return seconds * 1_000_000_000 + instant.microsecond * 1_000
