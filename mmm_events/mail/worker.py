"""Delivering the outbox: claim due rows, send them over one SMTP connection, record the result.

Any number of workers may run against PostgreSQL: rows are claimed with ``FOR UPDATE SKIP
LOCKED``, so two workers never take the same row. A claim is a lease (``claimed_until``): if a
worker dies holding rows, they become due again when the lease runs out. On SQLite the claim is
one UPDATE statement, which SQLite serialises; one worker is enough there.
"""

from __future__ import annotations

import contextlib
import signal
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_mail import Connection
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from .outbox import Attachment

MAX_RETRY_DELAY = timedelta(hours=6)
# Lines up to RFC 5322's hard limit: with the usual 78, a long subject is folded before its
# first word, and some mail readers then show it with a leading space.
MAIL_POLICY = SMTP.clone(max_line_length=998)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        # Claimed by a worker that did not finish within its lease.
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
    )


def claim_due(limit: int, now: datetime) -> list[int]:
    """Mark up to ``limit`` due rows as ours until the lease ends, and commit the claim."""
    # Long enough for the whole batch even if every message waits out the SMTP timeout: a
    # lease that ran out mid-batch would let another worker send the same rows again.
    config = current_app.config
    lease = now + timedelta(
        seconds=config["MAIL_LEASE_SECONDS"] + limit * config["MAIL_TIMEOUT"]
    )
    # Locked until this transaction ends; other workers skip them (PostgreSQL). SQLite has no
    # row locks: there the UPDATE re-checks that each row is still due, and RETURNING says
    # which ones this worker really took.
    candidates = db.session.scalars(
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        db.session.commit()
        return []
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), _due(now))
        .values(status=OutboxStatus.SENDING, claimed_until=lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def build_message(row: OutboxMessage) -> EmailMessage:
    """The MIME message of a row: text and HTML alternatives, then the attachments.

    Built with the standard library's modern email API, which folds headers correctly and
    refuses line breaks in header values.
    """
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = row.subject
    message["From"] = row.sender
    message["To"] = row.recipient
    message["Date"] = formatdate(localtime=False)
    # The row's own Message-ID: a retry is recognisably the same message downstream.
    message["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    for stored in row.attachments or []:
        attachment = Attachment.from_json(stored)
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


class _TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a stalled server must not hang the
    worker forever."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class _Mailbox:
    """Development delivery without a mail server: one .eml file per message."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info):
        return None

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        stamp = row.created_at.strftime("%Y%m%dT%H%M%S")
        (self.folder / f"{stamp}-{row.id:06d}-{row.kind}.eml").write_bytes(message.as_bytes())


class _Smtp:
    def __enter__(self):
        state = current_app.extensions["mail"]
        self.connection = _TimedConnection(state).__enter__()
        return self

    def __exit__(self, *exc_info):
        # The messages were accepted already; a failed QUIT changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.__exit__(*exc_info)

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        host = self.connection.host
        if host is None:
            # MAIL_SUPPRESS_SEND (Flask-Mail's switch, on by default under TESTING).
            return
        host.send_message(
            message, from_addr=parseaddr(row.sender)[1], to_addrs=[row.recipient]
        )


def _transport():
    if not current_app.config["MAIL_SERVER"]:
        return _Mailbox(Path(current_app.config["MAILBOX_DIR"]))
    return _Smtp()


def retry_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * (2 ** (attempts - 1)), MAX_RETRY_DELAY)


def _record_failure(row: OutboxMessage, error: BaseException, now: datetime, report) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.claimed_until = None
    if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.FAILED
        report.failed += 1
    else:
        row.status = OutboxStatus.QUEUED
        row.next_attempt_at = now + retry_delay(row.attempts)
        report.retrying += 1
    report.errors.append(row.last_error)


def deliver_due(limit: int | None = None, now: datetime | None = None) -> DeliveryReport:
    """Claim and send one batch of due messages; returns what happened.

    Each row is marked sent (and committed) as soon as the server accepts it, so a crash
    repeats at most the message in flight, never the batch.
    """
    now = now or utcnow()
    report = DeliveryReport()
    ids = claim_due(limit or current_app.config["MAIL_BATCH_SIZE"], now)
    report.claimed = len(ids)
    if not ids:
        return report
    rows = list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        )
    )
    pending = list(rows)
    try:
        with _transport() as transport:
            while pending:
                row = pending[0]
                try:
                    transport.send(build_message(row), row)
                except smtplib.SMTPServerDisconnected:
                    raise
                except (smtplib.SMTPException, ValueError) as exc:
                    # This message was refused (bad recipient, bad header): the others may pass.
                    _record_failure(row, exc, now, report)
                else:
                    row.status = OutboxStatus.SENT
                    row.sent_at = utcnow()
                    row.claimed_until = None
                    report.sent += 1
                pending.pop(0)
                db.session.commit()
    except OSError as exc:
        # The server is down or went away (smtplib's errors are OSErrors too): every message
        # not yet sent waits for a retry.
        for row in pending:
            _record_failure(row, exc, now, report)
        db.session.commit()
    return report


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Send everything that is due, then exit.")
@click.option("--batch", type=int, default=None, help="Messages per SMTP connection.")
@with_appcontext
def mail_worker_command(once: bool, batch: int | None) -> None:
    """Deliver queued emails from the outbox until stopped (SIGTERM or Ctrl-C)."""
    if once:
        total = DeliveryReport()
        while True:
            report = deliver_due(batch)
            db.session.remove()
            total.sent += report.sent
            total.retrying += report.retrying
            total.failed += report.failed
            # Rows just scheduled for a retry are not due: the loop ends when nothing is.
            if report.claimed == 0 or report.sent == 0:
                break
        click.echo(
            f"mail-worker: {total.sent} sent, {total.retrying} to retry, {total.failed} failed"
        )
        return
    stop = threading.Event()
    _stop_on_signals(stop)
    if current_app.config["MAIL_SERVER"]:
        destination = f"SMTP server {current_app.config['MAIL_SERVER']}"
    else:
        destination = (
            f"the folder {current_app.config['MAILBOX_DIR']} (no MAIL_SERVER set; under "
            "make run, read them at /dev/mailbox/)"
        )
    click.echo(f"mail-worker: delivering to {destination}; stop with Ctrl-C or SIGTERM")
    poll = current_app.config["MAIL_POLL_SECONDS"]
    while not stop.is_set():
        try:
            report = deliver_due(batch)
        except SQLAlchemyError as exc:
            # The database restarting or failing over must not end the worker: claimed rows
            # come back when their lease ends, and the next poll tries again.
            click.echo(f"mail-worker: database error, trying again: {exc}", err=True)
            report = DeliveryReport()
        finally:
            db.session.remove()
        if report.sent or report.failed or report.retrying:
            click.echo(
                f"mail-worker: {report.sent} sent, {report.retrying} to retry, "
                f"{report.failed} failed"
            )
        if report.claimed == 0:
            stop.wait(poll)
    click.echo("mail-worker: stopped")
