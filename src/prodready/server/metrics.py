"""``POST /v1/metrics``: accepted and dropped, with an OTLP ``partial_success`` saying so.

prodready keeps traces (and log records attached to spans), not metrics. But
``OTEL_EXPORTER_OTLP_ENDPOINT`` points every signal of an SDK at one server, so an app that
also exports metrics sends them here every minute. A 404 makes the official exporters log
an error at every export, forever. Instead the request is read and validated like any other
OTLP request and answered 200 with ``partial_success``: ``rejected_data_points`` counts the
dropped points and ``error_message`` says how to stop sending them. The specification tells
clients not to retry such an answer; the Python exporter does not read it at all (any 2xx
is a success, so it stays quiet), and the JavaScript one logs it as a warning. The server
logs it once per app, at info.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsPartialSuccess,
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

from prodready.server.ingest import _OPENAPI_BODY, IngestError, handle_export
from prodready.server.otlp import Encoding, OTLPError, encode_response, read_json, read_protobuf
from prodready.store import Store

log = logging.getLogger("prodready.server")

router = APIRouter()

DROPPED_MESSAGE: Final = (
    "prodready stores traces and logs, not metrics: these data points were dropped. "
    "To stop sending them, set OTEL_METRICS_EXPORTER=none (or point "
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT at a metrics backend)."
)


@router.post(
    "/v1/metrics",
    summary="Export metrics (OTLP/HTTP): accepted and dropped, with a partial success",
    response_class=Response,
    openapi_extra=_OPENAPI_BODY,
    tags=["ingest"],
)
async def export_metrics(request: Request) -> Response:
    """Count the data points of an OTLP ``ExportMetricsServiceRequest`` and drop them."""
    once: threading.Event = request.app.state.metrics_logged

    def drop(_: Store, body: bytes, encoding: Encoding) -> bytes:
        return drop_metrics(body, encoding, once)

    return await handle_export(request, drop)


def drop_metrics(body: bytes, encoding: Encoding, once: threading.Event) -> bytes:
    """The response to a (decompressed) metrics request: its data points all rejected.

    Raises:
        IngestError: 400 when the body is not an ``ExportMetricsServiceRequest``.
    """
    try:
        if encoding == "json":
            request = read_json(body, ExportMetricsServiceRequest())
        else:
            request = read_protobuf(body, ExportMetricsServiceRequest())
    except OTLPError as exc:
        raise IngestError(400, str(exc)) from None
    points = count_data_points(request)
    if not once.is_set():
        once.set()
        log.info(
            "dropped %d metric data points: prodready does not store metrics (logged once; "
            "clients can set OTEL_METRICS_EXPORTER=none)",
            points,
        )
    if not points:
        return encode_response(encoding, ExportMetricsServiceResponse())
    partial = ExportMetricsPartialSuccess(
        rejected_data_points=points, error_message=DROPPED_MESSAGE
    )
    return encode_response(encoding, ExportMetricsServiceResponse(partial_success=partial))


def count_data_points(request: ExportMetricsServiceRequest) -> int:
    """How many data points a request holds, over every metric type."""
    total = 0
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                data: Any = metric.WhichOneof("data")
                if data is not None:
                    total += len(getattr(metric, data).data_points)
    return total
