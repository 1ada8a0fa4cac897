"""docs/testing.md: the scripted judge's worked example runs as written, on a free port.

The judge server is the real command in a subprocess; ``prodready eval run`` runs in process
with the environment the server printed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodready.cli import app

DOC = (Path(__file__).parents[2] / "docs" / "testing.md").read_text(encoding="utf-8")
EXAMPLE = DOC.split("### Worked example", 1)[1]
FILES = {m[1]: m[2] for m in re.finditer(r"^```\w+ (\S+)\n(.*?)^```$", EXAMPLE, re.M | re.S)}
CONSOLE = EXAMPLE.split("```console\n", 1)[1].split("```", 1)[0]
PROGRAM = Path(sys.executable).with_name("prodready")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session(port: int) -> list[tuple[str, list[str]]]:
    """The console block as (command, output lines), with the documented port replaced."""
    steps: list[tuple[str, list[str]]] = []
    for line in CONSOLE.replace("8008", str(port)).splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def test_the_worked_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (start, banner), *exports, (run, output), (stop, _) = session(free_port())
    assert start.endswith(" &") and stop == "kill %1"
    argv = [str(PROGRAM), *shlex.split(start.removesuffix(" &"))[1:]]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=os.environ)
    try:
        assert server.stdout is not None
        assert [server.stdout.readline().rstrip("\n") for _ in banner] == banner
        env: dict[str, str | None] = {"PRODREADY_STORE_URL": None, "PRODREADY_RELEASE": None}
        for command, _ in exports:
            key, value = command.removeprefix("export ").split("=", 1)
            env[key] = value
        result = CliRunner().invoke(app, shlex.split(run)[1:], env=env)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    assert result.exit_code == 0, result.output
    gate = output[output.index(next(line for line in output if line.startswith("metric"))) :]
    assert result.stdout.splitlines()[-len(gate) :] == gate
