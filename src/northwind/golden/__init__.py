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

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from northwind.golden._files import ADDED_BY, CASES_FILE
from prodready.evaluation import Case, CaseResult, DatasetVersion, Scorer
from prodready.evaluation.calibration import Calibration, calibrate, save_calibration
from prodready.evaluation.datasets import read_cases, save_dataset
from prodready.store import Store

__all__ = [
    "GOLDEN_DATASET",
    "LABELS_FILE",
    "Label",
    "calibrate_scorer",
    "golden_texts",
    "load_golden",
    "load_labels",
    "save_golden",
]

LABELS_FILE: Final = Path(__file__).parent / "labels.jsonl"
"""Correctness labels on candidate answers, written by the project's authors (LABELS.md)."""

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


@dataclass(frozen=True)
class Label:
    """An author's verdict on one candidate answer to a golden case."""

    case_id: str
    candidate: str
    passed: bool
    rationale: str
    labeller: str


def load_labels(path: Path = LABELS_FILE) -> list[Label]:
    """The correctness labels (see ``LABELS.md``).

    Raises:
        ValueError: a line is not a label object; the message names the file and line.
    """
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            labels.append(
                Label(
                    case_id=str(data["case_id"]),
                    candidate=str(data["candidate"]),
                    passed=bool(data["passed"]),
                    rationale=str(data["rationale"]),
                    labeller=str(data["labeller"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a label ({exc})") from None
    return labels


async def calibrate_scorer(
    scorer: Scorer, *, store: Store | None = None, labels: Sequence[Label] | None = None
) -> Calibration:
    """Score each labelled candidate with ``scorer`` and compare with the authors' labels
    (Cohen's kappa); with ``store``, save the calibration there under the scorer's name, which
    is what a gate reads before it lets a judge gate.

    Works for any scorer that reads the output and the case: ``semantic_similarity`` or the
    ``correctness`` judge.
    """
    cases = {case.id: case for case in load_golden()}
    labels = load_labels() if labels is None else labels
    said: dict[str, bool | None] = {}
    name = None
    for label in labels:
        case = cases[label.case_id]
        result = CaseResult(case_id=case.id, case_hash=case.content_hash(), output=label.candidate)
        out = scorer(case, result)
        score = await out if inspect.isawaitable(out) else out
        name = score.name
        said[case.id] = score.passed
    human = {label.case_id: label.passed for label in labels}
    judged = {k: v for k, v in said.items() if v is not None}
    calibration = calibrate(judged, {k: human[k] for k in judged}, name=name)
    if store is not None and name is not None:
        save_calibration(store, name, calibration)
    return calibration
