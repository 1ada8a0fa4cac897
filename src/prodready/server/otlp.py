"""OTLP trace requests (protobuf or JSON) -> ``SpanRecord`` objects, validated as a whole.

Every span of a request is decoded and checked before anything is stored, so a request is
either stored entirely or rejected entirely with an :class:`OTLPError` saying why.
Spec: https://opentelemetry.io/docs/specs/otlp/#otlphttp.

The reading itself (:func:`read_protobuf`, :func:`read_json` with its hex-id conversion,
:func:`attributes_dict`, :func:`any_value`, :func:`hex_id`) serves every OTLP signal: the
logs route (``server/logs.py``) and the metrics route use it too.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, Literal, TypeVar

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from prodready.store.records import SpanRecord, SpanStatus
from prodready.tracing.conventions import inherit_trace_attributes, translate

__all__ = [
    "Encoding",
    "IdField",
    "OTLPError",
    "any_value",
    "attributes_dict",
    "check_time",
    "decode",
    "encode_response",
    "hex_id",
    "json_items",
    "parse_json",
    "parse_protobuf",
    "read_json",
    "read_protobuf",
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
    return read_protobuf(body, ExportTraceServiceRequest())


def parse_json(body: bytes) -> ExportTraceServiceRequest:
    """Parse OTLP/JSON, raising :class:`OTLPError` when it is not valid OTLP/JSON."""
    return read_json(body, ExportTraceServiceRequest(), _hex_ids_to_base64)


_M = TypeVar("_M", bound=Message)


def read_protobuf(body: bytes, message: _M) -> _M:
    """Parse binary OTLP into ``message`` (any signal's request), raising :class:`OTLPError`
    when it is corrupt or truncated."""
    try:
        message.ParseFromString(body)
    except (DecodeError, RecursionError) as exc:
        raise OTLPError(f"invalid OTLP protobuf: {exc}") from None
    return message


def read_json(
    body: bytes, message: _M, hex_ids: Callable[[dict[str, Any]], None] | None = None
) -> _M:
    """Parse OTLP/JSON into ``message``, raising :class:`OTLPError` when it is not valid.

    ``hex_ids`` rewrites the request's hex trace and span ids in place (see
    :func:`json_items` and :func:`convert_ids`) before the protobuf JSON mapping, which
    expects base64, reads them. A ``bytesValue`` that is not base64 is refused.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise OTLPError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OTLPError("invalid OTLP JSON: the body must be a JSON object")
    if hex_ids is not None:
        hex_ids(data)
    _check_bytes_values(data)
    try:
        json_format.ParseDict(
            data, message, ignore_unknown_fields=True, max_recursion_depth=_JSON_PARSE_DEPTH
        )
    except (json_format.ParseError, RecursionError) as exc:
        raise OTLPError(f"invalid OTLP JSON: {exc}") from None
    return message


def encode_response(encoding: Encoding, response: Message | None = None) -> bytes:
    """An OTLP export response in the request's encoding: ``response`` (e.g. one with a
    ``partial_success``), else an empty ``ExportTraceServiceResponse`` (full success)."""
    response = response if response is not None else ExportTraceServiceResponse()
    if encoding == "json":
        if not response.ListFields():
            return b"{}"
        return orjson.dumps(json_format.MessageToDict(response))
    encoded: bytes = response.SerializeToString()
    return encoded


# --- OTLP/JSON ids ----------------------------------------------------------------------------
# The protobuf JSON mapping encodes bytes as base64, but OTLP/JSON sends trace and span ids as
# hex; convert them in place so ``ParseDict`` can do the rest of the work.

IdField = tuple[tuple[str, ...], int, bool]
"""An id field of an OTLP/JSON object: its names (camelCase first), size in bytes, and
whether it may be empty."""

_SPAN_IDS: Final[tuple[IdField, ...]] = (
    (("traceId", "trace_id"), TRACE_ID_BYTES, False),
    (("spanId", "span_id"), SPAN_ID_BYTES, False),
    (("parentSpanId", "parent_span_id"), SPAN_ID_BYTES, True),
)
_LINK_IDS: Final = _SPAN_IDS[:2]
_SPANS_PATH: Final = (
    ("resourceSpans", "resource_spans"),
    ("scopeSpans", "scope_spans"),
    ("spans",),
)


def _hex_ids_to_base64(data: dict[str, Any]) -> None:
    for where, span in json_items(data, _SPANS_PATH):
        convert_ids(span, where, _SPAN_IDS)
        for n, link in enumerate(_json_list(span, ("links",), where)):
            convert_ids(link, f"{where}.links[{n}]", _LINK_IDS)


def json_items(
    data: Any, path: tuple[tuple[str, ...], ...], where: str = ""
) -> Iterator[tuple[str, Any]]:
    """The items of an OTLP/JSON request at ``path`` (each level's names, camelCase first:
    resource, scope, then item lists), with where each is (``resourceSpans[0].scopeSpans[1]
    .spans[2]``).

    Raises:
        OTLPError: a level is not an object or a list is not an array.
    """
    names, rest = path[0], path[1:]
    for i, item in enumerate(_json_list(data, names, where)):
        at = f"{_join(where, names[0])}[{i}]"
        if rest:
            yield from json_items(item, rest, at)
        else:
            yield at, item


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


def convert_ids(obj: Any, where: str, fields: Iterable[IdField]) -> None:
    """Rewrite ``obj``'s hex id ``fields`` as base64, in place, for the protobuf JSON mapping.

    Raises:
        OTLPError: ``obj`` is not an object, or an id is not hex of the field's size.
    """
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
    trace_id = hex_id(span.trace_id, TRACE_ID_BYTES, f"{where}.traceId")
    span_id = hex_id(span.span_id, SPAN_ID_BYTES, f"{where}.spanId")
    parent = span.parent_span_id
    parent_id = hex_id(parent, SPAN_ID_BYTES, f"{where}.parentSpanId") if parent else None
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start == 0:
        raise OTLPError(f"{where}: startTimeUnixNano is missing (a span must have a start time)")
    if end < start:
        raise OTLPError(f"{where}: endTimeUnixNano {end} is before startTimeUnixNano {start}")
    check_time(end, f"{where}.endTimeUnixNano")
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


def hex_id(raw: bytes, size: int, where: str) -> str:
    """A binary OTLP id as lowercase hex.

    Raises:
        OTLPError: it is not ``size`` bytes, or all zeros (the invalid id).
    """
    if len(raw) != size:
        raise OTLPError(f"{where}: must be {size} bytes, got {len(raw)}")
    if not any(raw):
        raise OTLPError(f"{where}: an all-zero id is invalid")
    return raw.hex()


def check_time(ns: int, where: str) -> None:
    """Refuse an OTLP time (unsigned) the store cannot hold (signed 64-bit nanoseconds).

    Raises:
        OTLPError: ``ns`` is after 2262; ``where`` names the field.
    """
    if ns > _MAX_TIME_NS:
        raise OTLPError(f"{where}: {ns} is beyond year 2262")


def _event(event: Any, where: str) -> dict[str, Any]:
    check_time(event.time_unix_nano, f"{where}.timeUnixNano")
    return {
        "name": event.name,
        "time_ns": event.time_unix_nano,
        "attributes": attributes_dict(event.attributes, f"{where}.attributes"),
    }


def _link(link: Any, where: str) -> dict[str, Any]:
    return {
        "trace_id": hex_id(link.trace_id, TRACE_ID_BYTES, f"{where}.traceId"),
        "span_id": hex_id(link.span_id, SPAN_ID_BYTES, f"{where}.spanId"),
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
