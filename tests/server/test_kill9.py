"""kill -9 of ``prodready serve`` mid-stream loses no acknowledged span and stores none twice.

The official OTLP/HTTP exporter sends batches to a real ``prodready serve`` subprocess; the
server is killed with SIGKILL twice while batches are in flight and restarted on the same
store and port, and the exporter's own retries carry each batch through. Every span of a
batch answered 200 must be stored, once: a batch the server stored but never answered is
sent again, and must neither add span rows nor count its spans twice in the trace row.
Loopback only; about 10 s per database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from prodready.store import Store
from tests.server.test_store_down_at_start import SERVE, free_port, wait_for

BATCHES = 60
TRACES_PER_BATCH = 10
SPANS_PER_TRACE = 10


def batches() -> list[list[ReadableSpan]]:
    """BATCHES batches, each of whole traces (a root and its children), made by the SDK."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.kill9")
    for t in range(BATCHES * TRACES_PER_BATCH):
        with tracer.start_as_current_span(f"agent {t}"):
            for s in range(SPANS_PER_TRACE - 1):
                with tracer.start_as_current_span(f"step {s}"):
                    pass
    spans = memory.get_finished_spans()
    per_batch = TRACES_PER_BATCH * SPANS_PER_TRACE
    return [list(spans[i : i + per_batch]) for i in range(0, len(spans), per_batch)]


def test_kill_9_mid_stream_loses_no_acknowledged_span_and_stores_none_twice(
    store_url: str,
) -> None:
    sent = batches()
    acknowledged: list[ReadableSpan] = []
    port = free_port()
    argv = [sys.executable, "-c", SERVE, "--store", store_url, "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    server = start(argv, url)
    exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=60)
    exporting = threading.Event()
    killed_mid_export = []

    def send() -> None:
        for batch in sent:
            exporting.set()
            if exporter.export(batch) is SpanExportResult.SUCCESS:
                acknowledged.extend(batch)
            exporting.clear()

    sender = threading.Thread(target=send)
    sender.start()
    try:
        for after in (len(sent) // 4, len(sent) // 2):  # twice, while batches are in flight
            wait_for(lambda after=after: len(acknowledged) >= after * len(sent[0]))
            os.kill(server.pid, signal.SIGKILL)
            killed_mid_export.append(exporting.is_set())
            server.wait(timeout=10)
            server = start(argv, url)
        sender.join(timeout=120)
    finally:
        server.terminate()
        server.communicate(timeout=10)
        exporter.shutdown()
    assert not sender.is_alive() and any(killed_mid_export)
    assert len(acknowledged) == sum(map(len, sent))  # the retries carried every batch
    with Store(store_url) as store:
        trace_ids = {format(s.context.trace_id, "032x") for s in acknowledged}
        stored = store.get_traces(trace_ids)
    assert set(stored) == trace_ids
    stored_spans = [(t, span.span_id) for t, trace in stored.items() for span in trace.spans]
    assert len(stored_spans) == len(set(stored_spans)) == len(acknowledged)
    assert {t.summary.span_count for t in stored.values()} == {SPANS_PER_TRACE}


def start(argv: list[str], url: str) -> subprocess.Popen[bytes]:
    """Start ``prodready serve`` and wait until it answers."""
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: httpx.get(f"{url}/healthz").status_code == 200)
    return server
