"""The saved-views repository: named filter sets of a page, shared through the store."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, delete, select

from prodready.dashboard._tables import saved_views
from prodready.store import Store

MAX_NAME: Final = 200
MAX_QUERY: Final = 4000


@dataclass(frozen=True)
class SavedView:
    id: str
    page: str
    name: str
    query: str
    created_at_ns: int
    created_by: str | None


def list_views(store: Store, page: str) -> list[SavedView]:
    """A page's saved views, by name."""
    c = saved_views.c
    with store.db.connect() as conn:
        rows = conn.execute(select(saved_views).where(c.page == page).order_by(c.name)).all()
    return [SavedView(r.id, r.page, r.name, r.query, r.created_at_ns, r.created_by) for r in rows]


def save_view(
    store: Store, page: str, name: str, query: str, *, created_by: str | None = None
) -> SavedView:
    """Save (or replace) the view ``name`` of ``page``.

    Raises:
        ValueError: the name is empty or too long, or the query too long (the message says).
    """
    name = name.strip()
    if not name:
        raise ValueError("name: give the view a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"name: at most {MAX_NAME} characters")
    if len(query) > MAX_QUERY:
        raise ValueError(f"query: at most {MAX_QUERY} characters")
    view = SavedView(uuid.uuid4().hex, page, name, query, time.time_ns(), created_by)
    row = {
        "id": view.id,
        "page": page,
        "name": name,
        "query": query,
        "created_at_ns": view.created_at_ns,
        "created_by": created_by,
    }
    db = store.db

    def work(conn: Connection) -> None:
        kept = ("query", "created_at_ns", "created_by")
        db.upsert(conn, saved_views, [row], key=("page", "name"), update=kept)

    db.transaction(work, retry_on_conflict=3)
    return view


def delete_view(store: Store, view_id: str) -> bool:
    """Delete a saved view; whether it existed."""
    with store.db.begin() as conn:
        return conn.execute(delete(saved_views).where(saved_views.c.id == view_id)).rowcount > 0
