"""Gates keep their error rates: seeded simulation of every mode × aggregate × n.

The scenarios and the simulation are in ``gate_validity.py`` (its ``main`` prints the table
in docs/criteria.md, from more runs). Here each cell the tests read is simulated from fewer
runs (the first runs of the table's, same seeds), and a valid gate may exceed its level by
Monte-Carlo error only: 3.5 standard errors per cell, 3 over the five sizes of a scenario
pooled. The simulation takes minutes of CPU: tests/evaluation/conftest.py starts it in the
background when pytest collects this module, and runs these tests last.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from tests.evaluation import gate_validity as sim

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # the table: minutes, not seconds

REPS = 600
GOOD_REPS = 150
POWERFUL_NI = (
    "normal score, candidate 0.05 worse",
    "latency mean, candidate proportionally slower",
)
DOCS = Path(__file__).parents[2] / "docs" / "criteria.md"


def published_runs() -> tuple[int, int]:
    """The runs behind docs/criteria.md's table: on the target, on the good side."""
    text = DOCS.read_text(encoding="utf-8")
    runs = re.search(r"truth on the target \(([\d,]+) runs\) / .* \(([\d,]+) runs\)", text)
    assert runs is not None
    reps, good_reps = (int(g.replace(",", "")) for g in runs.groups())
    return reps, good_reps


def published_cells() -> list[tuple[int, sim.Scenario]]:
    """The rows the last test recomputes: rates and percentiles, confident mode (cheap)."""
    return [
        (i, s)
        for i, s in enumerate(sim.scenarios())
        if s.mode == "confident" and s.aggregate in ("rate", "p95")
    ]


def cells() -> dict[tuple[int, int, bool], int]:
    """Every cell a test below reads, with as many runs as its most demanding reader: the
    first runs of a cell are the same seeded runs whoever asks (``sim.passes``), so the
    published rows' 2,000 runs also give the 600 the rates use. Cells no test reads (point
    gates of rates and percentiles, the good side below 100 cases but for percentiles) are
    not simulated."""
    need: dict[tuple[int, int, bool], int] = {}

    def want(cell: tuple[int, int, bool], reps: int) -> None:
        need[cell] = max(need.get(cell, 0), reps)

    for i, s in enumerate(sim.scenarios()):
        for n in sim.NS:
            if s.mode in sim.NOMINAL or s.aggregate in ("mean", "p50"):
                want((i, n, True), REPS)  # levels, ceilings, point gates near one half
            if s.mode in sim.NOMINAL and (n == 100 or s.aggregate == "p95"):
                want((i, n, False), GOOD_REPS)  # power at n=100; percentiles never pass
    reps, good_reps = published_runs()
    for i, _ in published_cells():
        for n in (20, 100):
            want((i, n, True), reps)
            want((i, n, False), good_reps)
    return need


@pytest.fixture(scope="module")
def verdicts(
    gate_simulation: sim.Simulation | None,
) -> dict[tuple[int, int, bool], list[bool]]:
    """The verdicts of every cell in ``cells()``: from the simulation tests/evaluation/
    conftest.py started in the background when it collected this module, else run now."""
    running = gate_simulation or sim.Simulation(cells(), workers=2)
    return running.result()


@pytest.fixture(scope="module")
def rates(
    verdicts: dict[tuple[int, int, bool], list[bool]],
) -> dict[tuple[int, int, bool], float]:
    """Each cell's pass rate over its first REPS runs on the target, GOOD_REPS on the good
    side (what ``sim.table(REPS, GOOD_REPS)`` gives for the cells the tests read)."""
    out = {}
    for (i, n, on), v in verdicts.items():
        reps = REPS if on else GOOD_REPS
        assert len(v) >= reps
        out[(i, n, on)] = sum(v[:reps]) / reps
    return out


def bound(nominal: float, reps: int, sigmas: float) -> float:
    return nominal + sigmas * math.sqrt(nominal * (1 - nominal) / reps)


def gating() -> list[tuple[int, sim.Scenario]]:
    return [(i, s) for i, s in enumerate(sim.scenarios()) if s.mode in sim.NOMINAL]


def test_valid_gates_pass_on_the_target_no_more_often_than_their_level(
    rates: dict[tuple[int, int, bool], float],
) -> None:
    over = []
    for i, s in gating():
        level = sim.NOMINAL[s.mode]
        sizes = sim.NS if s.ceiling is None else (100,)  # approximate ones: from 100 cases
        for n in sizes:
            if rates[(i, n, True)] > bound(level, REPS, 3.5):
                over.append(f"{s.mode} {s.name} n={n}: {rates[(i, n, True)]:.3f}")
        pooled = sum(rates[(i, n, True)] for n in sim.NS) / len(sim.NS)
        if s.ceiling is None and pooled > bound(level, REPS * len(sim.NS), 3):
            over.append(f"{s.mode} {s.name} pooled: {pooled:.3f}")
    assert not over, "gates pass on the target more often than their level:\n" + "\n".join(over)


def test_means_of_skewed_quantities_stay_under_their_published_ceiling(
    rates: dict[tuple[int, int, bool], float],
) -> None:
    approximate = [(i, s) for i, s in gating() if s.ceiling is not None]
    assert approximate  # the docs name them: this test must not pass by having none
    for i, s in approximate:
        for n in sim.NS:
            assert s.ceiling is not None and rates[(i, n, True)] <= s.ceiling, (s.name, n)


def test_gates_have_power_when_the_truth_is_clearly_good(
    rates: dict[tuple[int, int, bool], float],
) -> None:
    # Not all: a 5-point margin on a rate, or 100 ms on a latency whose spread is ~1 s, needs
    # far more than 100 cases (the table shows how far; the gate's mde says so per run).
    weak = []
    for i, s in gating():
        expected = (s.mode == "confident" and s.aggregate != "p95") or s.name in POWERFUL_NI
        if expected and rates[(i, 100, False)] < 0.9:
            weak.append(f"{s.mode} {s.name}: {rates[(i, 100, False)]:.2f} at n=100")
    assert not weak, "\n".join(weak)


def test_too_few_cases_to_bound_a_percentile_never_pass(
    rates: dict[tuple[int, int, bool], float],
) -> None:
    for i, s in gating():
        if s.aggregate == "p95":  # an upper bound needs 72 cases; a paired one too
            assert all(rates[(i, n, on)] == 0 for n in (5, 10, 20, 40) for on in (True, False))


def test_point_gates_pass_about_half_the_releases_on_the_target(
    rates: dict[tuple[int, int, bool], float],
) -> None:
    for i, s in enumerate(sim.scenarios()):
        if s.mode == "point" and s.aggregate in ("mean", "p50"):
            assert all(0.35 <= rates[(i, n, True)] <= 0.65 for n in sim.NS), s.name


def test_the_published_table_is_what_the_simulation_prints(
    verdicts: dict[tuple[int, int, bool], list[bool]],
) -> None:
    """The cheap rows of docs/criteria.md's table (rates and percentiles, confident mode)
    recomputed at the published number of runs: the page cannot drift from the code."""
    text = DOCS.read_text(encoding="utf-8")
    reps, good_reps = published_runs()
    for i, s in published_cells():
        row = next(line for line in text.splitlines() if f"| {s.mode} | {s.name} |" in line)
        for n, cell in zip((20, 100), row.split("|")[6:9:2], strict=True):
            on, off = verdicts[(i, n, True)][:reps], verdicts[(i, n, False)][:good_reps]
            assert len(on) == reps and len(off) == good_reps
            bad, good = sum(on) / reps, sum(off) / good_reps
            assert cell.strip() == f"{bad:.1%} / {good:.0%}", (s.name, n)
