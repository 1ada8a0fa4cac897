"""Output that is not a terminal (a CI log, ``| cat``) is rendered for a log.

Rows are as long as they need and never wrap at 80 columns; no colour codes; an explicit
``COLUMNS`` still sets the width. ``CliRunner`` gives the command a pipe, not a terminal.
"""

from __future__ import annotations

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
