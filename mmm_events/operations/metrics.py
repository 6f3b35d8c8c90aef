"""Metrics in the Prometheus text format at ``/metrics``, for the operator's scraper only.

Under gunicorn, each worker process counts its own requests; with ``PROMETHEUS_MULTIPROC_DIR``
set (as in deploy/ and ``make cluster``) they write to files there and any process answers
for all of them (prometheus-client's multiprocess mode; ``deploy/gunicorn.conf.py`` removes
a dead process's files). What lives in the database (the outbox, the mail workers'
heartbeats) is read when the scraper asks, so every web server reports the same figures.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from .access import operator_request
from .heartbeat import heartbeats

REQUESTS = Counter(
    "mmm_http_requests", "HTTP requests answered", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "mmm_http_request_duration_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REGISTRATIONS = Counter(
    "mmm_registrations", "Registration attempts by outcome", ["outcome"]
)

bp = Blueprint("operations_metrics", __name__)


def count_registration(outcome: str) -> None:
    """Count one registration attempt: "confirmed", "waiting", "duplicate", "closed",
    "invalid"... Called by the registration code once the outcome is known."""
    REGISTRATIONS.labels(outcome=outcome).inc()


class DatabaseCollector:
    """The outbox and the mail workers, read from the database at each scrape."""

    def collect(self):
        now = utcnow()
        depth = GaugeMetricFamily(
            "mmm_outbox_messages", "Emails in the outbox by status", labels=["status"]
        )
        counts = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        for status in OutboxStatus:
            depth.add_metric([status.value], counts.get(status, 0))
        yield depth
        oldest = db.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
            )
        )
        yield GaugeMetricFamily(
            "mmm_outbox_oldest_queued_age_seconds",
            "Age of the oldest email not yet sent (0 when none waits)",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        yield from self._workers(now)

    def _workers(self, now):
        seen = GaugeMetricFamily(
            "mmm_mail_worker_last_seen_seconds",
            "Seconds since each mail worker's last heartbeat",
            labels=["worker"],
        )
        totals = {
            name: CounterMetricFamily(
                f"mmm_mail_worker_{name}", f"Emails {name} by each mail worker", labels=["worker"]
            )
            for name in ("sent", "retried", "failed")
        }
        for beat in heartbeats():
            seen.add_metric([beat.worker], (now - beat.last_seen_at).total_seconds())
            for name, family in totals.items():
                family.add_metric([beat.worker], getattr(beat, name))
        yield seen
        yield from totals.values()


def _scrape() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        # This process's own counters, without the default process/platform collectors twice.
        registry.register(_ProcessCounters())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


class _ProcessCounters:
    def collect(self):
        for metric in (REQUESTS, LATENCY, REGISTRATIONS):
            yield from metric.collect()


@bp.get("/metrics")
def metrics():
    if not operator_request():
        abort(403)
    return _scrape(), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def register_metrics(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        if "metrics_started" in g:
            # The rule, not the path: one series per page, not per address ever typed.
            endpoint = request.endpoint or "unmatched"
            LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - g.metrics_started)
            REQUESTS.labels(
                endpoint=endpoint, method=request.method, status=str(response.status_code)
            ).inc()
        return response

