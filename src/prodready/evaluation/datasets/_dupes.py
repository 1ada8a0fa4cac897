"""Duplicate inputs: equal after normalisation, or near-equal by token-set Jaccard similarity."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from prodready.evaluation._types import Case
from prodready.vocabulary.canonical import canonical_json

_APOSTROPHES = frozenset("'\u2019\u02bc")


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateGroup:
    """Cases whose inputs are the same (``exact``) or nearly the same (``near``)."""

    kind: Literal["exact", "near"]
    case_ids: tuple[str, ...]
    """In dataset order."""
    similarity: float
    """1.0 for exact groups; for near groups the weakest linking pair's Jaccard similarity."""


def normalise_text(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, punctuation dropped, spaces collapsed.

    Apostrophes are removed (``don't`` = ``dont``); other punctuation separates words
    (``refund-policy`` = ``refund policy``).
    """
    out = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        if ch in _APOSTROPHES:
            continue
        out.append(" " if unicodedata.category(ch).startswith("P") else ch)
    return " ".join("".join(out).split())


def input_key(value: str | dict[str, Any]) -> str:
    """The key two inputs share exactly when they are duplicates after normalisation.

    Text inputs compare by :func:`normalise_text`; object inputs by their canonical JSON with
    every string normalised (keys kept as they are).
    """
    if isinstance(value, str):
        return normalise_text(value)
    return canonical_json(_normalise(value))


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def input_tokens(value: str | dict[str, Any]) -> frozenset[str]:
    """The token set near-duplicate detection compares; object tokens are ``key=word``."""
    if isinstance(value, str):
        return frozenset(normalise_text(value).split())
    tokens: set[str] = set()
    _leaf_tokens(value, "", tokens)
    return frozenset(tokens)


def _leaf_tokens(value: Any, path: str, out: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _leaf_tokens(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list | tuple):
        for v in value:
            _leaf_tokens(v, path, out)
    elif value is not None:
        out.update(f"{path}={word}" for word in normalise_text(str(value)).split())


def find_duplicates(
    cases: Sequence[Case], *, threshold: float = 0.9, near: bool = True
) -> list[DuplicateGroup]:
    """Groups of cases with duplicate inputs: exact groups first, then near ones.

    Exact duplicates are equal after normalisation (:func:`normalise_text`: case, Unicode
    form, punctuation and whitespace ignored). Near duplicates are not exact, but their
    token sets have a Jaccard similarity of at least ``threshold``; pairs are linked
    transitively, so a group may hold cases less similar to each other than ``threshold``.

    Args:
        cases: the cases to check.
        threshold: the smallest Jaccard similarity, in (0, 1], that makes a near duplicate.
        near: also look for near duplicates (the exact check is cheaper).
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    by_key: dict[str, list[str]] = {}
    for case in cases:
        by_key.setdefault(input_key(case.input), []).append(case.id)
    groups = [
        DuplicateGroup(kind="exact", case_ids=tuple(ids), similarity=1.0)
        for ids in by_key.values()
        if len(ids) > 1
    ]
    if near:
        groups.extend(_near_groups(cases, by_key, threshold))
    return groups


def _near_groups(
    cases: Sequence[Case], by_key: dict[str, list[str]], threshold: float
) -> list[DuplicateGroup]:
    first: dict[str, Case] = {}
    for case in cases:
        first.setdefault(input_key(case.input), case)
    keys = list(by_key)
    sets = [input_tokens(first[k].input) for k in keys]
    parent = list(range(len(keys)))
    weakest: dict[int, float] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, sim in _similar_pairs(sets, threshold):
        ri, rj = root(i), root(j)
        low = min(sim, weakest.get(ri, 1.0), weakest.get(rj, 1.0))
        parent[max(ri, rj)] = min(ri, rj)
        weakest[min(ri, rj)] = low
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        members[root(i)].append(i)
    order = {case.id: n for n, case in enumerate(cases)}
    groups = []
    for r, idx in sorted(members.items()):
        if len(idx) > 1:
            ids = sorted((cid for i in idx for cid in by_key[keys[i]]), key=order.__getitem__)
            groups.append(DuplicateGroup(kind="near", case_ids=tuple(ids), similarity=weakest[r]))
    return groups


def _similar_pairs(sets: list[frozenset[str]], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs with Jaccard >= threshold, by prefix filtering (a pair must share a rare token).

    Two sets with Jaccard >= t share a token among the first ``|x| - ceil(t|x|) + 1`` of
    each set's tokens ordered rarest first, so only those are indexed and probed: far fewer
    comparisons than every pair on real datasets.
    """
    freq = Counter(t for s in sets for t in s)
    pairs = []
    index: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(sets)), key=lambda n: len(sets[n])):
        size = len(sets[i])
        if size == 0:
            continue
        tokens = sorted(sets[i], key=lambda t: (freq[t], t))
        prefix = size - math.ceil(threshold * size - 1e-9) + 1
        seen: set[int] = set()
        for token in tokens[:prefix]:
            for j in index[token]:
                if j in seen or len(sets[j]) < threshold * size - 1e-9:
                    continue
                seen.add(j)
                sim = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
                if sim >= threshold - 1e-12:
                    pairs.append((j, i, sim))
            index[token].append(i)
    return pairs
