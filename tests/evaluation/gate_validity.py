"""Gate validity by seeded simulation: how often each gate passes when it should not.

Every scenario draws runs whose *true* value sits exactly on the target (or, for
``non_inferior``, exactly ``margin`` worse than the baseline) and feeds them to the real
:func:`prodready.evaluation.gate.evaluate_gate`. A valid ``confident`` gate (one side of a
95% interval) may pass such runs at most 2.5% of the time; a valid ``non_inferior`` gate (one
side of a 90% interval) at most 5%. ``point`` gates have no error guarantee: on the target
they pass about half the time, which is why headline targets use ``confident``. Each
scenario is also run with the truth comfortably on the good side, to show the power.

Run ``python -m tests.evaluation.gate_validity`` to print the table published in
``docs/criteria.md``; ``tests/evaluation/test_gate_validity.py`` asserts the same numbers.
Everything is seeded: the table is the same on every machine.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import random
import statistics
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from prodready.evaluation import CaseResult, Score
from prodready.evaluation.criteria import Criteria, parse_criteria
from prodready.evaluation.gate import evaluate_gate

NS = (5, 10, 20, 40, 100)
NOMINAL = {"confident": 0.025, "non_inferior": 0.05}
"""The most a valid gate of each mode may pass on the target: one side of a 95% interval,
and one side of a 90% interval."""

Draw = Callable[[random.Random, int], tuple[list[float], list[float] | None]]
"""Draws ``n`` cases: the candidate's values and, for ``non_inferior``, the baseline's."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One simulated metric: its criteria line, and draws on the target and on the good side."""

    name: str
    mode: str
    aggregate: str
    metric: str
    """The criteria entry (YAML flow mapping) for a score named ``m``."""
    on_target: Draw
    good: Draw
    ceiling: float | None = None
    """For a scenario where the method is approximate (a mean of a strongly skewed quantity:
    no interval keeps its level there for every distribution), the most it may pass on the
    target below 100 cases; ``None`` where the level holds (within Monte-Carlo error)."""


def _lognormal(mu: float, sigma: float) -> Callable[[random.Random], float]:
    return lambda rng: rng.lognormvariate(mu, sigma)


_Z95 = statistics.NormalDist().inv_cdf(0.95)
_LAT_MU, _LAT_SIGMA = math.log(800.0), 0.8
"""Latencies in ms: lognormal around 800 ms, right-skewed like real agent latencies."""
LAT_MEAN = math.exp(_LAT_MU + _LAT_SIGMA**2 / 2)
LAT_P50 = math.exp(_LAT_MU)
LAT_P95 = math.exp(_LAT_MU + _LAT_SIGMA * _Z95)
EXP_P95 = -math.log(0.05) * 500.0  # exponential, mean 500
LIKERT = ((1.0, 0.05), (2.0, 0.10), (3.0, 0.20), (4.0, 0.35), (5.0, 0.30))
LIKERT_MEAN = sum(v * p for v, p in LIKERT)
BUCKET = 250.0
"""Latencies reported in 250 ms buckets: a percentile with ties."""


def _bucketed_p95() -> float:
    """The 95th percentile of bucketed lognormal latencies: the first bucket at or past 0.95."""
    dist = statistics.NormalDist(_LAT_MU, _LAT_SIGMA)
    k = 1
    while dist.cdf(math.log(k * BUCKET)) < 0.95:
        k += 1
    return k * BUCKET


BUCKET_P95 = _bucketed_p95()


def _iid(draw: Callable[[random.Random], float]) -> Draw:
    return lambda rng, n: ([draw(rng) for _ in range(n)], None)


def _bernoulli(p: float) -> Draw:
    return _iid(lambda rng: float(rng.random() < p))


def _likert(rng: random.Random) -> float:
    u, acc = rng.random(), 0.0
    for value, p in LIKERT:
        acc += p
        if u < acc:
            return value
    return LIKERT[-1][0]


def _paired_rates(both: float, a_only: float, b_only: float) -> Draw:
    """Pass/fail pairs (baseline, candidate) from the paired table's cell probabilities."""

    def draw(rng: random.Random, n: int) -> tuple[list[float], list[float] | None]:
        base, cand = [], []
        for _ in range(n):
            u = rng.random()
            pair = (
                (1, 1)
                if u < both
                else (1, 0)
                if u < both + a_only
                else ((0, 1) if u < both + a_only + b_only else (0, 0))
            )
            base.append(float(pair[0]))
            cand.append(float(pair[1]))
        return cand, base

    return draw


def _shifted(base: Callable[[random.Random], float], shift: float) -> Draw:
    """Baseline and candidate drawn independently; the candidate moved by ``shift``."""

    def draw(rng: random.Random, n: int) -> tuple[list[float], list[float] | None]:
        a = [base(rng) for _ in range(n)]
        return [base(rng) + shift for _ in range(n)], a

    return draw


def _scaled(base: Callable[[random.Random], float], factor: float, noise: float) -> Draw:
    """A candidate proportionally slower on the same cases (skewed paired differences)."""

    def draw(rng: random.Random, n: int) -> tuple[list[float], list[float] | None]:
        a = [base(rng) for _ in range(n)]
        return [x * factor * rng.lognormvariate(0, noise) for x in a], a

    return draw


def _normal_pair(mu: float, sigma: float, shift: float, noise: float) -> Draw:
    """A score per case shared by both releases, plus noise; the candidate moved by ``shift``."""

    def draw(rng: random.Random, n: int) -> tuple[list[float], list[float] | None]:
        a = [rng.gauss(mu, sigma) for _ in range(n)]
        return [x + shift + rng.gauss(0, noise) for x in a], a

    return draw


def _lognormal_noise_mean(noise: float) -> float:
    return math.exp(noise**2 / 2)


LAT = _lognormal(_LAT_MU, _LAT_SIGMA)
EXP = lambda rng: rng.expovariate(1 / 500.0)  # noqa: E731
BUCKETED = lambda rng: max(1.0, math.ceil(LAT(rng) / BUCKET)) * BUCKET  # noqa: E731
MARGIN_MS = 100.0
SCALE_NOISE = 0.2
SCALE = 1 + MARGIN_MS / (LAT_MEAN * _lognormal_noise_mean(SCALE_NOISE))
"""The factor that makes a proportionally slower candidate's mean exactly MARGIN_MS worse."""


def scenarios() -> list[Scenario]:
    """Every simulated metric, in the order of the published table."""
    out: list[Scenario] = []
    for mode in ("confident", "point"):
        out += [
            Scenario(
                "pass rate >= 0.85",
                mode,
                "rate",
                f"target: '>= 0.85', gate: {mode}",
                _bernoulli(0.85),
                _bernoulli(0.95),
            ),
            Scenario(
                "error rate <= 0.10",
                mode,
                "rate",
                f"target: '<= 0.10', gate: {mode}",
                _bernoulli(0.10),
                _bernoulli(0.02),
            ),
            Scenario(
                "normal score, mean >= 0.7",
                mode,
                "mean",
                f"aggregate: mean, target: '>= 0.7', gate: {mode}",
                _iid(lambda rng: rng.gauss(0.7, 0.2)),
                _iid(lambda rng: rng.gauss(0.8, 0.2)),
            ),
            Scenario(
                "1-5 rating, mean >= its mean",
                mode,
                "mean",
                f"aggregate: mean, target: '>= {LIKERT_MEAN}', gate: {mode}",
                _iid(_likert),
                _iid(lambda rng: min(5.0, _likert(rng) + 1.0)),
            ),
            Scenario(
                "lognormal latency, mean <=",
                mode,
                "mean",
                f"aggregate: mean, target: '<= {LAT_MEAN!r}', gate: {mode}",
                _iid(LAT),
                _iid(lambda rng: LAT(rng) * 0.6),
                ceiling=0.09,
            ),
            Scenario(
                "lognormal latency, p50 <=",
                mode,
                "p50",
                f"aggregate: p50, target: '<= {LAT_P50!r}', gate: {mode}",
                _iid(LAT),
                _iid(lambda rng: LAT(rng) * 0.6),
            ),
            Scenario(
                "lognormal latency, p95 <=",
                mode,
                "p95",
                f"aggregate: p95, target: '<= {LAT_P95!r}', gate: {mode}",
                _iid(LAT),
                _iid(lambda rng: LAT(rng) * 0.6),
            ),
            Scenario(
                "exponential cost, p95 <=",
                mode,
                "p95",
                f"aggregate: p95, target: '<= {EXP_P95!r}', gate: {mode}",
                _iid(EXP),
                _iid(lambda rng: EXP(rng) * 0.6),
            ),
            Scenario(
                "latency in 250 ms buckets, p95 <=",
                mode,
                "p95",
                f"aggregate: p95, target: '<= {BUCKET_P95!r}', gate: {mode}",
                _iid(BUCKETED),
                _iid(lambda rng: BUCKETED(rng) * 0.5),
            ),
        ]
    ni = "gate: non_inferior"
    out += [
        Scenario(
            "pass rate, candidate 5 points worse",
            "non_inferior",
            "rate",
            f"margin: 0.05, {ni}",
            _paired_rates(0.75, 0.10, 0.05),
            _paired_rates(0.80, 0.05, 0.05),
        ),
        Scenario(
            "normal score, candidate 0.05 worse",
            "non_inferior",
            "mean",
            f"aggregate: mean, margin: 0.05, {ni}",
            _normal_pair(0.7, 0.2, -0.05, 0.1),
            _normal_pair(0.7, 0.2, 0.0, 0.1),
        ),
        Scenario(
            "latency mean, candidate 100 ms slower",
            "non_inferior",
            "mean",
            f"aggregate: mean, margin: {MARGIN_MS}, better: lower, {ni}",
            _shifted(LAT, MARGIN_MS),
            _shifted(LAT, -MARGIN_MS),
        ),
        Scenario(
            "latency mean, candidate proportionally slower",
            "non_inferior",
            "mean",
            f"aggregate: mean, margin: {MARGIN_MS}, better: lower, {ni}",
            _scaled(LAT, SCALE, SCALE_NOISE),
            _scaled(LAT, 0.8, SCALE_NOISE),
            ceiling=0.10,
        ),
        Scenario(
            "latency p50, candidate 100 ms slower",
            "non_inferior",
            "p50",
            f"aggregate: p50, margin: {MARGIN_MS}, better: lower, {ni}",
            _shifted(LAT, MARGIN_MS),
            _shifted(LAT, -2 * MARGIN_MS),
        ),
        Scenario(
            "latency p95, candidate 100 ms slower",
            "non_inferior",
            "p95",
            f"aggregate: p95, margin: {MARGIN_MS}, better: lower, {ni}",
            _shifted(LAT, MARGIN_MS),
            _shifted(LAT, -6 * MARGIN_MS),
        ),
    ]
    return out


@cache
def _criteria(metric: str) -> Criteria:
    return parse_criteria(f"metrics:\n  m: {{source: m, {metric}}}\n")


_SCORE = Score.model_construct(name="m", value=0.0, passed=None, layer="check", error=None)
_RESULT = CaseResult.model_construct(case_id="c0", case_hash="h", error=None, trace=None, scores=[])


def _results(values: Sequence[float], rate: bool) -> list[CaseResult]:
    # Copies of one constructed result: the simulation builds millions of these, validation
    # is not under test, and model_copy is five times cheaper than model_construct.
    return [
        _RESULT.model_copy(
            update={
                "case_id": f"c{i}",
                "scores": [
                    _SCORE.model_copy(update={"value": v, "passed": (v == 1.0) if rate else None})
                ],
            }
        )
        for i, v in enumerate(values)
    ]


def passes(scenario: Scenario, n: int, *, on_target: bool, reps: int) -> list[bool]:
    """The gate's verdict on each of ``reps`` seeded runs of ``n`` cases, in order: the
    first ``k`` verdicts of a longer simulation are those of ``k`` runs."""
    draw = scenario.on_target if on_target else scenario.good
    rng = random.Random(f"{scenario.name}|{scenario.mode}|{n}|{on_target}")
    criteria = _criteria(scenario.metric)
    rate = scenario.aggregate == "rate"
    out = []
    for _ in range(reps):
        cand, base = draw(rng, n)
        baseline = _results(base, rate) if base is not None else None
        out.append(evaluate_gate(criteria, _results(cand, rate), baseline=baseline).passed)
    return out


def pass_rate(scenario: Scenario, n: int, *, on_target: bool, reps: int) -> float:
    """The share of ``reps`` seeded runs of ``n`` cases that the gate passes."""
    return sum(passes(scenario, n, on_target=on_target, reps=reps)) / reps


def tolerance(nominal: float, reps: int) -> float:
    """Nominal level plus three Monte-Carlo standard errors: the most a valid gate shows."""
    return nominal + 3 * math.sqrt(nominal * (1 - nominal) / reps)


Cell = tuple[int, int, bool]
"""(scenario index, n, on_target)."""


def _cell(args: tuple[int, int, bool, int]) -> list[bool]:
    index, n, on_target, reps = args
    return passes(scenarios()[index], n, on_target=on_target, reps=reps)


def _lower_priority(nice: int) -> None:
    os.nice(nice)  # a no-op for 0


def _cost(job: tuple[int, int, bool, int]) -> float:
    """Rough milliseconds of one cell (measured): intervals of means resample, paired
    percentiles permute; the rest is a few order statistics."""
    index, n, _, reps = job
    s = scenarios()[index]
    per_run = 0.1 + 0.006 * n
    if s.aggregate == "mean":
        per_run = 2.5 + 0.14 * n
    elif s.mode == "non_inferior" and s.aggregate in ("p50", "p95"):
        per_run = 0.34 * n
    return reps * per_run


def _first_of(*futures: Future[list[bool]]) -> Future[list[bool]]:
    """A future with the outcome of whichever of ``futures`` completes first."""
    out: Future[list[bool]] = Future()
    lock = threading.Lock()

    def settle(done: Future[list[bool]]) -> None:
        with lock:
            if out.done() or done.cancelled():
                return
            error = done.exception()
            if error is None:
                out.set_result(done.result())
            else:
                out.set_exception(error)

    for future in futures:
        future.add_done_callback(settle)
    return out


class Simulation:
    """Cells simulated in worker processes, started at once; :meth:`result` waits for them.

    With ``nice`` the workers run at lower priority: started early, they use the CPU that
    other work leaves idle (the test suite starts them when it collects the gate-validity
    tests, and runs those last). Once :meth:`result` is waited on, the cells not done yet
    also go to workers of normal priority, so a busy machine does not starve the wait. The
    verdicts are seeded: whichever worker finishes a cell first gives the same ones.
    """

    def __init__(self, reps: dict[Cell, int], workers: int = 2, *, nice: int = 0) -> None:
        self._workers = workers
        self._nice = nice
        # Longest first, so no worker is left with a long tail.
        self._jobs = sorted(((*cell, r) for cell, r in reps.items()), key=_cost, reverse=True)
        self._pools = [self._pool(nice)]
        self._futures: dict[Cell, Future[list[bool]]] = {}
        for i, n, on, r in self._jobs:
            self._futures[(i, n, on)] = self._pools[0].submit(_cell, (i, n, on, r))

    def _pool(self, nice: int) -> ProcessPoolExecutor:
        # spawn, not fork: the parent (pytest) may already have threads
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_lower_priority,
            initargs=(nice,),
        )

    def result(self) -> dict[Cell, list[bool]]:
        """The verdicts of ``reps[cell]`` runs of each cell (re-raises a worker's error)."""
        try:
            if self._nice:
                self._hurry()
            return {cell: future.result() for cell, future in self._futures.items()}
        finally:
            self.cancel()

    def _hurry(self) -> None:
        pool = self._pool(0)
        self._pools.append(pool)
        for i, n, on, r in self._jobs:
            slow = self._futures[(i, n, on)]
            if slow.done():
                continue
            fast = pool.submit(_cell, (i, n, on, r))
            self._futures[(i, n, on)] = fast if slow.cancel() else _first_of(slow, fast)

    def cancel(self) -> None:
        """Drop the cells not done and stop the workers."""
        for pool in self._pools:
            # a low-priority copy of a cell may still be running: nobody needs it now (and
            # the interpreter would wait for it at exit). shutdown() forgets the processes.
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()


def simulate(reps: dict[Cell, int], workers: int = 2) -> dict[Cell, list[bool]]:
    """The verdicts of ``reps[cell]`` runs of each cell, over ``workers`` processes."""
    return Simulation(reps, workers).result()


def table(reps: int, good_reps: int, workers: int = 2) -> dict[Cell, float]:
    """Every scenario × n, on the target and on the good side: (index, n, on_target) -> rate."""
    cells = {
        (i, n, on): reps if on else good_reps
        for i in range(len(scenarios()))
        for n in NS
        for on in (True, False)
    }
    return {cell: sum(v) / len(v) for cell, v in simulate(cells, workers).items()}


def markdown(rates: dict[tuple[int, int, bool], float], reps: int, good_reps: int) -> str:
    """The table for docs/criteria.md."""
    head = "| gate | metric | aggregate | " + " | ".join(f"n={n}" for n in NS) + " |"
    lines = [head, "|---|---|---|" + "---:|" * len(NS)]
    for i, s in enumerate(scenarios()):
        cells = []
        for n in NS:
            bad, good = rates[(i, n, True)], rates[(i, n, False)]
            cells.append(f"{bad:.1%} / {good:.0%}")
        name = f"{s.name} †" if s.ceiling is not None and s.mode in NOMINAL else s.name
        lines.append(f"| {s.mode} | {name} | {s.aggregate} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Each cell: false passes with the truth on the target ({reps:,} runs) / passes with "
        f"the truth on the good side ({good_reps:,} runs)."
    )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    """``[REPS [GOOD_REPS [JSON_FILE]]]``: print the Markdown table; save the rates as JSON."""
    reps = int(argv[0]) if argv else 2000
    good_reps = int(argv[1]) if len(argv) > 1 else 500
    rates = table(reps, good_reps)
    if len(argv) > 2:
        rows = [[i, n, on, r] for (i, n, on), r in rates.items()]
        Path(argv[2]).write_text(json.dumps(rows))
    print(markdown(rates, reps, good_reps))


if __name__ == "__main__":
    main(sys.argv[1:])
