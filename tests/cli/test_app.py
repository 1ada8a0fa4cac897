"""The root command: help, version, the entry point, and a light import."""

from __future__ import annotations

import subprocess
import sys

import prodready.cli
from prodready.cli import _store
from prodready.store import URL_ENV
from tests.cli.conftest import Invoke


def test_exports_only_app_and_main() -> None:
    assert prodready.cli.__all__ == ["app", "main"]


def test_help_lists_command_groups(cli: Invoke) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("traces", "store", "serve", "--store"):
        assert command in result.stdout


def test_version_prints_package_version(cli: Invoke) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("prodready 0.")


def test_store_env_var_matches_the_store_package() -> None:
    assert _store.URL_ENV == URL_ENV


def test_console_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from prodready.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "traces" in done.stdout


def test_importing_the_cli_adds_neither_rich_nor_sqlalchemy() -> None:
    code = (
        "import sys, prodready; before = set(sys.modules); import prodready.cli; "
        "print(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] in ('rich', 'sqlalchemy', 'alembic')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
