"""What opening a store that is already at every migration head costs (``Store(url)``).

Every process that traces or serves opens the store once, and ``Store(url)`` migrates on
open: at every head it must not run Alembic. Compare two checkouts side by side::

    .venv/bin/python benchmarks/diag_store_open.py
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python benchmarks/diag_store_open.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import prodready
from prodready.store import Store

RUNS = 30


def main() -> None:
    path = Path(tempfile.mkdtemp()) / "open.db"
    Store(f"sqlite:///{path}").close()  # created and migrated once
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        store = Store(f"sqlite:///{path}")
        times.append(time.perf_counter() - start)
        store.close()
    median_ms = statistics.median(times) * 1000
    print(f"{prodready.__file__}: Store(url) at every head, median of {RUNS}: {median_ms:.1f} ms")


if __name__ == "__main__":
    main()
