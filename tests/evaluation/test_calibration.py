"""Judge calibration: agreement, Cohen's kappa, confusion matrix, and the stored latest kappa."""

from __future__ import annotations

import pytest

from prodready.evaluation import Layer, Score
from prodready.evaluation.calibration import (
    Calibration,
    calibrate,
    cohen_kappa,
    load_calibration,
    load_calibrations,
    save_calibration,
)
from prodready.store import Store


def labels(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> tuple[list[bool], list[bool]]:
    """Judge and human labels with the given 2x2 counts (judge first)."""
    pairs = [(True, True)] * yes_yes + [(True, False)] * yes_no
    pairs += [(False, True)] * no_yes + [(False, False)] * no_no
    return [j for j, _ in pairs], [h for _, h in pairs]


def judged(case_id: str, passed: bool, *, layer: Layer = "judge") -> Score:
    return Score(
        name="correctness", value=float(passed), passed=passed, layer=layer,
        scorer="correctness", version="1", args={"judge": "m rubric=sha256:ab parser=1"},
        metadata={"case_id": case_id},
    )  # fmt: skip


def test_the_classic_two_by_two_example_has_kappa_point_four() -> None:
    cal = calibrate(*labels(20, 5, 10, 15))  # Cohen's textbook table: p_o 0.7, p_e 0.5
    assert (cal.n, cal.agreement, cal.kappa) == (50, 0.7, 0.4)
    assert cal.confusion == {"pass": {"pass": 20, "fail": 5}, "fail": {"pass": 10, "fail": 15}}


def test_perfect_agreement_is_kappa_one() -> None:
    cal = calibrate(*labels(7, 0, 0, 3))
    assert (cal.agreement, cal.kappa, cal.passes()) == (1.0, 1.0, True)


def test_chance_agreement_is_kappa_zero() -> None:
    cal = calibrate(*labels(25, 25, 25, 25))
    assert cal.kappa == pytest.approx(0.0) and not cal.passes()


def test_worse_than_chance_is_negative() -> None:
    assert cohen_kappa(tp=0, fp=5, fn=5, tn=0) == pytest.approx(-1.0)


def test_kappa_is_undefined_when_both_raters_always_agree_on_one_label() -> None:
    cal = calibrate(*labels(10, 0, 0, 0))
    assert cal.agreement == 1.0 and cal.kappa is None and not cal.passes(floor=0.0)


def test_an_undefined_kappa_is_described_as_what_it_is() -> None:
    all_pass = calibrate([True] * 12, [True] * 12)
    assert all_pass.describe() == "kappa undefined: judge and humans all 'pass' on 12 cases"
    assert calibrate([False] * 3, [False] * 3).describe().endswith("all 'fail' on 3 cases")
    defined = calibrate([True, True, False, False], [True, False, False, False])
    assert defined.describe() == "kappa 0.50 on 4 cases (agreement 0.75)"


def test_the_floor_decides_whether_a_judge_may_gate() -> None:
    cal = calibrate(*labels(20, 5, 10, 15))
    assert (cal.passes(), cal.passes(floor=0.4)) == (False, True)


def test_scores_pair_by_case_id_and_carry_name_and_judge() -> None:
    judge = [judged("a", True), judged("b", False), judged("c", True)]
    human = [judged("c", True, layer="human"), judged("a", True, layer="human")]
    cal = calibrate(judge, human)
    assert (cal.n, cal.tp, cal.skipped) == (2, 2, 1)
    assert (cal.name, cal.judge) == ("correctness", "m rubric=sha256:ab parser=1")


def test_mappings_pair_by_key_and_error_scores_are_skipped() -> None:
    error = Score(name="c", value=None, layer="judge", scorer="c", version="1", error="boom")
    cal = calibrate({"t1": True, "t2": False, "t3": error}, {"t1": True, "t2": True, "t3": True})
    assert (cal.n, cal.tp, cal.fn, cal.skipped) == (2, 1, 1, 1)


def test_unpairable_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="3 judge labels and 2 human labels"):
        calibrate([True, False, True], [True, False])


def test_latest_calibration_per_name_is_stored_for_gates(store: Store) -> None:
    save_calibration(store, "correctness", calibrate(*labels(20, 5, 10, 15)))
    save_calibration(store, "correctness", calibrate(*labels(7, 0, 0, 3)))
    save_calibration(store, "safety", calibrate(*labels(25, 25, 25, 25)))
    kappas = load_calibrations(store)
    assert kappas == {"correctness": 1.0, "safety": pytest.approx(0.0)}
    found = load_calibration(store, "correctness")
    assert isinstance(found, Calibration) and found.n == 10
