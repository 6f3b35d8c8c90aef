"""Error reports to Sentry, only when ``SENTRY_DSN`` is set; sentry-sdk is an optional extra."""

from __future__ import annotations

from flask import Flask

from ..config import ConfigurationError


def init_sentry(app: Flask) -> None:
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError as exc:
        raise ConfigurationError(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install 'mmm-events[sentry]'"
        ) from exc
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["SENTRY_ENVIRONMENT"] or app.config["MMM_ENV"],
        integrations=[FlaskIntegration()],
        # Errors only: no performance tracing, and no visitor's personal data.
        traces_sample_rate=0.0,
        send_default_pii=False,
    )
