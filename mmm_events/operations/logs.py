"""Logs: one JSON object per line when ``LOG_FORMAT=json`` (for a log collector), readable
lines otherwise; every request gets an id, taken from nginx's ``X-Request-ID`` when a trusted
proxy sends one, that follows the emails it queued into the mail worker's log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..models import OutboxMessage, OutboxStatus

REQUEST_ID_HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; accept any such plain token, nothing longer.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# The attributes every LogRecord has; anything else was passed in ``extra`` and is printed.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

request_log = logging.getLogger("mmm_events.requests")
mail_log = logging.getLogger("mmm_events.mail")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in record.__dict__.items() if key not in _STANDARD
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual line, followed by the ``extra`` fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(
            f"{key}={value}" for key, value in record.__dict__.items() if key not in _STANDARD
        )
        return f"{line} [{extra}]" if extra else line


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        return True


def configure_logging(app: Flask) -> None:
    """One handler on the package's logger (Flask's ``app.logger``), replacing any that an
    earlier ``create_app`` in the same process installed."""
    logger = logging.getLogger("mmm_events")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter()
    )
    handler.addFilter(_RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def register_request_ids(app: Flask) -> None:
    trust_header = bool(app.config["PROXY_COUNT"])

    @app.before_request
    def assign_request_id():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        # Only a proxy we trust may name the id; otherwise anyone could forge log lines' ids.
        g.request_id = given if trust_header and _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        if "request_id" not in g:
            return response
        response.headers[REQUEST_ID_HEADER] = g.request_id
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "endpoint": request.endpoint,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                "remote_addr": request.remote_addr,
            },
        )
        return response


@event.listens_for(Session, "after_flush")
def _log_email_outcomes(session: Session, flush_context) -> None:
    """One log line per email whose delivery ended (sent, failed) or will be retried, with
    the id of the request that queued it. Read from the flush, so the worker needs no code
    of ours in its delivery loop."""
    for row in session.dirty:
        if not isinstance(row, OutboxMessage):
            continue
        changed = inspect(row).attrs.status.history
        if not changed.has_changes() or OutboxStatus.SENDING not in changed.deleted:
            continue
        outcome = {OutboxStatus.SENT: "sent", OutboxStatus.FAILED: "failed"}.get(
            row.status, "retry"
        )
        mail_log.info(
            "email %s %s",
            row.id,
            outcome,
            extra={
                "outbox_id": row.id,
                "kind": row.kind,
                "outcome": outcome,
                "attempts": row.attempts,
                "request_id": row.request_id,
                "error": row.last_error if outcome != "sent" else "",
            },
        )
