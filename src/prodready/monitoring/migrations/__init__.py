"""The ``monitoring`` migration branch: alert rules, states, events and webhook deliveries.

Its revisions are in ``versions/`` beside this file (branch label ``monitoring``);
``metadata`` is what they build, for Alembic's autogenerate and the store's drift test.
"""

from prodready.monitoring._tables import metadata

__all__ = ["metadata"]
