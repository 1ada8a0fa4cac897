"""Ids as people type them: a whole id, or a prefix that only one stored id starts with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, select

from prodready.store import Store

_LISTED = 10  # ids an ambiguous prefix lists


def find_id(
    store: Store,
    column: Column[Any],
    ref: str,
    *,
    what: str,
    kind: str,
    missing: type[KeyError] = KeyError,
) -> str:
    """The id in ``column`` equal to ``ref``, else the one id there that starts with ``ref``.

    Args:
        store: where the ids are.
        column: the id column.
        ref: the id or prefix, as typed (surrounding spaces ignored).
        what: the thing, for "no <what> 'ref' in the store".
        kind: the id's name, for "<kind> prefix 'ref' is ambiguous".
        missing: the error to raise when nothing matches.

    Raises:
        KeyError: (``missing``) no id is or starts with ``ref``.
        ValueError: several ids start with ``ref``; the message lists the first ten.
    """
    ref = ref.strip()
    with store.db.connect() as conn:
        if ref and conn.execute(select(column).where(column == ref)).first() is not None:
            return ref
        stmt = select(column).where(column.startswith(ref, autoescape=True)).limit(_LISTED + 1)
        found = sorted(conn.execute(stmt).scalars()) if ref else []
    if not found:
        raise missing(f"no {what} {ref!r} in the store")
    if len(found) > 1:
        more = ", …" if len(found) > _LISTED else ""
        raise ValueError(f"{kind} prefix {ref!r} is ambiguous: {', '.join(found[:_LISTED])}{more}")
    return str(found[0])
