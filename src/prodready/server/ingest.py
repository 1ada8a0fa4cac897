"""``POST /v1/traces``: OTLP/HTTP trace ingest (binary protobuf or JSON, optionally compressed).

A request is read with its size bounded (declared, streamed and decompressed), decoded and
validated entirely, then written in one store transaction: it is stored whole or not at all.
Bad input gets a 4xx, an unreachable database a 503 with ``Retry-After`` so OTLP exporters
retry. Error bodies are ``google.rpc.Status`` messages in the request's encoding, as the OTLP
specification asks.

:class:`IngestLimits` guards every ``/v1/*`` route (traces, logs, metrics): request bytes held
at once are bounded by an :class:`IngestBudget` (past it, 503 with ``Retry-After`` at once
instead of queued work), and a body that stalls or drips is answered 408 and its connection
closed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Final, Protocol, TypeVar

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prodready.server.otlp import Encoding, OTLPError, decode, encode_response
from prodready.store import UNAVAILABLE_ERRORS, SpanRecord, Store

log = logging.getLogger("prodready.server")

router = APIRouter()
_T = TypeVar("_T")

CONTENT_TYPES: Final[dict[Encoding, str]] = {
    "protobuf": "application/x-protobuf",
    "json": "application/json",
}
_ENCODINGS: Final[dict[str, Encoding]] = {
    "application/x-protobuf": "protobuf",
    "application/protobuf": "protobuf",
    "application/json": "json",
}
_CODINGS: Final = frozenset({"identity", "gzip", "deflate"})
RETRY_AFTER_SECONDS: Final = 5
BUSY_RETRY_AFTER_SECONDS: Final = 1
"""``Retry-After`` when the ingest budget is full: requests finish in about a second."""

# google.rpc.Code values for the Status body; OTLP clients may log them but do not act on them.
_RPC_CODES: Final = {400: 3, 408: 4, 413: 8, 415: 3, 503: 14}

_BINARY: Final = {"type": "string", "format": "binary"}
_RPC_STATUS: Final = {
    "title": "google.rpc.Status",
    "type": "object",
    "properties": {
        "code": {"type": "integer", "description": "google.rpc.Code"},
        "message": {"type": "string", "description": "what was wrong, and where"},
    },
    "required": ["code", "message"],
}


def _status_answer(description: str, **headers: str) -> dict[str, object]:
    """An OpenAPI error response: ``google.rpc.Status`` in the request's encoding."""
    answer: dict[str, object] = {
        "description": description,
        "content": {
            "application/x-protobuf": {"schema": {**_BINARY, "description": "google.rpc.Status"}},
            "application/json": {"schema": _RPC_STATUS},
        },
    }
    if headers:
        answer["headers"] = {
            name: {"required": True, "description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return answer


_OPENAPI_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-protobuf": {"schema": _BINARY},
            "application/json": {"schema": {"type": "object"}},
        },
    },
    "responses": {
        "200": {
            "description": "Accepted: the export response in the request's encoding.",
            "content": {
                "application/x-protobuf": {"schema": _BINARY},
                "application/json": {"schema": {"type": "object"}},
            },
        },
        "400": _status_answer("Malformed OTLP, or a value the store cannot hold: nothing stored."),
        "408": _status_answer(
            "The body stalled or was too slow to arrive; the connection is closed.",
            Connection="close",
        ),
        "413": _status_answer("The body, compressed or decompressed, is over the size limit."),
        "415": _status_answer("Unsupported Content-Type (answered in JSON) or Content-Encoding."),
        "503": _status_answer(
            "The store is unreachable, or the server is at its bound of request bytes in "
            "progress: retry after Retry-After seconds.",
            **{"Retry-After": "seconds to wait before retrying"},
        ),
    },
}
"""The OpenAPI request body and answers every OTLP route shares (``openapi_extra``)."""


class IngestError(Exception):
    """A request the server refuses, with the HTTP status and the reason to send back."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@router.post(
    "/v1/traces",
    summary="Export traces (OTLP/HTTP)",
    response_class=Response,
    openapi_extra=_OPENAPI_BODY,
    tags=["ingest"],
)
async def export_traces(request: Request) -> Response:
    """Store the spans of an OTLP ``ExportTraceServiceRequest``."""
    observer: IngestObserver | None = getattr(request.app.state, "ingest_observer", None)
    if observer is None:
        return await handle_export(request, ingest)
    return await handle_export(request, functools.partial(ingest, observer=observer))


class IngestObserver(Protocol):
    """Told about ingest after the fact (the server's monitoring: counters, online scoring).

    Its methods must be quick and never raise; ingest guards them anyway.
    """

    def written(self, records: Sequence[SpanRecord]) -> None:
        """Spans a request stored, after their transaction committed."""

    def refused(self, path: str, status: int) -> None:
        """A request answered with an error status."""


def ingest(
    store: Store, body: bytes, encoding: Encoding, *, observer: IngestObserver | None = None
) -> bytes:
    """Decode and store one (decompressed) request body; the response body.

    Raises:
        IngestError: 400 for bad input (nothing stored), 503 when the store is down.
    """
    try:
        records = decode(body, encoding)
    except OTLPError as exc:
        raise IngestError(400, str(exc)) from None
    count = write_or_503(lambda: store.write_spans(records))
    log.debug("stored %d spans", count)
    if observer is not None:
        try:
            observer.written(records)
        except Exception:  # monitoring never fails a request that was stored
            log.debug("the ingest observer failed", exc_info=True)
    return encode_response(encoding)


def _refused(app: Any, path: str, status: int) -> None:
    observer: IngestObserver | None = getattr(getattr(app, "state", None), "ingest_observer", None)
    if observer is not None:
        try:
            observer.refused(path, status)
        except Exception:
            log.debug("the ingest observer failed", exc_info=True)


Export = Callable[[Store, bytes, Encoding], bytes]
"""What an OTLP route does with a request's decompressed body, in a worker thread: store
it (or count it) and return the response body, or raise :class:`IngestError`."""


async def handle_export(request: Request, export: Export) -> Response:
    """The HTTP side every OTLP route shares: the content type and coding checked, the body
    read within the size limit, ``export`` run on it, and errors answered as
    ``google.rpc.Status`` in the request's encoding."""
    encoding = _ENCODINGS.get(_media_type(request.headers.get("content-type")))
    if encoding is None:
        supported = "application/x-protobuf or application/json"
        _refused(request.app, request.url.path, 415)
        return error_response(415, f"unsupported Content-Type; send {supported}", "json")
    store: Store = request.app.state.store
    limit: int = request.app.state.max_body_bytes
    try:
        coding = _content_coding(request.headers.get("content-encoding"))
        body = await read_body(request, limit)
        # Decompressing, decoding and writing are CPU- or IO-bound: keep the event loop free.
        answer = await run_in_threadpool(_run_export, export, store, body, encoding, coding, limit)
    except IngestError as exc:
        log.info("rejected OTLP request (%d): %s", exc.status, exc.message)
        _refused(request.app, request.url.path, exc.status)
        return error_response(exc.status, exc.message, encoding, exc.headers)
    return Response(answer, media_type=CONTENT_TYPES[encoding])


def _run_export(
    export: Export, store: Store, body: bytes, encoding: Encoding, coding: str, limit: int
) -> bytes:
    return export(store, decompress(body, coding, limit), encoding)


def write_or_503(write: Callable[[], _T]) -> _T:
    """Run a store write; the store's refusal of bad data is a 400, an unreachable database
    a 503 with ``Retry-After``.

    Raises:
        IngestError: as above; nothing was stored.
    """
    try:
        return write()
    except ValueError as exc:  # the store's own validation: bad data, never a 500
        raise IngestError(400, str(exc)) from None
    except UNAVAILABLE_ERRORS:
        log.warning("the store is unavailable; asked the client to retry", exc_info=True)
        raise IngestError(
            503,
            "the trace store is unavailable; retry later",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _content_coding(header: str | None) -> str:
    coding = (header or "identity").strip().lower() or "identity"
    if coding not in _CODINGS:
        raise IngestError(415, f"unsupported Content-Encoding {header!r}; use gzip or deflate")
    return coding


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.strip().isdigit()):
            raise IngestError(400, f"invalid Content-Length {declared!r}")
        if int(declared) > limit:
            raise IngestError(413, _too_large(f"request body of {int(declared)} bytes", limit))
    chunks: list[bytes] = []
    size = 0
    # Chunked requests declare no length: count while reading.
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise IngestError(413, _too_large("request body", limit))
        chunks.append(chunk)
    return b"".join(chunks)


def decompress(body: bytes, coding: str, limit: int) -> bytes:
    """Undo ``Content-Encoding``, producing at most ``limit`` bytes (a gzip bomb gets 413).

    ``deflate`` is accepted as zlib-wrapped (what HTTP specifies and OTel exporters send) or
    raw; ``gzip`` may have several members, as the gzip format allows.
    """
    if coding == "identity":
        return body
    held = _HELD.get()
    out = bytearray()
    data = body
    while True:
        inflater = zlib.decompressobj(_window_bits(coding, data))
        try:
            # max_length stops inflating one byte past the limit: enough to know it is over.
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise IngestError(400, f"invalid {coding} body: {exc}") from None
        if len(out) > limit:
            raise IngestError(413, _too_large(f"{coding}-decompressed body", limit))
        if not inflater.eof:
            raise IngestError(400, f"truncated {coding} body")
        data = inflater.unused_data
        if not data:
            if held is not None:  # the decompressed copy is held beside the body
                held.take(len(out))
            return bytes(out)
        if coding != "gzip":
            raise IngestError(400, f"{len(data)} trailing bytes after the {coding} stream")


def _window_bits(coding: str, data: bytes) -> int:
    if coding == "gzip":
        return 16 + zlib.MAX_WBITS
    # A zlib header: compression method 8 in the low nibble, header checksum divisible by 31.
    is_zlib = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    return zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS


def _too_large(what: str, limit: int) -> str:
    return f"{what} exceeds the server's limit of {limit} bytes; send smaller batches"


def error_response(
    status: int, message: str, encoding: Encoding, headers: Mapping[str, str] | None = None
) -> Response:
    """A ``google.rpc.Status`` error response in the request's encoding (OTLP/HTTP's rule)."""
    code = _RPC_CODES.get(status, 2)
    if encoding == "json":
        body = orjson.dumps({"code": code, "message": message})
    else:
        body = _status_protobuf(code, message)
    return Response(body, status_code=status, media_type=CONTENT_TYPES[encoding], headers=headers)


def _status_protobuf(code: int, message: str) -> bytes:
    """``google.rpc.Status{code, message}`` in protobuf wire format.

    Written by hand because the message lives in googleapis-common-protos, a dependency the
    server would otherwise not need for two fields.
    """
    text = message.encode("utf-8")
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


class IngestBudget:
    """Request bytes held at once by ``/v1/*`` requests: bodies as received, and decompressed.

    Decoding and writing a request take memory in proportion to these bytes (about ten
    times its decompressed size), so the budget bounds the server's ingest memory and work.
    A request that would take the total past ``capacity`` is refused, not queued; a request
    holding alone is always admitted, so a body larger than the budget still goes through.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"max_inflight_bytes must be positive, got {capacity}")
        self.capacity = capacity
        self.held = 0
        self._lock = threading.Lock()  # decompression takes from worker threads

    def take(self, size: int, own: int = 0) -> bool:
        """Hold ``size`` more bytes for a request already holding ``own``; False if full."""
        with self._lock:
            if self.held > own and self.held + size > self.capacity:
                return False
            self.held += size
            return True

    def give_back(self, size: int) -> None:
        """Release ``size`` bytes taken before."""
        with self._lock:
            self.held -= size


class _Held:
    """What one request holds of the budget; :class:`IngestLimits` releases it at the end."""

    def __init__(self, budget: IngestBudget) -> None:
        self.budget = budget
        self.size = 0

    def take(self, size: int) -> None:
        if not self.budget.take(size, self.size):
            raise IngestError(
                503,
                f"the server is at its limit of {self.budget.capacity} request bytes in "
                "progress; retry later",
                {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
            )
        self.size += size


_HELD: ContextVar[_Held | None] = ContextVar("prodready_ingest_held", default=None)
"""The current request's hold, for :func:`decompress` (run in a worker thread)."""


class IngestLimits:
    """ASGI middleware bounding every ``/v1/*`` request: bytes in progress, and read time.

    A request that declares its length holds it from the start, so one that does not fit
    is refused before anything is decoded; a chunked body holds each chunk as it arrives.
    The 503 goes out at once; uvicorn reads and drops the rest of a refused body, so a
    client still sending sees the answer, not a reset connection. Reading the body times
    out (408, connection closed) after ``idle_timeout`` seconds without data or
    ``body_timeout`` seconds in all, so stalled uploads do not pile up. Errors raised here
    reach the route as :class:`IngestError` from ``receive``; if the route lets one
    through, it is answered here in the request's encoding.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        budget: IngestBudget,
        max_body_bytes: int,
        idle_timeout: float,
        body_timeout: float,
    ) -> None:
        self.app = app
        self.budget = budget
        self.max_body_bytes = max_body_bytes
        self.idle_timeout = idle_timeout
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        held = _Held(self.budget)
        token = _HELD.set(held)
        declared = _declared_length(scope, self.max_body_bytes)
        body = _TimedBody(receive, held, self, count_chunks=declared is None)
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            if declared is not None:
                held.take(declared)
            await self.app(scope, body.receive, tracked_send)
        except IngestError as exc:
            if started:
                raise
            encoding = _ENCODINGS.get(_media_type(_header(scope, b"content-type")), "json")
            log.info("rejected OTLP request (%d): %s", exc.status, exc.message)
            _refused(scope.get("app"), scope["path"], exc.status)
            response = error_response(exc.status, exc.message, encoding, exc.headers)
            await response(scope, body.receive, send)
        finally:
            held.budget.give_back(held.size)
            _HELD.reset(token)


class _TimedBody:
    """``receive`` with the read deadlines, and the budget for chunks of undeclared length."""

    def __init__(
        self, receive: Receive, held: _Held, limits: IngestLimits, *, count_chunks: bool
    ) -> None:
        self._receive = receive
        self._held = held
        self._idle = limits.idle_timeout
        self._total = limits.body_timeout
        self._deadline = asyncio.get_running_loop().time() + limits.body_timeout
        self._count = count_chunks
        self.done = False

    async def receive(self) -> Message:
        if self.done:  # listening for a disconnect after the body: no deadline
            return await self._receive()
        remaining = self._deadline - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(max(0.0, min(self._idle, remaining))):
                message = await self._receive()
        except TimeoutError:
            why = (
                f"no request body data for {self._idle:g} s"
                if remaining > self._idle
                else f"the request body took more than {self._total:g} s"
            )
            raise IngestError(408, f"{why}; closing", {"Connection": "close"}) from None
        if message["type"] != "http.request":
            self.done = True
            return message
        self.done = not message.get("more_body", False)
        if self._count:
            self._held.take(len(message.get("body", b"")))
        return message


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _declared_length(scope: Scope, limit: int) -> int | None:
    """A valid ``Content-Length`` within ``limit``; else None (the route answers 400/413)."""
    declared = _header(scope, b"content-length")
    if declared is None or not (declared.isascii() and declared.strip().isdigit()):
        return None
    size = int(declared)
    return size if size <= limit else None
