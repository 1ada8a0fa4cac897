"""MiniLM's forward pass on one BLAS thread (what prodready.models does) against OpenBLAS's
default threads, for a short query and a 60-token sentence.

    python benchmarks/diag_embed_threads.py

Run it once on an idle machine and once with the other core busy (for example beside
`make test`): one thread loses on an idle second core and wins by far on a busy one, which is
why the embedder pins it (docs/reference-agent.md, Targets).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from typing import Any

QUERY = "Why was I charged an extra fee for my card payment abroad last week?"
SENTENCE = (
    "Cards usually reach UK addresses in 3 to 5 working days (other supported countries: 7 to "
    "10 working days), and you can follow the delivery in the app. Should it still be missing "
    "10 working days after the order, tell us it never arrived from the app."
)


class _DefaultThreads:
    def limit(self, **_: Any) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()


def _time(embedder: Any, text: str, rounds: int = 30) -> tuple[float, float]:
    embedder.embed([text])
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        embedder.embed([text])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    from prodready.models import minilm_embedder

    embedder = minilm_embedder()
    pinned = embedder._threads  # the diagnostic swaps the limiter
    print(f"load average (1 min) {os.getloadavg()[0]:.2f}")
    print(f"{'':36}{'p50 ms':>10}{'p95 ms':>10}")
    for label, text in (("query", QUERY), ("60-token sentence", SENTENCE)):
        for threads, limiter in (("one thread", pinned), ("default threads", _DefaultThreads())):
            embedder._threads = limiter
            p50, p95 = _time(embedder, text)
            print(f"{label + ', ' + threads:36}{p50:>10.1f}{p95:>10.1f}")
    embedder._threads = pinned


if __name__ == "__main__":
    main()
