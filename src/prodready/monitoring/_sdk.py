"""``prodready.feedback()``: what an agent calls when its user rates an answer.

Where the feedback goes follows the tracing configuration: to the server at
``$PRODREADY_SERVER_URL`` (or ``server_url=``) if set, else to the store ``configure()``
writes spans to, else to the server that ``configure(otlp_endpoint=...)`` exports to.

Bad arguments raise ``ValueError`` (they are the caller's bug); anything else — the store
or server away, the trace not stored yet — is logged and the call returns ``False``: user
feedback must never break the agent.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Final

import httpx

from prodready.monitoring._feedback import FeedbackNotFound, Thumb, check_feedback, record_feedback

log = logging.getLogger("prodready.monitoring")

SERVER_URL_ENV: Final = "PRODREADY_SERVER_URL"
"""The prodready server's base URL (``http://host:4318``) for feedback from the SDK."""
TIMEOUT_S: Final = 5.0


def feedback(
    *,
    trace_id: str | None = None,
    session_id: str | None = None,
    csat: int | None = None,
    thumb: Thumb | None = None,
    comment: str | None = None,
    user_id: str | None = None,
    source: str | None = None,
    server_url: str | None = None,
) -> bool:
    """Record an end user's feedback on a trace (an answer) or a session (a conversation).

    Args:
        trace_id: the answer's trace id (32 hex characters).
        session_id: or the conversation's session id.
        csat: satisfaction from 1 to 5.
        thumb: ``"up"`` or ``"down"``.
        comment: the user's words.
        user_id: who gave it.
        source: where (``"web"``, ``"app"``...).
        server_url: the prodready server to post to (default as the module says).

    Returns:
        Whether it was stored (``False``: logged why; the agent carries on).

    Raises:
        ValueError: a bad argument (``csat=9``, ``thumb="sideways"``, neither id...).
    """
    check_feedback(trace_id=trace_id, session_id=session_id, csat=csat, thumb=thumb,
                   comment=comment, user_id=user_id, source=source)  # fmt: skip
    body = {"trace_id": trace_id, "session_id": session_id, "csat": csat, "thumb": thumb,
            "comment": comment, "user_id": user_id, "source": source}  # fmt: skip
    try:
        return _send({k: v for k, v in body.items() if v is not None}, server_url)
    except Exception:
        log.warning("prodready could not record the feedback", exc_info=True)
        return False


def _send(body: dict[str, object], server_url: str | None) -> bool:
    from prodready import tracing

    config = tracing.current()
    url = server_url or os.environ.get(SERVER_URL_ENV)
    if not url and config is not None and config.store is not None:
        try:
            record_feedback(config.store, **body)  # type: ignore[arg-type]
        except FeedbackNotFound:
            tracing.flush(timeout=TIMEOUT_S)  # the trace may still be in the span queue
            record_feedback(config.store, **body)  # type: ignore[arg-type]
        return True
    if not url and config is not None and config.otlp_endpoint:
        url = config.otlp_endpoint.removesuffix("/").removesuffix("/v1/traces")
    if not url:
        log.warning("prodready.feedback: no store or server configured; feedback not recorded")
        return False
    return _post(url.rstrip("/") + "/api/feedback", body)


def _post(url: str, body: dict[str, object]) -> bool:
    from prodready import tracing

    with httpx.Client(timeout=TIMEOUT_S) as client:
        for attempt in range(2):
            response = client.post(url, json=body)
            if response.status_code == 404 and attempt == 0:
                tracing.flush(timeout=TIMEOUT_S)  # export the trace, then ask again
                time.sleep(0.2)
                continue
            if response.is_success:
                return True
            log.warning("prodready.feedback: %s answered %d: %s", url, response.status_code,
                        response.text[:300])  # fmt: skip
            return False
    return False
