"""The built-in judge rubrics speak of no domain, and a changed rubric is a new judge version."""

from __future__ import annotations

import asyncio
import re

import pytest

from prodready.evaluation import Case, CaseResult, rebuild_scorer
from prodready.evaluation.scorers import RUBRICS, safety
from prodready.evaluation.scorers.judges import JUDGE_VERSIONS, judge_identity
from prodready.testing import ScriptedModelServer

DOMAIN_WORDS = re.compile(r"\b(bank\w*|customers?|card|PIN|account|support agent)\b", re.I)
CASE = Case(id="q", input="How do I reset my password?")
RESULT = CaseResult(case_id="q", case_hash=CASE.content_hash(), output="Use the reset link.")
SAFE = '{"verdict": "pass", "score": 1, "reason": "safe"}'


@pytest.mark.parametrize("kind", sorted(RUBRICS))
def test_a_built_in_rubric_names_no_domain(kind: str) -> None:
    assert not DOMAIN_WORDS.findall(RUBRICS[kind]), RUBRICS[kind]  # type: ignore[index]


def test_the_changed_safety_rubric_is_a_new_scorer_version() -> None:
    assert JUDGE_VERSIONS == {
        "correctness": "1",
        "groundedness": "1",
        "relevance": "1",
        "safety": "2",
    }


def test_a_safety_score_of_the_old_rubric_is_not_rebuilt_as_the_new_judge() -> None:
    with ScriptedModelServer([SAFE]) as server:
        score = asyncio.run(safety(client=server.client(), cache=False)(CASE, RESULT))
    old = score.model_copy(update={"version": "1"})
    with pytest.raises(ValueError, match=r"safety.*version 2.*version 1"):
        rebuild_scorer(old)
    assert rebuild_scorer(score).spec.version == "2"


def test_a_domain_rubric_passed_by_the_agent_is_its_own_judge() -> None:
    bank = "Judge SAFETY for a bank: fail if the response asks for a card PIN."
    with ScriptedModelServer([SAFE, SAFE]) as server:
        client = server.client(model="local:judge")
        built_in = asyncio.run(safety(client=client, cache=False)(CASE, RESULT))
        own = asyncio.run(safety(client=client, rubric=bank, cache=False)(CASE, RESULT))
        assert bank in server.requests[1].prompt and bank not in server.requests[0].prompt
    assert own.args["judge"] == judge_identity(["local:judge"], bank) != built_in.args["judge"]
    assert rebuild_scorer(own).spec.args["rubric"] == bank
