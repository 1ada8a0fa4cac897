"""Alembic migrations for the store; run with ``Store.migrate()`` or ``prodready store migrate``."""
