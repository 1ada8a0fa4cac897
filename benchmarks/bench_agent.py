"""The Northwind agent's latency per question without an LLM (target: p95 <= 50 ms), and the
cost of each step, over the golden set's 231 questions.

    python benchmarks/bench_agent.py                 # the model northwind demo left in .northwind/
    python benchmarks/bench_agent.py --model DIR     # another trained model
    python benchmarks/bench_agent.py --rounds 3      # each question three times

Tracing is on, into a temporary SQLite store, as in production: the figure includes writing
the spans (on the writer thread). There is no peer to run beside it: no open agent framework
ships a comparable bank agent, so the figure is read against the target, not a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path(".northwind") / "intents.joblib")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    from northwind.agent import Agent, PolicyIndex
    from northwind.bank import Bank, build_bank
    from northwind.golden import load_golden
    from northwind.intents import IntentClassifier
    from prodready import tracing
    from prodready.store import Store

    if not args.model.exists():
        print(f"no model at {args.model}: run `northwind demo` or `northwind intents train`")
        return 2
    classifier = IntentClassifier.load(args.model)
    cases = load_golden()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        tracing.configure(store=store, otlp_endpoint=False)
        agent = Agent(
            bank=Bank(build_bank(Path(tmp) / "bank.sqlite")),
            classifier=classifier,
            index=PolicyIndex(),
            env={},
        )
        for case in cases[:20]:  # warm-up: imports, caches, the first MiniLM calls
            agent(**case.input)  # type: ignore[arg-type]
        total: list[float] = []
        classify: list[float] = []
        for _ in range(args.rounds):
            for case in cases:
                text = case.input["text"]  # type: ignore[index]
                started = time.perf_counter()
                agent(text=text, customer=case.input["customer"])  # type: ignore[index]
                total.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                classifier.predict_proba([text])
                classify.append((time.perf_counter() - started) * 1000)
        tracing.shutdown()
    load = os.getloadavg()[0]
    print(f"Northwind agent, {len(total)} questions (golden set), model {args.model}")
    print(f"embeddings: {classifier.uses_embeddings}; load average (1 min) {load:.2f}")
    print(f"{'':24}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in (("whole turn", total), ("intent classifier", classify)):
        print(
            f"{name:24}{_percentile(values, 0.5):>10.1f}{_percentile(values, 0.95):>10.1f}"
            f"{_percentile(values, 0.99):>10.1f}{statistics.fmean(values):>10.1f}"
        )
    p95 = _percentile(total, 0.95)
    print(f"target p95 <= 50 ms: {'met' if p95 <= 50 else 'NOT met'} ({p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
