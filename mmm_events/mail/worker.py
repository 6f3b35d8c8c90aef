"""Delivering the outbox: claim due rows in batches, send each batch over one SMTP connection,
record the result.

One worker is one plain loop over one connection at a time; more throughput is more worker
processes (as many as the relay accepts connections). Threads that built the next message
while the server read the last bought only 1.35 times the rate at the same number of
connections (bench/bench_invitations.py's relay, December 2026), not worth their machinery.

Any number of workers may run against PostgreSQL: rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so two never take the same row. On SQLite the claim is an UPDATE that re-checks
each row, which SQLite serialises. A claim is a short lease, renewed while the batch is in
progress (``lease.py``). What became of the batch is committed once, at its end.
"""

from __future__ import annotations

import enum
import signal
import smtplib
import threading
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


def _deliver(row: OutboxMessage, connection, stop: threading.Event, lease: Lease):
    """Render and build the row's message and hand it to the server: the row's outcome, and
    the error behind it. Whatever one row raises is that row's outcome alone."""
    if stop.is_set() or not lease.holds():
        return Outcome.UNSENT, None
    outcome, rendered = _render(row)
    if outcome is not None:
        return outcome, rendered
    try:
        if isinstance(rendered, Email):
            fill(row, rendered)
        message = OutboxEmail(row)
    except Exception as exc:  # noqa: BLE001 - e.g. a line break in a header: never sendable
        return Outcome.FAILED, exc
    try:
        connection.send(row, message)
    except Exception as exc:  # noqa: BLE001 - one row's failure, whatever it is
        return smtp_verdict(exc), exc
    return Outcome.SENT, None


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


def _claimed_rows(ids: list[int]) -> list[OutboxMessage]:
    """The batch's rows in id order, with what the renderers read: one query each for the
    batch, not three per email."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.id)
            .options(
                selectinload(OutboxMessage.event),
                selectinload(OutboxMessage.registration),
                selectinload(OutboxMessage.invitation),
            )
        )
    )


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
    rows = _claimed_rows(ids)
    outcomes: dict[int, tuple[Outcome, BaseException | None]] = {}
    interrupted: SQLAlchemyError | None = None
    # The heartbeat stops before the outcomes are written, so that it never waits on (or
    # deadlocks with) their transaction; the lease has a third of its length left then.
    with Lease(ids, now) as lease, db.session.no_autoflush:
        try:
            with transport() as connection:
                for row in rows:
                    outcomes[row.id] = _deliver(row, connection, stop, lease)
                    if not connection.connected:
                        raise smtplib.SMTPServerDisconnected(
                            "the mail server closed the connection"
                        )
        except SQLAlchemyError as exc:
            # The database went away while rendering: what was sent is still recorded,
            # the rest goes again at once.
            interrupted = exc
        except Exception as exc:  # noqa: BLE001 - the server is down or went away
            # Every message not yet handed over waits for a retry.
            for row in rows:
                outcomes.setdefault(row.id, (Outcome.RETRY, exc))
    if interrupted is not None:
        db.session.rollback()
    kept = lease.kept()
    for row in rows:
        if row.id in kept:
            _record(row, *outcomes.get(row.id, (Outcome.UNSENT, None)), now, report)
        else:
            db.session.expire(row)  # taken by another worker once the lease ran out
    db.session.commit()
    if interrupted is not None:
        raise interrupted
    return report


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _deliver_until_stopped(*, batch: int | None, once: bool, stop: threading.Event):
    """Batch after batch until ``stop`` (or, with ``once``, until nothing is due); the sum
    of what was done."""
    poll = current_app.config["MAIL_POLL_SECONDS"]
    total = DeliveryReport()
    while not stop.is_set():
        try:
            report = deliver_due(batch, stop=stop)
        except SQLAlchemyError as exc:
            if once:
                raise
            # The database restarting or failing over must not end the worker: claimed
            # rows come back when their lease ends, and the next poll tries again.
            click.echo(f"mail-worker: database error, trying again: {exc}", err=True)
            report = DeliveryReport()
        finally:
            db.session.remove()
        total.claimed += report.claimed
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        worker_beat(report)
        if once:
            # Rows just scheduled for a retry are not due: the loop ends when nothing is.
            if report.claimed == 0 or report.sent == 0:
                return total
            continue
        if report.sent or report.failed or report.retrying:
            click.echo(
                f"mail-worker: {report.sent} sent, {report.retrying} to retry, "
                f"{report.failed} failed"
            )
        if report.claimed == 0:
            stop.wait(poll)
    return total


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Send everything that is due, then exit.")
@click.option("--batch", type=int, default=None, help="Messages per SMTP connection.")
@with_appcontext
def mail_worker_command(once: bool, batch: int | None) -> None:
    """Deliver queued emails from the outbox until stopped (SIGTERM or Ctrl-C)."""
    stop = threading.Event()
    if once:
        total = _deliver_until_stopped(batch=batch, once=True, stop=stop)
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
    _deliver_until_stopped(batch=batch, once=False, stop=stop)
    click.echo("mail-worker: stopped")
