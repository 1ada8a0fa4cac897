"""Monitoring production: end-user feedback, online scoring of traces as they arrive, alert
rules evaluated over metrics, and webhooks when they fire and resolve."""
