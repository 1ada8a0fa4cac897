"""Helpers: traces written straight to a store, and a real webhook receiver on a free port."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from prodready.store import SpanRecord, Store
from prodready.vocabulary import attributes as attrs

MS = 1_000_000
_ids = itertools.count(1)


def write_trace(
    store: Store,
    *,
    release: str = "r1",
    environment: str = "production",
    intent: str | None = None,
    tools: tuple[str, ...] = (),
    session: str | None = None,
    status: str = "ok",
    start_ns: int | None = None,
    duration_ms: int = 20,
    escalate: bool = False,
    root: bool = True,
    output: str = "Your card is blocked.",
    usage: tuple[int, int, float] | None = None,
) -> str:
    """One trace (an agent root, an optional classifier, tool calls); its id."""
    n = next(_ids)
    tid = secrets.token_hex(16)
    start = time.time_ns() if start_ns is None else start_ns
    end = start + duration_ms * MS
    root_attrs: dict[str, Any] = {
        attrs.RELEASE: release, attrs.ENVIRONMENT: environment,
        attrs.INPUT: "my card was stolen", attrs.OUTPUT: output,
    }  # fmt: skip
    if session:
        root_attrs[attrs.SESSION_ID] = session
    spans = []
    if root:
        spans.append(SpanRecord(trace_id=tid, span_id=f"{n:08x}00000001", parent_span_id=None,
                                name="agent", kind="agent", start_ns=start, end_ns=end,
                                status="error" if status == "error" else "ok",
                                attributes=root_attrs))  # fmt: skip
    parent = f"{n:08x}00000001"
    if intent:
        spans.append(
            SpanRecord(
                trace_id=tid,
                span_id=f"{n:08x}00000002",
                parent_span_id=parent,
                name="classify",
                kind="classifier",
                start_ns=start + 1,
                end_ns=start + 2,
                attributes={attrs.INTENT_NAME: intent},
            )
        )
    for i, tool in enumerate(tools):
        spans.append(
            SpanRecord(
                trace_id=tid,
                span_id=f"{n:08x}{i + 16:08x}",
                parent_span_id=parent,
                name=tool,
                kind="tool",
                start_ns=start + 3 + i,
                end_ns=start + 4 + i,
                attributes={attrs.GEN_AI_TOOL_NAME: tool},
            )
        )
    if usage is not None:
        tokens_in, tokens_out, cost = usage
        spans.append(SpanRecord(trace_id=tid, span_id=f"{n:08x}000000ee", parent_span_id=parent,
                                name="chat", kind="llm", start_ns=start + 7, end_ns=start + 8,
                                attributes={attrs.GEN_AI_INPUT_TOKENS: tokens_in,
                                            attrs.GEN_AI_OUTPUT_TOKENS: tokens_out,
                                            attrs.LLM_COST: cost}))  # fmt: skip
    if escalate:
        spans.append(SpanRecord(trace_id=tid, span_id=f"{n:08x}000000ff", parent_span_id=parent,
                                name="handoff", kind="escalation", start_ns=start + 5,
                                end_ns=start + 6))  # fmt: skip
    store.write_spans(spans)
    return tid


class Receiver:
    """A webhook receiver: an HTTP server on a free port recording every JSON body."""

    def __init__(self, *, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.statuses = list(statuses or [])
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                with owner.lock:
                    owner.bodies.append(body)
                    owner.paths.append(self.path)
                    status = owner.statuses.pop(0) if owner.statuses else 202
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r
