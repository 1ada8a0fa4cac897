"""OTLP trace requests (protobuf or JSON) -> ``SpanRecord`` objects, validated as a whole.

Every span of a request is decoded and checked before anything is stored, so a request is
either stored entirely or rejected entirely with an :class:`OTLPError` saying why.
Spec: https://opentelemetry.io/docs/specs/otlp/#otlphttp.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Iterator
from typing import Any, Final, Literal

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from prodready.store.records import SpanRecord, SpanStatus
from prodready.tracing.conventions import inherit_trace_attributes, translate

__all__ = [
    "Encoding",
    "OTLPError",
    "any_value",
    "attributes_dict",
    "decode",
    "encode_response",
    "parse_json",
    "parse_protobuf",
    "to_records",
]

Encoding = Literal["protobuf", "json"]

TRACE_ID_BYTES: Final = 16
SPAN_ID_BYTES: Final = 8
# Both databases store times as signed 64-bit integers; OTLP's are unsigned.
_MAX_TIME_NS: Final = 2**63 - 1
# How deep attribute values may nest (an attribute's value is level 1; each array or
# key-value list adds one): the deepest key-value list the protobuf parser reads, so both
# encodings hold the same limit.
MAX_VALUE_DEPTH: Final = 32
# Enough for ParseDict to read JSON nested beyond MAX_VALUE_DEPTH, so the limit is ours.
_JSON_PARSE_DEPTH: Final = 4 * MAX_VALUE_DEPTH + 16
_NON_FINITE: Final = {math.inf: "Infinity", -math.inf: "-Infinity"}

# OTLP SpanKind enum values; UNSPECIFIED (0) is treated as INTERNAL, as the spec allows.
_OTEL_KINDS: Final[dict[int, str]] = {
    0: "internal",
    1: "internal",
    2: "server",
    3: "client",
    4: "producer",
    5: "consumer",
}
_STATUS: Final[dict[int, SpanStatus]] = {0: "unset", 1: "ok", 2: "error"}


class OTLPError(ValueError):
    """The request is not valid OTLP; the message says where and why."""


def decode(body: bytes, encoding: Encoding) -> list[SpanRecord]:
    """Decode and validate an OTLP ``ExportTraceServiceRequest``.

    Args:
        body: the uncompressed request body.
        encoding: ``"protobuf"`` (binary) or ``"json"`` (OTLP/JSON: hex ids, enums as numbers
            or names, 64-bit integers as numbers or strings).

    Returns:
        One record per span, kinds and attributes already translated.

    Raises:
        OTLPError: the body is malformed or a span is invalid; nothing was decoded partially.
    """
    request = parse_json(body) if encoding == "json" else parse_protobuf(body)
    return to_records(request)


def parse_protobuf(body: bytes) -> ExportTraceServiceRequest:
    """Parse binary OTLP, raising :class:`OTLPError` when it is corrupt or truncated."""
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RecursionError) as exc:
        raise OTLPError(f"invalid OTLP protobuf: {exc}") from None
    return request


def parse_json(body: bytes) -> ExportTraceServiceRequest:
    """Parse OTLP/JSON, raising :class:`OTLPError` when it is not valid OTLP/JSON."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise OTLPError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OTLPError("invalid OTLP JSON: the body must be a JSON object")
    _hex_ids_to_base64(data)
    _check_bytes_values(data)
    request = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(
            data, request, ignore_unknown_fields=True, max_recursion_depth=_JSON_PARSE_DEPTH
        )
    except (json_format.ParseError, RecursionError) as exc:
        raise OTLPError(f"invalid OTLP JSON: {exc}") from None
    return request


def encode_response(encoding: Encoding) -> bytes:
    """An empty ``ExportTraceServiceResponse`` (full success) in the request's encoding."""
    if encoding == "json":
        return b"{}"
    empty: bytes = ExportTraceServiceResponse().SerializeToString()
    return empty


# --- OTLP/JSON ids ----------------------------------------------------------------------------
# The protobuf JSON mapping encodes bytes as base64, but OTLP/JSON sends trace and span ids as
# hex; convert them in place so ``ParseDict`` can do the rest of the work.

_SPAN_IDS: Final = (
    (("traceId", "trace_id"), TRACE_ID_BYTES, False),
    (("spanId", "span_id"), SPAN_ID_BYTES, False),
    (("parentSpanId", "parent_span_id"), SPAN_ID_BYTES, True),
)
_LINK_IDS: Final = _SPAN_IDS[:2]


def _hex_ids_to_base64(data: dict[str, Any]) -> None:
    for where, span in _json_spans(data):
        _convert_ids(span, where, _SPAN_IDS)
        for n, link in enumerate(_json_list(span, ("links",), where)):
            _convert_ids(link, f"{where}.links[{n}]", _LINK_IDS)


def _json_spans(data: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for i, resource_spans in enumerate(_json_list(data, ("resourceSpans", "resource_spans"), "")):
        where = f"resourceSpans[{i}]"
        for j, scope_spans in enumerate(
            _json_list(resource_spans, ("scopeSpans", "scope_spans"), where)
        ):
            for k, span in enumerate(
                _json_list(scope_spans, ("spans",), f"{where}.scopeSpans[{j}]")
            ):
                yield f"{where}.scopeSpans[{j}].spans[{k}]", span


def _json_list(obj: Any, names: tuple[str, ...], where: str) -> list[Any]:
    if not isinstance(obj, dict):
        raise OTLPError(f"invalid OTLP JSON: {where or 'the body'} must be an object")
    for name in names:
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            raise OTLPError(f"invalid OTLP JSON: {_join(where, name)} must be an array")
        return value
    return []


def _convert_ids(obj: Any, where: str, fields: Iterable[tuple[tuple[str, ...], int, bool]]) -> None:
    if not isinstance(obj, dict):
        raise OTLPError(f"invalid OTLP JSON: {where} must be an object")
    for names, size, may_be_empty in fields:
        for name in names:
            if name in obj:
                obj[name] = _hex_to_base64(obj[name], size, may_be_empty, _join(where, name))


def _hex_to_base64(value: Any, size: int, may_be_empty: bool, where: str) -> Any:
    if value is None or (value == "" and may_be_empty):
        return value
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) and len(value) == 2 * size else None
    except ValueError:
        raw = None
    if raw is None or len(raw) != size:  # fromhex skips spaces: check what it decoded
        shown = repr(value) if len(repr(value)) <= 48 else repr(value)[:45] + "..."
        raise OTLPError(f"{where}: {shown} is not a {2 * size}-character hex id")
    return base64.b64encode(raw).decode("ascii")


_BYTES_KEYS: Final = frozenset(("bytesValue", "bytes_value"))


def _check_bytes_values(data: dict[str, Any]) -> None:
    """Refuse a ``bytesValue`` that is not base64: ``ParseDict`` decodes what it can of it
    (``"@@@@"`` becomes empty bytes), which would store something the client never sent."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, list):
            stack.extend((f"{where}[{n}]", item) for n, item in enumerate(node))
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in _BYTES_KEYS and isinstance(value, str) and not _is_base64(value):
                    raise OTLPError(f"{_join(where, key)}: {_shown(value)} is not base64")
                stack.append((_join(where, key), value))


def _is_base64(text: str) -> bool:
    """Standard or URL-safe base64, padded or not, as the protobuf JSON mapping allows."""
    standard = text.replace("-", "+").replace("_", "/")
    try:
        base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


# --- protobuf -> records ----------------------------------------------------------------------


def to_records(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """Map every span of a parsed request to a ``SpanRecord``.

    Raises:
        OTLPError: a span has an invalid id or ends before it starts.
    """
    records: list[SpanRecord] = []
    for i, resource_spans in enumerate(request.resource_spans):
        resource = attributes_dict(
            resource_spans.resource.attributes, f"resourceSpans[{i}].resource.attributes"
        )
        for j, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope.name or None
            for k, span in enumerate(scope_spans.spans):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                records.append(_record(span, resource, scope, where))
    return records


def _record(span: Any, resource: dict[str, Any], scope: str | None, where: str) -> SpanRecord:
    trace_id = _hex_id(span.trace_id, TRACE_ID_BYTES, f"{where}.traceId")
    span_id = _hex_id(span.span_id, SPAN_ID_BYTES, f"{where}.spanId")
    parent = span.parent_span_id
    parent_id = _hex_id(parent, SPAN_ID_BYTES, f"{where}.parentSpanId") if parent else None
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start == 0:
        raise OTLPError(f"{where}: startTimeUnixNano is missing (a span must have a start time)")
    if end < start:
        raise OTLPError(f"{where}: endTimeUnixNano {end} is before startTimeUnixNano {start}")
    if end > _MAX_TIME_NS:
        raise OTLPError(f"{where}: endTimeUnixNano {end} is beyond year 2262")
    otel_kind = _OTEL_KINDS.get(span.kind, "internal")
    own = attributes_dict(span.attributes, f"{where}.attributes")
    attributes = inherit_trace_attributes(own, resource)
    kind, attributes = translate(attributes, name=span.name, otel_kind=otel_kind)
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_id,
        name=span.name,
        kind=kind,
        start_ns=start,
        end_ns=end,
        # Status codes added to OTLP later are not errors we know of: store them as unset.
        status=_STATUS.get(span.status.code, "unset"),
        status_message=span.status.message or None,
        attributes=attributes,
        events=[_event(e, f"{where}.events[{n}]") for n, e in enumerate(span.events)],
        links=[_link(link, f"{where}.links[{n}]") for n, link in enumerate(span.links)],
        resource=resource,
        scope=scope,
        otel_kind=otel_kind,
        is_root=True if parent_id is None else None,
    )


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 48 else shown[:45] + "..."


def _hex_id(raw: bytes, size: int, where: str) -> str:
    if len(raw) != size:
        raise OTLPError(f"{where}: must be {size} bytes, got {len(raw)}")
    if not any(raw):
        raise OTLPError(f"{where}: an all-zero id is invalid")
    return raw.hex()


def _event(event: Any, where: str) -> dict[str, Any]:
    if event.time_unix_nano > _MAX_TIME_NS:
        raise OTLPError(f"{where}.timeUnixNano: {event.time_unix_nano} is beyond year 2262")
    return {
        "name": event.name,
        "time_ns": event.time_unix_nano,
        "attributes": attributes_dict(event.attributes, f"{where}.attributes"),
    }


def _link(link: Any, where: str) -> dict[str, Any]:
    return {
        "trace_id": _hex_id(link.trace_id, TRACE_ID_BYTES, f"{where}.traceId"),
        "span_id": _hex_id(link.span_id, SPAN_ID_BYTES, f"{where}.spanId"),
        "attributes": attributes_dict(link.attributes, f"{where}.attributes"),
    }


def attributes_dict(key_values: Iterable[Any], where: str = "", depth: int = 1) -> dict[str, Any]:
    """OTLP ``KeyValue`` list -> plain dict (a repeated key keeps its last value).

    Raises:
        OTLPError: a value nests deeper than :data:`MAX_VALUE_DEPTH`; ``where`` names it.
    """
    if depth > 1:  # name the attribute, not the path inside its value: keys can be long
        return {kv.key: any_value(kv.value, where, depth) for kv in key_values}
    return {kv.key: any_value(kv.value, f"{where}[{_shown(kv.key)}]") for kv in key_values}


def any_value(value: Any, where: str = "value", depth: int = 1) -> Any:
    """OTLP ``AnyValue`` -> JSON-ready Python: arrays become lists, kvlists dicts, bytes base64,
    and the doubles JSON cannot hold their protobuf JSON names (``"NaN"``, ``"Infinity"``,
    ``"-Infinity"``), rather than ``null``.

    Raises:
        OTLPError: the value nests deeper than :data:`MAX_VALUE_DEPTH`.
    """
    if depth > MAX_VALUE_DEPTH:
        raise OTLPError(f"{where}: values nest deeper than {MAX_VALUE_DEPTH} levels")
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        values = value.array_value.values
        return [any_value(v, where, depth + 1) for v in values]
    if which == "kvlist_value":
        return attributes_dict(value.kvlist_value.values, where, depth + 1)
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if which == "double_value" and not math.isfinite(value.double_value):
        return _NON_FINITE.get(value.double_value, "NaN")
    return getattr(value, which)
