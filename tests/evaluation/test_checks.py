"""Layer 1 checks: each passes on a good output and fails, saying why, on a bad one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from prodready.evaluation import Case, CaseResult, Expected, Score, Verdict
from prodready.evaluation.scorers import (
    contains,
    json_schema,
    length,
    no_pii,
    not_contains,
    python_check,
    regex_match,
    required_facts,
)


def run(scorer: Any, output: Any, **expected: Any) -> Score:
    case = Case(id="c1", input="q", expected=Expected(**expected))
    result = CaseResult(case_id="c1", case_hash=case.content_hash(), output=output)
    score: Score = asyncio.run(scorer(case, result))
    return score


def mentions_refund(case: Case, result: CaseResult) -> bool:
    return "refund" in str(result.output)


async def politeness(case: Case, result: CaseResult) -> float:
    return 0.4 if "please" in str(result.output) else 0.0


def graded(case: Case, result: CaseResult) -> Verdict:
    return Verdict(0.5, passed=False, rationale="half right")


# --- regex ---------------------------------------------------------------------------------------


def test_regex_match_passes_and_names_the_match() -> None:
    score = run(regex_match(r"ref-\d{4}", flags="i"), "Your ticket is REF-1234 now")
    assert score.passed and "'REF-1234' at 15-23" in (score.rationale or "")


def test_regex_match_fails_showing_the_output() -> None:
    score = run(regex_match(r"ref-\d{4}"), "Your ticket is REF-1234 now")
    assert (score.passed, score.value) == (False, 0.0)
    assert score.rationale == "no match for /ref-\\d{4}/ in output 'Your ticket is REF-1234 now'"


def test_regex_must_not_match_fails_when_it_matches() -> None:
    score = run(regex_match(r"as an ai", flags="i", must_match=False), "As an AI, I cannot")
    assert score.passed is False and "must not match" in (score.rationale or "")
    assert run(regex_match(r"as an ai", must_match=False), "Sure, done.").passed


def test_regex_reads_a_field_of_a_dict_output() -> None:
    s = regex_match(r"^\d+ days$", field="answer.delay")
    assert run(s, {"answer": {"delay": "5 days"}}).passed
    missing = run(s, {"answer": {}})
    assert missing.passed is False and "no field 'answer.delay'" in (missing.rationale or "")


def test_regex_unknown_flag_is_refused_at_creation() -> None:
    with pytest.raises(ValueError, match="unknown regex flag"):
        regex_match("x", flags="iq")


# --- JSON schema ---------------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "required": ["amount", "currency"],
    "properties": {"amount": {"type": "number"}, "items": {"type": "array"}},
}


def test_json_schema_passes_valid_json_text_and_dicts() -> None:
    assert run(json_schema(SCHEMA), '{"amount": 25, "currency": "EUR"}').passed
    assert run(json_schema(SCHEMA), {"amount": 25, "currency": "EUR"}).passed


def test_json_schema_lists_each_error_with_its_path() -> None:
    score = run(json_schema(SCHEMA), {"amount": "25", "items": 3})
    why = score.rationale or ""
    assert score.passed is False and why.startswith("3 schema error(s)")
    assert "$: 'currency' is a required property" in why
    assert "$.amount: '25' is not of type 'number'" in why


def test_json_schema_fails_clearly_on_output_that_is_not_json() -> None:
    score = run(json_schema(SCHEMA), "Sure! Here is the JSON: {amount: 25}")
    assert score.passed is False and (score.rationale or "").startswith("output is not JSON")


def test_json_schema_refuses_a_broken_schema_at_creation() -> None:
    from jsonschema.exceptions import SchemaError

    with pytest.raises(SchemaError):
        json_schema({"type": "nonsense"})


# --- contains ------------------------------------------------------------------------------------


def test_contains_ignores_case_and_whitespace_runs() -> None:
    assert run(contains("Card  Replacement"), "Your card replacement is on its way").passed
    score = run(contains("replacement", case_sensitive=True), "REPLACEMENT")
    assert score.passed is False and "missing 'replacement'" in (score.rationale or "")


def test_contains_all_of_and_any_of() -> None:
    s = contains(all_of=["refund", "5 days"], any_of=["sorry", "apologise"])
    assert run(s, "Sorry: your refund arrives in 5 days").passed
    score = run(s, "Your refund is coming")
    assert score.value == pytest.approx(1 / 3)
    assert score.rationale == "missing '5 days'; none of ['sorry', 'apologise'] in output"


def test_not_contains_fails_naming_what_it_found() -> None:
    s = not_contains(any_of=["guarantee", "promise"])
    assert run(s, "We will look into it").passed
    score = run(s, "I promise it will be fixed")
    assert score.passed is False and "'promise' in" in (score.rationale or "")


# --- required facts ------------------------------------------------------------------------------


def test_required_facts_come_from_the_case_and_are_normalised() -> None:
    output = "A fee of 25 EUR applies; the refund takes five working days."
    score = run(required_facts(), output, facts=["€25", "5 working days"])
    assert (score.value, score.passed) == (1.0, True)


def test_required_facts_lists_what_is_missing() -> None:
    score = run(required_facts(["refund"]), "A fee of $25 applies.", facts=["€25"])
    assert (score.value, score.passed) == (0.0, False)
    assert score.rationale == (
        "0/2 facts found; missing: 'refund' (looked for: refund); '€25' (looked for: 25 eur)"
    )


def test_required_facts_without_any_fact_is_not_applicable() -> None:
    score = run(required_facts(), "anything")
    assert (score.value, score.passed, score.metadata) == (None, None, {"applicable": False})


def test_required_facts_can_ignore_the_case() -> None:
    score = run(required_facts(["48 hours"], from_expected=False), "in 2 days", facts=["nope"])
    assert score.passed


# --- length --------------------------------------------------------------------------------------


def test_length_within_and_outside_bounds() -> None:
    assert run(length(max_chars=20, min_words=2), "two words").passed
    score = run(length(max_chars=10, min_words=5), "far too long a reply")
    assert score.passed is False
    assert score.rationale == "20 chars, above max_chars=10"
    assert score.metadata == {"chars": 20, "words": 5}


def test_length_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="at least one bound"):
        length()


# --- no PII --------------------------------------------------------------------------------------


def test_no_pii_passes_clean_output_and_invalid_checksums() -> None:
    assert run(no_pii(), "Your card 4111 1111 1111 1112 was declined on 2024-01-15").passed


def test_no_pii_fails_masking_what_it_found() -> None:
    score = run(no_pii(), "Card 4111 1111 1111 1111, mail ana@example.com")
    assert score.passed is False and score.metadata["kinds"] == ["card", "email"]
    assert "card ending 1111" in (score.rationale or "")
    assert "4111 1111" not in (score.rationale or "") and "ana@" not in (score.rationale or "")


def test_no_pii_checks_only_the_kinds_asked_for() -> None:
    assert run(no_pii(kinds=["card"]), "mail ana@example.com").passed
    with pytest.raises(ValueError, match="unknown PII kind"):
        no_pii(kinds=["passport"])  # type: ignore[list-item]


# --- Python functions ----------------------------------------------------------------------------


def test_python_check_records_the_function_path_and_version() -> None:
    s = python_check(mentions_refund)
    assert s.spec.args["fn"] == "tests.evaluation.test_checks:mentions_refund"
    assert s.spec.args["version"].startswith("sha256:")
    assert run(s, "your refund").passed and run(s, "no").passed is False


def test_python_check_takes_async_floats_with_a_threshold_and_verdicts() -> None:
    assert run(python_check(politeness, threshold=0.3), "please wait").passed
    assert run(python_check(politeness, threshold=0.3), "wait").passed is False
    score = run(python_check(graded, name="graded"), "x")
    assert (score.name, score.value, score.rationale) == ("graded", 0.5, "half right")


def test_python_check_refuses_a_function_it_could_not_import_again() -> None:
    with pytest.raises(ValueError, match="lambda or local function"):
        python_check(lambda case, result: True)
