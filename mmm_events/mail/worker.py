"""Delivering the outbox: claim due rows in batches, send each batch over one SMTP connection,
record the result.

Any number of workers may run against PostgreSQL, each with a few delivery threads
(``delivery_threads``): rows are claimed with ``FOR UPDATE SKIP LOCKED``, so two never take
the same row. On SQLite the claim is an UPDATE that re-checks each row, which SQLite
serialises. A claim is a short lease, renewed while the batch is in progress (``lease.py``).

Within a batch, the delivery thread renders each row and builds its message while a sender
thread hands the previous ones to the server: the server's time per message, not the sum of
both, sets the pace. What became of the batch is committed once, at its end.
"""

from __future__ import annotations

import enum
import signal
import smtplib
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from ..operations import worker_beat
from .lease import Lease, claim_due
from .messages import OutboxEmail, UnsupportedAddress, transport
from .outbox import Email, RenderError, fill
from .renderers import RENDERERS

MAX_RETRY_DELAY = timedelta(hours=6)
# Messages built ahead of the one the server is reading: enough to keep it busy. The builder
# waits until only LOW_WATER are left, then builds a run of them: a thread that builds while
# the sender is in the middle of an exchange holds the interpreter at each of the server's
# replies, and each message would take that much longer.
BUILT_AHEAD = 8
# Seconds a thread may hold the interpreter while others wait (see _Deliveries.run).
SWITCH_INTERVAL = 0.0005
LOW_WATER = 2


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure: tried again after a delay
    FAILED = "failed"  # a permanent one: never tried again
    POSTPONED = "postponed"  # no renderer in this worker: one that has it sends the row
    UNSENT = "unsent"  # not tried (the worker is stopping): due again at once


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * (2 ** (attempts - 1)), MAX_RETRY_DELAY)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def smtp_verdict(error: BaseException) -> Outcome:
    """Whether a refusal is final: 5xx replies are (RFC 5321), 4xx and lost connections are
    not, nor is anything we do not recognise (it fails after the last attempt)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
    elif isinstance(error, smtplib.SMTPResponseException):
        codes = [error.smtp_code]
    elif isinstance(error, UnicodeError | UnsupportedAddress | smtplib.SMTPNotSupportedError):
        # This message can never be sent to this server as it is.
        return Outcome.FAILED
    else:
        return Outcome.RETRY
    return Outcome.FAILED if codes and all(500 <= c < 600 for c in codes) else Outcome.RETRY


class _Sender:
    """The thread that hands a batch's messages to the server, one connection for all."""

    def __init__(self, lease: Lease, stop: threading.Event):
        self.app = current_app._get_current_object()
        self.lease, self.stop = lease, stop
        self.built: deque = deque()
        self.changed = threading.Condition()
        self.outcomes: dict[int, tuple[Outcome, BaseException | None]] = {}
        self.thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)

    def __enter__(self) -> _Sender:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._append(None)
        self.thread.join()

    def put(self, row: OutboxMessage, message: OutboxEmail) -> None:
        with self.changed:
            if len(self.built) >= BUILT_AHEAD:
                self.changed.wait_for(lambda: len(self.built) <= LOW_WATER)
        self._append((row, message))

    def _append(self, item) -> None:
        with self.changed:
            self.built.append(item)
            self.changed.notify_all()

    def _items(self):
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.built)
                item = self.built.popleft()
                if len(self.built) == LOW_WATER:
                    self.changed.notify_all()
            if item is None:
                return
            yield item

    def _run(self) -> None:
        items = self._items()
        try:
            with self.app.app_context(), transport() as connection:
                for row, message in items:
                    if self.stop.is_set() or not self.lease.holds():
                        self.outcomes[row.id] = (Outcome.UNSENT, None)
                        continue
                    self.outcomes[row.id] = self._send(connection, row, message)
                    if not connection.connected:
                        break
        except Exception as exc:  # noqa: BLE001 - the server is down or went away
            error: BaseException = exc
        else:
            error = smtplib.SMTPServerDisconnected("the mail server closed the connection")
        # Every message not yet handed over waits for a retry.
        for row, _ in items:
            self.outcomes[row.id] = (Outcome.RETRY, error)

    def _send(self, connection, row, message) -> tuple[Outcome, BaseException | None]:
        try:
            connection.send(row, message)
        except Exception as exc:  # noqa: BLE001 - one row's failure, whatever it is
            return smtp_verdict(exc), exc
        return Outcome.SENT, None


def _render(row: OutboxMessage) -> tuple[Outcome | None, Email | BaseException | None]:
    """The email of a row, from its renderer (a row queued before every email had one is
    sent as it was stored)."""
    if row.render is None:
        return None, None
    renderer = RENDERERS.get(str(row.render.get("renderer")))
    if renderer is None:
        # Queued by a newer release than this worker (a rolling deploy).
        return Outcome.POSTPONED, None
    try:
        return None, renderer.render(row)
    except RenderError as exc:
        # Nothing to send, now or later: failed at once, with the reason.
        return Outcome.FAILED, exc
    except SQLAlchemyError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in one template must not stop the rest
        return Outcome.RETRY, exc


def _hand_over(rows, sender: _Sender, stop: threading.Event, lease: Lease, early: dict) -> None:
    """Render and build each row, and give it to the sender; ``early`` gets the outcomes
    known before sending."""
    for row in rows:
        if stop.is_set() or not lease.holds():
            early[row.id] = (Outcome.UNSENT, None)
            continue
        outcome, rendered = _render(row)
        if outcome is not None:
            early[row.id] = (outcome, rendered)
            continue
        try:
            if isinstance(rendered, Email):
                fill(row, rendered)
            message = OutboxEmail(row)
        except Exception as exc:  # noqa: BLE001 - e.g. a line break in a header: never sendable
            early[row.id] = (Outcome.FAILED, exc)
            continue
        sender.put(row, message)


def _record(row: OutboxMessage, outcome: Outcome, error, now: datetime, report) -> None:
    row.claimed_until = None
    if outcome is Outcome.SENT:
        row.status, row.sent_at = OutboxStatus.SENT, utcnow()
        report.sent += 1
        return
    row.status = OutboxStatus.QUEUED
    if outcome is Outcome.UNSENT:
        row.next_attempt_at = now
        return
    if outcome is Outcome.POSTPONED:
        row.next_attempt_at = now + retry_delay(1)
        row.last_error = f"no renderer {row.render.get('renderer')!r} in this worker; waiting"
        report.retrying += 1
        return
    row.attempts += 1
    row.last_error = describe(error)
    report.errors.append(row.last_error)
    if outcome is Outcome.RETRY and row.attempts < current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.next_attempt_at = now + retry_delay(row.attempts)
        report.retrying += 1
        return
    row.status = OutboxStatus.FAILED
    report.failed += 1
    renderer = RENDERERS.get(str((row.render or {}).get("renderer")))
    if renderer is not None and renderer.gave_up is not None:
        renderer.gave_up(row)


def deliver_due(
    limit: int | None = None, now: datetime | None = None, stop: threading.Event | None = None
) -> DeliveryReport:
    """Claim and send one batch of due messages; returns what happened.

    Each row is rendered, built and handed to the server; whatever one row raises is that
    row's outcome alone. ``stop`` (SIGTERM) ends the batch after the message in hand: the
    rows not sent are due again at once. What happened is committed once, at the end: a
    worker killed mid-batch has committed nothing for it, and the messages it had handed to
    the server are sent again (with the same Message-ID) once its lease runs out.
    """
    now = now or utcnow()
    stop = stop or threading.Event()
    report = DeliveryReport()
    ids = claim_due(limit or current_app.config["MAIL_BATCH_SIZE"], now)
    report.claimed = len(ids)
    if not ids:
        return report
    rows = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.id)
            # What the renderers read, in one query each for the batch, not three per email.
            .options(
                selectinload(OutboxMessage.event),
                selectinload(OutboxMessage.registration),
                selectinload(OutboxMessage.invitation),
            )
        )
    )
    early: dict[int, tuple[Outcome, BaseException | None]] = {}
    interrupted: SQLAlchemyError | None = None
    # The heartbeat stops before the outcomes are written, so that it never waits on (or
    # deadlocks with) their transaction; the lease has a third of its length left then.
    with Lease(ids, now) as lease, _Sender(lease, stop) as sender, db.session.no_autoflush:
        try:
            _hand_over(rows, sender, stop, lease, early)
        except SQLAlchemyError as exc:
            # The database went away while rendering: what was sent is still recorded,
            # the rest goes again at once.
            interrupted = exc
    if interrupted is not None:
        db.session.rollback()
    outcomes = {**early, **sender.outcomes}
    for row in rows:
        _record(row, *outcomes.get(row.id, (Outcome.UNSENT, None)), now, report)
    db.session.commit()
    if interrupted is not None:
        raise interrupted
    return report


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def delivery_threads(requested: int | None = None) -> int:
    """How many batches a worker sends at once, each on its own thread and SMTP connection."""
    return max(1, requested or current_app.config["MAIL_WORKER_THREADS"])


class _Deliveries:
    """The worker's delivery threads, and the sum of what they did."""

    def __init__(self, count: int, *, batch: int | None, once: bool, stop: threading.Event):
        self.app = current_app._get_current_object()
        self.batch, self.once, self.stop = batch, once, stop
        self.total = DeliveryReport()
        self.crashed: list[BaseException] = []
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, name=f"mail-delivery-{n + 1}", daemon=True)
            for n in range(count)
        ]

    def run(self) -> None:
        # The delivery threads mostly wait for the mail server's answers; one whose answer
        # has come should not wait Python's default 5 ms for a thread that is writing emails
        # to let go of the interpreter (bench/bench_invitations.py: 29 -> 26.5 ms a message).
        default_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            for thread in self.threads:
                thread.start()
            for thread in self.threads:
                # A timeout, so that the main thread wakes for signals while it waits.
                while thread.is_alive():
                    thread.join(0.5)
        finally:
            sys.setswitchinterval(default_interval)
        if self.crashed:
            raise self.crashed[0]

    def _run(self) -> None:
        try:
            with self.app.app_context():  # its own database session
                self._loop()
        except Exception as exc:  # noqa: BLE001 - raised again by run(), in the main thread
            with self._lock:
                self.crashed.append(exc)
            self.stop.set()

    def _loop(self) -> None:
        poll = current_app.config["MAIL_POLL_SECONDS"]
        while not self.stop.is_set():
            try:
                report = deliver_due(self.batch, stop=self.stop)
            except SQLAlchemyError as exc:
                if self.once:
                    raise
                # The database restarting or failing over must not end the worker: claimed
                # rows come back when their lease ends, and the next poll tries again.
                click.echo(f"mail-worker: database error, trying again: {exc}", err=True)
                report = DeliveryReport()
            finally:
                db.session.remove()
            with self._lock:
                self.total.claimed += report.claimed
                self.total.sent += report.sent
                self.total.retrying += report.retrying
                self.total.failed += report.failed
            worker_beat(report)
            if self.once:
                # Rows just scheduled for a retry are not due: the loop ends when nothing is.
                if report.claimed == 0 or report.sent == 0:
                    return
                continue
            if report.sent or report.failed or report.retrying:
                click.echo(
                    f"mail-worker: {report.sent} sent, {report.retrying} to retry, "
                    f"{report.failed} failed"
                )
            if report.claimed == 0:
                self.stop.wait(poll)


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Send everything that is due, then exit.")
@click.option("--batch", type=int, default=None, help="Messages per SMTP connection.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Batches sent at once, each over its own connection (default MAIL_WORKER_THREADS).",
)
@with_appcontext
def mail_worker_command(once: bool, batch: int | None, threads: int | None) -> None:
    """Deliver queued emails from the outbox until stopped (SIGTERM or Ctrl-C)."""
    stop = threading.Event()
    deliveries = _Deliveries(delivery_threads(threads), batch=batch, once=once, stop=stop)
    if once:
        deliveries.run()
        total = deliveries.total
        click.echo(
            f"mail-worker: {total.sent} sent, {total.retrying} to retry, {total.failed} failed"
        )
        return
    _stop_on_signals(stop)
    if current_app.config["MAIL_SERVER"]:
        destination = f"SMTP server {current_app.config['MAIL_SERVER']}"
    else:
        destination = (
            f"the folder {current_app.config['MAILBOX_DIR']} (no MAIL_SERVER set; under "
            "make run, read them at /dev/mailbox/)"
        )
    click.echo(f"mail-worker: delivering to {destination}; stop with Ctrl-C or SIGTERM")
    deliveries.run()
    click.echo("mail-worker: stopped")
