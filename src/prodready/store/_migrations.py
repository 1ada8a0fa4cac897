"""Migration branches: one Alembic branch per pillar, all in one ``alembic_version`` table.

The store's core tables (traces, spans, span logs) are the ``store`` branch, in
``prodready/store/migrations/versions``. A prodready pillar that owns tables ships its own
branch beside its code, as ``prodready/<pillar>/migrations/`` (a package with ``metadata``,
the SQLAlchemy ``MetaData`` of exactly the branch's tables, and a ``versions/`` directory):
the store finds these in its own installation's files, so they never depend on installed
package metadata (a stale editable install, or prodready run from a source tree, would
otherwise lose a pillar's tables). A package outside prodready (an agent, a plugin) adds a
branch with an entry point in the ``prodready.migrations`` group::

    [project.entry-points."prodready.migrations"]
    northwind = "northwind.migrations"

The branch label is the pillar's directory name, or the entry point's name: the branch's
first revision has ``down_revision = None`` and ``branch_labels = ("<name>",)``; revision
ids are unique across branches (``<name>_0001``, ...; the core's are ``0001``...).
:class:`~prodready.store.Database` runs them with Alembic, one ``version_locations`` entry per
branch, to ``heads``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData

from prodready.store._database import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection

ENTRY_POINT_GROUP = "prodready.migrations"
"""The entry-point group a pillar registers its migration branch in."""

CORE_BRANCH = "store"
"""The core branch's label: traces, spans, span logs."""

_CORE_MODULE = "prodready.store.migrations"
_SCRIPT_LOCATION = Path(__file__).parent / "migrations"  # env.py and script.py.mako


@dataclass(frozen=True)
class MigrationBranch:
    """One pillar's chain of migrations."""

    label: str
    """The branch label (``store``, ``evaluation``, ``tasks``...)."""
    module: str
    """The module holding ``metadata``, with ``versions/`` beside it."""
    versions: Path
    """The directory of the branch's revision files."""

    @property
    def metadata(self) -> MetaData:
        """The branch's tables, as its models declare them."""
        metadata = getattr(importlib.import_module(self.module), "metadata", None)
        if not isinstance(metadata, MetaData):
            raise StoreError(
                f"migration branch {self.label!r}: {self.module}.metadata is not a "
                "sqlalchemy MetaData"
            )
        return metadata


@functools.cache
def migration_branches() -> tuple[MigrationBranch, ...]:
    """Every installed branch: the core ``store`` branch first, then each pillar's, by label."""
    branches = [MigrationBranch(CORE_BRANCH, _CORE_MODULE, _SCRIPT_LOCATION / "versions")]
    branches += _builtin_branches()
    taken = {b.label: b.module for b in branches}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        where = f"entry point {ep.name} = {ep.value!r} (group {ENTRY_POINT_GROUP})"
        if taken.get(ep.name) == ep.value:
            continue  # a prodready pillar's, registered by an older install: found above
        if ep.name in taken:
            raise StoreError(f"{where}: the label {ep.name!r} is taken by {taken[ep.name]}")
        try:
            spec = importlib.util.find_spec(ep.value)
        except ImportError as exc:
            raise StoreError(f"{where}: cannot import it ({exc})") from exc
        if spec is None or spec.origin is None:
            raise StoreError(f"{where}: no such module")
        versions = Path(spec.origin).parent / "versions"
        if not versions.is_dir():
            raise StoreError(f"{where}: no versions/ directory at {versions}")
        branches.append(MigrationBranch(ep.name, ep.value, versions))
        taken[ep.name] = ep.value
    return tuple(branches)


def _builtin_branches() -> list[MigrationBranch]:
    """The branches of prodready's own pillars: each ``prodready/<pillar>/migrations/``
    package with a ``versions/`` directory, found on disk (no import, no package metadata)."""
    package = _SCRIPT_LOCATION.parent.parent  # .../prodready
    found = []
    for pillar in sorted(p for p in package.iterdir() if p.is_dir() and p.name != "store"):
        migrations = pillar / "migrations"
        if (migrations / "__init__.py").is_file() and (migrations / "versions").is_dir():
            module = f"prodready.{pillar.name}.migrations"
            found.append(MigrationBranch(pillar.name, module, migrations / "versions"))
    return found


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration over every branch, running on ``connection``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join(str(b.versions) for b in migration_branches())
    )
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def script_directory() -> ScriptDirectory:
    """Every branch's revisions (read once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@functools.cache
def shipped_heads() -> dict[str, str]:
    """Each branch's newest revision, by label."""
    script = script_directory()
    heads: dict[str, str] = {}
    for head in script.get_heads():
        label = branch_of(head)
        if label in heads:
            raise StoreError(
                f"migration branch {label!r} has two heads ({heads[label]}, {head}): "
                "a revision's down_revision must name the branch's previous head"
            )
        heads[label] = head
    missing = [b.label for b in migration_branches() if b.label not in heads]
    if missing:
        raise StoreError(
            f"migration branches {missing} have no revision labelled with their name "
            '(the first revision needs branch_labels = ("<name>",))'
        )
    return {b.label: heads[b.label] for b in migration_branches()}


def branch_of(revision: str) -> str:
    """The label of the branch ``revision`` belongs to.

    A revision this version of prodready does not ship (a newer one wrote it) is placed by the
    naming convention: ``<label>_NNNN``, or the core's bare ``NNNN``.
    """
    from alembic.util import CommandError

    labels = {b.label for b in migration_branches()}
    try:
        script = script_directory().get_revision(revision)
    except CommandError:
        script = None
    if script is not None:
        found = sorted(set(script.branch_labels) & labels)
        if found:
            return found[0]
    prefix, sep, _ = revision.rpartition("_")
    return prefix if sep else CORE_BRANCH


def known(revision: str) -> bool:
    """This version of prodready ships ``revision``."""
    from alembic.util import CommandError

    try:
        return script_directory().get_revision(revision) is not None
    except CommandError:
        return False


def current_revisions(connection: Connection) -> dict[str, str | None]:
    """The revision each branch is at (``None``: not created yet), by label."""
    from alembic.runtime.migration import MigrationContext

    out: dict[str, str | None] = {b.label: None for b in migration_branches()}
    for revision in MigrationContext.configure(connection).get_current_heads():
        out[branch_of(revision)] = revision
    return out


def target_metadata() -> list[MetaData]:
    """Every branch's metadata (Alembic's ``target_metadata``)."""
    return [b.metadata for b in migration_branches()]


def drift(connection: Connection) -> dict[str, list[Any]]:
    """What differs between each branch's ``metadata`` and the database, by label (empty
    lists: the models and the migrations agree), as Alembic's ``compare_metadata`` sees it.

    Each branch is compared on its own tables only. An object whose ``info["dialects"]``
    names dialects (``ix_spans_attributes``: PostgreSQL only) is compared on those only.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    dialect = connection.dialect.name
    out: dict[str, list[Any]] = {}
    for branch in migration_branches():
        metadata = branch.metadata
        tables = set(metadata.tables)

        def include_name(
            name: str | None, type_: str, _parents: Any, tables: set[str] = tables
        ) -> bool:
            return type_ != "table" or name in tables

        def include_object(
            obj: Any, _name: str | None, _type: str, _reflected: bool, _compare_to: Any
        ) -> bool:
            dialects = getattr(obj, "info", {}).get("dialects")
            return dialects is None or dialect in dialects

        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": include_name,
                "include_object": include_object,
                "compare_type": True,
            },
        )
        out[branch.label] = list(compare_metadata(context, metadata))
    return out
