"""How the runner calls the target: with the case's input, or with the call's arguments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prodready.evaluation import Case, content_hash
from prodready.evaluation.runner import evaluate_sync, list_runs
from prodready.store import Store


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'calls.db'}") as store:
        yield store


def run(target: Any, *cases: Case, store: Store) -> list[Any]:
    done = evaluate_sync(target, list(cases), [], store=store, progress=False)
    return [r.error or r.output for r in done.results]


def arguments(id: str, **values: Any) -> Case:
    return Case(id=id, input=values, input_kind="arguments")


def test_an_arguments_case_calls_the_target_with_them_by_name(lite: Store) -> None:
    def answer(question: str, *, channel: str = "app") -> str:
        return f"{question} via {channel}"

    case = arguments("a", question="refund?", channel="chat")
    assert run(answer, case, store=lite) == ["refund? via chat"]


def test_positional_only_and_variadic_arguments_are_passed_as_recorded(lite: Store) -> None:
    def answer(first: str, /, *rest: str, **extra: str) -> list[Any]:
        return [first, list(rest), extra]

    case = arguments("v", first="a", rest=["b", "c"], extra={"tone": "kind"})
    assert run(answer, case, store=lite) == [["a", ["b", "c"], {"tone": "kind"}]]


def test_an_async_target_gets_the_arguments_too(lite: Store) -> None:
    async def answer(question: str) -> str:
        return question.upper()

    assert run(answer, arguments("a", question="hi"), store=lite) == ["HI"]


def test_an_object_input_is_passed_whole_to_a_target_that_takes_an_object(lite: Store) -> None:
    def answer(request: dict[str, str]) -> str:
        return request["question"]

    case = Case(id="d", input={"question": "refund?"})
    assert run(answer, case, store=lite) == ["refund?"]


def test_arguments_that_do_not_fit_the_target_are_refused_before_anything_runs(
    lite: Store,
) -> None:
    calls: list[str] = []

    def answer(question: str) -> str:
        calls.append(question)
        return question

    ok, bad, short = arguments("ok", question="hi"), arguments("bad", query="hi"), arguments("x")
    with pytest.raises(ValueError) as refused:
        run(answer, ok, bad, short, store=lite)
    assert "case 'bad': answer() has no parameter 'query' (it takes: question)" in str(
        refused.value
    )
    assert "case 'x': answer() cannot take them: missing a required argument" in str(refused.value)
    assert calls == [] and list_runs(lite) == []


def test_arguments_need_an_object_input() -> None:
    with pytest.raises(ValidationError, match="input_kind"):
        Case(id="t", input="refund?", input_kind="arguments")


def test_the_input_kind_is_part_of_the_case_hash_only_when_it_is_arguments() -> None:
    plain = Case(id="p", input={"question": "hi"})
    assert "input_kind" not in plain.model_dump()  # stored bodies and hashes stay as they were
    assert plain.content_hash() == content_hash({"input": plain.input, "expected": {
        "reference": None, "facts": [], "intent": None, "tools": None, "escalation": None,
        "custom": {}}})  # fmt: skip
    assert plain.content_hash() != arguments("p", question="hi").content_hash()


def test_the_runner_docs_example_of_arguments_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (Path(__file__).parents[2] / "docs" / "runner.md").read_text(encoding="utf-8")
    section = text[text.index("## Cases made from traces") :]
    code = section[section.index("```python\n") + 10 : section.index("```\n\nArguments")]
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".prodready").mkdir()
    exec(compile(code, "docs/runner.md", "exec"), {})
