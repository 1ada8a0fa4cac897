"""docs/architecture.md's layout names packages and modules that exist, and its migration
chain is the one the store ships."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
LAYOUT = DOC.split("```\nsrc/prodready/\n", 1)[1].split("```", 1)[0]
PACKAGE = ROOT / "src" / "prodready"


def entries() -> dict[str, str]:
    """Top-level entry -> its description (continuation lines joined)."""
    found: dict[str, str] = {}
    name = ""
    for line in LAYOUT.splitlines():
        if m := re.match(r"  (\S+)\s+(.*)", line):
            name, found[m[1]] = m[1], m[2]
        else:
            found[name] += " " + line.strip()
    return found


def test_every_package_and_module_the_layout_names_exists() -> None:
    for name, description in entries().items():
        assert (PACKAGE / name).exists(), name
        if not name.endswith("/"):
            continue
        named = re.findall(r"(?<![\w.])(_\w+|\w+\.py|\w+/)(?=[\s,;)]|$)", description)
        for module in named:
            path = PACKAGE / name / module
            assert path.exists() or path.with_suffix(".py").exists(), f"{name}{module}"


def test_the_migration_chain_is_the_one_the_store_ships() -> None:
    shipped = sorted(
        p.name[:4] for p in (PACKAGE / "store" / "migrations" / "versions").glob("0*.py")
    )
    chain = re.search(r"Migrations form one linear chain \((.*?)\)", DOC)
    assert chain is not None
    assert re.findall(r"\b\d{4}\b", chain[1]) == shipped
