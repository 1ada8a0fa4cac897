"""One database for every pillar: the engine, transactions, portable writes, errors.

The pillars' repositories (traces here; datasets, runs and scores, the eval cache, human
tasks; later sagas, the registry, the audit log) all go through a :class:`Database`, so the
engine, its dialect quirks and the retry rules live in one place, and nothing outside the
store package touches the engine (docs/architecture.md).

>>> from sqlalchemy import select
>>> db = Database("sqlite://")
>>> with db.begin() as conn:                     # one transaction, committed on exit
...     db.insert_ignore(conn, datasets, [{"name": "support", ...}])
>>> db.transaction(lambda conn: save(conn), retry_on_conflict=5)  # again on a key clash
>>> with db.connect() as conn:                   # reads
...     conn.execute(select(datasets)).all()
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

T = TypeVar("T")

DEFAULT_URL = "sqlite:///.prodready/prodready.db"
URL_ENV = "PRODREADY_STORE_URL"

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
"""Errors that mean "the database is down, locked, restarting or overloaded; try again",
not "this data is wrong" (see :meth:`Database.is_unavailable`)."""

DatabaseError = sa_exc.SQLAlchemyError
"""Base class of every error the database layer raises (SQLAlchemy's ``SQLAlchemyError``):
``except DatabaseError`` catches them without importing SQLAlchemy. Those in
:data:`UNAVAILABLE_ERRORS` mean "try again later"; the rest are bugs or bad data."""


class StoreError(RuntimeError):
    """The store cannot be opened or used as asked (bad URL, missing driver, bad schema)."""


def resolve_url(url: str | None = None) -> str:
    """The store URL: ``url``, else ``$PRODREADY_STORE_URL``, else the local SQLite file.

    ``postgresql://`` and ``postgres://`` URLs use the psycopg 3 driver.
    """
    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact_url(url: str | URL) -> str:
    """``url`` with its password hidden, for messages. Text that does not parse as a URL (say
    a port that is no number) comes back whole, but for any ``user:password@``: ``***@``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        text = str(url)
        scheme, sep, rest = text.partition("://")
        if sep and "@" in rest:
            return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        return text


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite store URL; ``None`` for other databases, in-memory SQLite
    and ``file:`` URIs.

    Raises:
        StoreError: ``url`` is no URL at all.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(
            f"{redact_url(url)!r} is not a URL: use sqlite:///PATH or postgresql://..."
        ) from None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if parsed.query.get("uri") == "true" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


class Database:
    """The engine every repository shares, with the few primitives they all need.

    Args:
        url: SQLAlchemy URL (see :func:`resolve_url`). ``sqlite://`` is ephemeral: a
            temporary SQLite file deleted when the database is closed or garbage-collected
            (``db.url`` names the file, so other processes can open it).
        echo: log every SQL statement.
    """

    def __init__(self, url: str | None = None, *, echo: bool = False):
        self.url, ephemeral = _ephemeral_url(resolve_url(url))
        self._engine = _create_engine(self.url, echo=echo)
        self._cleanup = (
            weakref.finalize(self, _dispose_and_remove, self._engine, ephemeral)
            if ephemeral is not None
            else None
        )
        self.dialect: str = self._engine.dialect.name
        """``sqlite`` or ``postgresql``."""

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine. For the store package's own use: repositories go through
        :meth:`begin`, :meth:`connect` and :meth:`transaction`."""
        return self._engine

    @property
    def display_url(self) -> str:
        """The URL with its password hidden, for messages."""
        return redact_url(self._engine.url)

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    def close(self) -> None:
        """Release every pooled connection (and delete an ephemeral ``sqlite://`` file)."""
        if self._cleanup is not None:
            self._cleanup()
        else:
            self._engine.dispose()

    # --- connections -------------------------------------------------------------------------

    def ping(self) -> None:
        """Check that the database answers a query (``SELECT 1``), for readiness probes.

        Raises:
            DatabaseError: it does not; :meth:`is_unavailable` tells whether to try again.
        """
        with self._engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def begin(self) -> contextlib.AbstractContextManager[Connection]:
        """A connection in one transaction: committed when the block ends, rolled back if
        it raises."""
        return self._engine.begin()

    def connect(self) -> contextlib.AbstractContextManager[Connection]:
        """A connection for reads (no transaction is committed)."""
        return self._engine.connect()

    def transaction(self, work: Callable[[Connection], T], *, retry_on_conflict: int = 0) -> T:
        """Run ``work(conn)`` in one transaction; return what it returns.

        With ``retry_on_conflict=N``, a transaction that fails on a uniqueness clash (a
        concurrent writer took the same key between our read and our write) runs again
        from the start, up to ``N`` more times, after a short random wait (tenacity), so
        ``work`` must read what it decides on inside the transaction. Other errors, and
        the last clash, propagate.
        """
        if retry_on_conflict <= 0:
            with self.begin() as conn:
                return work(conn)
        for attempt in Retrying(
            retry=retry_if_exception_type(sa_exc.IntegrityError),
            stop=stop_after_attempt(retry_on_conflict + 1),
            wait=wait_random_exponential(multiplier=0.005, max=0.2),
            reraise=True,
        ):
            with attempt, self.begin() as conn:
                return work(conn)
        raise AssertionError("unreachable: tenacity reraises the last error")

    # --- portable writes ---------------------------------------------------------------------

    def insert_ignore(
        self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert ``rows``, skipping each whose primary or unique key is already stored
        (``ON CONFLICT DO NOTHING`` on both databases), so concurrent writers of the same
        row never fail each other."""
        if rows:
            conn.execute(self._insert(table).on_conflict_do_nothing(), list(rows))

    def upsert(
        self,
        conn: Connection,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        key: Sequence[str] | None = None,
        update: Sequence[str] | None = None,
    ) -> None:
        """Insert ``rows``, or update the stored row with the same ``key`` (default: the
        primary key): the ``update`` columns (default: every other column the rows carry)
        take the new values (``ON CONFLICT DO UPDATE`` on both databases)."""
        if not rows:
            return
        keys = list(key) if key is not None else [c.name for c in table.primary_key.columns]
        if not keys:
            raise StoreError(f"upsert into {table.name}: the table has no primary key")
        if update is None:
            update = [name for name in rows[0] if name not in keys]
        stmt = self._insert(table)
        if not update:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=keys), list(rows))
            return
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=keys, set_={name: stmt.excluded[name] for name in update}
            ),
            list(rows),
        )

    def _insert(self, table: Table) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    # --- schema ------------------------------------------------------------------------------

    def heads(self) -> dict[str, str]:
        """The newest revision of each migration branch this version of prodready ships, by
        branch label: ``{"store": "0007", "evaluation": "evaluation_0002", ...}`` (the core
        ``store`` branch first; see :mod:`prodready.store._migrations` for how pillars add
        theirs)."""
        from prodready.store import _migrations

        return dict(_migrations.shipped_heads())

    def revisions(self) -> dict[str, str | None]:
        """The revision each migration branch of this database is at, by branch label
        (``None``: the branch's tables are not created yet; every value is ``None`` for a
        blank database). A revision a newer prodready wrote appears under its branch too."""
        from prodready.store import _migrations

        with self.connect() as conn:
            return _migrations.current_revisions(conn)

    def migrate(self, target: str = "heads") -> dict[str, str | None]:
        """Apply pending migrations of every branch, in one transaction; return
        :meth:`revisions` afterwards.

        Args:
            target: an Alembic upgrade target: ``heads`` (every branch at its newest), one
                branch (``evaluation@head``, ``store@0005``) or a revision id (``0005``).

        A database already at every head is left alone without running Alembic (``Store(url)``
        checks on every open). Raises :class:`StoreError` when the database is at a revision
        this version does not ship (a newer prodready migrated it).
        """
        from alembic import command

        from prodready.store import _migrations

        if target == "head":
            target = "heads"  # there is one head per branch
        current = self.revisions()
        if target == "heads" and current == self.heads():
            return current
        unknown = [r for r in current.values() if r is not None and not _migrations.known(r)]
        if unknown:
            raise StoreError(
                f"{self.display_url} is at revision {', '.join(unknown)}, which this version "
                "of prodready does not ship (a newer version migrated it): upgrade prodready"
            )
        with self.begin() as conn:
            command.upgrade(_migrations.alembic_config(conn), target)
        return self.revisions()

    def downgrade(self, target: str) -> dict[str, str | None]:
        """Undo migrations down to ``target`` (``evaluation@base``, ``store@0004``, a revision
        id); return :meth:`revisions` afterwards. Dropping a branch's tables drops their rows:
        for tests and for backing out a failed release, not for routine use."""
        from alembic import command

        from prodready.store import _migrations

        with self.begin() as conn:
            command.downgrade(_migrations.alembic_config(conn), target)
        return self.revisions()

    # --- errors ------------------------------------------------------------------------------

    @staticmethod
    def is_unavailable(exc: BaseException) -> bool:
        """``exc`` means the database is unreachable, locked, restarting or overloaded (try
        again later), not that the data is wrong."""
        return isinstance(exc, UNAVAILABLE_ERRORS)

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        """``exc`` is a uniqueness or constraint clash (a concurrent writer, or bad data)."""
        return isinstance(exc, sa_exc.IntegrityError)


def _create_engine(url: str, *, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo=echo)
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise StoreError(
                'PostgreSQL needs the psycopg driver: pip install "prodready[postgres]"'
            ) from exc
        engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)

        @event.listens_for(engine, "connect")
        def _json_loads(dbapi_conn: Any, _record: Any) -> None:
            # JSONB arrives decoded; orjson does it several times faster than json.loads.
            from psycopg.types.json import set_json_loads

            set_json_loads(orjson.loads, dbapi_conn)

        return engine
    raise StoreError(
        f"unsupported store URL {redact_url(url)!r}: use sqlite:///PATH or postgresql://..."
    )


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path:
        Path(path.split("?", 1)[0]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # Wait up to 30 s for a lock held by another writer, unless the URL says (?timeout=N).
    connect_args = {} if "timeout=" in url else {"timeout": 30}
    engine = create_engine(url, echo=echo, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def _ephemeral_url(url: str) -> tuple[str, Path | None]:
    """``sqlite://`` (or ``:memory:``) becomes a temporary file, removed when closed.

    A true in-memory SQLite database is one connection, and SQLAlchemy shares it between
    threads: the span writer's transactions and a reader's would interleave on it. A
    temporary file gives each thread its own connection with real isolation, at the cost of
    a file in the temp directory.
    """
    if url not in ("sqlite://", "sqlite:///:memory:"):
        return url, None
    fd, name = tempfile.mkstemp(prefix="prodready-", suffix=".db")
    os.close(fd)
    return f"sqlite:///{name}", Path(name)


def _dispose_and_remove(engine: Engine, path: Path) -> None:
    engine.dispose()
    _remove_files(path)


def _remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(str(path) + suffix).unlink()
