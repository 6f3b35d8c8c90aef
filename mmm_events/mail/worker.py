"""Delivering the outbox: claim due rows in batches, send each batch over one SMTP connection,
record the result.

Any number of workers may run against PostgreSQL, each with a few delivery threads
(``delivery_threads``): rows are claimed with ``FOR UPDATE SKIP LOCKED``, so two never take
the same row. A claim is a lease (``claimed_until``): if a worker dies holding rows, they
become due again when the lease runs out. On SQLite the claim is an UPDATE that re-checks
each row, which SQLite serialises; one worker process is enough there. What became of a
batch is committed once, at its end (see ``deliver_due`` for what a crash then means).
"""

from __future__ import annotations

import contextlib
import re
import signal
import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_mail import Connection
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow
from ..operations import worker_beat
from .mime import MessageWriter
from .outbox import RenderError, fill
from .renderers import RENDERERS

MAX_RETRY_DELAY = timedelta(hours=6)
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _queued(now: datetime):
    return and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)


def _lease_ran_out(now: datetime):
    # Claimed by a worker that did not finish within its lease.
    return and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now)


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
    # which ones this worker really took; if another took them all meanwhile, look again.
    while candidates := _due_ids(limit, now):
        claimed = db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), or_(_lease_ran_out(now), _queued(now)))
            .values(status=OutboxStatus.SENDING, claimed_until=lease)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        db.session.commit()
        if claimed:
            return sorted(claimed)
    db.session.commit()
    return []


def _due_ids(limit: int, now: datetime) -> list[int]:
    """Up to ``limit`` due rows: abandoned by a dead worker first, then the queue in order.

    Two queries, because each reads its rows straight from the index on (status,
    next_attempt_at, id), where one query with both would sort the whole queue.
    """
    found: list[int] = []
    for due in (_lease_ran_out(now), _queued(now)):
        found += db.session.scalars(
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit - len(found))
            .with_for_update(skip_locked=True)
        ).all()
        if len(found) == limit:
            break
    return found


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


Outcome = tuple[OutboxMessage, BaseException | None]


class _Mailbox:
    """Development delivery without a mail server: one .eml file per message."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info):
        return None

    def start(self, row: OutboxMessage, data: bytes) -> None:
        stamp = row.created_at.strftime("%Y%m%dT%H%M%S")
        (self.folder / f"{stamp}-{row.id:06d}-{row.kind}.eml").write_bytes(data)

    def finish(self, row: OutboxMessage) -> None:
        return None


class _Smtp:
    """One SMTP connection; each message in two halves, ``start`` and ``finish``.

    ``start`` sends the envelope and the message; ``finish`` reads the server's verdict on
    it. The worker renders and writes the next message in between, while the server is
    still reading the previous one: delivery then goes nearly at the pace of the server
    alone. The same exchange as smtplib's ``sendmail``, cut before its last reply.
    """

    def __enter__(self):
        state = current_app.extensions["mail"]
        self.connection = _TimedConnection(state).__enter__()
        # The envelope sender is the same for nearly every row: parsed once each.
        self.senders: dict[str, str] = {}
        return self

    def __exit__(self, *exc_info):
        # The messages were accepted already; a failed QUIT changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.__exit__(*exc_info)

    def _refused(self, host: smtplib.SMTP, code: int) -> None:
        if code == 421:
            host.close()
        else:
            with contextlib.suppress(smtplib.SMTPServerDisconnected):
                host.rset()

    def start(self, row: OutboxMessage, data: bytes) -> None:
        host = self.connection.host
        if host is None:
            # MAIL_SUPPRESS_SEND (Flask-Mail's switch, on by default under TESTING).
            return
        sender = self.senders.get(row.sender)
        if sender is None:
            sender = self.senders[row.sender] = parseaddr(row.sender)[1]
        host.ehlo_or_helo_if_needed()
        options = [f"size={len(data)}"] if host.does_esmtp and host.has_extn("size") else []
        code, response = host.mail(sender, options)
        if code != 250:
            self._refused(host, code)
            raise smtplib.SMTPSenderRefused(code, response, sender)
        code, response = host.rcpt(row.recipient)
        if code not in (250, 251):
            self._refused(host, code)
            raise smtplib.SMTPRecipientsRefused({row.recipient: (code, response)})
        host.putcmd("data")
        code, response = host.getreply()
        if code != 354:
            self._refused(host, code)
            raise smtplib.SMTPDataError(code, response)
        # Lines starting with a dot get another (RFC 5321 4.5.2); then the final dot.
        data = _LEADING_DOT.sub(b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        host.send(data + b".\r\n")

    def finish(self, row: OutboxMessage) -> None:
        host = self.connection.host
        if host is None:
            return
        code, response = host.getreply()
        if code != 250:
            self._refused(host, code)
            raise smtplib.SMTPDataError(code, response)


def _transport():
    if not current_app.config["MAIL_SERVER"]:
        return _Mailbox(Path(current_app.config["MAILBOX_DIR"]))
    return _Smtp()


def retry_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * (2 ** (attempts - 1)), MAX_RETRY_DELAY)


def _record_failure(
    row: OutboxMessage, error: BaseException, now: datetime, report, *, final: bool = False
) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.claimed_until = None
    if final or row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.FAILED
        report.failed += 1
        renderer = RENDERERS.get(str((row.render or {}).get("renderer")))
        if renderer is not None and renderer.gave_up is not None:
            renderer.gave_up(row)
    else:
        row.status = OutboxStatus.QUEUED
        row.next_attempt_at = now + retry_delay(row.attempts)
        report.retrying += 1
    report.errors.append(row.last_error)


def _rendered(
    rows: list[OutboxMessage], now: datetime, report: DeliveryReport
) -> Iterator[tuple[OutboxMessage, RenderError | None]]:
    """The rows in order, each written by its renderer first (a row queued before every
    email had one is sent as it was stored)."""
    for row in rows:
        if row.render is None:
            yield row, None
            continue
        renderer = RENDERERS.get(str(row.render.get("renderer")))
        if renderer is None:
            # Queued by a newer release than this worker (a rolling deploy): one that knows
            # the renderer will send it.
            _postpone(row, now, report)
            continue
        try:
            fill(row, renderer.render(row))
        except RenderError as exc:
            yield row, exc
            continue
        yield row, None


def _postpone(row: OutboxMessage, now: datetime, report: DeliveryReport) -> None:
    row.status = OutboxStatus.QUEUED
    row.claimed_until = None
    row.next_attempt_at = now + retry_delay(1)
    row.last_error = f"no renderer {row.render.get('renderer')!r} in this worker; waiting for one"
    report.retrying += 1


def _finish(transport, row: OutboxMessage) -> Outcome:
    """The server's verdict on the message in flight; a broken connection propagates."""
    try:
        transport.finish(row)
    except smtplib.SMTPServerDisconnected:
        raise
    except smtplib.SMTPException as exc:
        return row, exc
    return row, None


def deliver_due(limit: int | None = None, now: datetime | None = None) -> DeliveryReport:
    """Claim and send one batch of due messages; returns what happened.

    The rows the worker renders itself (bulk invitations) are rendered here, each while the
    server reads the previous one. What happened to the batch is committed once,
    at its end: a commit per message cost more than sending it. So a worker that dies
    mid-batch (killed, power cut) has committed nothing for that batch: its rows become due
    again when the lease runs out, and the messages it had already handed to the server are
    sent a second time (at most one batch, MAIL_BATCH_SIZE messages, per delivery thread,
    with the same Message-ID). A server refusing, a server going away or a database error
    are no crash: in normal operation every email is sent once.
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
    writer = MessageWriter()
    outcomes: list[Outcome] = []
    interrupted: BaseException | None = None
    try:
        with _transport() as transport:
            in_flight: OutboxMessage | None = None
            try:
                for row, error in _rendered(rows, now, report):
                    if error is not None:
                        # Nothing to send, now or later: failed at once, with the reason.
                        _record_failure(row, error, now, report, final=True)
                        continue
                    try:
                        data = writer.message_bytes(row)
                    except ValueError as exc:
                        # A header the standard library refuses: this message only.
                        outcomes.append((row, exc))
                        continue
                    if in_flight is not None:
                        outcomes.append(_finish(transport, in_flight))
                    in_flight = None
                    try:
                        transport.start(row, data)
                    except smtplib.SMTPServerDisconnected:
                        raise
                    except smtplib.SMTPException as exc:
                        # This message was refused (bad recipient, bad sender): the others
                        # may pass.
                        outcomes.append((row, exc))
                    else:
                        in_flight = row
            except OSError:
                raise
            except Exception as exc:  # noqa: BLE001 - re-raised once the sent are recorded
                # Rendering broke (a bug, the database): what went out is still recorded.
                interrupted = exc
            if in_flight is not None:
                outcomes.append(_finish(transport, in_flight))
    except OSError as exc:
        # The server is down or went away (smtplib's errors are OSErrors too): every
        # message not yet accepted waits for a retry.
        recorded = {row.id for row, _ in outcomes}
        outcomes.extend(
            (row, exc)
            for row in rows
            if row.id not in recorded and row.status is OutboxStatus.SENDING
        )
    for row, error in outcomes:
        if error is None:
            row.status = OutboxStatus.SENT
            row.sent_at = utcnow()
            row.claimed_until = None
            report.sent += 1
        else:
            _record_failure(row, error, now, report)
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
    """How many batches a worker sends at once, each on its own thread and SMTP connection.

    While one thread waits for the mail server's answers or the database, another writes
    its emails: in the invitation benchmark two deliver a quarter to a third faster than one,
    on PostgreSQL and on SQLite.
    """
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
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join()
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
                report = deliver_due(self.batch)
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
