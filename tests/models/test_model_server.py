"""ScriptedModelServer: a real OpenAI-compatible HTTP server answering from a script."""

from __future__ import annotations

import asyncio
import time

import httpx

from prodready.testing._model_server import ChatRequest, ScriptedModelServer, ScriptedReply

ASK = [{"role": "user", "content": "what is two plus two"}]


async def test_replies_come_in_script_order_and_requests_are_recorded() -> None:
    with ScriptedModelServer(["one", "two"]) as server:
        client = server.client()
        texts = [(await client.complete(ASK)).text for _ in range(2)]
    assert texts == ["one", "two"]
    assert [r.prompt for r in server.requests] == ["what is two plus two"] * 2


async def test_a_script_can_be_a_function_of_the_request() -> None:
    def echo(request: ChatRequest) -> str:
        return str(request.messages[-1]["content"]).upper()

    with ScriptedModelServer(echo) as server:
        assert (await server.client().complete(ASK)).text == "WHAT IS TWO PLUS TWO"


async def test_an_exhausted_script_fails_loudly() -> None:
    with ScriptedModelServer(["only"]) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            await http.post("/chat/completions", json={"messages": ASK})
            response = await http.post("/chat/completions", json={"messages": ASK})
    assert response.status_code == 500 and "script exhausted" in response.text


async def test_usage_counts_are_reported_and_can_be_scripted() -> None:
    reply = ScriptedReply(content="four", input_tokens=120, output_tokens=9)
    with ScriptedModelServer(["four", reply]) as server:
        client = server.client()
        first, second = await client.complete(ASK), await client.complete(ASK)
    assert (first.input_tokens, first.output_tokens) == (5, 1)
    assert (second.input_tokens, second.output_tokens) == (120, 9)


async def test_concurrent_requests_wait_out_their_latency_together() -> None:
    with ScriptedModelServer(lambda _: "ok", latency_s=0.5) as server:
        client = server.client()
        started = time.perf_counter()
        await asyncio.gather(*(client.complete(ASK) for _ in range(10)))
        elapsed = time.perf_counter() - started
    assert 0.5 <= elapsed < 1.5, elapsed  # serialised, it would take 5 s


async def test_injected_failures_come_before_the_script() -> None:
    with ScriptedModelServer(["fine"], failures=[429, "malformed"], retry_after=0) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            codes = [
                (r.status_code, r.headers.get("retry-after"), r.text[:5])
                for r in [await http.post("/chat/completions", json={}) for _ in range(3)]
            ]
    assert codes[0][:2] == (429, "0") and codes[1][0] == 200 and codes[1][2] == '{"id"'
    assert codes[2][0] == 200


def test_stop_frees_the_port_and_lists_models_while_up() -> None:
    with ScriptedModelServer(model="tiny") as server:
        assert httpx.get(f"{server.base_url}/models").json()["data"] == [{"id": "tiny"}]
    try:
        httpx.get(f"{server.base_url}/models", timeout=1)
    except httpx.ConnectError:
        return
    raise AssertionError("the server still answers after stop()")
