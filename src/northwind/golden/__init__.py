"""Northwind's golden evaluation set: 231 expert cases over BANKING77's 77 intents.

Each case is a real BANKING77 query the intent classifier never trains on, asked by a customer
of the bank built with seed 0, with what a good answer does: the intent, the tools, whether a
human takes over, the facts it must state and an expert reference answer. The cases are
built, not hand-edited (``python -m northwind.golden.build``).

>>> from northwind.golden import load_golden, save_golden
>>> len(load_golden(split="holdout"))
77
>>> save_golden(store).name
'northwind-golden'
"""

from __future__ import annotations

from typing import Final

from northwind.golden._files import ADDED_BY, CASES_FILE
from prodready.evaluation import Case, DatasetVersion
from prodready.evaluation.datasets import read_cases, save_dataset
from prodready.store import Store

__all__ = ["GOLDEN_DATASET", "golden_texts", "load_golden", "save_golden"]

GOLDEN_DATASET: Final = "northwind-golden"
"""The prodready dataset :func:`save_golden` saves the cases as."""


def load_golden(split: str | None = None) -> list[Case]:
    """The golden cases, or those of one split (``dev``, ``validation`` or ``holdout``)."""
    cases = read_cases(CASES_FILE)
    return cases if split is None else [case for case in cases if case.split == split]


def save_golden(store: Store) -> DatasetVersion:
    """Save the cases as dataset :data:`GOLDEN_DATASET`; a new version only when they
    changed, else the current version."""
    return save_dataset(
        store,
        GOLDEN_DATASET,
        load_golden(),
        created_by=ADDED_BY,
        message="northwind golden set (python -m northwind.golden.build)",
        description="Northwind Bank's expert cases over BANKING77's 77 intents",
    )


def golden_texts() -> set[str]:
    """The customer queries of every golden case."""
    return {str(case.input["text"]) for case in load_golden() if isinstance(case.input, dict)}
