"""`prodready serve`: only its help and the missing-extra path (the server has its own tests)."""

from __future__ import annotations

import sys

import pytest

from tests.cli.conftest import Invoke


def test_serve_help_lists_its_options(cli: Invoke) -> None:
    result = cli("serve", "--help")
    assert result.exit_code == 0
    assert "--host" in result.stdout and "--port" in result.stdout
    assert "--log-level" in result.stdout


def test_serve_without_server_extra_exits_2_saying_what_to_install(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "prodready.server", None)  # makes the import fail
    result = cli("serve")
    assert result.exit_code == 2
    assert 'pip install "prodready[server]"' in result.stderr
    assert "Traceback" not in result.output


def test_serve_rejects_port_out_of_range(cli: Invoke) -> None:
    assert cli("serve", "--port", "70000").exit_code == 2
