"""Build OTLP trace requests (protobuf messages, OTLP/JSON dicts) for ingest tests."""

from __future__ import annotations

import base64
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

TRACE_ID = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
T0 = 1_790_000_000_000_000_000
MS = 1_000_000
PROTOBUF = {"content-type": "application/x-protobuf"}
JSON = {"content-type": "application/json"}


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        return AnyValue(array_value={"values": [any_value(v) for v in value]})
    if isinstance(value, dict):
        return AnyValue(kvlist_value={"values": key_values(value)})
    return AnyValue(string_value=value)


def key_values(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def span(
    name: str = "answer",
    *,
    span_id: int = 1,
    parent: int | None = None,
    trace_id: bytes = TRACE_ID,
    attributes: dict[str, Any] | None = None,
    start_ms: int = 0,
    end_ms: int = 10,
    status: int = Status.STATUS_CODE_UNSET,
    message: str = "",
    kind: int = Span.SPAN_KIND_INTERNAL,
) -> Span:
    return Span(
        trace_id=trace_id,
        span_id=span_id.to_bytes(8, "big"),
        parent_span_id=parent.to_bytes(8, "big") if parent else b"",
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=T0 + start_ms * MS,
        end_time_unix_nano=T0 + end_ms * MS,
        attributes=key_values(attributes or {}),
        status=Status(code=status, message=message),  # type: ignore[arg-type]
    )


def request(
    *spans: Span, resource: dict[str, Any] | None = None, scope: str = "tests"
) -> ExportTraceServiceRequest:
    resource = {"service.name": "northwind", **(resource or {})}
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource={"attributes": key_values(resource)},
                scope_spans=[ScopeSpans(scope={"name": scope}, spans=list(spans))],
            )
        ]
    )


def as_json(req: ExportTraceServiceRequest) -> dict[str, Any]:
    """The request in OTLP/JSON: lowerCamelCase keys, hex ids (protobuf JSON uses base64)."""
    data = json_format.MessageToDict(req)
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for s in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in s:
                        s[key] = base64.b64decode(s[key]).hex()
    return data


def tree() -> ExportTraceServiceRequest:
    """agent -> llm (OpenInference), tool (GenAI): a typical foreign trace."""
    return request(
        span("agent run", span_id=1, end_ms=100, attributes={"openinference.span.kind": "AGENT"}),
        span(
            "ChatCompletion",
            span_id=2,
            parent=1,
            start_ms=5,
            end_ms=50,
            kind=Span.SPAN_KIND_CLIENT,
            attributes={
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o",
                "llm.token_count.prompt": 120,
            },
        ),
        span(
            "execute_tool card_status",
            span_id=3,
            parent=1,
            start_ms=60,
            end_ms=90,
            status=Status.STATUS_CODE_ERROR,
            message="timeout",
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "card_status"},
        ),
        resource={"prodready.release": "agent@1.2.0", "deployment.environment": "staging"},
    )
