"""Done-criterion of the foundation: a long trace survives a 30 s store outage mid-run."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import prodready
from prodready import tracing
from prodready.store import Store
from prodready.testing import TcpProxy
from tests.conftest import PG_URL

OUTAGE_S = float(os.environ.get("PRODREADY_OUTAGE_S", "30"))
SPANS = 10_000
BLOB = "é" * 1_000_000  # a 1 MB attribute value (2 MB of UTF-8)


def run_agent_through_outage(down: Callable[[], None], up: Callable[[], None]) -> tuple[str, float]:
    """Emit SPANS spans; the store is away for OUTAGE_S seconds in the middle of the run."""
    slowest = 0.0
    outage_started = 0.0
    with prodready.span("long conversation ✓", kind="agent") as root:
        for i in range(SPANS - 1):
            if i == 2_000:
                down()
                outage_started = time.monotonic()
            if outage_started and time.monotonic() - outage_started >= OUTAGE_S:
                up()
                outage_started = 0.0
            t0 = time.monotonic()
            with prodready.span(f"étape {i} – 日本語", kind="tool") as s:
                s.set({"text": "Привет, где моя карта? 🃏", "i": i})
                if i % 1_000 == 0:
                    s.set("blob", BLOB)
            slowest = max(slowest, time.monotonic() - t0)
            if outage_started:
                time.sleep(OUTAGE_S / 6_000)  # keep the agent busy across the whole outage
        if outage_started:
            up()
    return root.trace_id, slowest


def check_store(store: Store, trace_id: str) -> None:
    stats = tracing.stats()
    summary = store.get_trace(trace_id)
    assert summary is not None
    assert summary.summary.span_count == SPANS - stats.dropped
    assert stats.dropped == 0, stats
    blob_spans = [s for s in summary.spans if "blob" in s.attributes]
    assert len(blob_spans) == 10 and all(s.attributes["blob"] == BLOB for s in blob_spans)
    assert summary.find(name="étape 42 – 日本語")[0].attributes["text"].endswith("🃏")


@pytest.mark.slow
def test_sqlite_locked_for_30s_mid_run(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = Store(f"sqlite:///{path}?timeout=0.5")
    tracing.configure(store=store, flush_interval=0.05)
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    trace_id, slowest = run_agent_through_outage(
        lambda: locker.execute("BEGIN EXCLUSIVE"), lambda: locker.execute("ROLLBACK")
    )
    assert tracing.stats().write_failures > 0  # the outage really happened
    assert tracing.flush(180)
    check_store(store, trace_id)
    assert slowest < 1.0  # never blocked on the store (generous bound: CI noise, not a timing)


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_unreachable_for_30s_mid_run(pg_url: str) -> None:
    target = urlsplit(PG_URL)
    port = target.port or 5432
    with TcpProxy((target.hostname or "127.0.0.1", port)) as proxy:
        store = Store(pg_url.replace(f":{port}/", f":{proxy.port}/"))
        tracing.configure(store=store, flush_interval=0.05)
        trace_id, slowest = run_agent_through_outage(proxy.down, proxy.up)
        assert tracing.stats().write_failures > 0
        assert tracing.flush(180)
        check_store(store, trace_id)
        assert slowest < 1.0
