"""prodready's own spans (``_native.RecordingSpan``): OpenTelemetry API semantics, fallback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, Status, StatusCode

import prodready
from prodready.testing import assert_tree, capture
from prodready.tracing import _config
from prodready.tracing._native import NativeTracer, RecordingSpan, clean_attribute


@contextmanager
def own_processor() -> Iterator[InMemorySpanExporter]:
    """Add an exporter of the user's own to the global provider; take it out afterwards.

    An SDK provider cannot remove a processor, so the test puts the old tuple back.
    """
    provider = _config._state.provider
    assert provider is not None
    multi = provider._active_span_processor
    saved = multi._span_processors
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        multi._span_processors = saved


def test_prodready_spans_are_native_and_current_in_the_opentelemetry_context() -> None:
    with capture() as cap, prodready.span("agent", kind="agent") as s:
        current = otel_trace.get_current_span()
        assert isinstance(current, RecordingSpan) and current is s.otel_span
        assert current.get_span_context().trace_id == int(s.trace_id, 16)
    assert cap.trace().spans[0].scope == "prodready"


def test_an_opentelemetry_span_around_a_prodready_span_is_its_parent() -> None:
    other = otel_trace.get_tracer("web.framework")
    with capture() as cap, other.start_as_current_span("POST /chat") as outer:
        with prodready.span("agent", kind="agent"):
            pass
    trace = cap.trace()
    agent = trace.find(name="agent")[0]
    assert agent.parent_span_id == format(outer.get_span_context().span_id, "016x")
    assert_tree(trace, "POST /chat [unknown]\n  agent [agent]")


def test_a_processor_the_user_adds_sees_prodready_spans_too() -> None:
    with capture() as cap:
        with own_processor() as exporter:
            with prodready.span("agent", kind="agent") as s:
                s.set("k", "v")
                assert not isinstance(s.otel_span, RecordingSpan)  # the SDK's span now
        with prodready.span("after", kind="agent") as s:
            assert isinstance(s.otel_span, RecordingSpan)  # native again once it is gone
    assert [span.name for span in exporter.get_finished_spans()] == ["agent"]
    assert exporter.get_finished_spans()[0].attributes["k"] == "v"
    assert {s.name for s in cap.spans()} == {"agent", "after"}  # both in the store


def test_opentelemetry_api_calls_on_a_native_span_are_stored() -> None:
    with capture() as cap, prodready.span("call", kind="tool"):
        span = otel_trace.get_current_span()
        span.set_attribute("http.status_code", 503)
        span.set_attributes({"tags": ["a", "b"], "bad": {"no": "dicts"}, "none": None})
        span.add_event("retry", {"attempt": 2})
        span.update_name("call lookup_card")
        try:
            raise TimeoutError("card service timed out")
        except TimeoutError as exc:
            span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, "timed out"))
        span.set_status(StatusCode.UNSET)  # ignored, as in the SDK
    [stored] = cap.spans()
    assert stored.name == "call lookup_card"
    assert stored.attributes["http.status_code"] == 503
    assert stored.attributes["tags"] == ["a", "b"]
    assert "bad" not in stored.attributes and "none" not in stored.attributes
    assert (stored.status, stored.status_message) == ("error", "timed out")
    retry, exception = stored.events
    assert (retry["name"], retry["attributes"]) == ("retry", {"attempt": 2})
    assert exception["name"] == "exception"
    assert exception["attributes"]["exception.type"] == "TimeoutError"
    assert exception["attributes"]["exception.message"] == "card service timed out"
    assert "raise TimeoutError" in exception["attributes"]["exception.stacktrace"]


def test_status_ok_is_final_and_an_ended_span_ignores_changes() -> None:
    with capture() as cap:
        with prodready.span("ok") as s:
            span = s.otel_span
            span.set_status(StatusCode.OK, "ignored description")
            span.set_status(StatusCode.ERROR, "too late")
        span.set_attribute("after", 1)
        span.add_event("after")
        span.end()  # a second end is ignored: one stored copy
        assert not span.is_recording()
    [stored] = cap.spans()
    assert (stored.status, stored.status_message) == ("ok", None)
    assert "after" not in stored.attributes and stored.events == []


def test_sampled_out_traces_make_no_recording_spans_and_children_follow() -> None:
    with capture(sample_rate=0.0) as cap:
        with prodready.span("root") as root, prodready.span("child") as child:
            assert not root.is_recording and not child.is_recording
            assert child.trace_id == root.trace_id != "0" * 32
            assert not otel_trace.get_current_span().get_span_context().trace_flags.sampled
    assert cap.traces() == []


def _native(limits: SpanLimits | None = None, **provider: Any) -> tuple[NativeTracer, list[Any]]:
    emitted: list[Any] = []
    sdk = TracerProvider(span_limits=limits or SpanLimits(), **provider).get_tracer("t")
    return NativeTracer(sdk, emitted.append), emitted  # type: ignore[arg-type]


def test_the_provider_sampler_decides_when_it_is_not_prodready_s() -> None:
    tracer, emitted = _native(sampler=ALWAYS_OFF)
    span = tracer.start("x", SpanKind.INTERNAL, {}, None, {}, None)
    assert not span.is_recording() and span.get_span_context().is_valid
    span.end()
    assert emitted == []


def test_span_limits_of_the_provider_apply_and_keep_the_first_attributes() -> None:
    limits = SpanLimits(max_span_attributes=3, max_events=2, max_span_attribute_length=4)
    tracer, emitted = _native(limits)
    span = tracer.start("x", SpanKind.INTERNAL, {"prodready.kind": "tool"}, None, {}, None)
    assert isinstance(span, RecordingSpan)
    for key in ("a", "b", "c"):
        span.put(key, "long value")
    for n in range(3):
        span.event(f"e{n}", None, n + 1)
    span.end()
    [snap] = emitted
    assert snap[10] == {"prodready.kind": "tool", "a": "long", "b": "long"}
    assert [e[0] for e in snap[11]] == ["e1", "e2"]  # the newest events, as in the SDK


def test_a_root_gets_the_root_attributes_and_every_span_the_context_ones() -> None:
    tracer, emitted = _native()
    root = tracer.start("root", SpanKind.INTERNAL, {}, 1, {"env": "ci"}, {"session.id": "s"})
    token = otel_context.attach(otel_trace.set_span_in_context(root))
    try:
        child = tracer.start("child", SpanKind.INTERNAL, {}, 2, {"env": "ci"}, {"session.id": "s"})
    finally:
        otel_context.detach(token)
    child.end(3)
    root.end(4)
    child_snap, root_snap = emitted
    assert root_snap[10] == {"env": "ci", "session.id": "s"} and root_snap[4] is True
    assert child_snap[10] == {"session.id": "s"} and child_snap[4] is False
    assert child_snap[3] == root.get_span_context().span_id
    assert (child_snap[6], child_snap[7]) == (2, 3)


def test_context_attributes_are_normalised_once_when_the_block_opens() -> None:
    with capture() as cap:
        with prodready.context(attributes={"tier": {"name": "gold"}, "n": 3, "skip": None}):
            with prodready.span("turn"):
                pass
    attributes = cap.spans()[0].attributes
    assert attributes["tier"] == '{"name":"gold"}' and attributes["n"] == 3
    assert "skip" not in attributes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s", "s"),
        (True, True),
        (3, 3),
        (0.5, 0.5),
        (HTTPStatus.OK, HTTPStatus.OK),  # an int enum is an int
        (["a", None, "b"], ("a", None, "b")),
        ([], ()),
        (["a", 1], None),
        ([{"x": 1}], None),
        ({"x": 1}, None),
        (b"bytes", None),
        (None, None),
    ],
)
def test_clean_attribute_follows_the_opentelemetry_rules(value: Any, expected: Any) -> None:
    assert clean_attribute(value) == expected
