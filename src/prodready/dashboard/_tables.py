"""The dashboard's own table, ``saved_views``, with its own ``MetaData``.

``metadata`` is the ``dashboard`` migration branch's (``prodready.dashboard.migrations``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, Text

metadata = MetaData()
"""The tables of the ``dashboard`` migration branch."""

saved_views = Table(
    "saved_views",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("page", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("query", Text, nullable=False),
    Column("created_at_ns", BigInteger, nullable=False),
    Column("created_by", Text),
    Index("ux_saved_views_page_name", "page", "name", unique=True),
)
"""A named filter set of a page (its query string), shared by everyone using the store."""
