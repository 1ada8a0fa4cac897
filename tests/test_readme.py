"""README.md stays true: its two Python examples and the commands between them run as written.

The blocks are read from the README, never copied: the tracing example runs in a fresh
directory (its default store, ``.prodready/prodready.db``), the ``traces`` commands run through
the real CLI on that store, and the evaluation, given the cases and criteria files the README
shows, prints the gate the README shows and exits with its code.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import prodready
from prodready.cli import app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
BLOCKS = [(m[1], m[2]) for m in re.finditer(r"^```([^\n]*)\n(.*?)^```$", README, re.M | re.S)]


def section(title: str) -> list[tuple[str, str]]:
    """The fenced blocks (info string, text) under a ``## title`` heading."""
    body = README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return [(m[1], m[2]) for m in re.finditer(r"^```([^\n]*)\n(.*?)^```$", body, re.M | re.S)]


def cli(line: str) -> list[str]:
    """A documented ``.venv/bin/prodready ...`` line as CLI arguments, comment dropped."""
    program, *args = shlex.split(line, comments=True)
    assert program == ".venv/bin/prodready", line
    return args


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("PRODREADY_STORE_URL", "PRODREADY_RELEASE", "PRODREADY_ENVIRONMENT"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_tracing_then_the_traces_commands_then_the_evaluation_run_as_written(
    workdir: Path,
) -> None:
    (_, trace_code), (_, commands) = section("Trace an agent in five lines")
    (_, eval_code), *files, (_, shown) = section("Evaluate it against success criteria")
    namespace = {"__name__": "readme"}
    exec(compile(trace_code, "README.md", "exec"), namespace)
    prodready.flush(5)

    runner, env = CliRunner(), {"COLUMNS": None, "PRODREADY_STORE_URL": None}
    listing = runner.invoke(app, cli(commands.splitlines()[0]), env=env)
    assert listing.exit_code == 0, listing.output
    row = next(line for line in listing.stdout.splitlines() if " answer " in line)
    for line in commands.splitlines()[1:]:
        args = [row.split()[0] if a == "<trace-id-prefix>" else a for a in cli(line)]
        if args == ["serve"]:  # runs until stopped: tests/cli/test_serve.py starts it
            continue
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, (line, result.output)
        assert "card_status" in result.stdout, (line, result.stdout)

    for info, text in files:  # each block headed with its file name: cases, criteria
        (workdir / info.split()[1]).write_text(text, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        exec(compile(eval_code, "README.md", "exec"), namespace)
    assert out.getvalue() == shown
    assert exited.value.code == 1  # the gate failed, as the README says


def test_every_readme_block_is_one_the_test_above_reads_or_an_install_step() -> None:
    langs = [lang for lang, _ in BLOCKS]
    assert langs == [
        "bash", "python", "bash", "python", "jsonl cases.jsonl", "yaml criteria.yaml", "text",
        "bash",
    ]  # fmt: skip
    assert [len(section(t)) for t in ("Trace an agent in five lines", "Install")] == [2, 1]


def test_the_ci_command_uses_only_options_eval_run_has() -> None:
    from prodready.cli import _eval

    inline = re.search(r"In CI: `(prodready eval run [^`]+)`", README)
    assert inline is not None
    params = typer.main.get_command(_eval.app).commands["run"].params  # type: ignore[attr-defined]
    known = {o for p in params for o in getattr(p, "opts", [])}
    used = {w for w in inline[1].split() if w.startswith("--")}
    assert used and used <= known, used - known


def test_every_extra_the_docs_install_exists_and_the_make_targets_too() -> None:
    root = Path(__file__).parents[1]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(pyproject["project"]["optional-dependencies"])
    pages = [README, *(p.read_text(encoding="utf-8") for p in (root / "docs").glob("*.md"))]
    named = {x for page in pages for m in re.findall(r"prodready\[([\w,]+)\]", page)
             for x in m.split(",")}  # fmt: skip
    assert named and named <= extras, named - extras
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    assert set(re.findall(r"`?make ([\w-]+)", README)) <= targets
