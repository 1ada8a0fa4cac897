"""The authors' correctness labels: enough of them, on real golden cases, both verdicts, and
usable to calibrate a scorer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from northwind.golden import calibrate_scorer, load_golden, load_labels
from prodready.evaluation.calibration import load_calibration
from prodready.evaluation.scorers import semantic_similarity
from prodready.store import Store


def test_at_least_sixty_author_labels_on_golden_cases() -> None:
    labels = load_labels()
    ids = {case.id for case in load_golden()}
    assert len(labels) >= 60
    assert len({label.case_id for label in labels}) == len(labels)
    assert all(label.case_id in ids for label in labels)
    assert all(label.labeller == "northwind authors" and label.rationale for label in labels)
    verdicts = [label.passed for label in labels]
    assert verdicts.count(True) >= 20 and verdicts.count(False) >= 20


def test_a_malformed_label_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"case_id": "b77-age_limit-1", "candidate": "x", "passed": true,'
                   ' "rationale": "ok", "labeller": "a"}\n{"case_id": 3}\n')  # fmt: skip
    with pytest.raises(ValueError, match=r"labels.jsonl:2: not a label"):
        load_labels(bad)


def test_calibrating_a_scorer_against_the_labels_is_saved(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'cal.db'}")
    calibration = asyncio.run(calibrate_scorer(semantic_similarity(), store=store))
    assert calibration.n == len(load_labels())
    assert calibration.kappa is not None and calibration.kappa >= 0.6
    saved = load_calibration(store, "semantic_similarity")
    assert saved is not None and saved.kappa == calibration.kappa
