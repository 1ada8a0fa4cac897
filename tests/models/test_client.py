"""ModelClient against a real local OpenAI-compatible server: answers, retries, errors, spans."""

from __future__ import annotations

import time

import pytest

from prodready.models import ModelClient, ModelError, Price
from prodready.testing import capture
from prodready.testing._model_server import ScriptedModelServer
from prodready.tracing import attributes as attrs

HI = [{"role": "user", "content": "hello there"}]


async def test_complete_returns_text_usage_and_answering_model() -> None:
    with ScriptedModelServer(["General Kenobi"]) as server:
        completion = await server.client(model="openai:gpt-x").complete(HI)
    assert (completion.text, completion.input_tokens, completion.output_tokens) == (
        "General Kenobi",
        2,
        2,
    )
    assert completion.model == "gpt-x" and completion.attempts == 1 and completion.latency_ms > 0
    assert server.requests[0].body["model"] == "gpt-x"


async def test_retries_503_then_succeeds() -> None:
    with ScriptedModelServer(["ok"], failures=[503, 503]) as server:
        completion = await server.client().complete(HI)
    assert (completion.text, completion.attempts, server.calls) == ("ok", 3, 3)


async def test_no_retry_on_400_and_the_error_carries_status_and_body() -> None:
    with ScriptedModelServer(["never"], failures=[400]) as server:
        with pytest.raises(ModelError, match="answered 400") as caught:
            await server.client().complete(HI)
    assert server.calls == 1
    assert caught.value.status == 400 and "injected 400" in (caught.value.body or "")


async def test_retries_stop_after_max_retries_with_the_last_status() -> None:
    with ScriptedModelServer(["late"], failures=[500, 502, 503]) as server:
        with pytest.raises(ModelError, match="answered 503") as caught:
            await server.client(max_retries=2).complete(HI)
    assert server.calls == 3 and caught.value.retryable


async def test_retry_after_is_honoured() -> None:
    with ScriptedModelServer(["ok"], failures=[429], retry_after=0.4) as server:
        started = time.perf_counter()
        await server.client(backoff=0.001).complete(HI)
    assert time.perf_counter() - started >= 0.4


async def test_a_garbled_body_is_retried() -> None:
    with ScriptedModelServer(["fine"], failures=["malformed"]) as server:
        completion = await server.client().complete(HI)
    assert completion.text == "fine" and server.calls == 2


async def test_connection_refused_is_retried_then_reported() -> None:
    server = ScriptedModelServer().start()
    client = server.client(max_retries=1)
    server.stop()
    with pytest.raises(ModelError, match="cannot reach") as caught:
        await client.complete(HI)
    assert caught.value.retryable and caught.value.status is None


async def test_api_key_is_a_bearer_token_and_never_in_repr_or_config() -> None:
    with ScriptedModelServer(["ok"]) as server:
        client = ModelClient(server.base_url, api_key="sk-secret", model="openai:m")
        await client.complete(HI)
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret"
    assert "sk-secret" not in repr(client) + str(client.config())
    assert client.config() == {"base_url": server.base_url, "model": "openai:m"}


async def test_options_are_sent_as_openai_fields() -> None:
    with ScriptedModelServer(["{}"]) as server:
        await server.client().complete(
            HI, temperature=0.3, max_tokens=50, response_format={"type": "json_object"}, seed=7
        )
    body = server.requests[0].body
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.3, 50, 7)
    assert body["response_format"] == {"type": "json_object"}


async def test_cost_comes_from_the_prices_table_by_longest_prefix() -> None:
    prices = {"gpt": Price(input=1.0, output=1.0), "gpt-4o-mini": Price(input=0.15, output=0.6)}
    with ScriptedModelServer(["a b c d"]) as server:
        client = server.client(model="openai:gpt-4o-mini-2024", prices=prices)
        completion = await client.complete([{"role": "user", "content": "one two"}])
    assert completion.cost_usd == pytest.approx((2 * 0.15 + 4 * 0.6) / 1e6)


async def test_no_price_means_no_cost() -> None:
    with ScriptedModelServer(["x"]) as server:
        assert (await server.client().complete(HI)).cost_usd is None


async def test_each_call_is_an_llm_span_with_usage_and_retry_events() -> None:
    with capture() as cap, ScriptedModelServer(["traced"], failures=[503]) as server:
        await server.client(model="openai:judge-1").complete(HI)
        (span,) = cap.spans(kind="llm")
    a = span.attributes
    assert (a[attrs.GEN_AI_REQUEST_MODEL], a[attrs.GEN_AI_SYSTEM]) == ("judge-1", "openai")
    assert (a[attrs.GEN_AI_INPUT_TOKENS], a[attrs.GEN_AI_OUTPUT_TOKENS]) == (2, 1)
    assert [e["name"] for e in span.events] == ["retry"] and a[attrs.OUTPUT] == "traced"
    assert a[attrs.GEN_AI_FINISH_REASONS] == ["stop"]


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        ModelClient("localhost:8000", model="m")
