"""The eval cache repository: every read and write of the ``eval_cache`` table.

One row per key: ``(key, kind, value, created_at_ns)``, the value JSON text. The kinds in use:

- ``output`` and ``score``: the runner's cached target outputs and scores
  (:mod:`prodready.evaluation.runs._store` builds their keys);
- ``judge``: LLM judge verdicts (:class:`prodready.evaluation.scorers.judges.JudgeCache`);
- ``calibration``: the latest calibration per score name and judge
  (:func:`prodready.evaluation.calibration.save_calibration`).

A write replaces the row with the same key (kind, value and time), in one statement
(``ON CONFLICT DO UPDATE``), so concurrent writers of the same key never fail each other.

>>> cache = EvalCache(store)
>>> cache.put("sha256:...", "judge", '{"value": 1.0}')
>>> cache.get("sha256:...", kind="judge")
'{"value": 1.0}'
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, delete, func, select

from prodready.evaluation._tables import eval_cache
from prodready.store import Store

_CHUNK = 500  # keys per IN (...) list
_MAX_KEY = 80  # eval_cache.key is String(80)
_MAX_KIND = 16  # eval_cache.kind is String(16)


class CacheEntry(NamedTuple):
    """One cache row to write: its key, kind and JSON text value."""

    key: str
    kind: str
    value: str


class EvalCache:
    """Reads and writes of the store's ``eval_cache`` table (see the module docstring).

    Args:
        store: the store whose ``eval_cache`` this is.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str, *, kind: str | None = None) -> str | None:
        """The value stored under ``key`` (only if its kind is ``kind``, when given)."""
        stmt = select(eval_cache.c.value).where(eval_cache.c.key == key)
        if kind is not None:
            stmt = stmt.where(eval_cache.c.kind == kind)
        with self.store.db.connect() as conn:
            value: str | None = conn.execute(stmt).scalar()
        return value

    def get_many(self, keys: Iterable[str], *, kind: str | None = None) -> dict[str, str]:
        """The values of those ``keys`` that are stored (of kind ``kind``, when given)."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        if not unique:
            return found
        with self.store.db.connect() as conn:
            for i in range(0, len(unique), _CHUNK):
                stmt = select(eval_cache.c.key, eval_cache.c.value).where(
                    eval_cache.c.key.in_(unique[i : i + _CHUNK])
                )
                if kind is not None:
                    stmt = stmt.where(eval_cache.c.kind == kind)
                found.update((k, v) for k, v in conn.execute(stmt))
        return found

    def values(self, kind: str) -> list[str]:
        """Every stored value of kind ``kind``, oldest first."""
        stmt = (
            select(eval_cache.c.value)
            .where(eval_cache.c.kind == kind)
            .order_by(eval_cache.c.created_at_ns, eval_cache.c.key)
        )
        with self.store.db.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def count(self, kind: str | None = None) -> int:
        """How many rows are stored (of kind ``kind``, when given)."""
        stmt = select(func.count()).select_from(eval_cache)
        if kind is not None:
            stmt = stmt.where(eval_cache.c.kind == kind)
        with self.store.db.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def put(self, key: str, kind: str, value: str, *, created_at_ns: int | None = None) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        self.put_many([CacheEntry(key, kind, value)], created_at_ns=created_at_ns)

    def put_many(self, entries: Sequence[CacheEntry], *, created_at_ns: int | None = None) -> None:
        """Store ``entries`` in one transaction, each replacing what its key held."""
        if entries:
            with self.store.db.begin() as conn:
                self.write(conn, entries, created_at_ns=created_at_ns)

    def write(
        self,
        conn: Connection,
        entries: Sequence[CacheEntry],
        *,
        created_at_ns: int | None = None,
    ) -> None:
        """Store ``entries`` inside the caller's transaction (the runner writes them with the
        results they belong to). Of two entries with the same key, the last wins.

        Raises:
            ValueError: a key longer than 80 characters, or a kind empty or longer than 16.
        """
        now = time.time_ns() if created_at_ns is None else created_at_ns
        rows = {}
        for entry in entries:
            key, kind, value = entry
            _check(key, kind)
            rows[key] = {"key": key, "kind": kind, "value": value, "created_at_ns": now}
        self.store.db.upsert(conn, eval_cache, list(rows.values()))

    def clear(self, kind: str | None = None) -> int:
        """Delete every row (of kind ``kind``, when given); how many were deleted."""
        stmt = delete(eval_cache)
        if kind is not None:
            stmt = stmt.where(eval_cache.c.kind == kind)
        with self.store.db.begin() as conn:
            return int(conn.execute(stmt).rowcount)


def _check(key: str, kind: str) -> None:
    if not key or len(key) > _MAX_KEY:
        raise ValueError(f"eval cache key {key!r}: must be 1 to {_MAX_KEY} characters")
    if not kind or len(kind) > _MAX_KIND:
        raise ValueError(
            f"eval cache kind {kind!r} (key {key}): must be 1 to {_MAX_KIND} characters"
        )


__all__ = ["CacheEntry", "EvalCache"]
