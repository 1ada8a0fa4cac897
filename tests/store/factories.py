"""Build realistic span records for store tests."""

from __future__ import annotations

import itertools
from typing import Any

from prodready.store import SpanRecord, Store

T0 = 1_790_000_000_000_000_000
MS = 1_000_000
_ids = itertools.count(1)


def new_trace_id() -> str:
    return f"{next(_ids):032x}"


def agent_trace(
    trace_id: str | None = None,
    *,
    start: int = T0,
    error: bool = False,
    session: str | None = "sess-1",
    user: str | None = "user-1",
    release: str | None = "agent@1.0.0",
    environment: str = "dev",
    intent: str = "card_arrival",
) -> list[SpanRecord]:
    """agent -> classifier, retriever, tool (2 attempts, the first failing), llm."""
    tid = trace_id or new_trace_id()
    root = {
        "session.id": session,
        "user.id": user,
        "prodready.release": release,
        "deployment.environment.name": environment,
    }
    root = {k: v for k, v in root.items() if v is not None}

    def span(
        i: int,
        name: str,
        kind: str,
        parent: int | None,
        t0: int,
        t1: int,
        attrs: dict[str, Any] | None = None,
        status: str = "ok",
    ) -> SpanRecord:
        return SpanRecord(
            trace_id=tid,
            span_id=f"{i:016x}",
            parent_span_id=f"{parent:016x}" if parent else None,
            name=name,
            kind=kind,
            start_ns=start + t0 * MS,
            end_ns=start + t1 * MS,
            status=status,  # type: ignore[arg-type]
            attributes=attrs or {},
            resource={"service.name": "northwind"},
        )

    return [
        span(1, "answer", "agent", None, 0, 900, root, "error" if error else "ok"),
        span(
            2,
            "classify intent",
            "classifier",
            1,
            1,
            20,
            {"prodready.intent.name": intent, "prodready.intent.confidence": 0.93},
        ),
        span(
            3,
            "retrieve",
            "retriever",
            1,
            21,
            60,
            {"prodready.retrieval.document_ids": ["policy-7"]},
        ),
        span(
            4,
            "execute_tool card_status",
            "tool",
            1,
            61,
            200,
            {"gen_ai.tool.name": "card_status", "prodready.tool.attempt": 1},
            "error",
        ),
        span(
            5,
            "execute_tool card_status",
            "tool",
            1,
            201,
            300,
            {"gen_ai.tool.name": "card_status", "prodready.tool.attempt": 2},
        ),
        span(
            6,
            "chat gpt-4o-mini",
            "llm",
            1,
            301,
            890,
            {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 812},
        ),
    ]


def write_before_0008(store: Store, records: list[SpanRecord]) -> None:
    """Write spans into a database at a revision before 0008, as that release's writer did:
    the span rows and the trace rows' columns of then (no totals, rollups or index)."""
    from prodready.store._sql import _SPAN_COLS, _TRACE_COLS
    from prodready.store._traces import _rows, _span_row

    spans, traces, _, _ = _rows(_span_row(r) for r in records)
    p = "%s" if store.dialect == "postgresql" else "?"
    old_columns = _TRACE_COLS.split(", llm_calls")[0]
    with store.db.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO spans ({_SPAN_COLS}) VALUES ({', '.join([p] * 15)})", spans
        )
        conn.exec_driver_sql(
            f"INSERT INTO traces ({old_columns}) VALUES ({', '.join([p] * 17)})", traces
        )
