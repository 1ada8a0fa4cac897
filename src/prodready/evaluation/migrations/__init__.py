"""The ``evaluation`` migration branch: datasets, candidate cases, eval runs and results,
scores, the eval cache. Revisions in ``versions/``; registered in the ``prodready.migrations``
entry-point group, run with every other branch by ``Store.migrate()`` or
``prodready store migrate``.

``metadata`` is the branch's tables as the pillar's queries declare them
(:mod:`prodready.evaluation._tables`).
"""

from prodready.evaluation._tables import metadata

__all__ = ["metadata"]
