"""docs/architecture.md's layout names packages and modules that exist, and its migration
branches are the ones the store ships."""

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


def test_the_migration_branches_are_the_ones_the_store_ships() -> None:
    from prodready.store._migrations import migration_branches, script_directory

    script = script_directory()
    shipped = {
        b.label: sorted(r.revision for r in script.walk_revisions() if b.label in r.branch_labels)
        for b in migration_branches()
    }
    row = re.search(
        r"Migrations form one Alembic branch per pillar, beside its code \((.*?)\)", DOC
    )
    assert row is not None
    described = {
        label.strip(): re.findall(r"\b(?:[a-z]+_)?\d{4}\b", revisions)
        for label, revisions in (part.split(":", 1) for part in row[1].split(";"))
    }
    assert described == shipped
