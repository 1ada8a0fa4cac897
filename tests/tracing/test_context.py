"""Context: session/user/release/environment stamping, threads, services, foreign tracers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from opentelemetry import trace as otel_trace

import prodready
from prodready import tracing
from prodready.testing import assert_tree, capture


def test_release_and_environment_from_configure_reach_the_trace_row() -> None:
    with capture(release="agent@1.4.0", environment="production") as cap:
        with prodready.span("root"), prodready.span("child"):
            pass
    [summary] = cap.traces()
    assert (summary.release, summary.environment) == ("agent@1.4.0", "production")
    child = cap.trace().find(name="child")[0]
    assert "prodready.release" not in child.attributes  # stamped once, on the local root


def test_context_stamps_session_user_and_overrides_release() -> None:
    with capture(release="prod-1") as cap:
        with prodready.context(session="s-1", user="u-9"), prodready.context(release="cand-2"):
            with prodready.span("turn"), prodready.span("step"):
                pass
    [summary] = cap.traces()
    assert (summary.session_id, summary.user_id, summary.release) == ("s-1", "u-9", "cand-2")
    assert cap.trace().find(name="step")[0].attributes["session.id"] == "s-1"


def test_context_values_do_not_leak_after_the_block() -> None:
    with capture() as cap:
        with prodready.context(session="s-1"):
            pass
        with prodready.span("later"):
            pass
    assert cap.traces()[0].session_id is None


def test_environment_defaults_to_ci_under_ci(monkeypatch: object) -> None:
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.delenv("PRODREADY_ENVIRONMENT", raising=False)
    mp.setenv("CI", "true")
    with capture() as cap, prodready.span("x"):
        pass
    assert cap.traces()[0].environment == "ci"


def test_bind_context_carries_the_trace_into_a_thread_pool() -> None:
    def work() -> None:
        with prodready.span("in thread"):
            pass

    with capture() as cap, prodready.span("parent"), ThreadPoolExecutor(2) as pool:
        pool.submit(tracing.bind_context(work)).result()
    assert_tree(cap.trace(), "parent\n  in thread")


def test_plain_thread_without_bind_context_starts_a_new_trace() -> None:
    with capture() as cap, prodready.span("parent"):
        t = threading.Thread(target=lambda: prodready.span("orphan").start().end())
        t.start()
        t.join()
    assert len(cap.traces()) == 2


def test_traceparent_continues_a_trace_across_services() -> None:
    with capture(release="svc-b") as cap:
        with prodready.span("client call") as client:
            headers = tracing.inject()
        assert headers["traceparent"].split("-")[1] == client.trace_id
        with tracing.continue_trace(headers), prodready.span("server handler") as server:
            pass
    trace = cap.trace(client.trace_id)
    handler = trace.find(name="server handler")[0]
    assert handler.parent_span_id == client.span_id and server.trace_id == client.trace_id
    assert handler.attributes["prodready.release"] == "svc-b"  # a local root: stamped


def test_foreign_otel_span_inside_a_prodready_trace_keeps_its_parent() -> None:
    other = otel_trace.get_tracer("some.instrumentation")
    with capture() as cap, prodready.span("agent", kind="agent") as agent:
        with other.start_as_current_span(
            "ChatCompletion",
            attributes={"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"},
        ):
            with prodready.span("parse"):
                pass
    trace = cap.trace()
    assert_tree(trace, "agent [agent]\n  ChatCompletion [llm]\n    parse [step]")
    foreign = trace.find(name="ChatCompletion")[0]
    assert foreign.parent_span_id == agent.span_id
    assert foreign.scope == "some.instrumentation"
    assert foreign.attributes["gen_ai.request.model"] == "gpt-4o"


def test_foreign_span_with_no_convention_is_kind_unknown() -> None:
    with capture() as cap, otel_trace.get_tracer("http").start_as_current_span("GET /cards"):
        pass
    assert cap.trace().spans[0].kind == "unknown"
