"""Diagnostic: concurrent large OTLP bodies against ``prodready serve`` (not part of `make bench`).

Issue 10's hardening probe (item 3): N clients each POST one protobuf body just under the
16 MiB limit at the same moment, to a fresh ``prodready serve`` subprocess on a fresh SQLite
file. Prints, per request, its status and time (with ``Retry-After`` when refused), and the
server's resident memory before and at its peak (``VmHWM`` from ``/proc``, Linux only).

    python benchmarks/diag_ingest_memory.py [--clients 4] [--mib 16] [-- SERVE-OPTIONS...]

Options after ``--`` go to ``prodready serve`` (e.g. ``--max-ingest-mib 256``), so one
script measures the server with and without a bound.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

T0 = 1_790_000_000_000_000_000


def body(client: int, size: int) -> bytes:
    """A protobuf request of about ``size`` bytes: spans with a few typical attributes."""
    spans: list[Span] = []
    estimate = 0
    i = 0
    while estimate < size:
        i += 1
        spans.append(
            Span(
                trace_id=(client << 64 | i // 8 + 1).to_bytes(16, "big"),
                span_id=i.to_bytes(8, "big"),
                name=f"chat step {i % 17}",
                start_time_unix_nano=T0 + i,
                end_time_unix_nano=T0 + i + 1_000_000,
                attributes=[
                    KeyValue(key="gen_ai.request.model", value=AnyValue(string_value="gpt-4o")),
                    KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(int_value=i)),
                    KeyValue(key="session.id", value=AnyValue(string_value=f"s-{i % 97}")),
                    KeyValue(key="input.value", value=AnyValue(string_value="q" * 120)),
                ],
            )
        )
        estimate += 250
    req = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])]
    )
    data = req.SerializeToString()
    while len(data) > size:  # trim to fit under the limit
        del req.resource_spans[0].scope_spans[0].spans[-200:]
        data = req.SerializeToString()
    return data


def memory_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--mib", type=float, default=16, help="body size (MiB, below 16)")
    args, serve_options = parser.parse_known_args()
    serve_options = [o for o in serve_options if o != "--"]
    bodies = [body(c + 1, int(args.mib * 1024 * 1024) - 4096) for c in range(args.clients)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = f"sqlite:///{tempfile.mkdtemp()}/diag.db"
    argv = [sys.executable, "-c", "from prodready.cli import main; main()", "--store", store]
    argv += ["serve", "--port", str(port), "--log-level", "warning", *serve_options]
    server = subprocess.Popen(argv)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        before = memory_kib(server.pid, "VmRSS")
        results: list[str] = [""] * args.clients
        go = threading.Barrier(args.clients)

        def send(i: int) -> None:
            go.wait()
            started = time.perf_counter()
            answer = httpx.post(
                f"{url}/v1/traces",
                content=bodies[i],
                headers={"content-type": "application/x-protobuf"},
                timeout=300,
            )
            seconds = time.perf_counter() - started
            retry = answer.headers.get("retry-after")
            results[i] = f"{answer.status_code} in {seconds:5.2f} s" + (
                f" (Retry-After: {retry})" if retry else ""
            )

        threads = [threading.Thread(target=send, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = memory_kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    size = len(bodies[0]) / 1024 / 1024
    print(f"{args.clients} concurrent {size:.1f} MiB bodies, serve {' '.join(serve_options)}")
    for i, line in enumerate(results):
        print(f"  request {i + 1}: {line}")
    print(f"  server RSS: {before / 1024:.0f} MB before, {peak / 1024:.0f} MB at its peak")
    print(f"  (cpu count {os.cpu_count()})")


if __name__ == "__main__":
    main()
