"""The ``dashboard`` migration branch: the dashboard's saved views (``saved_views``).

Its revisions are in ``versions/`` beside this file (branch label ``dashboard``); ``metadata``
is what they build, for Alembic's autogenerate and the store's drift test.
"""

from prodready.dashboard._tables import metadata

__all__ = ["metadata"]
