"""The dashboard's pages: one module per area, each with a ``router`` and its nav entry.

To add a page for a new pillar, write a module here (see docs/dashboard.md): an
``APIRouter`` whose routes answer ``_web.render(...)``, a ``_web.register(Page(...))`` call,
and templates that extend ``base.html``; then add its router to ``ROUTERS`` below.
"""

from __future__ import annotations

from fastapi import APIRouter

from prodready.dashboard.pages import datasets, evaluations, overview, review, traces, views

ROUTERS: list[APIRouter] = [overview.router, traces.router, views.router, evaluations.router,
                             datasets.router, review.router]  # fmt: skip
