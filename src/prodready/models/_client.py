"""An async client for any OpenAI-compatible chat completions endpoint, over httpx.

Transient failures (429, 5xx, connection errors, a garbled body) are retried with
exponential backoff and jitter, honouring ``Retry-After``; other 4xx answers are the caller's
mistake and fail at once. Every call is an ``llm`` span with its usage and cost.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from prodready.models._config import parse_model
from prodready.tracing import attributes as attrs
from prodready.tracing import llm_call
from prodready.tracing import prices as _prices
from prodready.tracing.prices import Price, PriceTable

Message = Mapping[str, Any]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""

MAX_RETRY_AFTER_S = 60.0
"""A server asking for a longer pause than this is not waited for longer."""
_BODY_EXCERPT = 500


class ModelError(Exception):
    """A model call failed: an HTTP error status, a broken connection or an unusable body."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """A model's answer to one :meth:`ModelClient.complete` call."""

    text: str
    input_tokens: int | None
    output_tokens: int | None
    model: str
    """The model that answered, as the endpoint names it."""
    latency_ms: float
    """Wall time of the call, retries included."""
    cost_usd: float | None
    """From the client's ``prices`` table; ``None`` when the model has no price there."""
    attempts: int = 1
    finish_reason: str | None = None


class ModelClient:
    """An async client for one model behind an OpenAI-compatible ``/chat/completions``.

    >>> client = ModelClient("http://127.0.0.1:8000/v1", model="openai:gpt-4o-mini")
    >>> completion = await client.complete([{"role": "user", "content": "Hi"}])

    Args:
        base_url: the endpoint root, ``/chat/completions`` is appended (``.../v1``).
        api_key: sent as a bearer token; never recorded in traces, specs or repr.
        model: ``"provider:model"`` (see :func:`parse_model`); the model part is sent.
        timeout: seconds per attempt.
        max_retries: retries after the first attempt, for 429, 5xx and connection errors.
        backoff: first backoff in seconds; doubles per retry (with jitter, at most 30 s).
        prices: USD per million tokens, by model name (longest prefix of the answering
            model, else of ``model``, wins), for ``Completion.cost_usd``; default the
            price table in use (:func:`prodready.tracing.prices.current`: the shipped one
            unless overridden).
        json_mode: whether the endpoint accepts ``response_format`` (judges turn it off
            when the endpoint refuses it).
        transport: an httpx transport, for tests that need one.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        model: str,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        prices: Mapping[str, Price] | None = None,
        json_mode: bool = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        ref = parse_model(model)
        self.base_url = base_url.rstrip("/")
        self._url = httpx.URL(self.base_url)
        self.provider = ref.provider
        self.model = ref.name
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.prices: PriceTable | None = PriceTable(prices) if prices is not None else None
        self.json_mode = json_mode
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._transport = transport
        # An httpx pool belongs to the event loop it was opened on: keep one per loop.
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._pools = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"ModelClient({self.base_url!r}, model={self.qualified_model!r})"

    @property
    def qualified_model(self) -> str:
        """``"provider:model"``."""
        return f"{self.provider}:{self.model}"

    def config(self) -> dict[str, str]:
        """What identifies the client, for specs and logs: base URL and model, never the key."""
        return {"base_url": self.base_url, "model": self.qualified_model}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, api_key: str | None = None) -> ModelClient:
        """A client from :meth:`config` output (the key comes from the caller, not the config)."""
        return cls(str(config["base_url"]), api_key=api_key, model=str(config["model"]))

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool of the running event loop."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        response_format: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> Completion:
        """Ask the model; retry transient failures; trace the call as an ``llm`` span.

        Raises:
            ModelError: a non-retryable status, or retries exhausted (status and body excerpt
                in the message and attributes).
        """
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": temperature,
        }
        for key, value in (("max_tokens", max_tokens), ("seed", seed)):
            if value is not None:
                payload[key] = value
        if response_format is not None:
            payload["response_format"] = dict(response_format)
        body = orjson.dumps(payload)
        with llm_call(self.model, provider=self.provider) as span:
            span.input(payload["messages"])
            span.set(
                {
                    "gen_ai.request.temperature": temperature,
                    "server.address": self._url.host,
                    "server.port": self._url.port,
                }
            )
            started = time.perf_counter()
            attempts = 0
            retrying = AsyncRetrying(
                stop=stop_after_attempt(self.max_retries + 1),
                wait=self._wait,
                retry=retry_if_exception(lambda e: isinstance(e, ModelError) and e.retryable),
                before_sleep=lambda state: _note_retry(span, state),
                reraise=True,
            )
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    data = await self._post(body)
            completion = self._completion(data, started, attempts)
            span.usage(
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost=completion.cost_usd,
                model=completion.model,
            )
            span.set(attrs.LLM_LATENCY_MS, completion.latency_ms)
            if completion.finish_reason:
                span.set(attrs.GEN_AI_FINISH_REASONS, [completion.finish_reason])
            span.output(completion.text)
            return completion

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ModelError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER_S)
        wait = wait_exponential_jitter(multiplier=self.backoff, max=30.0, jitter=self.backoff)
        return float(wait(state))

    def _pool(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None or pool.is_closed:
            pool = httpx.AsyncClient(
                timeout=self.timeout, headers=self._headers, transport=self._transport
            )
            self._pools[loop] = pool
        return pool

    async def _post(self, body: bytes) -> Any:
        url = f"{self.base_url}/chat/completions"
        try:
            response = await self._pool().post(url, content=body)
        except httpx.TransportError as exc:
            raise ModelError(
                f"cannot reach {url}: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        text = response.text
        status = response.status_code
        if status >= 400:
            retryable = status == 429 or status >= 500
            raise ModelError(
                f"{url} answered {status}: {text[:_BODY_EXCERPT]}",
                status=status,
                body=text[:_BODY_EXCERPT],
                retryable=retryable,
                retry_after=_retry_after(response.headers.get("retry-after"))
                if retryable
                else None,
            )
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            # A 200 with a garbled body is a broken server or proxy, as transient as a 502.
            raise ModelError(
                f"{url} answered {status} with a body that is not JSON: {text[:_BODY_EXCERPT]}",
                status=status,
                body=text[:_BODY_EXCERPT],
                retryable=True,
            ) from None

    def _completion(self, data: Any, started: float, attempts: int) -> Completion:
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            excerpt = orjson.dumps(data).decode()[:_BODY_EXCERPT]
            raise ModelError(f"no choices[0].message in the answer: {excerpt}") from None
        usage = data.get("usage") or {}
        tokens_in = _int(usage.get("prompt_tokens"))
        tokens_out = _int(usage.get("completion_tokens"))
        model = str(data.get("model") or self.model)
        price = self._price(model)
        cost = (
            price.cost(tokens_in, tokens_out)
            if price is not None and tokens_in is not None and tokens_out is not None
            else None
        )
        return Completion(
            text=str(text),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            model=model,
            latency_ms=(time.perf_counter() - started) * 1000,
            cost_usd=cost,
            attempts=attempts,
            finish_reason=choice.get("finish_reason"),
        )

    def _price(self, model: str) -> Price | None:
        table = self.prices if self.prices is not None else _prices.current()
        return table.find(model) or table.find(self.model)


def _note_retry(span: Any, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    span.event(
        "retry",
        {
            "attempt": state.attempt_number,
            "status": getattr(exc, "status", None),
            "error": str(exc)[:200] if exc is not None else None,
            "wait_s": state.upcoming_sleep,
        },
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number (fractions accepted) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None
