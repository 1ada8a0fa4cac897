"""Alembic environment: always runs on the connection ``Database.migrate()`` hands over.

``target_metadata`` is every migration branch's metadata (the core store's and each
pillar's, see :mod:`prodready.store._migrations`), so autogenerate sees every table.
"""

from __future__ import annotations

from alembic import context

from prodready.store._migrations import target_metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=target_metadata(), render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
