"""LangChain and the OpenAI client both instrumented (OpenInference), exported over OTLP to a
real server: every model call is two llm spans, and the trace's totals count it once
(the rule of ``prodready.store.llm_totals``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from prodready.testing import ScriptedModelServer
from prodready.testing._model_server import ScriptedReply
from tests.server.conftest import LiveServer

pytest.importorskip("langchain_openai")
pytest.importorskip("openinference.instrumentation.langchain")


@pytest.fixture
def instrumented(live_server: LiveServer) -> Iterator[TracerProvider]:
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from openinference.instrumentation.openai import OpenAIInstrumentor

    provider = TracerProvider(resource=Resource.create({"service.name": "lc-agent"}))
    exporter = OTLPSpanExporter(endpoint=f"{live_server.url}/v1/traces")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    LangChainInstrumentor().instrument(tracer_provider=provider)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    try:
        yield provider
    finally:
        OpenAIInstrumentor().uninstrument()
        LangChainInstrumentor().uninstrument()
        provider.shutdown()


def test_three_calls_recorded_twice_count_three_times(
    live_server: LiveServer, instrumented: TracerProvider
) -> None:
    from langchain_openai import ChatOpenAI

    replies = [
        ScriptedReply(content=f"answer {n}", input_tokens=17, output_tokens=9) for n in (1, 2, 3)
    ]
    tracer = instrumented.get_tracer("tests.interop")
    with ScriptedModelServer(replies) as model:
        chat = ChatOpenAI(model="gpt-4o-mini", base_url=model.base_url, api_key="sk-test")
        with tracer.start_as_current_span(
            "support-agent", attributes={"openinference.span.kind": "AGENT"}
        ) as root:
            for question in ("Where is my card?", "Why was I charged?", "Can I top up?"):
                chat.invoke(question)
    instrumented.force_flush()
    trace_id = format(root.get_span_context().trace_id, "032x")

    trace = live_server.store.get_trace(trace_id)
    assert trace is not None
    llm = [s for s in trace.spans if s.kind == "llm"]
    # Both instrumentations recorded every call, each span with the call's tokens.
    assert len(llm) == 6
    assert sum(s.attributes["gen_ai.usage.input_tokens"] for s in llm) == 102
    # LangChain's callbacks do not make their span the current one, so the client's span
    # is not nested in it: the two records of a call are siblings from two scopes.
    assert {s.parent_span_id for s in llm} == {trace.summary.root_span_id}
    assert {s.scope for s in llm} == {
        "openinference.instrumentation.langchain",
        "openinference.instrumentation.openai",
    }

    summary = trace.summary
    assert (summary.llm_calls, summary.input_tokens, summary.output_tokens) == (3, 51, 27)
    listed = httpx.get(f"{live_server.url}/api/traces").json()["traces"]
    assert [(t["llm_calls"], t["input_tokens"], t["output_tokens"]) for t in listed] == [
        (3, 51, 27)
    ]
    stats = httpx.get(f"{live_server.url}/api/stats").json()
    assert (stats["llm_calls"], stats["input_tokens"], stats["output_tokens"]) == (3, 51, 27)
