"""The command synopses in docs/cli.md, docs/ci.md and docs/datasets.md name exactly the
commands and options the CLI has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from prodready.cli import app

DOCS = Path(__file__).parents[2] / "docs"
ROOT: Any = typer.main.get_command(app)  # a group: .commands maps names to commands


def synopsis(page: str, first_line: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    return text.split(f"```text\n{first_line}\n", 1)[1].split("```", 1)[0]


def group(name: str) -> Any:
    return ROOT.commands[name]


def options(command: Any) -> set[str]:
    """Its long options, without the ones every command has (help, shell completion)."""
    common = {"--help", "--install-completion", "--show-completion"}
    names = {o for p in command.params for o in [*p.opts, *p.secondary_opts]}
    return {o for o in names if o.startswith("--")} - common


def test_the_cli_page_lists_every_group_and_command() -> None:
    text = synopsis("cli.md", "prodready [--store URL] [--version] COMMAND")
    text = re.sub(r"→ \S+", "", text).replace("|\n", "| ")
    documented = {}
    for line in text.splitlines():
        name, *rest = line.split(None, 1)
        documented[name] = {c.strip() for c in rest[0].split("|")} if rest else set()
    real = {name: set(getattr(c, "commands", ())) for name, c in ROOT.commands.items()}
    assert documented == real
    assert options(ROOT) == {"--store", "--version"}


def test_the_ci_page_lists_every_eval_command_and_option() -> None:
    text = synopsis("ci.md", "prodready [--store URL] eval")
    commands = re.split(r"^  (?=\w)", text, flags=re.M)[1:]
    documented = {c.split()[0]: set(re.findall(r"--[\w-]+", c)) for c in commands}
    eval_group = group("eval")
    assert set(documented) == set(eval_group.commands)
    report_options = {"--junit", "--markdown", "--html", "--trace-url"}
    for name, written in documented.items():
        real = options(eval_group.commands[name])
        shorthand = "[report options]" in next(c for c in commands if c.startswith(name))
        opts = written | report_options if shorthand else written
        assert opts == real, (name, opts ^ real)


def test_the_datasets_page_lists_every_datasets_command_and_option() -> None:
    text = synopsis("datasets.md", "prodready datasets list [--json]")
    text = "prodready datasets list [--json]\n" + text
    commands = re.split(r"^prodready datasets ", text, flags=re.M)[1:]
    documented = {c.split()[0]: set(re.findall(r"--[\w-]+", c)) for c in commands}
    datasets = group("datasets")
    assert set(documented) == set(datasets.commands)
    for name, opts in documented.items():
        real = options(datasets.commands[name])
        assert opts == real, (name, opts ^ real)
