"""``POST /v1/logs``: OTLP/HTTP log ingest, each record kept as an event of its span.

OpenTelemetry's GenAI instrumentations, with content captured as events, send a model
call's prompt and answer as a log record (``gen_ai.client.inference.operation.details``)
that carries the call's trace and span id. Such a record is stored in ``span_logs``
(:meth:`prodready.store.Store.write_logs`), and reading the trace shows it among its span's
events, whichever of the two arrived first.

A record without a trace and span id belongs to no span, and prodready keeps no other
logs: it is dropped, and the answer is a 200 with an OTLP ``partial_success`` counting it,
which the specification says a client must not retry. Everything else follows
``/v1/traces`` (see ``ingest.py``): the same content types, codings, size limit, error
answers and 503 while the store is down, and the request is validated whole before one
transaction stores it.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber

from prodready.server.ingest import _OPENAPI_BODY, IngestError, handle_export, write_or_503
from prodready.server.otlp import (
    SPAN_ID_BYTES,
    TRACE_ID_BYTES,
    Encoding,
    IdField,
    OTLPError,
    any_value,
    attributes_dict,
    check_time,
    convert_ids,
    encode_response,
    hex_id,
    json_items,
    read_json,
    read_protobuf,
)
from prodready.store import SpanLogRecord, Store

log = logging.getLogger("prodready.server")

router = APIRouter()

_RECORDS_PATH: Final = (
    ("resourceLogs", "resource_logs"),
    ("scopeLogs", "scope_logs"),
    ("logRecords", "log_records"),
)
# A record may lack ids (it belongs to no span): empty ids are allowed here, refused later.
_RECORD_IDS: Final[tuple[IdField, ...]] = (
    (("traceId", "trace_id"), TRACE_ID_BYTES, True),
    (("spanId", "span_id"), SPAN_ID_BYTES, True),
)
_MAX_SEVERITY: Final = max(SeverityNumber.values())  # FATAL4
UNATTACHED_MESSAGE: Final = (
    "log records without a trace and span id were dropped: prodready keeps log records "
    "only as events of the span they name"
)


@router.post(
    "/v1/logs",
    summary="Export logs (OTLP/HTTP): records become events of their spans",
    response_class=Response,
    openapi_extra=_OPENAPI_BODY,
    tags=["ingest"],
)
async def export_logs(request: Request) -> Response:
    """Store the log records of an OTLP ``ExportLogsServiceRequest`` that name a span."""
    return await handle_export(request, ingest_logs)


def ingest_logs(store: Store, body: bytes, encoding: Encoding) -> bytes:
    """Decode and store one (decompressed) request body; the response body.

    Raises:
        IngestError: 400 for bad input (nothing stored), 503 when the store is down.
    """
    try:
        records, dropped = decode_logs(body, encoding)
    except OTLPError as exc:
        raise IngestError(400, str(exc)) from None
    count = write_or_503(lambda: store.write_logs(records)) if records else 0
    log.debug("stored %d log records, dropped %d without a span", count, dropped)
    if not dropped:
        return encode_response(encoding, ExportLogsServiceResponse())
    partial = ExportLogsPartialSuccess(
        rejected_log_records=dropped, error_message=UNATTACHED_MESSAGE
    )
    return encode_response(encoding, ExportLogsServiceResponse(partial_success=partial))


def decode_logs(body: bytes, encoding: Encoding) -> tuple[list[SpanLogRecord], int]:
    """Decode and validate an OTLP ``ExportLogsServiceRequest``.

    Returns:
        The records that name a span, and how many did not (no trace or span id, or an
        all-zero one: the "invalid" span context of the OTel SDKs).

    Raises:
        OTLPError: the body is malformed, or a record has an id of the wrong size, a time
            after 2262, an unknown severity number or values nested too deep; nothing was
            decoded partially.
    """
    if encoding == "json":
        request = read_json(body, ExportLogsServiceRequest(), _hex_ids_to_base64)
    else:
        request = read_protobuf(body, ExportLogsServiceRequest())
    records: list[SpanLogRecord] = []
    dropped = 0
    for i, resource_logs in enumerate(request.resource_logs):
        where = f"resourceLogs[{i}]"
        resource = attributes_dict(
            resource_logs.resource.attributes, f"{where}.resource.attributes"
        )
        for j, scope_logs in enumerate(resource_logs.scope_logs):
            scope = scope_logs.scope.name or None
            for k, record in enumerate(scope_logs.log_records):
                at = f"{where}.scopeLogs[{j}].logRecords[{k}]"
                decoded = _record(record, resource, scope, at)
                if decoded is None:
                    dropped += 1
                else:
                    records.append(decoded)
    return records, dropped


def _record(
    record: Any, resource: dict[str, Any], scope: str | None, where: str
) -> SpanLogRecord | None:
    """The record, checked whole (even one to drop: a bad request is refused entirely);
    ``None`` when it names no span."""
    trace_id = _optional_id(record.trace_id, TRACE_ID_BYTES, f"{where}.traceId")
    span_id = _optional_id(record.span_id, SPAN_ID_BYTES, f"{where}.spanId")
    check_time(record.time_unix_nano, f"{where}.timeUnixNano")
    check_time(record.observed_time_unix_nano, f"{where}.observedTimeUnixNano")
    if not 0 <= record.severity_number <= _MAX_SEVERITY:
        raise OTLPError(
            f"{where}.severityNumber: {record.severity_number} is not a severity "
            f"(0 to {_MAX_SEVERITY})"
        )
    attributes = attributes_dict(record.attributes, f"{where}.attributes")
    body = any_value(record.body, f"{where}.body")
    if trace_id is None or span_id is None:
        return None
    return SpanLogRecord(
        trace_id=trace_id,
        span_id=span_id,
        time_ns=record.time_unix_nano,
        observed_time_ns=record.observed_time_unix_nano,
        severity_number=record.severity_number,
        severity_text=record.severity_text or None,
        event_name=record.event_name or None,
        body=body,
        attributes=attributes,
        resource=resource,
        scope=scope,
    )


def _optional_id(raw: bytes, size: int, where: str) -> str | None:
    """A record's id as hex; ``None`` when it has none (empty, or all zeros at its size)."""
    if not raw or (len(raw) == size and not any(raw)):
        return None
    return hex_id(raw, size, where)


def _hex_ids_to_base64(data: dict[str, Any]) -> None:
    for where, record in json_items(data, _RECORDS_PATH):
        convert_ids(record, where, _RECORD_IDS)
