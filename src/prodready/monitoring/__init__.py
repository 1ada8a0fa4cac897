"""Monitoring production: end-user feedback, online scoring of traces as they arrive, alert
rules evaluated over metrics, and webhooks when they fire and resolve.

>>> from prodready.monitoring import record_feedback, feedback_summary
>>> record_feedback(store, trace_id=tid, csat=2, comment="wrong fee")
>>> feedback_summary(store, since_ns, until_ns, by=("release", "intent"))

The server runs online scoring (:class:`OnlineWorker`) and the alert loop
(:class:`AlertLoop`) in the background; ``prodready monitor score`` and ``prodready alerts
check`` do the same work once. See ``docs/monitoring.md``.
"""

from typing import TYPE_CHECKING

from prodready._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from prodready.monitoring._alerts import (
        AlertEvaluator,
        AlertLoop,
        AlertStats,
        DeliveryRecord,
        OpenAlert,
        alert_history,
        deliveries,
        open_alerts,
    )
    from prodready.monitoring._facts import DIMENSIONS, Dimension
    from prodready.monitoring._feedback import (
        FeedbackError,
        FeedbackGroup,
        FeedbackNotFound,
        FeedbackReceipt,
        feedback_summary,
        record_feedback,
    )
    from prodready.monitoring._metrics import MetricValue, compute
    from prodready.monitoring._online import (
        JudgeConfig,
        OnlineConfig,
        OnlineConfigError,
        OnlineScorer,
        OnlineStats,
        OnlineWorker,
        SeriesPoint,
        load_online_config,
        score_series,
        trace_case,
    )
    from prodready.monitoring._rules import (
        AlertRule,
        AlertsConfig,
        RulesError,
        Webhook,
        delete_rule,
        get_rule,
        list_rules,
        load_alerts_config,
        parse_rule,
        save_rule,
        sync_rules,
    )
    from prodready.monitoring._sdk import feedback
    from prodready.monitoring._webhooks import AlertEvent, Delivery, deliver, payload

_WHERE = {
    "DIMENSIONS": "prodready.monitoring._facts",
    "Dimension": "prodready.monitoring._facts",
    "AlertEvaluator": "prodready.monitoring._alerts",
    "AlertLoop": "prodready.monitoring._alerts",
    "AlertStats": "prodready.monitoring._alerts",
    "DeliveryRecord": "prodready.monitoring._alerts",
    "OpenAlert": "prodready.monitoring._alerts",
    "alert_history": "prodready.monitoring._alerts",
    "deliveries": "prodready.monitoring._alerts",
    "open_alerts": "prodready.monitoring._alerts",
    "FeedbackError": "prodready.monitoring._feedback",
    "FeedbackGroup": "prodready.monitoring._feedback",
    "FeedbackNotFound": "prodready.monitoring._feedback",
    "FeedbackReceipt": "prodready.monitoring._feedback",
    "feedback_summary": "prodready.monitoring._feedback",
    "record_feedback": "prodready.monitoring._feedback",
    "MetricValue": "prodready.monitoring._metrics",
    "compute": "prodready.monitoring._metrics",
    "JudgeConfig": "prodready.monitoring._online",
    "OnlineConfig": "prodready.monitoring._online",
    "OnlineConfigError": "prodready.monitoring._online",
    "OnlineScorer": "prodready.monitoring._online",
    "OnlineStats": "prodready.monitoring._online",
    "OnlineWorker": "prodready.monitoring._online",
    "SeriesPoint": "prodready.monitoring._online",
    "load_online_config": "prodready.monitoring._online",
    "score_series": "prodready.monitoring._online",
    "trace_case": "prodready.monitoring._online",
    "AlertRule": "prodready.monitoring._rules",
    "AlertsConfig": "prodready.monitoring._rules",
    "RulesError": "prodready.monitoring._rules",
    "Webhook": "prodready.monitoring._rules",
    "delete_rule": "prodready.monitoring._rules",
    "get_rule": "prodready.monitoring._rules",
    "list_rules": "prodready.monitoring._rules",
    "load_alerts_config": "prodready.monitoring._rules",
    "parse_rule": "prodready.monitoring._rules",
    "save_rule": "prodready.monitoring._rules",
    "sync_rules": "prodready.monitoring._rules",
    "feedback": "prodready.monitoring._sdk",
    "AlertEvent": "prodready.monitoring._webhooks",
    "Delivery": "prodready.monitoring._webhooks",
    "deliver": "prodready.monitoring._webhooks",
    "payload": "prodready.monitoring._webhooks",
}

__all__ = [
    "DIMENSIONS",
    "AlertEvaluator",
    "AlertEvent",
    "AlertLoop",
    "AlertRule",
    "AlertStats",
    "AlertsConfig",
    "Delivery",
    "DeliveryRecord",
    "Dimension",
    "FeedbackError",
    "FeedbackGroup",
    "FeedbackNotFound",
    "FeedbackReceipt",
    "JudgeConfig",
    "MetricValue",
    "OnlineConfig",
    "OnlineConfigError",
    "OnlineScorer",
    "OnlineStats",
    "OnlineWorker",
    "OpenAlert",
    "RulesError",
    "SeriesPoint",
    "Webhook",
    "alert_history",
    "compute",
    "delete_rule",
    "deliver",
    "deliveries",
    "feedback",
    "feedback_summary",
    "get_rule",
    "list_rules",
    "load_alerts_config",
    "load_online_config",
    "open_alerts",
    "parse_rule",
    "payload",
    "record_feedback",
    "save_rule",
    "score_series",
    "sync_rules",
    "trace_case",
]

__getattr__, __dir__ = _lazy_attributes(__name__, _WHERE, globals())
