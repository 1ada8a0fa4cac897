"""The monitoring pillar's tables, as SQLAlchemy Core objects.

``metadata`` holds exactly the tables of the ``monitoring`` migration branch
(``prodready/monitoring/migrations``); tests/store/test_migrations_branches.py compares the two.

- ``alert_rules``: the rules, from the rules file or the API (``body`` is the rule as JSON).
- ``alert_states``: each rule's state per group (``ok`` or ``firing``): what deduplicates.
- ``alert_events``: every firing and resolution, append-only.
- ``alert_deliveries``: every webhook delivery of an event, delivered or failed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    true,
)

metadata = MetaData()
"""The monitoring branch's tables."""

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("body", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("created_at_ns", BigInteger, nullable=False),
    Column("updated_at_ns", BigInteger, nullable=False),
)

alert_states = Table(
    "alert_states",
    metadata,
    Column("rule", String(200), primary_key=True),
    Column("group_key", String(500), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("value", Float),
    Column("count", Integer, nullable=False, server_default="0"),
    Column("since_ns", BigInteger, nullable=False),
    Column("checked_at_ns", BigInteger, nullable=False),
    Column("event_id", String(32)),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rule", String(200), nullable=False),
    Column("group_key", String(500), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", Float),
    Column("threshold", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("dedup_key", String(80), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at_ns", BigInteger, nullable=False),
    Index("ix_alert_events_at", "at_ns"),
    Index("ix_alert_events_rule", "rule", "at_ns"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(32), nullable=False),
    Column("webhook", String(200), nullable=False),
    Column("format", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("http_status", Integer),
    Column("error", Text),
    Column("at_ns", BigInteger, nullable=False),
    Index("ix_alert_deliveries_event", "event_id"),
)
