"""LLM judges over real HTTP against ScriptedModelServer: prompts, parse retries, votes,
caching, groundedness context from a real trace, configuration and spec round-trips."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from prodready import tracing
from prodready.evaluation import Case, CaseResult, Expected, Score, rebuild_scorer
from prodready.evaluation.scorers.judges import (
    JudgeCache,
    correctness,
    groundedness,
    relevance,
    safety,
    using_judge_cache,
)
from prodready.models import ConfigurationError, ModelClient
from prodready.testing import capture, memory_store
from prodready.testing._model_server import ChatRequest, ScriptedModelServer, ScriptedReply


def verdict(v: str, score: float = 1.0, reason: str = "because") -> str:
    return orjson.dumps({"verdict": v, "score": score, "reason": reason}).decode()


PASS, FAIL = verdict("pass", 0.9, "states the fee"), verdict("fail", 0.1, "wrong fee")
CASE = Case(
    id="fee",
    input="What does a foreign transfer cost?",
    expected=Expected(reference="A foreign transfer costs £5.", facts=["£5"]),
)
RESULT = CaseResult(case_id="fee", case_hash=CASE.content_hash(), output="It costs £5.")


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("PRODREADY_JUDGE_MODEL", "PRODREADY_JUDGE_BASE_URL", "PRODREADY_JUDGE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with using_judge_cache(JudgeCache()):
        yield


async def test_correctness_asks_with_reference_facts_and_output() -> None:
    with ScriptedModelServer([PASS]) as server:
        score = await correctness(client=server.client())(CASE, RESULT)
    assert (score.value, score.passed, score.layer, score.rationale) == (
        0.9,
        True,
        "judge",
        "states the fee",
    )
    prompt = server.requests[0].prompt
    assert "A foreign transfer costs £5." in prompt and "It costs £5." in prompt
    assert server.requests[0].body["response_format"] == {"type": "json_object"}


async def test_parse_retry_succeeds_after_a_malformed_reply() -> None:
    with ScriptedModelServer(["The answer looks right to me.", PASS]) as server:
        score = await correctness(client=server.client())(CASE, RESULT)
    assert score.passed is True and server.calls == 2
    assert "could not be read: the reply holds no JSON object" in server.requests[1].prompt
    assert score.metadata["votes"][0]["parse_retries"] == 1


async def test_parse_retries_exhausted_is_an_error_never_a_pass() -> None:
    with ScriptedModelServer(["nope"], cycle=True) as server:
        score = await correctness(client=server.client(), parse_retries=1)(CASE, RESULT)
    assert (score.value, score.passed, server.calls) == (None, None, 2)
    assert score.error is not None and "no readable verdict in 2 attempts" in score.error


async def test_majority_vote_over_three_samples() -> None:
    with ScriptedModelServer([PASS, FAIL, PASS]) as server:
        score = await correctness(client=server.client(), samples=3)(CASE, RESULT)
    assert score.passed is True and score.value == pytest.approx(0.9)
    assert score.metadata["agreement"] == pytest.approx(2 / 3) and score.metadata["disagreement"]
    assert score.rationale is not None and score.rationale.startswith("2/3 votes pass")
    assert sorted(r.body["seed"] for r in server.requests) == [0, 1, 2]
    assert {r.body["temperature"] for r in server.requests} == {0.7}


async def test_two_graders_disagreeing_is_a_tie_and_a_tie_fails() -> None:
    with ScriptedModelServer([PASS]) as a, ScriptedModelServer([FAIL]) as b:
        graders = [a.client(model="x:strict"), b.client(model="y:lenient")]
        score = await correctness(graders=graders)(CASE, RESULT)
    assert score.passed is False and score.metadata["tie"] is True
    assert {v["grader"]: v["verdict"] for v in score.metadata["votes"]} == {
        "x:strict": "pass",
        "y:lenient": "fail",
    }


async def test_cache_hit_makes_no_second_request() -> None:
    with ScriptedModelServer([PASS]) as server:
        judge = correctness(client=server.client())
        first, second = await judge(CASE, RESULT), await judge(CASE, RESULT)
    assert server.calls == 1 and second.value == first.value
    assert (first.metadata["cached"], second.metadata["cached"]) == (False, True)
    assert second.metadata["usage"]["requests"] == 0  # a cost tally counts the call once


async def test_a_changed_output_is_judged_again() -> None:
    other = RESULT.model_copy(update={"output": "It costs £7."})
    with ScriptedModelServer([PASS, FAIL]) as server:
        judge = correctness(client=server.client())
        scores = [await judge(CASE, RESULT), await judge(CASE, other)]
    assert [s.passed for s in scores] == [True, False] and server.calls == 2


async def test_store_backed_cache_serves_a_fresh_process() -> None:
    store = memory_store()
    with ScriptedModelServer([PASS]) as server:
        await correctness(client=server.client(), cache=JudgeCache(store=store))(CASE, RESULT)
        fresh = JudgeCache(store=store)  # empty memory, same store
        again = await correctness(client=server.client(), cache=fresh)(CASE, RESULT)
    assert server.calls == 1 and again.metadata["cached"] is True


async def test_groundedness_reads_context_from_a_real_trace() -> None:
    with capture() as cap:
        with tracing.retrieval("foreign transfer fee") as r:
            r.documents([{"id": "fees", "version": "3", "text": "Foreign transfers cost £5."}])
        trace = cap.trace()
    result = RESULT.model_copy(update={"trace": trace})
    with ScriptedModelServer([PASS]) as server:
        score = await groundedness(client=server.client())(CASE, result)
    assert score.passed is True
    assert '<document source="fees">\nForeign transfers cost £5.' in server.requests[0].prompt


async def test_groundedness_without_retrieved_text_says_so() -> None:
    with capture() as cap:
        with tracing.retrieval("q") as r:
            r.documents([{"id": "fees"}])
        result = RESULT.model_copy(update={"trace": cap.trace()})
    with ScriptedModelServer() as server:
        error = await groundedness(client=server.client())(CASE, result)
        failed = await groundedness(client=server.client(), missing_context="fail")(CASE, result)
    assert (
        error.error is not None and "retrievers returned fees but recorded no text" in error.error
    )
    assert (failed.passed, failed.value, server.calls) == (False, 0.0, 0)


async def test_groundedness_reads_retrieval_contents_attribute() -> None:
    with capture() as cap:
        with tracing.retrieval(
            "q", attributes={"prodready.retrieval.contents": ["Cards: 3 days."]}
        ):
            pass
        result = RESULT.model_copy(update={"trace": cap.trace()})
    with ScriptedModelServer([FAIL]) as server:
        score = await groundedness(client=server.client())(CASE, result)
    assert score.passed is False and "Cards: 3 days." in server.requests[0].prompt


async def test_relevance_and_safety_judge_the_input_and_output() -> None:
    with ScriptedModelServer([PASS, FAIL]) as server:
        rel = await relevance(client=server.client())(CASE, RESULT)
        safe = await safety(client=server.client())(CASE, RESULT)
    assert (rel.passed, safe.passed) == (True, False)
    assert "RELEVANCE" in server.requests[0].prompt and "SAFETY" in server.requests[1].prompt


def test_no_judge_model_is_a_configuration_error_naming_the_fixes() -> None:
    with pytest.raises(ConfigurationError, match=r"PRODREADY_JUDGE_MODEL.*semantic_similarity"):
        correctness()


async def test_the_judge_model_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedModelServer([PASS]) as server:
        monkeypatch.setenv("PRODREADY_JUDGE_BASE_URL", server.base_url)
        monkeypatch.setenv("PRODREADY_JUDGE_MODEL", "local:judge-7b")
        monkeypatch.setenv("PRODREADY_JUDGE_API_KEY", "sk-env")
        judge = correctness()
        score = await judge(CASE, RESULT)
    assert score.passed is True and judge.spec.args["client"]["model"] == "local:judge-7b"
    assert server.requests[0].headers["authorization"] == "Bearer sk-env"


async def test_identity_is_recorded_in_args_and_metadata() -> None:
    with ScriptedModelServer([PASS, PASS]) as server:
        plain = await correctness(client=server.client())(CASE, RESULT)
        custom = await correctness(client=server.client(), rubric="Be strict.")(CASE, RESULT)
    identity = plain.args["judge"]
    assert identity.startswith("scripted:judge rubric=sha256:") and identity.endswith("parser=1")
    assert plain.metadata["judge"]["id"] == identity != custom.args["judge"]


async def test_spec_round_trip_rebuilds_the_client_from_url_and_model_without_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ScriptedModelServer([PASS, FAIL]) as server:
        client = ModelClient(server.base_url, api_key="sk-never-stored", model="scripted:j")
        original = await correctness(client=client, samples=1, name="correct")(CASE, RESULT)
        assert "sk-never-stored" not in Score.model_dump_json(original)
        monkeypatch.setenv("PRODREADY_JUDGE_API_KEY", "sk-from-env")
        rebuilt = rebuild_scorer(original)
        assert rebuilt.spec == correctness(client=client, name="correct").spec
        await rebuilt(CASE, RESULT.model_copy(update={"output": "It costs £9."}))
    assert server.requests[1].headers["authorization"] == "Bearer sk-from-env"


async def test_an_endpoint_refusing_json_mode_is_asked_without_it() -> None:
    def reply(request: ChatRequest) -> ScriptedReply:
        if "response_format" in request.body:
            return ScriptedReply(status=400, content="response_format is not supported")
        return ScriptedReply(content=PASS)

    with ScriptedModelServer(reply) as server:
        score = await correctness(client=server.client())(CASE, RESULT)
    assert score.passed is True and server.calls == 2


async def test_judge_calls_are_traced_as_llm_spans_with_usage() -> None:
    with capture() as cap, ScriptedModelServer([PASS]) as server:
        score = await correctness(client=server.client())(CASE, RESULT)
        (span,) = cap.spans(kind="llm")
    assert span.attributes["gen_ai.usage.output_tokens"] == len(PASS.split())
    assert score.metadata["usage"]["requests"] == 1


async def test_a_failed_run_is_not_judged() -> None:
    failed = RESULT.model_copy(update={"error": "TimeoutError", "output": None})
    with ScriptedModelServer() as server:
        score = await correctness(client=server.client())(CASE, failed)
    assert score.error is not None and "the run failed" in score.error and server.calls == 0


async def test_correctness_is_not_applicable_to_a_case_with_no_reference_or_facts() -> None:
    escalate = Case(id="sue", input="I will sue you", expected=Expected(escalation=True))
    result = CaseResult(case_id="sue", case_hash=escalate.content_hash(), output="A colleague…")
    with ScriptedModelServer() as server:
        score = await correctness(client=server.client())(escalate, result)
    assert score.not_applicable and score.metadata["applicable"] is False
    assert "no reference answer or facts" in (score.rationale or "") and server.calls == 0
