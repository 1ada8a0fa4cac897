"""Alert rules and webhooks: the file format, validation, and the rules repository.

A rules file (YAML) holds both::

    webhooks:
      - name: oncall
        url: https://events.pagerduty.com/v2/enqueue
        format: pagerduty            # json | slack | pagerduty | servicenow
        routing_key: R0UT1NGKEY      # PagerDuty only
    rules:
      - name: csat-drop
        metric: feedback:csat        # see METRICS
        op: "<"
        threshold: 3.5
        window: 1h
        min_count: 10                # fewer feedback scores in the window: no verdict
        group_by: [release]
        filters: {environment: production}
        webhooks: [oncall]           # default: every webhook

Rules live in the ``alert_rules`` table: the file's are written there (``source: file``) when
the server starts or ``prodready alerts check --rules`` runs, the API's with ``source: api``.
Webhooks stay in the file (they carry secrets: routing keys, URLs with tokens).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, delete, select

from prodready.monitoring._facts import Dimension
from prodready.monitoring._tables import alert_rules, alert_states
from prodready.store import Store
from prodready.store.filters import parse_duration

Op = Literal["<", "<=", ">", ">=", "==", "!="]
Severity = Literal["info", "warning", "critical"]
WebhookFormat = Literal["json", "slack", "pagerduty", "servicenow"]

TRACE_METRICS: Final = (
    "traffic",
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "escalation_rate",
    "tokens",
    "cost",
)
FEEDBACK_METRICS: Final = ("feedback:csat", "feedback:thumbs_down_rate")
METRICS_HELP: Final = (
    f"one of {', '.join(TRACE_METRICS + FEEDBACK_METRICS)}, or score:<name> (the mean of an "
    "online score)"
)
RULES_ENV: Final = "PRODREADY_ALERT_RULES"
"""The rules file the server reads at start-up, if set."""


class RulesError(ValueError):
    """A rules file or rule that cannot be used; the message names the file, rule and field."""


class AlertRule(BaseModel):
    """One alert rule: fire when ``metric op threshold`` over the last ``window``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
    metric: str
    op: Op = ">"
    threshold: float
    window: str = "15m"
    """How far back the metric is computed, as a duration (``5m``, ``1h``, ``1d``)."""
    min_count: int = Field(default=1, ge=0)
    """Below this many traces (or scores, for score and feedback metrics) in the window the
    rule stays as it is: no firing and no resolution on too little evidence."""
    filters: dict[Dimension, str] = Field(default_factory=dict)
    group_by: list[Dimension] = Field(default_factory=list)
    severity: Severity = "warning"
    webhooks: list[str] | None = None
    """Names of the webhooks to call; ``None``: every configured webhook."""
    description: str | None = None
    enabled: bool = True

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric in TRACE_METRICS or metric in FEEDBACK_METRICS:
            return metric
        if metric.startswith("score:") and len(metric) > len("score:"):
            return metric
        raise ValueError(f"unknown metric {metric!r}: {METRICS_HELP}")

    @field_validator("window")
    @classmethod
    def _duration(cls, window: str) -> str:
        if parse_duration(window) <= 0:  # raises ValueError with the reason
            raise ValueError("the window must be longer than zero")
        return window

    @field_validator("group_by")
    @classmethod
    def _distinct(cls, group_by: list[Dimension]) -> list[Dimension]:
        if len(set(group_by)) != len(group_by):
            raise ValueError("a dimension is named twice")
        return group_by

    @property
    def window_ns(self) -> int:
        """The window in nanoseconds."""
        return parse_duration(self.window)

    def crossed(self, value: float) -> bool:
        """Whether ``value`` is on the firing side of the threshold."""
        t = self.threshold
        return {
            "<": value < t, "<=": value <= t, ">": value > t, ">=": value >= t,
            "==": value == t, "!=": value != t,
        }[self.op]  # fmt: skip


class Webhook(BaseModel):
    """Where alerts go, and the shape of the payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https?://")
    format: WebhookFormat = "json"
    headers: dict[str, str] = Field(default_factory=dict)
    routing_key: str | None = None
    """PagerDuty's integration key (Events API v2)."""
    timeout_s: float = Field(default=5.0, gt=0)
    retries: int = Field(default=3, ge=1, le=10)
    """Attempts in all, with exponential backoff and jitter."""


class AlertsConfig(BaseModel):
    """A rules file: webhooks and rules."""

    model_config = ConfigDict(extra="forbid")

    webhooks: list[Webhook] = Field(default_factory=list)
    rules: list[AlertRule] = Field(default_factory=list)


def load_alerts_config(path: str | Path) -> AlertsConfig:
    """Read a rules file.

    Raises:
        RulesError: unreadable, not YAML, or a bad rule or webhook (named, with the field).
    """
    where = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{where}: {exc}") from None
    try:
        config = AlertsConfig.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{where}: {_problems(exc, data)}") from None
    _check_names(config, where)
    return config


def parse_rule(data: Any) -> AlertRule:
    """A rule from JSON-like data (the API's body).

    Raises:
        RulesError: naming the field.
    """
    try:
        return AlertRule.model_validate(data)
    except ValidationError as exc:
        raise RulesError(_problems(exc, None)) from None


def _problems(exc: ValidationError, data: Any) -> str:
    parts = []
    for error in exc.errors():
        loc = list(error["loc"])
        if len(loc) >= 2 and loc[0] in ("rules", "webhooks") and isinstance(loc[1], int):
            name = _name_at(data, str(loc[0]), loc[1])
            loc = [f"{loc[0]}[{loc[1]}]" + (f" ({name})" if name else ""), *loc[2:]]
        where = ".".join(str(p) for p in loc) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _name_at(data: Any, key: str, index: int) -> str | None:
    try:
        name = data[key][index]["name"]
    except (TypeError, KeyError, IndexError):
        return None
    return str(name)


def _check_names(config: AlertsConfig, where: str) -> None:
    for kind, names in (("rule", [r.name for r in config.rules]),
                        ("webhook", [w.name for w in config.webhooks])):  # fmt: skip
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise RulesError(f"{where}: {kind} names used twice: {', '.join(twice)}")
    known = {w.name for w in config.webhooks}
    for rule in config.rules:
        unknown = sorted(set(rule.webhooks or ()) - known)
        if unknown:
            raise RulesError(f"{where}: rule {rule.name}: unknown webhooks {', '.join(unknown)}")


# --- the repository ---------------------------------------------------------------------------


def save_rule(store: Store, rule: AlertRule, *, source: str = "api") -> None:
    """Create or replace a rule (by name)."""
    now = time.time_ns()
    row = {
        "name": rule.name,
        "body": orjson.dumps(rule.model_dump(mode="json")).decode(),
        "source": source,
        "enabled": rule.enabled,
        "created_at_ns": now,
        "updated_at_ns": now,
    }
    with store.db.begin() as conn:
        store.db.upsert(
            conn, alert_rules, [row], update=["body", "source", "enabled", "updated_at_ns"]
        )


def sync_rules(store: Store, rules: Sequence[AlertRule], *, source: str = "file") -> None:
    """Make the rules from ``source`` exactly ``rules``: save each, delete the others from it."""
    for rule in rules:
        save_rule(store, rule, source=source)
    keep = [r.name for r in rules]
    with store.db.begin() as conn:
        stmt = select(alert_rules.c.name).where(alert_rules.c.source == source)
        if keep:
            stmt = stmt.where(alert_rules.c.name.not_in(keep))
        for name in conn.execute(stmt).scalars().all():
            _delete(conn, name)


def delete_rule(store: Store, name: str) -> bool:
    """Delete a rule and its states; whether it existed. Its recorded events stay."""
    with store.db.begin() as conn:
        return _delete(conn, name)


def _delete(conn: Connection, name: str) -> bool:
    conn.execute(delete(alert_states).where(alert_states.c.rule == name))
    return conn.execute(delete(alert_rules).where(alert_rules.c.name == name)).rowcount > 0


def list_rules(store: Store) -> list[AlertRule]:
    """Every stored rule, by name."""
    with store.db.connect() as conn:
        rows = conn.execute(select(alert_rules.c.body).order_by(alert_rules.c.name)).all()
    return [AlertRule.model_validate_json(r.body) for r in rows]


def get_rule(store: Store, name: str) -> AlertRule | None:
    """One stored rule, or ``None``."""
    with store.db.connect() as conn:
        body = conn.execute(
            select(alert_rules.c.body).where(alert_rules.c.name == name)
        ).scalar_one_or_none()
    return AlertRule.model_validate_json(body) if body is not None else None
