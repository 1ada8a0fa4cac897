"""``count_traces(at_most=N)``: the exact count up to N, then N + 1, whatever the filters."""

from __future__ import annotations

import pytest

from prodready.store import Store, TraceQuery, _traces
from tests.dashboard.seed import seed_traces

QUERIES = [
    TraceQuery(),
    TraceQuery(status="error"),
    TraceQuery(kind="escalation"),
    TraceQuery(attributes={"prodready.intent.name": "top_up_failed"}),  # index, common
    TraceQuery(attributes={"gen_ai.tool.name": "block_card", "prodready.intent.name": "x"}),
    TraceQuery(attributes={"gen_ai.agent.name": "northwind"}),  # indexed key on every trace
    TraceQuery(attributes={"prodready.input": "My card still has not arrived, where is it?"}),
    TraceQuery(min_duration_ns=1_000_000_000, release="v1.5.0"),
]


@pytest.mark.parametrize("common", [None, 1], ids=["rare-values", "common-values"])
def test_a_capped_count_is_exact_below_the_cap_and_cap_plus_one_above(
    store: Store, common: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if common is not None:  # every filter value counts as common: the newest-first walk
        monkeypatch.setattr(_traces, "_COMMON_SPANS", common)
    seed_traces(store, n=60)
    for query in QUERIES:
        exact = store.count_traces(query)
        for cap in (0, 1, 7, exact - 1, exact, exact + 5, 10_000):
            if cap < 0:
                continue
            assert store.count_traces(query, at_most=cap) == min(exact, cap + 1), (query, cap)


def test_a_negative_cap_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at_most"):
        store.count_traces(at_most=-1)
