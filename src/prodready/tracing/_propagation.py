"""Carry trace context across threads and processes (W3C ``traceparent``)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate

P = ParamSpec("P")
R = TypeVar("R")


def bind_context(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``fn`` so it runs in the caller's current context, in whatever thread calls it.

    Threads do not inherit ``contextvars``; wrap work handed to a thread pool with this so
    its spans join the current trace (and carry ``prodready.context`` values).

    >>> pool.submit(bind_context(lookup_card), card_id)
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(fn, *args, **kwargs)

    return run


def inject(carrier: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Headers (``traceparent``, ``tracestate``, ``baggage``) for the current span.

    Put them on an HTTP request or a bus message so the receiver continues the trace.
    """
    out: dict[str, str] = dict(carrier or {})
    propagate.inject(out)
    if carrier is not None:
        carrier.update(out)
    return out


@contextmanager
def continue_trace(headers: Mapping[str, str]) -> Iterator[None]:
    """Make spans opened in the block children of the remote span named in ``headers``."""
    token = otel_context.attach(propagate.extract(dict(headers)))
    try:
        yield
    finally:
        otel_context.detach(token)
