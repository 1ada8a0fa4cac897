"""A clock tests move by hand."""

from __future__ import annotations

import threading


class FakeClock:
    """Returns a fixed time in Unix ns until advanced; pass it to ``configure(clock=...)``.

    >>> clock = FakeClock()
    >>> clock.advance(ms=250)
    """

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self._now = start_ns
        self._lock = threading.Lock()

    def __call__(self) -> int:
        return self._now

    def advance(self, *, ms: float = 0, s: float = 0, ns: int = 0) -> int:
        """Move time forward; returns the new time."""
        if ms < 0 or s < 0 or ns < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += ns + int(ms * 1_000_000) + int(s * 1_000_000_000)
            return self._now
