"""The Store facade: one object over SQLite or PostgreSQL, used by every pillar.

``Store(url)`` opens the :class:`~prodready.store.Database` every repository shares
(``store.db``), brings every migration branch to its head, and is the trace repository
(:class:`~prodready.store._traces.TraceRepository`): the methods users know
(``list_traces``, ``get_trace``, ``stats``...), with the trace facts monitoring groups by
(:class:`~prodready.store._facts.TraceFactsReader`: ``trace_facts``, ``window_facts``...).
Pillars keep their own repositories over ``store.db`` (docs/architecture.md).
"""

from __future__ import annotations

from sqlalchemy import Engine

from prodready.store._database import Database
from prodready.store._facts import TraceFactsReader
from prodready.store._migrations import CORE_BRANCH
from prodready.store._traces import TraceRepository


class Store(TraceRepository, TraceFactsReader):
    """The system of record: traces and spans, and the database every pillar's tables are in.

    Args:
        url: SQLAlchemy URL; see :func:`resolve_url` for the default. ``sqlite://`` is an
            ephemeral store: a temporary SQLite file deleted when the store is closed or
            garbage-collected (``store.url`` names the file, so other processes can open it).
        migrate: bring the schema to the newest revision on open.
        echo: log every SQL statement.
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True, echo: bool = False):
        super().__init__(Database(url, echo=echo))
        self.url = self.db.url
        if migrate:
            self.migrate()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (``store.db.engine``), for the store package's own use."""
        return self.db.engine

    def __repr__(self) -> str:
        return f"Store({self.db.display_url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every pooled connection (and delete an ephemeral ``sqlite://`` store)."""
        self.db.close()

    # --- schema ------------------------------------------------------------------------------

    def head_revision(self) -> str:
        """The newest revision of the core ``store`` branch this version of prodready ships
        (every branch's: ``store.db.heads()``)."""
        return self.db.heads()[CORE_BRANCH]

    def revision(self) -> str | None:
        """The revision the database's core ``store`` branch is at (``None`` for a blank
        database; every branch's: ``store.db.revisions()``)."""
        return self.db.revisions()[CORE_BRANCH]

    def migrate(self, target: str = "heads") -> str | None:
        """Apply pending migrations of every branch (``store.db.migrate``, which see for
        ``target``); return the core ``store`` branch's revision afterwards (every branch's:
        ``store.db.revisions()``)."""
        return self.db.migrate(target)[CORE_BRANCH]
