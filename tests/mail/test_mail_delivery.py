"""The mail worker against real servers and real processes: internationalised addresses with
and without SMTPUTF8, permanent and temporary refusals, a worker killed mid-batch, a slow
worker that keeps its rows, a worker stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.mail.outbox import new_message_id
from mmm_events.mail.worker import deliver_due
from mmm_events.models import OutboxMessage, OutboxStatus, utcnow
from tests.conftest import REGISTRATION_SERVER_NAME, SmtpServer, drain_outbox

# Real SMTP servers, a worker process and the worker's own connections: real commits.
pytestmark = pytest.mark.real_commits


class RelayServer(SmtpServer):
    """The suite's SMTP server, offering SMTPUTF8 or not, refusing some recipients for now
    (4xx) and others for good (550, ``refuse``)."""

    def __init__(self, smtputf8: bool) -> None:
        super().__init__()
        self.smtputf8 = smtputf8
        self.busy: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.busy:
            return "451 Try again later"
        return await super().handle_RCPT(server, session, envelope, address, options)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            self, hostname=self.host, port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()


@pytest.fixture(params=[True, False], ids=["smtputf8", "ascii-only"])
def relay(request):
    server = RelayServer(smtputf8=request.param)
    server.start()
    yield server
    server.stop()


def queue_plain(recipients, subject: str = "Hello") -> None:
    """Rows whose email is written already, as rows queued before renderers existed."""
    for recipient in recipients:
        db.session.add(
            OutboxMessage(
                message_id=new_message_id(),
                kind="test",
                sender="Make Mothers Matter <events@example.org>",
                recipient=recipient,
                subject=subject,
                text_body=f"Hello {recipient}",
                html_body=f"<p>Hello {recipient}</p>",
            )
        )
    db.session.commit()


def outbox(app) -> dict[str, OutboxMessage]:
    with app.app_context():
        rows = {row.recipient: row for row in db.session.scalars(select(OutboxMessage))}
        db.session.expunge_all()
    return rows


ADDRESSES = [
    "ascii@example.org",
    "josé@example.org",
    "élodie@exämple.org",
    "elodie@exämple.org",
    "after@example.org",
]


def test_internationalised_addresses_never_stop_the_worker(make_app, relay):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, **relay.config())
    with app.app_context():
        queue_plain(ADDRESSES)
    [report, *_] = drain_outbox(app)
    rows = outbox(app)
    received = {rcpt for _, rcpts in relay.envelopes for rcpt in rcpts}
    # A domain alone in another script goes IDNA-encoded, whatever the server.
    assert "elodie@xn--exmple-cua.org" in received
    if relay.smtputf8:
        assert (report.sent, report.failed, report.retrying) == (5, 0, 0)
        assert received == {
            "ascii@example.org",
            "josé@example.org",
            "élodie@exämple.org",
            "elodie@xn--exmple-cua.org",
            "after@example.org",
        }
        to = {m["To"] for m in relay.messages}
        assert {"josé@example.org", "élodie@exämple.org"} <= to
        assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
        return
    assert (report.sent, report.failed, report.retrying) == (3, 2, 0)
    assert received == {"ascii@example.org", "elodie@xn--exmple-cua.org", "after@example.org"}
    for address in ("josé@example.org", "élodie@exämple.org"):
        assert (rows[address].status, rows[address].attempts) == (OutboxStatus.FAILED, 1)
        assert rows[address].last_error == (
            "UnsupportedAddress: the mail server does not offer SMTPUTF8, which the address "
            f"{address} needs"
        )


def test_an_rsvp_from_an_internationalised_address_is_confirmed_by_email(make_app, relay):
    from tests.registrations.test_registration_mail import rsvp

    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, **relay.config())
    from mmm_events.models import Event

    with app.app_context():
        starts = utcnow() + timedelta(days=60)
        event = Event(
            slug="conference", title="Conference", summary="A summary.", venue="Centre",
            city="Casablanca", country="Morocco", timezone="Africa/Casablanca",
            starts_at=starts, ends_at=starts + timedelta(hours=8), capacity=5, is_published=True,
        )  # fmt: skip
        db.session.add(event)
        db.session.commit()
        db.session.refresh(event)
        db.session.expunge(event)
    client = app.test_client()
    rsvp(client, event, email="josé@example.org")
    rsvp(client, event, email="amina@example.org")
    [report, *_] = drain_outbox(app)
    # The mailbox as written (a UTF-8 one is not a valid address to the strict parser).
    subjects = {parseaddr(str(m["To"]))[1]: m["Subject"] for m in relay.messages}
    if relay.smtputf8:
        assert (report.sent, report.failed) == (2, 0)
        assert subjects["josé@example.org"] == "You are registered: Conference"
    else:
        assert (report.sent, report.failed) == (1, 1)
        assert list(subjects) == ["amina@example.org"]


def test_temporary_refusals_are_retried_and_permanent_ones_are_not(make_app, relay):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, **relay.config())
    relay.busy.add("busy@example.org")
    relay.refuse.add("nobody@example.org")
    with app.app_context():
        queue_plain(["busy@example.org", "nobody@example.org", "ok@example.org"])
    [report, *_] = drain_outbox(app)
    assert (report.sent, report.retrying, report.failed) == (1, 1, 1)
    rows = outbox(app)
    assert (rows["nobody@example.org"].status, rows["nobody@example.org"].attempts) == (
        OutboxStatus.FAILED,
        1,
    )
    busy = rows["busy@example.org"]
    assert (busy.status, busy.attempts) == (OutboxStatus.QUEUED, 1)
    assert busy.last_error == (
        "SMTPRecipientsRefused: {'busy@example.org': (451, b'Try again later')}"
    )
    relay.busy.clear()
    later = drain_outbox(app, now=busy.next_attempt_at + timedelta(seconds=1))
    assert sum(r.sent for r in later) == 1
    assert sorted(to for _, tos in relay.envelopes for to in tos) == [
        "busy@example.org",
        "ok@example.org",
    ]


# A worker in its own process ------------------------------------------------------------------


def start_worker(database_url, tmp_path, smtp_server, *args, **settings):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MMM_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "SERVER_NAME": REGISTRATION_SERVER_NAME,
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_POLL_SECONDS": "1",
        **{name: str(value) for name, value in settings.items()},
    }
    flask = Path(sys.executable).with_name("flask")
    return subprocess.Popen(
        [str(flask), "--app", "mmm_events", "mail-worker", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stop(worker) -> None:
    if worker.poll() is None:
        worker.kill()
        worker.communicate(timeout=20)


def wait_for(condition, worker) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, "the worker did not get there"
        time.sleep(0.01)


def received(smtp_server) -> Counter:
    return Counter(to for _, tos in smtp_server.envelopes for to in tos)


@pytest.fixture
def mail_app(make_mail_app):
    return make_mail_app()


def test_a_killed_workers_rows_go_out_after_its_short_lease(
    mail_app, smtp_server, database_url, tmp_path
):
    """kill -9 mid-batch: the batch's rows are due again one lease after the last heartbeat;
    another worker then sends them. Messages handed to the server before the kill go twice
    (same Message-ID); nothing is lost."""
    batch, lease = 10, 3
    with mail_app.app_context():
        queue_plain([f"p{n}@example.org" for n in range(25)])
    smtp_server.delay = 0.2
    worker = start_worker(
        database_url, tmp_path, smtp_server, MAIL_BATCH_SIZE=batch, MAIL_LEASE_SECONDS=lease
    )
    try:
        # Killed in its second batch, after a heartbeat or two: the first batch is committed.
        wait_for(lambda: len(smtp_server.messages) >= batch + 5, worker)
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=20)
    finally:
        stop(worker)
    killed_at = utcnow()
    time.sleep(0.5)  # a message whose data reached the server before the kill is accepted
    smtp_server.delay = 0
    before = len(smtp_server.messages)
    with mail_app.app_context():
        statuses = Counter(db.session.scalars(select(OutboxMessage.status)))
        assert statuses == {
            OutboxStatus.SENT: batch,
            OutboxStatus.SENDING: batch,
            OutboxStatus.QUEUED: 5,
        }
        lease_end = db.session.scalar(select(func.max(OutboxMessage.claimed_until)))
    # Due again within one lease of the kill, not hours.
    assert killed_at < lease_end <= killed_at + timedelta(seconds=lease)
    # Until then, another worker takes only the rows nobody claimed.
    assert sum(r.sent for r in drain_outbox(mail_app, now=killed_at)) == 5
    assert sum(r.sent for r in drain_outbox(mail_app, now=lease_end)) == 0
    reports = drain_outbox(mail_app, now=lease_end + timedelta(microseconds=1))
    assert sum(r.sent for r in reports) == batch
    counts = received(smtp_server)
    assert set(counts) == {f"p{n}@example.org" for n in range(25)}
    assert set(counts.values()) <= {1, 2}
    assert sum(counts.values()) - 25 == before - batch
    with mail_app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def test_a_slow_live_worker_keeps_its_rows_past_many_leases(
    mail_app, smtp_server, database_url, tmp_path
):
    """A batch that takes several leases to send: the heartbeat renews the claim, and another
    worker polling all along never takes a row of it."""
    with mail_app.app_context():
        queue_plain([f"p{n}@example.org" for n in range(6)])
    smtp_server.delay = 0.8  # six messages: about five seconds, for a two-second lease
    worker = start_worker(
        database_url, tmp_path, smtp_server, "--once", MAIL_BATCH_SIZE=6, MAIL_LEASE_SECONDS=2
    )
    taken_by_the_other = 0
    try:
        wait_for(lambda: smtp_server.connections == 1, worker)
        while worker.poll() is None:
            with mail_app.app_context():
                taken_by_the_other += deliver_due(now=utcnow()).claimed
                db.session.remove()
            time.sleep(0.1)
        out, err = worker.communicate(timeout=20)
    finally:
        stop(worker)
    assert worker.returncode == 0, err
    assert out.strip() == "mail-worker: 6 sent, 0 to retry, 0 failed"
    assert taken_by_the_other == 0
    # One batch, one connection, from the first message to the last: never cut short.
    assert smtp_server.connections == 1
    assert received(smtp_server) == Counter({f"p{n}@example.org": 1 for n in range(6)})


def test_sigterm_mid_batch_records_what_was_sent_and_queues_the_rest_again_at_once(
    mail_app, smtp_server, database_url, tmp_path
):
    with mail_app.app_context():
        queue_plain([f"p{n}@example.org" for n in range(10)])
    smtp_server.delay = 0.3
    worker = start_worker(database_url, tmp_path, smtp_server, MAIL_BATCH_SIZE=10)
    try:
        wait_for(lambda: len(smtp_server.messages) >= 3, worker)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        stop(worker)
    assert worker.returncode == 0, err
    assert out.splitlines()[-1] == "mail-worker: stopped"
    sent = received(smtp_server)
    assert 3 <= len(sent) < 10
    assert set(sent.values()) == {1}
    stopped_at = utcnow()
    rows = outbox(mail_app)
    assert {a for a, r in rows.items() if r.status is OutboxStatus.SENT} == set(sent)
    unsent = {a: r for a, r in rows.items() if a not in sent}
    assert {(r.status, r.attempts, r.claimed_until) for r in unsent.values()} == {
        (OutboxStatus.QUEUED, 0, None)
    }
    # Due at once: the next worker sends them without waiting for any lease.
    assert sum(r.sent for r in drain_outbox(mail_app, now=stopped_at)) == len(unsent)
    assert received(smtp_server) == Counter({f"p{n}@example.org": 1 for n in range(10)})
