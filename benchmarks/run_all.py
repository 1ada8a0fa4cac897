"""Run every benchmark, print the tables, write ``benchmarks/results/latest.md``.

    python benchmarks/run_all.py            # full run (~10-15 min on 2 cores)
    python benchmarks/run_all.py --quick    # smoke run of all five (< 3 min once cached)

Peers run beside prodready where installed (``pip install -e '.[bench]'``, which includes
Inspect AI for the eval benchmark); its DeepEval gets a venv of its own, made on first use.

Not part of the tests: numbers depend on the machine and on what else runs on it. Compare
the ratios, which are measured side by side in one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

import bench_eval
import bench_ingest
import bench_intents
import bench_overhead
import bench_query
from _common import RESULTS_DIR, Report, environment_line


def load_note(label: str) -> str:
    one, five, _ = os.getloadavg()
    return f"load average {label}: {one:.2f} (1 min), {five:.2f} (5 min)"


def run_one(name: str, run: Callable[[], Report]) -> Report:
    print(f"[{name}] running ...", file=sys.stderr, flush=True)
    try:
        report = run()
    except Exception:  # one broken benchmark must not hide the others' results
        report = Report(f"{name}: FAILED")
        report.notes.append("```\n" + traceback.format_exc() + "```")
    print(report.markdown() + "\n", flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke run of all five")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL everywhere")
    parser.add_argument("--query-pg", action="store_true", help="also query PostgreSQL (slow)")
    parser.add_argument(
        "--only",
        choices=["overhead", "ingest", "query", "eval", "intents"],
        action="append",
        help="run a subset",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    before = load_note("at start")
    benches: dict[str, Callable[[], Report]] = {
        "overhead": lambda: bench_overhead.run(args.quick),
        "ingest": lambda: bench_ingest.run(args.quick, pg=not args.no_pg),
        "query": lambda: bench_query.run(args.quick, pg=args.query_pg and not args.no_pg),
        "eval": lambda: bench_eval.run(args.quick),
        "intents": lambda: bench_intents.run(args.quick),
    }
    reports = [
        run_one(name, run) for name, run in benches.items() if name in (args.only or benches)
    ]
    elapsed = time.perf_counter() - started
    header = [
        f"# prodready benchmarks ({'quick' if args.quick else 'full'} run)",
        "",
        f"- {environment_line()}",
        f"- {before}; {load_note('at end')}",
        f"- total {elapsed / 60:.1f} min",
        "",
    ]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "latest.md"
    out.write_text("\n".join(header) + "\n\n".join(r.markdown() for r in reports) + "\n")
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"wrote {out} ({stamp}, {elapsed / 60:.1f} min)", file=sys.stderr)
    return 1 if any(r.title.endswith("FAILED") for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
