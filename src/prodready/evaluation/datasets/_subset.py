"""Seeded, stratified subsets of a dataset, for quick CI runs (``--subset N --seed S``)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Literal

from prodready.evaluation._types import Case

Strata = Literal["tag", "intent", "split"] | Callable[[Case], str]

UNTAGGED = "(untagged)"
NO_INTENT = "(no intent)"


def stratified_subset(
    cases: Sequence[Case], n: int, *, seed: int | str, by: Strata = "tag"
) -> list[Case]:
    """``n`` cases drawn so each stratum keeps about its share of the dataset.

    Deterministic: the same cases, ``n``, ``seed`` and ``by`` give the same subset, whatever
    the cases' order; and adding cases to one stratum does not reshuffle the others.

    How it draws:

    1. Strata: ``by="tag"`` groups cases by their *first* tag (untagged cases together);
       ``"intent"`` by ``expected.intent``; ``"split"`` by split; a callable maps a case to
       its stratum's name.
    2. Allocation: each stratum gets ``n * size / total`` cases, rounded down, and at least
       one; the remaining places go to the largest fractional parts (ties: larger stratum,
       then name). If the minimum of one overshoots ``n``, the strata most above their
       share give one back. If ``n`` is smaller than the number of strata, the ``n``
       largest strata get one case each (ties broken by the seed).
    3. Within a stratum, cases are ranked by a hash of ``(seed, case id)`` and the first
       ones taken.

    Args:
        cases: the dataset's cases.
        n: how many to draw; ``n >= len(cases)`` returns every case.
        seed: changes which cases are drawn, never how many per stratum.
        by: what to stratify on.

    Returns:
        The drawn cases, in their original order.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n >= len(cases):
        return list(cases)
    key = _stratum_key(by)
    strata: dict[str, list[int]] = {}
    for i, case in enumerate(cases):
        strata.setdefault(key(case), []).append(i)
    counts = _allocate({name: len(ix) for name, ix in strata.items()}, n, seed)
    chosen: set[int] = set()
    for name, take in counts.items():
        ranked = sorted(strata[name], key=lambda i: (_rank(seed, cases[i].id), i))
        chosen.update(ranked[:take])
    return [case for i, case in enumerate(cases) if i in chosen]


def _stratum_key(by: Strata) -> Callable[[Case], str]:
    if callable(by):
        return by
    if by == "tag":
        return lambda c: c.tags[0] if c.tags else UNTAGGED
    if by == "intent":
        return lambda c: c.expected.intent or NO_INTENT
    if by == "split":
        return lambda c: c.split
    raise ValueError(f"by must be 'tag', 'intent', 'split' or a function, got {by!r}")


def _rank(seed: int | str, text: str) -> bytes:
    return hashlib.sha256(f"{seed}\x00{text}".encode()).digest()


def _allocate(sizes: dict[str, int], n: int, seed: int | str) -> dict[str, int]:
    """How many cases each stratum gives (``0 <= n < sum(sizes)``)."""
    total = sum(sizes.values())
    if n < len(sizes):
        order = sorted(sizes, key=lambda s: (-sizes[s], _rank(seed, s)))
        return {s: 1 for s in order[:n]}
    quota = {s: n * size / total for s, size in sizes.items()}
    counts = {s: max(1, math.floor(q)) for s, q in quota.items()}
    by_remainder = sorted(sizes, key=lambda s: (-(quota[s] - math.floor(quota[s])), -sizes[s], s))
    while sum(counts.values()) < n:
        for s in by_remainder:
            if sum(counts.values()) < n and counts[s] < sizes[s]:
                counts[s] += 1
    while sum(counts.values()) > n:
        over = max((s for s in counts if counts[s] > 1), key=lambda s: (counts[s] - quota[s], s))
        counts[over] -= 1
    return counts
