"""configure(otlp_endpoint=...): every span goes to the local store and to an OTLP backend."""

from __future__ import annotations

from pathlib import Path

import prodready
from prodready import tracing
from prodready.store import Store
from tests.server.conftest import LiveServer


def test_spans_land_in_the_store_and_in_the_otlp_backend(tmp_path: Path) -> None:
    backend = Store(f"sqlite:///{tmp_path}/backend.db")
    local = Store(f"sqlite:///{tmp_path}/local.db")
    with LiveServer(backend) as server:
        tracing.configure(store=local, otlp_endpoint=f"{server.url}/v1/traces", release="r7")
        with prodready.span("turn", kind="agent") as turn, tracing.tool_call("card_status"):
            pass
        tracing.shutdown()  # flushes the store writer, then the OTLP batch processor
    for store in (local, backend):
        trace = store.get_trace(turn.trace_id)
        assert trace is not None and [s.kind for s in trace.spans] == ["agent", "tool"]
        assert trace.summary.release == "r7"


def test_redaction_applies_to_the_otlp_copy_too(tmp_path: Path) -> None:
    backend = Store(f"sqlite:///{tmp_path}/backend.db")

    def redact(attrs: dict[str, object]) -> dict[str, object]:
        return {k: "***" if k == "iban" else v for k, v in attrs.items()}

    with LiveServer(backend) as server:
        tracing.configure(store="sqlite://", otlp_endpoint=f"{server.url}/v1/traces", redact=redact)
        with prodready.span("pay") as s:
            s.set("iban", "DE89370400440532013000")
        tracing.shutdown()
    assert backend.get_trace(s.trace_id).spans[0].attributes["iban"] == "***"  # type: ignore[union-attr]


def test_otlp_only_export_skips_the_store(tmp_path: Path) -> None:
    backend = Store(f"sqlite:///{tmp_path}/backend.db")
    with LiveServer(backend) as server:
        config = tracing.configure(otlp_endpoint=f"{server.url}/v1/traces", write_to_store=False)
        assert config.store is None
        with prodready.span("only remote") as s:
            pass
        tracing.shutdown()
    assert backend.get_trace(s.trace_id) is not None


def test_a_span_whose_redaction_fails_reaches_neither_side(tmp_path: Path) -> None:
    backend = Store(f"sqlite:///{tmp_path}/backend.db")
    local = Store(f"sqlite:///{tmp_path}/local.db")

    def redact(attrs: dict[str, object]) -> dict[str, object]:
        if "iban" in attrs:
            return None  # type: ignore[return-value]  # a hook with a bug: no dict back
        return attrs

    with LiveServer(backend) as server:
        tracing.configure(store=local, otlp_endpoint=f"{server.url}/v1/traces", redact=redact)
        with prodready.span("pay") as leaky:
            leaky.set("iban", "DE89370400440532013000")
        with prodready.span("fine") as fine:
            pass
        tracing.flush()
        assert tracing.stats().dropped_by_reason == {"redaction": 1}
        tracing.shutdown()
    for store in (local, backend):
        assert store.get_trace(leaky.trace_id) is None
        assert store.get_trace(fine.trace_id) is not None
