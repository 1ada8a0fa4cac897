"""`traces show` prints an LLM call as a transcript; list, show and stats print model-call totals.

The llm spans carry what openinference-instrumentation-openai and
opentelemetry-instrumentation-openai-v2 really sent (tests/tracing/test_llm_call.py), translated
as ingest translates them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from prodready.store import SpanRecord, Store
from prodready.tracing.conventions import translate
from tests.cli.conftest import Invoke
from tests.tracing.test_llm_call import (
    DETAILS_EVENT,
    GENAI_SCALARS,
    GENAI_SPAN,
    OI_ANSWER,
    OI_EMBEDDING,
    OI_TOOL_CALL,
)

TRACE = "5e" * 16
MS = 1_000_000
T0 = 1_790_000_000_000_000_000


def record(
    i: int, attributes: dict[str, Any], *, name: str = "chat", parent: int | None = 0, **kw: Any
) -> SpanRecord:
    kind, translated = translate(attributes, name=name, otel_kind="client")
    return SpanRecord(
        trace_id=TRACE,
        span_id=f"{i + 1:016x}",
        parent_span_id=None if parent is None else f"{parent + 1:016x}",
        name=name,
        kind=kw.pop("kind", kind),
        start_ns=T0 + i * MS,
        end_ns=T0 + i * MS + MS // 2,
        attributes=translated,
        **kw,
    )


def root(**kw: Any) -> SpanRecord:
    return record(
        0,
        {"prodready.span.kind": "agent", "gen_ai.agent.name": "bank-bot"},
        name="run",
        parent=None,
        **kw,
    )


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'calls.db'}"


def write(url: str, *records: SpanRecord) -> None:
    with Store(url) as store:
        store.write_spans(list(records))


def show(cli: Invoke, url: str, *args: str) -> str:
    result = cli("--store", url, "traces", "show", TRACE, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def lines_after(out: str, node: str) -> list[str]:
    """The lines under the span whose line contains ``node``, up to the next span."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if node in line)
    rest = []
    for line in lines[at + 1 :]:
        if "── " in line:
            break
        rest.append(line.lstrip("│ "))
    return rest


def test_openinference_call_prints_each_message_and_the_tool_call(
    cli: Invoke, store_url: str
) -> None:
    write(store_url, root(), record(1, OI_TOOL_CALL, name="ChatCompletion"))
    out = show(cli, store_url)
    model = "gpt-4o-mini (gpt-4o-mini-2024-07-18)"
    assert f"ChatCompletion [llm] 500µs  {model} · 9 in (3 cached) / 0 out tokens" in out
    assert lines_after(out, "ChatCompletion [llm]") == [
        "tools offered: get_card",
        "params: temperature=0.2",
        "system    You are a bank.",
        "user      Is my card 1234 active?",
        'assistant → get_card({"card": "1234"}) [call_0_0]  [tool_calls]',
    ]


def test_genai_call_prints_the_same_transcript(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, GENAI_SPAN, name="chat gpt-4o-mini"))
    transcript = lines_after(show(cli, store_url), "chat gpt-4o-mini [llm]")
    assert transcript[-3:] == [
        "system    You are a bank.",
        "user      Is my card 1234 active?",
        'assistant → get_card({"card": "1234"}) [call_0_0]  [tool_calls]',
    ]


def test_tool_result_shows_its_call_id(cli: Invoke, store_url: str) -> None:
    messages = json.dumps(
        [
            {
                "role": "tool",
                "parts": [{"type": "tool_call_response", "id": "call_0_0", "response": "active"}],
            }
        ]
    )
    write(store_url, root(), record(1, {**GENAI_SCALARS, "gen_ai.input.messages": messages}))
    assert "tool      [call_0_0] active" in lines_after(show(cli, store_url), "chat [llm]")


def test_message_events_feed_the_transcript_and_are_not_listed(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, GENAI_SCALARS, events=[DETAILS_EVENT]))
    transcript = lines_after(show(cli, store_url), "chat [llm]")
    assert "user      Is my card 1234 active?" in transcript
    assert not any("gen_ai.client.inference.operation.details" in line for line in transcript)


def test_no_messages_hides_the_transcript(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, GENAI_SPAN))
    out = show(cli, store_url, "--no-messages")
    assert "9 in / 0 out tokens" in out and "Is my card" not in out


def long_prompt(system: str, user: str) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return {"prodready.span.kind": "llm", "prodready.input": json.dumps(messages)}


def test_long_contents_are_cut_on_one_line_with_the_rest_counted(
    cli: Invoke, store_url: str
) -> None:
    write(
        store_url, root(), record(1, long_prompt("s" * 100, "line one\n\n  line two " + "u" * 300))
    )
    system, user = lines_after(show(cli, store_url), "chat [llm]")
    assert system == "system    " + "s" * 80 + "…(+20 chars)"
    assert user == "user      line one line two " + "u" * 142 + "…(+158 chars)"


def test_full_shows_contents_whole(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, long_prompt("s" * 100, "u" * 300)))
    out = "".join(show(cli, store_url, "--full").split())
    assert "s" * 100 in out and "u" * 300 in out and "chars)" not in out


TRACEBACK = (
    "Traceback (most recent call last):\n"
    + '  File "agent.py", line 1\n' * 40
    + "RuntimeError: boom"
)


def test_multi_line_status_shows_its_first_line(cli: Invoke, store_url: str) -> None:
    failed = record(
        1, {"prodready.span.kind": "tool"}, name="lookup", status="error", status_message=TRACEBACK
    )
    write(store_url, root(), failed)
    out = show(cli, store_url)
    assert "lookup [tool] 500µs  ✗ Traceback (most recent call last): (+41 lines; --full)" in out
    assert len(out.splitlines()) < 20
    assert "RuntimeError: boom" in show(cli, store_url, "--full")


def test_events_are_listed_by_name_with_key_attributes(cli: Invoke, store_url: str) -> None:
    exception = {
        "exception.type": "TimeoutError",
        "exception.message": "no answer",
        "exception.stacktrace": TRACEBACK,
    }
    events = [{"name": "exception", "time_ns": T0, "attributes": exception}]
    write(
        store_url, root(), record(1, {"prodready.span.kind": "tool"}, name="lookup", events=events)
    )
    (line,) = lines_after(show(cli, store_url), "lookup [tool]")
    assert line.startswith(
        "• exception  exception.type=TimeoutError · exception.message=no answer · "
    )
    assert "exception.stacktrace=Traceback (most recent call last): (+41 lines; --full)" in line


def test_many_events_are_counted_past_ten(cli: Invoke, store_url: str) -> None:
    events = [{"name": f"retry {i}", "time_ns": T0, "attributes": {}} for i in range(25)]
    write(
        store_url, root(), record(1, {"prodready.span.kind": "tool"}, name="lookup", events=events)
    )
    under = lines_after(show(cli, store_url), "lookup [tool]")
    assert under[-1] == "… 15 more events (--full)" and len(under) == 11
    assert len(lines_after(show(cli, store_url, "--full"), "lookup [tool]")) == 25


def test_embedding_and_agent_spans_show_their_details(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, OI_EMBEDDING, name="CreateEmbeddings"))
    out = show(cli, store_url)
    assert "CreateEmbeddings [embedding] 500µs  text-embedding-3-small · 1 input · 2 tokens" in out
    assert "run [agent] 500µs  bank-bot" in out


def test_header_has_the_model_call_totals(cli: Invoke, store_url: str) -> None:
    answer = {**GENAI_SPAN, "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 4}
    write(store_url, root(), record(1, GENAI_SPAN), record(2, answer))
    header = show(cli, store_url).splitlines()
    assert any(line.startswith("LLM calls  2 · 19 in / 4 out tokens") for line in header)


def test_incomplete_trace_is_marked_in_show_and_list(cli: Invoke, store_url: str) -> None:
    write(store_url, record(1, GENAI_SPAN, parent=7))  # its parent, the root, never arrived
    assert "Incomplete" in show(cli, store_url)
    listing = cli("--store", store_url, "traces", "list").stdout
    assert "chat (incomplete)" in listing


def test_list_has_token_and_cost_columns(cli: Invoke, store_url: str) -> None:
    priced = {**GENAI_SPAN, "prodready.llm.cost_usd": 0.0123}
    write(store_url, root(), record(1, priced))
    header, row = cli("--store", store_url, "traces", "list").stdout.splitlines()[:2]
    assert header.split()[6:8] == ["Tokens", "Cost"]
    assert row.split()[6:8] == ["9/0", "$0.0123"]


def test_stats_prints_token_and_cost_totals(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, {**GENAI_SPAN, "prodready.llm.cost_usd": 0.0000011}))
    out = cli("--store", store_url, "traces", "stats").stdout
    assert "LLM calls 1   Tokens 9 in / 0 out   Cost $0.0000011" in out


def test_list_full_ids_at_a_narrow_width_folds_instead_of_cutting(
    cli: Invoke, store_url: str
) -> None:
    write(store_url, root(), record(1, GENAI_SPAN))
    env = {"COLUMNS": "100", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
    out = cli("--store", store_url, "traces", "list", "--full-ids", env=env).stdout
    assert "…" not in out and max(map(len, out.splitlines())) <= 100
    assert TRACE in "".join(line.split()[0] for line in out.splitlines()[1:-1])
    assert out.splitlines()[0].split() == [
        "Trace",
        "Start",
        "Name",
        "Status",
        "Spans",
        "Duration",
        "Tokens",
        "Cost",
        "Release",
        "Session",
    ]


def test_show_json_has_the_normalised_calls(cli: Invoke, store_url: str) -> None:
    write(store_url, root(), record(1, OI_TOOL_CALL))
    body = json.loads(show(cli, store_url, "--json"))
    call = body["llm_calls"][f"{2:016x}"]
    assert call["output_messages"][0]["parts"][0] == {
        "type": "tool_call",
        "id": "call_0_0",
        "name": "get_card",
        "arguments": {"card": "1234"},
    }
    assert body["summary"]["llm_calls"] == 1 and len(body["spans"]) == 2


DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")


def test_the_transcript_example_in_the_docs_is_real_output(cli: Invoke, store_url: str) -> None:
    """docs/cli.md's example is this trace: two OpenInference chat calls and an embedding."""
    shown = re.search(r"<!-- transcript example.*?-->\n```text\n(.*?)```", DOC, re.S)
    assert shown is not None
    write(
        store_url,
        root(),
        record(1, OI_TOOL_CALL, name="ChatCompletion"),
        record(2, OI_ANSWER, name="ChatCompletion"),
        record(3, OI_EMBEDDING, name="CreateEmbeddings"),
    )
    tree = show(cli, store_url).split("\n\n", 1)[1]
    assert tree == shown.group(1)
