"""A real, local OpenAI-compatible chat completions server that answers from a script.

The test double for anything that calls a model (judges, agents, the runner benchmark), as
Inspect ships ``mockllm``: real HTTP on 127.0.0.1, so retries, timeouts, headers and
concurrency are exercised for real rather than mocked inside httpx.

Built on the standard library's ``ThreadingHTTPServer`` rather than uvicorn + FastAPI: it
needs no extra (``prodready.testing`` must import without ``prodready[server]``), starts in
milliseconds, and a thread per connection means requests sleeping out ``latency_s`` overlap
instead of queueing, which is what the runner benchmark measures (200 cases at concurrency
C in about 200·L/C).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import orjson

from prodready.models import ModelClient

Failure = int | Literal["malformed"]
"""An injected failure: an HTTP status to answer with, or ``"malformed"`` (a 200 whose body
is not JSON)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptedReply:
    """One scripted answer (a plain string in a script is ``ScriptedReply(content=...)``)."""

    content: str = ""
    status: int = 200
    """Anything but 200 answers with an OpenAI-style error body instead."""
    input_tokens: int | None = None
    """Usage reported; by default, whitespace-separated words of the prompt and reply."""
    output_tokens: int | None = None
    latency_s: float | None = None
    """Overrides the server's ``latency_s`` for this reply."""
    headers: Mapping[str, str] = field(default_factory=dict)
    tool_calls: Sequence[Mapping[str, Any]] = ()
    """Tool calls the assistant requests, each ``{"name", "arguments"}`` (arguments a dict or
    its JSON text) and optionally ``"id"``; the finish reason becomes ``tool_calls``."""
    model: str | None = None
    """The model the answer names (a dated snapshot, say), instead of the requested one."""
    cached_tokens: int | None = None
    """Reported as ``usage.prompt_tokens_details.cached_tokens``."""
    reasoning_tokens: int | None = None
    """Reported as ``usage.completion_tokens_details.reasoning_tokens``."""
    finish_reason: str | None = None
    """Defaults to ``tool_calls`` when the reply has tool calls, else ``stop``."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A request the server received."""

    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent."""
        return list(self.body.get("messages") or [])

    @property
    def prompt(self) -> str:
        """Every message's content, joined: handy for ``assert "..." in request.prompt``."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


Script = Sequence[str | ScriptedReply] | Callable[[ChatRequest], str | ScriptedReply]


class ScriptedModelServer:
    """An OpenAI-compatible ``/v1/chat/completions`` on a free local port.

    >>> with ScriptedModelServer(['{"verdict": "pass", "score": 1, "reason": "ok"}']) as srv:
    ...     client = srv.client()          # a ModelClient pointed at srv.base_url
    ...     ...
    >>> srv.requests[0].prompt

    Args:
        script: replies in order (strings or :class:`ScriptedReply`), or a function of the
            :class:`ChatRequest` that returns one. A list that runs out answers 500
            ``script exhausted`` (unless ``cycle``), so a test that asks more than it
            scripted fails loudly.
        latency_s: every reply waits this long (concurrent requests wait concurrently).
        failures: injected before the script: the first ``len(failures)`` calls answer
            these statuses (``429``, ``503``...) or ``"malformed"`` bodies, in order.
        retry_after: a ``Retry-After`` header (seconds) on injected 429 and 503 answers.
        model: the model name answers carry when the request names none.
    """

    def __init__(
        self,
        script: Script = (),
        *,
        latency_s: float = 0.0,
        failures: Sequence[Failure] = (),
        retry_after: float | None = None,
        cycle: bool = False,
        model: str = "scripted",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.script = script
        self.latency_s = latency_s
        self.failures = list(failures)
        self.retry_after = retry_after
        self.cycle = cycle
        self.model = model
        self.requests: list[ChatRequest] = []
        """Every chat request received, in arrival order (injected failures included)."""
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._served = 0
        self._httpd: _Server | None = None
        self._address: tuple[str, int] | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ScriptedModelServer:
        """Bind and serve in a background thread."""
        if self._httpd is not None:
            return self
        httpd = _Server((self._host, self._port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._address = (str(httpd.server_address[0]), int(httpd.server_address[1]))
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
            name="scripted-model-server",
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: what a client's ``base_url`` should be."""
        if self._address is None:
            raise RuntimeError("the server was never started")
        host, port = self._address
        return f"http://{host}:{port}/v1"

    @property
    def calls(self) -> int:
        """How many chat requests arrived."""
        with self._lock:
            return len(self.requests)

    def client(self, model: str = "scripted:judge", **options: Any) -> ModelClient:
        """A :class:`ModelClient` for this server, with fast retries (``backoff=0.01``)."""
        options.setdefault("backoff", 0.01)
        return ModelClient(self.base_url, model=model, **options)

    # --- answering ---------------------------------------------------------------------------

    def answer(self, request: ChatRequest) -> tuple[int, dict[str, str], bytes, float]:
        """Status, headers, body and delay for one request (called by the handler thread)."""
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
            failure = self.failures[index] if index < len(self.failures) else None
            if failure is None:
                step = self._served
                self._served += 1
        if failure is not None:
            return self._failure(failure)
        reply = self._reply(request, step)
        delay = self.latency_s if reply.latency_s is None else reply.latency_s
        if reply.status != 200:
            return (reply.status, dict(reply.headers), _error(reply.content, reply.status), delay)
        return (200, dict(reply.headers), self._completion(request, reply, step), delay)

    def _reply(self, request: ChatRequest, step: int) -> ScriptedReply:
        if callable(self.script):
            out = self.script(request)
        elif step < len(self.script) or (self.cycle and self.script):
            out = self.script[step % len(self.script)]
        else:
            n = len(self.script)
            return ScriptedReply(content=f"script exhausted after {n} replies", status=500)
        return out if isinstance(out, ScriptedReply) else ScriptedReply(content=str(out))

    def _failure(self, failure: Failure) -> tuple[int, dict[str, str], bytes, float]:
        if failure == "malformed":
            return (200, {}, b'{"id": "chatcmpl-broken", "choices": [{"mess', self.latency_s)
        headers = {}
        if self.retry_after is not None and failure in (429, 503):
            headers["Retry-After"] = str(self.retry_after)
        return (failure, headers, _error(f"injected {failure}", failure), self.latency_s)

    def _completion(self, request: ChatRequest, reply: ScriptedReply, step: int) -> bytes:
        prompt_tokens = reply.input_tokens
        if prompt_tokens is None:
            prompt_tokens = len(request.prompt.split())
        completion_tokens = reply.output_tokens
        if completion_tokens is None:
            completion_tokens = len(reply.content.split())
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                _tool_call(call, f"call_{step}_{n}") for n, call in enumerate(reply.tool_calls)
            ]
        elif message["content"] is None:
            message["content"] = ""
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if reply.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
        if reply.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return orjson.dumps(
            {
                "id": f"chatcmpl-{step}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": reply.model or request.body.get("model") or self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            }
        )

    def embeddings(self, body: dict[str, Any]) -> bytes:
        """A deterministic ``/v1/embeddings`` answer: 8 numbers per input, from its hash."""
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = []
        for n, text in enumerate(texts):
            digest = hashlib.sha256(str(text).encode("utf-8")).digest()
            vector = [round(b / 255 - 0.5, 4) for b in digest[:8]]
            data.append({"object": "embedding", "index": n, "embedding": vector})
        tokens = sum(len(str(t).split()) for t in texts)
        with self._lock:
            self.requests.append(ChatRequest(body=body, headers={}))
        return orjson.dumps(
            {
                "object": "list",
                "model": body.get("model") or self.model,
                "data": data,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


def _tool_call(call: Mapping[str, Any], default_id: str) -> dict[str, Any]:
    arguments = call.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = orjson.dumps(arguments).decode("utf-8")
    return {
        "id": str(call.get("id") or default_id),
        "type": "function",
        "function": {"name": str(call["name"]), "arguments": arguments},
    }


def _error(message: str, status: int) -> bytes:
    kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "error"
    return orjson.dumps({"error": {"message": message, "type": kind, "code": status}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive threads must not hold up stop()
    request_queue_size = 1024  # a burst of C new connections must not overflow the backlog
    owner: ScriptedModelServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints and httpx pools expect
    disable_nagle_algorithm = True  # else headers and body in two writes cost a 40 ms ACK wait
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        route = self.path.rstrip("/")
        if route not in ("/v1/chat/completions", "/v1/embeddings"):
            self._send(404, {}, _error(f"no route {self.path}", 404))
            return
        try:
            body = orjson.loads(raw)
            if not isinstance(body, dict):
                raise TypeError("not an object")
        except (orjson.JSONDecodeError, TypeError) as exc:
            self._send(400, {}, _error(f"request body is not a JSON object: {exc}", 400))
            return
        if route == "/v1/embeddings":
            self._send(200, {}, self.server.owner.embeddings(body))
            return
        request = ChatRequest(body=body, headers={k.lower(): v for k, v in self.headers.items()})
        status, headers, payload, delay = self.server.owner.answer(request)
        if delay > 0:
            time.sleep(delay)
        self._send(status, headers, payload)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            model = self.server.owner.model
            self._send(200, {}, orjson.dumps({"object": "list", "data": [{"id": model}]}))
        else:
            self._send(404, {}, _error(f"no route {self.path}", 404))

    def _send(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``server.requests`` instead of stderr."""
