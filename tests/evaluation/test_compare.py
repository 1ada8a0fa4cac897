"""compare_runs: candidates ranked on shared cases, with intervals and paired tests vs the best."""

from __future__ import annotations

import pytest

import prodready
from prodready.evaluation import Case, CaseResult, Expected, Score
from prodready.evaluation.compare import compare_runs
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.runner import EvalRun, evaluate_sync, load_run
from prodready.evaluation.suite import compare_stored, gate_run
from prodready.store import Store


def _score(passed: bool | None, value: float | None = None) -> Score:
    value = value if value is not None else (None if passed is None else float(passed))
    return Score(name="ok", value=value, passed=passed, layer="check", scorer="t", version="1")


def make_run(release: str, outcomes: list[bool], *, start: int = 0) -> EvalRun:
    results = [
        CaseResult(case_id=f"c{start + i}", case_hash=f"h{start + i}", scores=[_score(ok)])
        for i, ok in enumerate(outcomes)
    ]
    run_id = (release * 32)[:32]
    return EvalRun(run_id=run_id, release=release, status="finished", started_at_ns=0,
                   results=results)  # fmt: skip


def value_run(release: str, values: list[float]) -> EvalRun:
    run = make_run(release, [True] * len(values))
    results = [
        r.model_copy(update={"scores": [_score(True, v)]})
        for r, v in zip(run.results, values, strict=True)
    ]
    return run.model_copy(update={"results": results})


def test_the_best_candidate_ranks_first_with_a_wilson_interval() -> None:
    a, b = make_run("a", [True] * 30 + [False] * 20), make_run("b", [True] * 45 + [False] * 5)
    result = compare_runs([a, b], metric="ok")
    assert [c.label for c in result.candidates] == ["b", "a"]
    best = result.best
    assert best.rank == 1 and best.interval.method == "wilson"
    assert best.interval.low < best.estimate == 0.9 < best.interval.high


def test_a_clearly_worse_candidate_is_significantly_worse_by_mcnemar() -> None:
    a, b = make_run("a", [True] * 30 + [False] * 20), make_run("b", [True] * 45 + [False] * 5)
    worse = compare_runs([a, b], metric="ok").candidates[1]
    assert worse.vs_best is not None and worse.vs_best.method.startswith("mcnemar")
    assert worse.vs_best.difference == pytest.approx(-0.3)
    assert worse.p_adjusted is not None and worse.p_adjusted < 0.05
    assert not worse.indistinguishable


def test_a_close_candidate_is_marked_indistinguishable_from_best() -> None:
    a, b = make_run("a", [True] * 44 + [False] * 6), make_run("b", [True] * 45 + [False] * 5)
    result = compare_runs([a, b], metric="ok")
    close = result.candidates[1]
    assert close.label == "a" and close.p_adjusted is not None and close.p_adjusted >= 0.05
    assert close.indistinguishable
    assert "indistinguishable from best" in result.render_text()


def test_only_shared_cases_are_compared_and_the_dropped_are_counted() -> None:
    a = make_run("a", [True] * 10)  # c0..c9
    b = make_run("b", [True] * 10, start=5)  # c5..c14
    result = compare_runs([a, b], metric="ok")
    assert result.cases == 5
    assert result.dropped == {a.run_id: 5, b.run_id: 5}
    assert "10 case(s) dropped" in result.render_text()


def test_values_are_compared_by_a_paired_permutation_test_and_lower_can_be_better() -> None:
    fast = value_run("fast", [100.0 + i for i in range(30)])
    slow = value_run("slow", [300.0 + i for i in range(30)])
    result = compare_runs([slow, fast], metric="ok", aggregate="mean", better="lower")
    assert result.best.label == "fast" and result.best.interval.method == "bootstrap-t"
    other = result.candidates[1].vs_best
    assert other is not None and other.method == "sign-flip"
    assert other.difference == pytest.approx(200.0) and other.p_value < 0.05


def test_p_values_are_holm_corrected_for_several_comparisons_with_the_best() -> None:
    best = make_run("a", [True] * 40 + [False] * 10)
    others = [make_run(x, [True] * 36 + [False] * 14) for x in "bcd"]
    raw = compare_runs([best, *others], metric="ok", adjust="none")
    holm = compare_runs([best, *others], metric="ok", adjust="holm")
    for r, h in zip(raw.candidates[1:], holm.candidates[1:], strict=True):
        assert r.p_adjusted is not None and r.p_adjusted < 1 / 3
        assert h.p_adjusted == pytest.approx(3 * r.p_adjusted)  # three equal p-values


def test_an_errored_case_counts_as_a_failure_of_a_rate() -> None:
    a = make_run("a", [True] * 10)
    broken = a.results[0].model_copy(update={"error": "boom", "scores": [_score(None)]})
    b = make_run("b", [True] * 10).model_copy(update={"results": [broken, *a.results[1:]]})
    b = b.model_copy(update={"run_id": "b" * 32, "release": "b"})
    result = compare_runs([a, b], metric="ok")
    assert result.candidates[1].estimate == 0.9 and result.candidates[1].errors == 1


def test_comparing_needs_two_runs_sharing_a_case() -> None:
    with pytest.raises(ValueError, match="at least two"):
        compare_runs([make_run("a", [True])], metric="ok")
    with pytest.raises(ValueError, match="no case"):
        compare_runs([make_run("a", [True]), make_run("b", [True], start=1)], metric="ok")


def test_repeated_labels_are_told_apart_by_run_id() -> None:
    a = make_run("a", [True] * 5)
    twin = a.model_copy(update={"run_id": "f" * 32})
    labels = [c.label for c in compare_runs([a, twin], metric="ok").candidates]
    assert labels == ["a (aaaaaaaa)", "a (ffffffff)"]


def _with_scores(run: EvalRun, scores: dict[int, list[Score]]) -> EvalRun:
    results = [r.model_copy(update={"scores": scores.get(i, r.scores)})
               for i, r in enumerate(run.results)]  # fmt: skip
    return run.model_copy(update={"results": results})


def test_not_applicable_cases_are_counted_apart_never_as_dropped() -> None:
    na = {i: [_score(None)] for i in (7, 8, 9)}  # no value, no verdict, no error
    a, b = (_with_scores(make_run(x, [True] * 10), na) for x in "ab")
    result = compare_runs([a, b], metric="ok")
    assert result.cases == 7 and result.best.estimate == 1.0
    assert result.dropped == {a.run_id: 0, b.run_id: 0}
    assert result.not_applicable == {a.run_id: 3, b.run_id: 3}
    heading = result.render_text().splitlines()[0]
    assert "3 case(s) not applicable" in heading and "dropped" not in heading


def test_scorer_errors_and_missing_scores_count_in_the_errors_column() -> None:
    broken = _score(None).model_copy(update={"error": "ValueError: judge said nothing"})
    a = make_run("a", [True] * 10)
    b = _with_scores(make_run("b", [True] * 10), {0: [broken], 1: [broken], 2: []})
    result = compare_runs([a, b], metric="ok")
    worse = result.candidates[1]
    assert (worse.label, worse.estimate, worse.errors) == ("b", 0.7, 3)
    assert result.best.errors == 0


def test_a_name_no_run_scored_is_refused_listing_the_scores() -> None:
    a, b = make_run("a", [True] * 3), make_run("b", [True] * 3)
    with pytest.raises(
        ValueError, match=r"no run has a score named 'okk'; scores in these runs: ok \(or business"
    ):
        compare_runs([a, b], metric="okk")


def test_cases_not_applicable_in_one_run_are_neither_dropped_nor_errors_of_another() -> None:
    a = _with_scores(make_run("a", [True] * 10), {i: [_score(None)] for i in range(3, 10)})
    b = _with_scores(make_run("b", [True] * 10), {i: [] for i in range(10)})  # never scored
    result = compare_runs([a, b], metric="ok")
    assert result.cases == 3 and (result.not_applicable_cases, result.dropped_cases) == (7, 0)
    assert [c.errors for c in result.candidates] == [0, 3] and result.unscored == [b.run_id]
    heading = result.render_text().splitlines()[0]
    assert "7 case(s) not applicable in some run" in heading and "dropped" not in heading


def test_a_case_without_a_value_in_one_run_is_dropped_once() -> None:
    broken = _score(None).model_copy(update={"error": "boom"})
    a = value_run("a", [1.0] * 10)
    b = _with_scores(value_run("b", [2.0] * 10), {0: [broken]})
    result = compare_runs([a, b], metric="ok", aggregate="mean")
    assert result.cases == 9 and result.dropped_cases == 1
    assert [c.errors for c in result.candidates] == [0, 0]  # errors count shared cases only
    assert "1 case(s) dropped" in result.render_text().splitlines()[0]


def test_escalation_metrics_need_each_runs_cases() -> None:
    a, b = make_run("a", [True] * 2), make_run("b", [True] * 2)
    with pytest.raises(ValueError, match=r"needs each run's cases .* pass cases="):
        compare_runs([a, b], metric="business.wrong_escalation")
    cases = [Case(id=f"c{i}", input="q", expected=Expected(escalation=False)) for i in range(2)]
    with pytest.raises(ValueError, match=f"run {b.run_id} has none"):
        compare_runs([a, b], metric="business.wrong_escalation", cases={a.run_id: cases})
    result = compare_runs([a, b], metric="business.wrong_escalation", cases=cases)
    assert result.better == "lower"
    assert [c.errors for c in result.candidates] == [2, 2]  # no traces: each run is an error


def _escalating(question: str) -> str:
    if "human" in question:
        with prodready.span("hand off", kind="escalation"):
            return "connecting you"
    return "done"


REPORT = """metrics:
  deflection: {source: business.deflection, gate: report}
  wrong_escalation: {source: business.wrong_escalation, gate: report}
"""


def test_compare_stored_reads_traces_and_remembered_cases_as_the_gate_does(store: Store) -> None:
    cases = [Case(id="h", input="a human please", expected=Expected(escalation=True)),
             Case(id="b", input="balance", expected=Expected(escalation=False))]  # fmt: skip
    done = [evaluate_sync(_escalating, cases, [], store=store, release=x, progress=False)
            for x in "ab"]  # fmt: skip
    runs = [load_run(store, r.run_id) for r in done]
    gated = gate_run(store, runs[0], parse_criteria(REPORT)).metrics
    for gate in gated:
        best = compare_stored(store, runs, metric=f"business.{gate.name}").best
        assert (best.estimate, best.errors) == (gate.estimate, gate.errors)
    assert [g.estimate for g in gated] == [0.5, 0.0]
