"""A SQLite store holding three realistic traces, and a runner for the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from prodready.cli import app
from prodready.store import Store
from tests.cli.factories import MIN, T1, T2, T3, support_trace


@dataclass
class Seeded:
    url: str
    path: Path
    now_ns: int


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """T1: 10 min ago, ok after a failed tool attempt. T2: 3 h ago, clean, on staging.
    T3: 10 days ago, escalated, so the trace failed."""
    path = tmp_path / "x.db"
    url = f"sqlite:///{path}"
    now = time.time_ns()
    with Store(url) as store:
        store.write_spans(support_trace(T1, now - 10 * MIN))
        store.write_spans(
            support_trace(
                T2,
                now - 180 * MIN,
                release="v1.1.0",
                session="sess-2",
                user="user-2",
                env="staging",
                tool_fails_first=False,
                guardrail=False,
            )
        )
        store.write_spans(
            support_trace(
                T3,
                now - 10 * 24 * 60 * MIN,
                release="v1.1.0",
                session="sess-3",
                user="user-1",
                tool_fails_first=False,
                escalate=True,
            )
        )
    return Seeded(url=url, path=path, now_ns=now)


Invoke = Callable[..., Result]


@pytest.fixture
def cli() -> Invoke:
    """Run ``prodready ARGS...`` in-process, wide enough that tables do not wrap."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        environ = {"COLUMNS": "200", "PRODREADY_STORE_URL": None, **(env or {})}
        return runner.invoke(app, list(args), input=input, env=environ)

    return invoke
