"""Northwind Bank's policy documents: Markdown files with YAML front matter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

_REQUIRED = ("id", "version", "effective_date", "owner", "intents")


class PolicyError(ValueError):
    """A policy document is malformed; the message starts with ``file:line:``."""


@dataclass(frozen=True, kw_only=True)
class Policy:
    """One policy document: its front matter, title and Markdown body."""

    id: str
    version: str
    effective_date: date
    owner: str
    intents: tuple[str, ...]
    title: str
    body: str
    path: Path


def banking77_intents() -> list[str]:
    """BANKING77's 77 intent names, in the dataset's order."""
    text = resources.files("northwind").joinpath("data/banking77/categories.json").read_text()
    names: list[str] = json.loads(text)
    return names


def parse_policy(path: Path, *, intents: frozenset[str] | None = None) -> Policy:
    """Parse one document; raise :class:`PolicyError` naming ``path:line`` on any defect.

    ``intents`` is the set of known intent names (BANKING77's by default).
    """
    known = frozenset(banking77_intents()) if intents is None else intents
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        raise PolicyError(f"{path}:1: a policy document starts with '---' (YAML front matter)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise PolicyError(f"{path}:1: front matter is not closed by a '---' line") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark is not None else 1
        raise PolicyError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    if not isinstance(meta, dict):
        raise PolicyError(f"{path}:2: front matter must be a mapping of fields")

    def line_of(key: str) -> int:
        return next((i + 1 for i in range(1, end) if lines[i].startswith(f"{key}:")), 1)

    for key in _REQUIRED:
        if key not in meta:
            raise PolicyError(f"{path}:1: front matter lacks the field '{key}'")
    for key in ("id", "owner"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise PolicyError(f"{path}:{line_of(key)}: '{key}' must be a non-empty string")
    version = meta["version"]
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        raise PolicyError(f"{path}:{line_of('version')}: 'version' must be a string")
    effective = meta["effective_date"]
    if not isinstance(effective, date):
        raise PolicyError(
            f"{path}:{line_of('effective_date')}: 'effective_date' must be a date (YYYY-MM-DD)"
        )
    listed = meta["intents"]
    if not isinstance(listed, list) or not listed or not all(isinstance(i, str) for i in listed):
        raise PolicyError(
            f"{path}:{line_of('intents')}: 'intents' must be a non-empty list of intent names"
        )
    for name in listed:
        if name not in known:
            line = next((i + 1 for i in range(1, end) if name in lines[i]), line_of("intents"))
            raise PolicyError(f"{path}:{line}: unknown intent {name!r} (not a BANKING77 intent)")
    body_lines = lines[end + 1 :]
    title = ""
    if body_lines and body_lines[0].startswith("# "):
        title = body_lines[0][2:].strip()
        body_lines = body_lines[1:]
    return Policy(
        id=meta["id"],
        version=str(version),
        effective_date=effective,
        owner=meta["owner"],
        intents=tuple(listed),
        title=title,
        body="\n".join(body_lines).strip() + "\n",
        path=path,
    )


def load_policies(directory: Path | None = None) -> list[Policy]:
    """Every policy document (``*.md``) in ``directory``, sorted by id.

    By default the documents shipped with northwind. Raises :class:`PolicyError` naming the
    file and line of the first defect, or when two documents share an id.
    """
    if directory is None:
        directory = Path(str(resources.files("northwind.bank").joinpath("policies")))
    policies = [parse_policy(path) for path in sorted(directory.glob("*.md"))]
    seen: dict[str, Path] = {}
    for policy in policies:
        if policy.id in seen:
            raise PolicyError(
                f"{policy.path}:2: id {policy.id!r} is already used by {seen[policy.id]}"
            )
        seen[policy.id] = policy.path
    return sorted(policies, key=lambda p: p.id)
