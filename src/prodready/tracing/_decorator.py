"""``@prodready.trace``: one decorator for functions, coroutines, generators and methods."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any, ParamSpec, TypeVar, overload

from prodready.tracing import _config
from prodready.tracing._span import Span
from prodready.tracing.kinds import SpanKind as Kind

log = logging.getLogger("prodready.tracing")

P = ParamSpec("P")
R = TypeVar("R")

_SKIP_PARAMS = frozenset({"self", "cls"})


@overload
def trace(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def trace(
    *,
    name: str | None = None,
    kind: Kind = "step",
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
    redact_secrets: bool | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def trace(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    kind: Kind = "step",
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, Any] | None = None,
    redact_secrets: bool | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace every call of a function as a span (sync, async, generator or async generator).

    Use bare (``@trace``) or with options (``@trace(kind="tool")``). A generator's span
    covers its whole iteration and records how many items it yielded.

    Args:
        name: span name (default: the function's qualified name).
        kind: prodready span kind.
        capture_input: record the call's arguments (``self``/``cls`` excluded); default
            from ``configure(capture_io=...)``.
        capture_output: record the return value (or the number of items yielded).
        attributes: static attributes for every span.
        redact_secrets: replace secret-named arguments (``api_key``, ``password``...) and
            secret-looking values (``Bearer ...``, ``sk-...``) in what is captured; default
            from ``configure(redact_secrets=...)``, on unless turned off there.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        spec = _Spec(fn, name, kind, capture_input, capture_output, attributes, redact_secrets)
        if inspect.isasyncgenfunction(fn):
            wrapper: Callable[..., Any] = _async_generator(fn, spec)
        elif inspect.iscoroutinefunction(fn):
            wrapper = _coroutine(fn, spec)
        elif inspect.isgeneratorfunction(fn):
            wrapper = _generator(fn, spec)
        else:
            wrapper = _function(fn, spec)
        return functools.wraps(fn)(wrapper)

    return decorate(func) if func is not None else decorate


class _Spec:
    """What a decorated function's spans look like, computed once at decoration time."""

    __slots__ = (
        "attributes",
        "capture_input",
        "capture_output",
        "kind",
        "name",
        "redact_secrets",
        "signature",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None,
        kind: Kind,
        capture_input: bool | None,
        capture_output: bool | None,
        attributes: Mapping[str, Any] | None,
        redact_secrets: bool | None,
    ) -> None:
        self.name = name or getattr(fn, "__qualname__", None) or repr(fn)
        self.redact_secrets = redact_secrets
        self.kind = kind
        self.capture_input = capture_input
        self.capture_output = capture_output
        self.attributes = dict(attributes) if attributes else None
        try:
            self.signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None

    def open(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Span, bool]:
        """Start a span for one call; returns it and whether to capture the output."""
        span = Span(self.name, kind=self.kind, attributes=self.attributes).start()
        config = _config.current()
        default = config.capture_io if config is not None else True
        capture_in = self.capture_input if self.capture_input is not None else default
        if capture_in and span.is_recording:
            try:
                # By parameter name (with a signature): a case from the trace can replay it.
                span.input(
                    self._arguments(args, kwargs),
                    arguments=self.signature is not None,
                    redact_secrets=self.redact_secrets,
                )
            except Exception:
                log.debug("could not capture the input of %s", self.name, exc_info=True)
        capture_out = self.capture_output if self.capture_output is not None else default
        return span, capture_out and span.is_recording

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.signature is None:
            return {"args": list(args), "kwargs": kwargs}
        bound = self.signature.bind_partial(*args, **kwargs)
        return {k: v for k, v in bound.arguments.items() if k not in _SKIP_PARAMS}


def _function(fn: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span, capture_out = spec.open(args, kwargs)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            span.end(exc)
            raise
        if capture_out:
            span.output(result, redact_secrets=spec.redact_secrets)
        span.end()
        return result

    return wrapper


def _coroutine(fn: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        span, capture_out = spec.open(args, kwargs)
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            span.end(exc)
            raise
        if capture_out:
            span.output(result, redact_secrets=spec.redact_secrets)
        span.end()
        return result

    return wrapper


def _generator(fn: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        span, capture_out = spec.open(args, kwargs)
        span.detach()  # the span stays open, but is current only while the body runs
        inner = fn(*args, **kwargs)
        count = 0
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            span.attach()
            try:
                item = inner.throw(to_throw) if to_throw is not None else inner.send(to_send)
            except StopIteration as stop:
                span.detach()
                _finish_iteration(span, capture_out, count)
                return stop.value
            except BaseException as exc:
                span.detach()
                span.end(exc)
                raise
            span.detach()
            count += 1
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                inner.close()
                _finish_iteration(span, capture_out, count)
                raise
            except BaseException as exc:
                to_throw = exc

    return wrapper


def _async_generator(fn: Callable[..., Any], spec: _Spec) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        span, capture_out = spec.open(args, kwargs)
        span.detach()
        inner = fn(*args, **kwargs)
        count = 0
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            span.attach()
            try:
                if to_throw is not None:
                    item = await inner.athrow(to_throw)
                else:
                    item = await inner.asend(to_send)
            except StopAsyncIteration:
                span.detach()
                _finish_iteration(span, capture_out, count)
                return
            except BaseException as exc:
                span.detach()
                span.end(exc)
                raise
            span.detach()
            count += 1
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                await inner.aclose()
                _finish_iteration(span, capture_out, count)
                raise
            except BaseException as exc:
                to_throw = exc

    return wrapper


def _finish_iteration(span: Span, capture_out: bool, count: int) -> None:
    if capture_out:
        span.set("prodready.output.items", count)
    span.end()
