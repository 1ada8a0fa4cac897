"""Northwind: the reference agent, a retail bank's support agent on BANKING77 queries.

It uses only prodready's public API; what it lacks is added to prodready, not worked around
here (docs/reference-agent.md).
"""
