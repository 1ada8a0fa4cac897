"""Output that is not a terminal (a CI log, ``| cat``) is rendered for a log.

Rows are as long as they need and never wrap at 80 columns; no colour codes; an explicit
``COLUMNS`` still sets the width. ``CliRunner`` gives the command a pipe, not a terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from tests.cli.conftest import Seeded
from tests.cli.factories import T1
from tests.cli.test_eval import root_app, write_project

LONG_METRIC = "correctness_of_answers_about_international_transfer_fees_and_card_limits"
NOT_A_TERMINAL = {"COLUMNS": None, "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def invoke(*args: str, columns: str | None = None) -> Result:
    env = {**NOT_A_TERMINAL, "COLUMNS": columns, "PRODREADY_STORE_URL": None}
    return CliRunner().invoke(root_app(), list(args), env=env)


def test_a_gate_row_longer_than_80_columns_stays_on_one_line(tmp_path: Path) -> None:
    suite = write_project(tmp_path, target=">= 0.95")
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(criteria.read_text().replace("correctness:", f"{LONG_METRIC}:"))
    result = invoke("--store", f"sqlite:///{tmp_path / 's.db'}", "eval", "run", str(suite))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith(LONG_METRIC))
    assert len(row) > 80 and row.split()[1:3] == ["0.85", "[0.64,"] and row.endswith("FAIL")
    reason = next(line for line in lines if line.startswith(f"- {LONG_METRIC}"))
    assert reason.endswith("< target 0.95 (point)")


def test_a_table_wider_than_80_columns_keeps_each_row_on_one_line(seeded: Seeded) -> None:
    result = invoke("--store", seeded.url, "traces", "list", "--full-ids")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith(T1))
    assert len(row) > 80 and row.split()[-2:] == ["v1.2.0", "sess-1"]
    assert len(result.stdout.splitlines()) == 5  # header, three traces, the count


def test_output_for_a_log_has_no_colour_codes(seeded: Seeded) -> None:
    result = invoke("--store", seeded.url, "traces", "show", T1)
    assert result.exit_code == 0 and "\x1b[" not in result.stdout


def test_columns_set_by_the_user_is_still_the_width(seeded: Seeded) -> None:
    result = invoke("--store", seeded.url, "traces", "list", "--full-ids", columns="60")
    assert result.exit_code == 0, result.output
    assert max(map(len, result.stdout.splitlines())) <= 60


def test_a_note_on_standard_error_longer_than_80_columns_stays_on_one_line(
    tmp_path: Path,
) -> None:
    release = "feature-branch-with-a-rather-long-name-" + "x" * 40
    store = f"sqlite:///{tmp_path / 's.db'}"
    suite = write_project(tmp_path)
    result = invoke("--store", store, "eval", "run", str(suite), "--release", release)
    assert result.exit_code == 0, result.output
    header = result.stderr.splitlines()[0]
    assert header.startswith("run ") and header.endswith(f"release {release}, 20 cases")


def test_key_value_and_list_tables_end_their_lines_without_spaces(seeded: Seeded) -> None:
    for args in (["traces", "show", T1], ["traces", "list"], ["store", "info"]):
        result = invoke("--store", seeded.url, *args)
        assert result.exit_code == 0, result.output
        assert [line for line in result.stdout.splitlines() if line != line.rstrip()] == []


def script(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``prodready`` script in a subprocess, its output a pipe, as in a CI log."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_TERMINAL}
    code = "from prodready.cli import main; main()"
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_help_in_a_pipe_is_plain_text_with_no_line_cut_short() -> None:
    result = script("eval", "run", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: prodready eval run [OPTIONS] {SUITE}\n")
    assert "╭" not in result.stdout
    example = "https://obs.example/traces/{trace_id}."
    assert any(line.endswith(example) for line in result.stdout.splitlines())


def test_a_usage_error_in_a_pipe_is_one_plain_line() -> None:
    result = script("eval", "run")
    assert result.returncode == 2
    assert "╭" not in result.stderr
    assert result.stderr.splitlines()[-1] == "Error: Missing argument 'SUITE'."
