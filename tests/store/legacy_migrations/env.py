"""Alembic environment for the frozen copy of prodready's migrations as released at commit
1dee490 (one chain, 0001..0007, every table in it): the legacy-upgrade tests build databases
exactly as that release did. Runs on the connection handed over in ``attributes``."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
