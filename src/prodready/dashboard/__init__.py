"""The web dashboard: server-rendered pages over the store and the pillars, mounted by
``prodready serve`` on the same port as ingest (see docs/dashboard.md).

>>> from prodready.dashboard import install
>>> install(app)  # a FastAPI app whose app.state.store is a prodready Store

Pages are Jinja2 templates rendered on the server (autoescaped), with one small JavaScript
module for keyboard shortcuts and the theme switch; charts and the trace waterfall are SVG
drawn on the server. Nothing is loaded from elsewhere, so the dashboard works offline and
under a strict Content-Security-Policy.
"""

from prodready.dashboard._install import install
from prodready.dashboard._web import NAV, Page, register, render

__all__ = ["NAV", "Page", "install", "register", "render"]
