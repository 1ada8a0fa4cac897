"""Helpers shared by the benchmarks: fresh-process workers, statistics, tables, PostgreSQL.

Every measured case runs in a fresh interpreter (``python bench_x.py --worker CASE ...``)
because OpenTelemetry's global tracer provider cannot be reset; the worker prints one JSON
line and the parent aggregates. Nothing here imports prodready, so workers pay only for
what they measure.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"
PG_URL = os.environ.get("PRODREADY_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
RESULT_PREFIX = "BENCH-RESULT "


# --- workers -------------------------------------------------------------------------------


class WorkerError(RuntimeError):
    """A benchmark worker process failed or printed no result."""


def run_worker(script: Path, args: Sequence[str], *, timeout: float = 600.0) -> dict[str, Any]:
    """Run ``script --worker ARGS`` in a fresh interpreter and return the JSON it reports."""
    cmd = [sys.executable, str(script), "--worker", *args]
    env = os.environ | {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    # A scratch working directory: peers write relative paths (MLflow's ./mlruns).
    with tempfile.TemporaryDirectory(prefix="bench-cwd-") as cwd:
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise WorkerError(f"{' '.join(args)}: timed out after {timeout:.0f}s") from exc
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
    raise WorkerError(f"{' '.join(args)}: exit {proc.returncode}, no result\n{tail}")


def report_result(result: dict[str, Any]) -> None:
    """What a worker calls last: one JSON line the parent picks out of stdout."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def hard_exit(code: int = 0) -> None:
    """Leave without atexit hooks (peers' shutdown can block for many seconds)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# --- statistics ----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def fmt(value: float, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- tables and reports --------------------------------------------------------------------


@dataclass
class Table:
    """A markdown table; numeric-looking columns are right-aligned."""

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str = ""

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        align = ["---:" if self._numeric(i) else "---" for i in range(len(self.headers))]
        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join(align) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        return "\n".join(lines)

    def _numeric(self, col: int) -> bool:
        cells = [r[col] for r in self.rows if col < len(r) and r[col] not in ("", "n/a")]
        if not cells:
            return False
        stripped = [c.replace(",", "").replace("%", "").replace("x", "") for c in cells]
        return all(_is_number(c.split()[0]) for c in stripped if c.split())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class Report:
    """One benchmark's output: tables and notes, printed and collected by ``run_all``."""

    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def markdown(self) -> str:
        parts = [f"## {self.title}", ""]
        for table in self.tables:
            parts += [table.markdown(), ""]
        if self.notes:
            parts += [f"- {note}" for note in self.notes] + [""]
        parts.append(f"_(ran in {self.elapsed_s:.0f} s)_")
        return "\n".join(parts)


def environment_line() -> str:
    """Machine and versions, printed with every result."""
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()} · "
        f"{os.cpu_count()} cores · CPython {platform.python_version()} · "
        f"SQLite {sqlite3.sqlite_version} · {versions_text(['prodready', 'opentelemetry-sdk'])} · "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def versions(dists: Sequence[str]) -> dict[str, str]:
    out = {}
    for dist in dists:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def versions_text(dists: Sequence[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions(dists).items())


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


# --- networking and PostgreSQL ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen[Any] | None = None
) -> None:
    """Block until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise WorkerError(f"server exited with code {process.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def failure(exc: BaseException) -> str:
    """A one-line reason for a case that could not be measured."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:200]}"


def pg_available(url: str = PG_URL) -> str | None:
    """``None`` if PostgreSQL answers at ``url``, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip()[:120]}"
    return None


@contextmanager
def pg_schema(url: str = PG_URL, prefix: str = "bench") -> Iterator[tuple[str, str]]:
    """A fresh schema, dropped afterwards; yields (schema, URL whose search_path is it)."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    try:
        yield schema, f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def text_pool(rng: random.Random, words: Sequence[str], n: int = 256) -> list[str]:
    """``n`` free texts of 1-4 KB made of ``words`` (so they compress as prose does, in
    PostgreSQL's TOAST and in OTLP's gzip alike): the realistic payloads of LLM spans."""
    out = []
    for _ in range(n):
        size = rng.randint(1024, 4096)
        chosen: list[str] = []
        length = 0
        while length < size:
            w = rng.choice(words)
            chosen.append(w)
            length += len(w) + 1
        out.append(" ".join(chosen))
    return out
