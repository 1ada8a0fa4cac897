"""Webhook payloads (generic JSON, Slack, PagerDuty Events v2, ServiceNow) and delivery.

Delivery posts with httpx and retries connection errors, 429 and 5xx answers with
exponential backoff and jitter (tenacity); another 4xx is not retried. It never raises:
the outcome (delivered or failed, attempts, HTTP status, error) is returned for the caller to
record, so a dead receiver never stops the alert loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

import httpx
import orjson
from pydantic import BaseModel, ConfigDict
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from prodready.monitoring._rules import Severity, Webhook

log = logging.getLogger("prodready.monitoring")

EventKind = Literal["firing", "resolved"]
USER_AGENT: Final = "prodready-alerts/1"


class AlertEvent(BaseModel):
    """A rule started firing for a group, or resolved: what is recorded and sent."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    kind: EventKind
    metric: str
    value: float | None
    op: str
    threshold: float
    window: str
    count: int
    group: dict[str, str | None]
    severity: Severity
    dedup_key: str
    """The same for a firing and its resolution (PagerDuty's ``dedup_key``)."""
    at_ns: int
    description: str | None = None

    @property
    def summary(self) -> str:
        """One line for humans."""
        where = ", ".join(f"{k}={v}" for k, v in self.group.items()) or "all traffic"
        value = "n/a" if self.value is None else f"{self.value:.4g}"
        verb = "FIRING" if self.kind == "firing" else "RESOLVED"
        return (
            f"[{verb}] {self.rule}: {self.metric} = {value} "
            f"({self.op} {self.threshold:g} fires) over {self.window}, {where}"
        )

    @property
    def at(self) -> str:
        """The event time, ISO 8601 UTC."""
        return datetime.fromtimestamp(self.at_ns / 1e9, UTC).isoformat(timespec="seconds")


def payload(hook: Webhook, event: AlertEvent) -> dict[str, Any]:
    """The JSON body ``hook`` receives for ``event``, in its format."""
    return _FORMATS[hook.format](hook, event)


def _generic(_: Webhook, e: AlertEvent) -> dict[str, Any]:
    return {
        "version": 1, "source": "prodready", "event": e.kind, "id": e.id, "rule": e.rule,
        "metric": e.metric, "value": e.value, "op": e.op, "threshold": e.threshold,
        "window": e.window, "count": e.count, "group": e.group, "severity": e.severity,
        "dedup_key": e.dedup_key, "at": e.at, "at_ns": e.at_ns, "description": e.description,
        "summary": e.summary,
    }  # fmt: skip


def _slack(_: Webhook, e: AlertEvent) -> dict[str, Any]:
    icon = ":rotating_light:" if e.kind == "firing" else ":white_check_mark:"
    group = ", ".join(f"{k}={v}" for k, v in e.group.items()) or "all traffic"
    value = "n/a" if e.value is None else f"{e.value:.4g}"
    fields = [("Metric", e.metric), ("Value", value), ("Threshold", f"{e.op} {e.threshold:g}"),
              ("Window", e.window), ("Count", str(e.count)), ("Group", group)]  # fmt: skip
    return {
        "text": f"{icon} {e.summary}",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": f"{e.kind.upper()}: {e.rule}"[:150]},
            },
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"{e.severity} · {e.at} · {e.dedup_key}"}],
            },
        ],
    }


_PD_SEVERITY: Final = {"critical": "critical", "warning": "warning", "info": "info"}


def _pagerduty(hook: Webhook, e: AlertEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": hook.routing_key or "",
        "event_action": "trigger" if e.kind == "firing" else "resolve",
        "dedup_key": e.dedup_key,
    }
    if e.kind == "firing":
        body["payload"] = {
            "summary": e.summary[:1024],
            "source": "prodready",
            "severity": _PD_SEVERITY[e.severity],
            "timestamp": e.at,
            "component": e.metric,
            "group": e.rule,
            "class": "prodready.alert",
            "custom_details": _generic(hook, e),
        }
    return body


_SN_SEVERITY: Final = {"critical": "1", "warning": "4", "info": "5"}


def _servicenow(hook: Webhook, e: AlertEvent) -> dict[str, Any]:
    """An Event Management event (``/api/global/em/jsonv2``); severity ``0`` clears it, and
    the incident fields a rule can open an incident from."""
    node = ",".join(f"{k}={v}" for k, v in e.group.items()) or "all"
    return {
        "records": [
            {
                "source": "prodready",
                "event_class": "prodready.alert",
                "node": node,
                "resource": e.rule,
                "type": e.metric,
                "metric_name": e.metric,
                "message_key": e.dedup_key,
                "severity": _SN_SEVERITY[e.severity] if e.kind == "firing" else "0",
                "description": e.summary,
                "time_of_event": datetime.fromtimestamp(e.at_ns / 1e9, UTC).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "additional_info": orjson.dumps(_generic(hook, e)).decode(),
                "short_description": e.summary[:160],
                "category": "software",
                "urgency": "1" if e.severity == "critical" else "2",
                "impact": "1" if e.severity == "critical" else "2",
                "state": "new" if e.kind == "firing" else "resolved",
                "correlation_id": e.dedup_key,
            }
        ]
    }


_FORMATS: Final = {
    "json": _generic, "slack": _slack, "pagerduty": _pagerduty, "servicenow": _servicenow,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Delivery:
    """How one delivery went."""

    webhook: str
    format: str
    delivered: bool
    attempts: int
    http_status: int | None
    error: str | None


class _Retryable(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def deliver(
    hook: Webhook, event: AlertEvent, *, client: httpx.Client | None = None, backoff: float = 0.5
) -> Delivery:
    """Post ``event`` to ``hook``, retrying as the module says; never raises."""
    body = orjson.dumps(payload(hook, event))
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, **hook.headers}
    attempts = 0
    own = client is None
    http = client if client is not None else httpx.Client(timeout=hook.timeout_s)

    def post() -> httpx.Response:
        nonlocal attempts
        attempts += 1
        response = http.post(hook.url, content=body, headers=headers, timeout=hook.timeout_s)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(response.status_code)
        return response

    retrying = Retrying(
        stop=stop_after_attempt(hook.retries),
        wait=wait_exponential_jitter(multiplier=backoff, max=30 * backoff, jitter=backoff),
        retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
    )
    try:
        response = retrying(post)
    except RetryError as exc:
        cause = exc.last_attempt.exception()
        status = cause.status if isinstance(cause, _Retryable) else None
        return _failed(hook, attempts, status, str(cause) or type(cause).__name__)
    except Exception as exc:  # an invalid URL, a proxy error...: recorded, never raised
        return _failed(hook, attempts, None, f"{type(exc).__name__}: {exc}")
    finally:
        if own:
            http.close()
    if response.is_success:
        return Delivery(hook.name, hook.format, True, attempts, response.status_code, None)
    return _failed(hook, attempts, response.status_code, response.text[:500] or "refused")


def _failed(hook: Webhook, attempts: int, status: int | None, error: str) -> Delivery:
    log.warning("webhook %s failed after %d attempts: %s", hook.name, attempts, error)
    return Delivery(hook.name, hook.format, False, attempts, status, error)
