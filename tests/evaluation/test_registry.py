"""The scorer registry: specs record creation arguments; scores can be rebuilt and re-run."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from prodready.evaluation import (
    Case,
    CaseResult,
    Score,
    ScoreFn,
    Verdict,
    rebuild_scorer,
    registered_scorers,
    scorer,
)


@scorer(layer="check", version="3")
def starts_with(prefix: str, *, case_sensitive: bool = True) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        out = str(result.output)
        ok = out.startswith(prefix) if case_sensitive else out.lower().startswith(prefix.lower())
        return Verdict(1.0 if ok else 0.0, passed=ok, rationale=f"starts with {prefix!r}: {ok}")

    return score


@scorer(layer="check")
def broken() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        raise RuntimeError("bug in scorer")

    return score


CASE = Case(id="c1", input="hi")
RESULT = CaseResult(case_id="c1", case_hash=CASE.content_hash(), output="Hello there")


def run(s: object) -> object:
    return asyncio.run(s(CASE, RESULT))  # type: ignore[operator]


def test_spec_records_name_version_layer_and_all_arguments() -> None:
    s = starts_with("Hel", name="greeting")
    assert s.spec.model_dump() == {
        "scorer": "starts_with",
        "version": "3",
        "layer": "check",
        "name": "greeting",
        "args": {"prefix": "Hel", "case_sensitive": True},
    }


def test_score_is_stamped_with_the_scorer_identity() -> None:
    score = run(starts_with("Hel"))
    assert (score.name, score.value, score.passed, score.layer, score.version) == (  # type: ignore[attr-defined]
        "starts_with",
        1.0,
        True,
        "check",
        "3",
    )


def test_stored_score_rebuilds_the_same_scorer() -> None:
    original = run(starts_with("hel", case_sensitive=False, name="g"))
    again = rebuild_scorer(original)  # type: ignore[arg-type]
    assert again.spec == starts_with("hel", case_sensitive=False, name="g").spec
    assert run(again) == original


def test_rebuild_refuses_another_version() -> None:
    spec = starts_with("x").spec.model_copy(update={"version": "2"})
    with pytest.raises(ValueError, match="at version 3"):
        rebuild_scorer(spec)


def test_rebuild_unknown_scorer_is_a_key_error() -> None:
    spec = starts_with("x").spec.model_copy(update={"scorer": "nope"})
    with pytest.raises(KeyError, match="no scorer named 'nope'"):
        rebuild_scorer(spec)


def test_a_failing_scorer_gives_an_error_score_never_a_pass() -> None:
    score = run(broken())
    assert (score.value, score.passed) == (None, None)  # type: ignore[attr-defined]
    assert score.error == "RuntimeError: bug in scorer"  # type: ignore[attr-defined]


def test_registered_scorers_lists_layers() -> None:
    assert registered_scorers()["starts_with"] == "check"


def test_case_hash_ignores_tags_and_provenance() -> None:
    a = Case(id="a", input="q", tags=["x"])
    b = Case(id="b", input="q", provenance="trace:ab", added_by="me")
    assert a.content_hash() == b.content_hash() and a.content_hash().startswith("sha256:")


def test_a_fresh_interpreter_rebuilds_a_built_in_scorer_from_its_stored_score() -> None:
    """Built-ins load on the plugin path: no need to import the scorers module first."""
    stored = Score(
        name="facts", value=1.0, passed=True, layer="check", scorer="required_facts",
        version="1", args={"facts": ["14 days"], "from_expected": True, "field": None},
    )  # fmt: skip
    code = (
        "import sys; from prodready.evaluation import Score, rebuild_scorer\n"
        "assert 'prodready.evaluation.scorers' not in sys.modules\n"
        f"print(rebuild_scorer(Score.model_validate_json({stored.model_dump_json()!r})).spec)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "scorer='required_facts'" in run.stdout and "name='facts'" in run.stdout
