"""The web dashboard: server-rendered pages over the store and the pillars, mounted by
``prodready serve`` on the same port as ingest (see docs/dashboard.md)."""
