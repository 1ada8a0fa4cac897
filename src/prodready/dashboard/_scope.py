"""The dashboard's global scope: a time range and release/environment filters.

Every page reads the same scope. It comes from the query string when the request has any of
its parameters (so a deep link carries it), and from the ``prodready_scope`` cookie
otherwise (so a choice made on one page holds on the next); the answer stores the scope in
that cookie again. An empty parameter (``release=``) clears a filter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException, Request

SCOPE_COOKIE: Final = "prodready_scope"
SCOPE_KEYS: Final = ("range", "from", "to", "release", "env")

RANGES: Final[dict[str, int]] = {
    "15m": 15 * 60,
    "1h": 3600,
    "6h": 6 * 3600,
    "24h": 24 * 3600,
    "7d": 7 * 86400,
    "30d": 30 * 86400,
}
"""The time-range picker's choices, in seconds back from now (plus ``custom``)."""
DEFAULT_RANGE: Final = "24h"
"""A day: long enough to see a daily cycle, short enough to stay fast on a large store."""


@dataclass(frozen=True)
class Scope:
    """The time window and filters every page applies."""

    range: str
    since_ns: int
    until_ns: int
    release: str | None = None
    environment: str | None = None
    custom_from: str = ""
    custom_to: str = ""

    def params(self) -> dict[str, str]:
        """The scope as query parameters (what the cookie and deep links carry)."""
        out = {"range": self.range}
        if self.range == "custom":
            out |= {"from": self.custom_from, "to": self.custom_to}
        if self.release:
            out["release"] = self.release
        if self.environment:
            out["env"] = self.environment
        return out

    def query(self, **extra: object) -> str:
        """A query string with the scope and ``extra`` (None values left out)."""
        pairs = self.params() | {k: str(v) for k, v in extra.items() if v not in (None, "")}
        return urlencode(pairs)

    def label(self) -> str:
        """What the picker's button says."""
        if self.range == "custom":
            return f"{self.custom_from} → {self.custom_to}"
        return f"last {self.range}"

    def with_range(self, key: str) -> Scope:
        return replace(self, range=key)


def read_scope(request: Request, *, now_ns: int | None = None) -> Scope:
    """The request's scope (query string first, then the cookie); 400 on a bad value."""
    now = time.time_ns() if now_ns is None else now_ns
    given = {k: v for k, v in request.query_params.items() if k in SCOPE_KEYS}
    if not given:
        given = {
            k: v
            for k, v in parse_qsl(request.cookies.get(SCOPE_COOKIE, ""), keep_blank_values=True)
            if k in SCOPE_KEYS
        }
        try:
            return _scope(given, now)
        except HTTPException:
            given = {}  # a stale or tampered cookie is forgotten, not an error
    return _scope(given, now)


def default_scope(*, now_ns: int | None = None) -> Scope:
    """The scope of a request that names none: the default range, no filters."""
    return _scope({}, time.time_ns() if now_ns is None else now_ns)


def _scope(given: dict[str, str], now: int) -> Scope:
    key = given.get("range") or DEFAULT_RANGE
    release = given.get("release") or None
    environment = given.get("env") or None
    if key == "custom":
        start = _instant(given.get("from", ""), "from")
        end = _instant(given.get("to", ""), "to") if given.get("to") else now
        if end <= start:
            raise HTTPException(400, "the time range's 'to' must be after its 'from'")
        return Scope(
            "custom",
            start,
            end,
            release,
            environment,
            given.get("from", ""),
            given.get("to", ""),
        )
    if key not in RANGES:
        raise HTTPException(
            400, f"unknown time range {key!r}; one of {', '.join(RANGES)} or custom"
        )
    return Scope(key, now - RANGES[key] * 1_000_000_000, now, release, environment)


def _instant(text: str, field: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(
            400, f"time range {field!r}: {text!r} is not an ISO 8601 date/time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000_000)
