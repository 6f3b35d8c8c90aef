"""Mail worker heartbeats: each worker process says, every few seconds, that it is alive and
how many emails it has sent, retried and given up on since it started.

Kept in the database rather than in the worker's memory because workers run on any machine:
every web server's ``/metrics`` and ``/readyz`` can then see every worker.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models._base import UTCDateTime, utcnow

# A worker writes at least this often, even when idle; after a day unseen its row is removed.
BEAT_SECONDS = 5.0
FORGET_AFTER = timedelta(days=1)


class MailWorkerHeartbeat(db.Model):
    __tablename__ = "mail_worker_heartbeat"

    # host:pid:start, so that a restarted worker is a new series for Prometheus.
    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    retried: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class _ProcessTotals:
    """What this worker process has done since it started."""

    def __init__(self) -> None:
        self.worker = ""
        self.sent = self.retried = self.failed = 0
        self.written_at = 0.0
        self.written = (0, 0, 0)


_totals = _ProcessTotals()


def worker_name() -> str:
    if not _totals.worker:
        _totals.worker = f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"
    return _totals.worker


def process_totals() -> tuple[int, int, int]:
    """(sent, retried, failed) by this worker process since it started."""
    return _totals.sent, _totals.retried, _totals.failed


def worker_beat(report) -> None:
    """Called by the mail worker after each claim (``report`` is its DeliveryReport): adds
    the batch to this process's totals, and writes them when they changed or when the last
    heartbeat is ``BEAT_SECONDS`` old. A database error here must not stop deliveries; the
    next beat tries again."""
    totals = _totals
    totals.sent += report.sent
    totals.retried += report.retrying
    totals.failed += report.failed
    counts = (totals.sent, totals.retried, totals.failed)
    due = time.monotonic() - totals.written_at >= BEAT_SECONDS
    if counts == totals.written and not due:
        return
    totals.written_at = time.monotonic()
    totals.written = counts
    try:
        write_heartbeat(worker_name(), *counts)
    except Exception:  # noqa: BLE001 - logged; a missed heartbeat is not a delivery failure
        current_app.logger.exception("mail-worker: could not write its heartbeat")


def write_heartbeat(worker: str, sent: int, retried: int, failed: int) -> None:
    """Insert or update this worker's row, on a connection of its own (the caller's session
    may be in the middle of something)."""
    now = utcnow()
    values = {"last_seen_at": now, "sent": sent, "retried": retried, "failed": failed}
    with db.engine.begin() as connection:
        changed = connection.execute(
            update(MailWorkerHeartbeat)
            .where(MailWorkerHeartbeat.worker == worker)
            .values(**values)
        ).rowcount
        if not changed:
            connection.execute(
                MailWorkerHeartbeat.__table__.insert().values(
                    worker=worker, started_at=now, **values
                )
            )
            connection.execute(
                delete(MailWorkerHeartbeat).where(
                    MailWorkerHeartbeat.last_seen_at < now - FORGET_AFTER
                )
            )


def heartbeats() -> list[MailWorkerHeartbeat]:
    return list(db.session.scalars(select(MailWorkerHeartbeat).order_by("worker")))


def seen_recently(last_seen: datetime | None, now: datetime | None = None) -> bool:
    """Whether a worker last seen at ``last_seen`` counts as running (READY_WORKER_SECONDS)."""
    limit = timedelta(seconds=current_app.config["READY_WORKER_SECONDS"])
    return last_seen is not None and (now or utcnow()) - last_seen <= limit
