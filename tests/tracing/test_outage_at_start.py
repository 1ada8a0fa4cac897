"""An agent that starts while its PostgreSQL store is unreachable starts anyway (issue 10)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

import prodready
from prodready import tracing
from prodready.store import Store, StoreError
from prodready.testing import TcpProxy
from tests.conftest import PG_URL


def proxy_url(pg_url: str, proxy: TcpProxy) -> str:
    port = urlsplit(PG_URL).port or 5432
    return pg_url.replace(f":{port}/", f":{proxy.port}/")


@pytest.mark.postgres
def test_spans_recorded_while_the_store_was_down_at_start_are_stored_when_it_returns(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    target = urlsplit(PG_URL)
    with TcpProxy((target.hostname or "127.0.0.1", target.port or 5432)) as proxy:
        proxy.down()
        with caplog.at_level(logging.WARNING, logger="prodready.tracing"):
            tracing.configure(store=proxy_url(pg_url, proxy), flush_interval=0.05)
            with prodready.span("during the outage", kind="agent") as root:
                for i in range(20):
                    with prodready.span(f"step {i}", kind="tool"):
                        pass
            assert not tracing.flush(0.5)  # nothing can be written yet
        unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(unreachable) == 1
        proxy.up()
        assert tracing.flush(30)
    with Store(pg_url) as store:
        stored = store.get_trace(root.trace_id)
    assert stored is not None and stored.summary.span_count == 21
    assert tracing.stats().dropped == 0


def test_a_store_url_that_can_never_work_still_raises() -> None:
    with pytest.raises(StoreError):
        tracing.configure(store="mysql://nowhere/db")
