"""The core ``store`` migration branch (traces, spans, span logs): revisions in ``versions/``.

Run every branch with ``Store.migrate()``, ``store.db.migrate()`` or ``prodready store migrate``
(:mod:`prodready.store._migrations` describes the branches). ``metadata`` is the branch's
tables as the store's queries declare them (:mod:`prodready.store.schema`).
"""

from prodready.store.schema import metadata

__all__ = ["metadata"]
