"""What an operator needs: metrics, structured logs with request ids, readiness, error
reports to Sentry, and ``flask backup``. ``register(app)`` wires it all from ``create_app``.

The registration code calls ``count_registration(outcome)``; the mail worker calls
``worker_beat(report)`` after each claim.
"""

from __future__ import annotations

import os

from flask import Flask

from .heartbeat import worker_beat
from .metrics import count_registration

__all__ = ["count_registration", "register", "worker_beat"]


def settings() -> dict:
    """The operations settings, from the environment (documented in the README's table)."""
    return {
        # "json": one JSON object per line, for a log collector; "text" for people.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # A bearer token the Prometheus scraper sends; unset, /metrics answers this machine only.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        # A mail worker is "seen recently" when its last heartbeat is at most this old.
        "READY_WORKER_SECONDS": int(os.environ.get("READY_WORKER_SECONDS") or 60),
        # Errors go to Sentry when this is set (pip install 'mmm-events[sentry]').
        "SENTRY_DSN": os.environ.get("SENTRY_DSN", ""),
        "SENTRY_ENVIRONMENT": os.environ.get("SENTRY_ENVIRONMENT", ""),
    }


def register(app: Flask) -> None:
    from .backup import backup_command
    from .logs import configure_logging, register_request_ids
    from .metrics import register_metrics
    from .readiness import bp as readiness_bp
    from .sentry import init_sentry
    from .static_versions import register_static_versions

    for key, value in settings().items():
        app.config.setdefault(key, value)
    configure_logging(app)
    register_request_ids(app)
    register_metrics(app)
    app.register_blueprint(readiness_bp)
    register_static_versions(app)
    app.cli.add_command(backup_command)
    init_sentry(app)
