"""ScriptedJudge: answers the built-in judges' prompts with verdicts chosen by rules."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodready.cli import app
from prodready.evaluation import BoundScorer, Case, CaseResult, Expected, Score
from prodready.evaluation.scorers import correctness, safety
from prodready.models import ModelError
from prodready.testing import JudgeRule, JudgeRulesError, ScriptedJudge, ScriptedModelServer

CASE = Case(id="abroad", input="Can I pay abroad?", expected=Expected(reference="Yes."))
HANDS_OVER = JudgeRule(verdict="fail", contains={"response": "COLLEAGUE"}, reason="hands over")


def judged(
    judge: ScriptedJudge, output: str, scorer: Callable[..., BoundScorer] = correctness
) -> Score:
    result = CaseResult(case_id=CASE.id, case_hash=CASE.content_hash(), output=output)
    with ScriptedModelServer(judge) as server:
        bound = scorer(client=server.client(), cache=False)
        return asyncio.run(bound(CASE, result))


def test_the_first_matching_rule_decides_and_its_reason_is_the_rationale() -> None:
    score = judged(ScriptedJudge([HANDS_OVER]), "Let me connect you with a colleague.")
    assert (score.passed, score.value, score.rationale) == (False, 0.0, "hands over")


def test_without_a_matching_rule_the_default_verdict_is_given() -> None:
    assert judged(ScriptedJudge([HANDS_OVER]), "Yes, anywhere.").passed is True
    assert judged(ScriptedJudge([], default="fail"), "Yes, anywhere.").passed is False


def test_a_rule_for_one_judge_does_not_apply_to_another() -> None:
    only_safety = JudgeRule(verdict="fail", judge="safety", contains={"response": "yes"})
    assert judged(ScriptedJudge([only_safety]), "Yes, anywhere.").passed is True
    assert judged(ScriptedJudge([only_safety]), "Yes, anywhere.", safety).passed is False


def test_a_judge_with_its_own_rubric_is_the_custom_judge() -> None:
    custom = ScriptedJudge([JudgeRule(verdict="fail", judge="custom")])
    score = judged(custom, "Yes.", lambda **kw: correctness(rubric="Is it polite?", **kw))
    assert score.passed is False and judged(custom, "Yes.").passed is True


def test_a_request_that_is_not_a_judge_prompt_is_refused() -> None:
    with ScriptedModelServer(ScriptedJudge()) as server, pytest.raises(ModelError, match="400"):
        asyncio.run(server.client(max_retries=0).complete([{"role": "user", "content": "hi"}]))


def test_rules_load_from_yaml_with_matches_and_a_score(tmp_path: Path) -> None:
    rules = tmp_path / "judge.yaml"
    rules.write_text("rules:\n  - reference_answer_matches: '^Yes'\n    verdict: pass\n"
                     "    score: 0.7\ndefault: fail\n")  # fmt: skip
    score = judged(ScriptedJudge.from_file(rules), "Sure.")
    assert (score.passed, score.value, score.rationale) == (
        True,
        0.7,
        "scripted pass (judge.yaml:2)",
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("rules:\n  - verdict: pass\n  - respons_contains: x\n    verdict: fail\n",
         "judge.yaml:3: rule 2: unknown key 'respons_contains'"),
        ("rules:\n  - response_contains: x\n    verdict: maybe\n",
         "judge.yaml:3: rule 1: verdict: must be pass or fail, got 'maybe'"),
        ("rules:\n  - judge: corectness\n    verdict: fail\n",
         "judge.yaml:2: rule 1: judge: must be one of correctness"),
        ("rules:\n  - response_matches: '('\n    verdict: fail\n",
         "judge.yaml:2: rule 1: response_matches: not a regular expression"),
        ("rules:\n  - response_contains: x\n", "judge.yaml:2: rule 1: needs a verdict"),
        ("default: maybe\n", "judge.yaml:1: default must be pass or fail"),
        ("rules: [\n", "judge.yaml:2: not valid YAML"),
    ],
)  # fmt: skip
def test_a_malformed_rules_file_names_the_file_line_and_field(
    tmp_path: Path, text: str, error: str
) -> None:
    (tmp_path / "judge.yaml").write_text(text)
    with pytest.raises(JudgeRulesError) as caught:
        ScriptedJudge.from_file(tmp_path / "judge.yaml")
    assert str(caught.value).startswith(f"{tmp_path}/") and error in str(caught.value)


def test_the_judge_server_command_exits_2_on_a_malformed_rules_file(tmp_path: Path) -> None:
    (tmp_path / "judge.yaml").write_text("rules:\n  - verdict: maybe\n")
    result = CliRunner().invoke(app, ["testing", "judge-server", str(tmp_path / "judge.yaml")])
    assert result.exit_code == 2
    assert "judge.yaml:2: rule 1: verdict: must be pass or fail" in result.stderr


def test_the_judge_server_command_exits_2_on_a_port_in_use(tmp_path: Path) -> None:
    (tmp_path / "judge.yaml").write_text("default: pass\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ["testing", "judge-server", str(tmp_path / "judge.yaml"), "--port", port]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
