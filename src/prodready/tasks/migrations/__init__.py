"""The ``tasks`` migration branch: the human-task table (``human_tasks``).

Its revisions are in ``versions/`` beside this file (branch label ``tasks``); ``metadata``
is what they build, for Alembic's autogenerate and the store's drift test.
"""

from prodready.tasks._tables import metadata

__all__ = ["metadata"]
