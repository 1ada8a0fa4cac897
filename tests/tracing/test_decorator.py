"""@prodready.trace on every kind of callable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest

import prodready
from prodready.testing import assert_tree, capture


@prodready.trace(kind="agent")
def answer(question: str, *, lang: str = "en") -> str:
    with prodready.span("lookup", kind="tool"):
        return question.upper()


def test_sync_function_records_input_output_and_children() -> None:
    with capture() as cap:
        assert answer("hi", lang="fr") == "HI"
    trace = cap.trace()
    assert_tree(trace, "answer [agent]\n  lookup [tool]")
    root = trace.spans[0].attributes
    assert json.loads(root["prodready.input"]) == {"question": "hi", "lang": "fr"}
    assert root["prodready.output"] == "HI"


def test_captured_input_is_marked_as_the_calls_arguments_by_name() -> None:
    with capture() as cap:
        answer("hi")
    assert cap.trace().spans[0].attributes["prodready.input.kind"] == "arguments"
    with capture() as cap, prodready.span("by hand") as s:
        s.input({"question": "hi"})
    assert "prodready.input.kind" not in cap.trace().spans[0].attributes
    with capture() as cap, prodready.span("by hand") as s:
        s.input({"question": "hi"}, arguments=True)
    assert cap.trace().spans[0].attributes["prodready.input.kind"] == "arguments"


def test_bare_decorator_uses_qualified_name() -> None:
    @prodready.trace
    def helper() -> int:
        return 1

    with capture() as cap:
        helper()
    assert cap.trace().spans[0].name.endswith("helper")


def test_exception_propagates_and_marks_span() -> None:
    @prodready.trace
    def boom() -> None:
        raise ValueError("bad")

    with capture() as cap, pytest.raises(ValueError, match="bad"):
        boom()
    assert cap.trace().spans[0].status == "error"


def test_async_function() -> None:
    @prodready.trace(name="fetch")
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    with capture() as cap:
        assert asyncio.run(fetch(21)) == 42
    assert cap.trace().spans[0].attributes["prodready.output"] == 42


def test_concurrent_tasks_keep_separate_parents() -> None:
    @prodready.trace
    async def leaf(i: int) -> int:
        await asyncio.sleep(0.01 * (3 - i))
        return i

    @prodready.trace(name="root")
    async def root() -> list[int]:
        return list(await asyncio.gather(*(leaf(i) for i in range(3))))

    with capture() as cap:
        asyncio.run(root())
    trace = cap.trace()
    assert len(trace.spans) == 4 and len(trace.tree()) == 1
    assert len(trace.tree()[0].children) == 3


def test_generator_span_covers_iteration_and_parents_spans_made_inside() -> None:
    @prodready.trace(name="stream")
    def stream(n: int) -> Iterator[int]:
        for i in range(n):
            with prodready.span(f"chunk{i}"):
                pass
            yield i

    with capture() as cap, prodready.span("caller"):
        assert list(stream(2)) == [0, 1]
        with prodready.span("after"):
            pass
    assert_tree(cap.trace(), "caller\n  stream\n    chunk0\n    chunk1\n  after")
    assert cap.trace().find(name="stream")[0].attributes["prodready.output.items"] == 2


def test_generator_closed_early_still_ends_its_span() -> None:
    @prodready.trace(name="stream")
    def stream() -> Iterator[int]:
        yield from range(10)

    with capture() as cap:
        gen = stream()
        next(gen)
        gen.close()
    assert cap.trace().spans[0].attributes["prodready.output.items"] == 1


def test_generator_return_value_and_send_pass_through() -> None:
    @prodready.trace
    def echo() -> Iterator[str]:
        got = yield "ready"
        yield f"got {got}"
        return None

    with capture():
        gen = echo()
        assert next(gen) == "ready"
        assert gen.send("x") == "got x"


def test_async_generator() -> None:
    @prodready.trace(name="tokens")
    async def tokens() -> AsyncIterator[str]:
        for t in ("a", "b"):
            await asyncio.sleep(0)
            yield t

    async def consume() -> list[str]:
        return [t async for t in tokens()]

    with capture() as cap:
        assert asyncio.run(consume()) == ["a", "b"]
    assert cap.trace().spans[0].attributes["prodready.output.items"] == 2


def test_methods_skip_self_in_captured_input() -> None:
    class Agent:
        @prodready.trace(kind="agent")
        def run(self, q: str) -> str:
            return q

    with capture() as cap:
        Agent().run("x")
    assert json.loads(cap.trace().spans[0].attributes["prodready.input"]) == {"q": "x"}


def test_capture_can_be_turned_off_per_function_and_globally() -> None:
    @prodready.trace(capture_input=False)
    def secret(pin: str) -> str:
        return "ok"

    with capture() as cap:
        secret("1234")
    assert "prodready.input" not in cap.trace().spans[0].attributes
    with capture(capture_io=False) as cap:
        answer("x")
    assert "prodready.output" not in cap.trace().spans[0].attributes
