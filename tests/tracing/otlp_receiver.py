"""A minimal OTLP/HTTP traces receiver on loopback: it keeps what the exporter really sent.

The outbound tests need the attributes exactly as they went over the wire (prodready's server
would translate them on ingest), so this decodes each protobuf request and keeps every span's
name and attributes, decoded to Python values.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which) if which else None


class OTLPReceiver:
    """``with OTLPReceiver() as rx:`` exports to ``rx.url``; ``rx.spans`` is what arrived."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                receiver.paths.append(self.path)
                for resource_spans in request.resource_spans:
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            receiver.spans.append(
                                {
                                    "name": span.name,
                                    "attributes": {
                                        kv.key: _value(kv.value) for kv in span.attributes
                                    },
                                    "events": [
                                        {kv.key: _value(kv.value) for kv in e.attributes}
                                        for e in span.events
                                    ],
                                }
                            )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # shutdown() waits for the serve loop's next poll: 0.5 s by default, each test
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> OTLPReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def span(self, name: str) -> dict[str, Any]:
        """The attributes of the one span called ``name``."""
        found = [s for s in self.spans if s["name"] == name]
        assert len(found) == 1, (
            f"{len(found)} spans named {name!r} in {[s['name'] for s in self.spans]}"
        )
        return found[0]["attributes"]  # type: ignore[no-any-return]
