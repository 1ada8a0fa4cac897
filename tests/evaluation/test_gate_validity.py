"""Gates keep their error rates: seeded simulation of every mode × aggregate × n.

The scenarios and the simulation are in ``gate_validity.py`` (its ``main`` prints the table
in docs/criteria.md, from more runs). Here each cell is simulated from fewer runs, and a
valid gate may exceed its level by Monte-Carlo error only: 3.5 standard errors per cell, 3
over the five sizes of a scenario pooled.
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


@pytest.fixture(scope="module")
def rates() -> dict[tuple[int, int, bool], float]:
    return sim.table(REPS, GOOD_REPS, workers=2)


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


def test_the_published_table_is_what_the_simulation_prints() -> None:
    """The cheap rows of docs/criteria.md's table (rates and percentiles, confident mode)
    recomputed at the published number of runs: the page cannot drift from the code."""
    text = DOCS.read_text(encoding="utf-8")
    runs = re.search(r"truth on the target \(([\d,]+) runs\) / .* \(([\d,]+) runs\)", text)
    assert runs is not None
    reps, good_reps = (int(g.replace(",", "")) for g in runs.groups())
    for s in sim.scenarios():
        if s.mode != "confident" or s.aggregate not in ("rate", "p95"):
            continue
        row = next(line for line in text.splitlines() if f"| {s.mode} | {s.name} |" in line)
        for n, cell in zip((20, 100), row.split("|")[6:9:2], strict=True):
            bad = sim.pass_rate(s, n, on_target=True, reps=reps)
            good = sim.pass_rate(s, n, on_target=False, reps=good_reps)
            assert cell.strip() == f"{bad:.1%} / {good:.0%}", (s.name, n)
