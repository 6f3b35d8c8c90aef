"""The emails of registration, delivered by the outbox worker to a real SMTP server."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from babel.dates import format_date
from icalendar import Calendar
from PIL import Image
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.mail import lease
from mmm_events.mail.lease import claim_due
from mmm_events.mail.worker import deliver_due
from mmm_events.models import Event, OutboxMessage, OutboxStatus, Registration, utcnow
from mmm_events.registrations import services, status
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, rsvp_form, sign_in

CASABLANCA = ZoneInfo("Africa/Casablanca")


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


@pytest.fixture
def conference(create_event, now):
    first = (now + timedelta(days=60)).astimezone(CASABLANCA).date()

    def factory(**fields) -> Event:
        values = {
            "title": "International Conference #Mothers4Peace",
            "venue": "Conference centre",
            "starts_at": datetime.combine(first, time(9, 0), CASABLANCA),
            "ends_at": datetime.combine(first + timedelta(days=1), time(17, 30), CASABLANCA),
        }
        values.update(fields)
        return create_event(**values)

    return factory


def rsvp(client, event, **overrides):
    response = client.post(f"/events/{event.slug}", data=rsvp_form(event, **overrides))
    assert response.status_code == 303
    return response


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def attachment_types(message) -> list[tuple[str, str]]:
    return [(a.get_filename(), a.get_content_type()) for a in message.iter_attachments()]


def calendar_of(message):
    [calendar] = [
        a for a in message.iter_attachments() if a.get_content_type() == "text/calendar"
    ]
    return Calendar.from_ical(calendar.get_content())


def check_in_code_of(message) -> str:
    """What a phone camera reads in the QR code attached to ``message``."""
    [code] = [a for a in message.iter_attachments() if a.get_filename() == "check-in-code.png"]
    image = Image.open(io.BytesIO(code.get_content()))
    # Only QR codes: a reader of every format now and then also finds a short 1D barcode
    # inside the pattern.
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return "".join(result.text for result in found)


def test_confirmation_email_arrives_complete(app, client, smtp_server, conference):
    event = conference()
    rsvp(client, event)
    assert smtp_server.messages == []  # the request never talks to the mail server
    reports = drain_outbox(app)
    assert reports[0].sent == 1
    [message] = smtp_server.messages
    assert message["To"] == "Amina Benali <amina@example.org>"
    assert message["From"] == "Make Mothers Matter <events@example.org>"
    assert message["Subject"] == "You are registered: International Conference #Mothers4Peace"
    assert smtp_server.envelopes == [("events@example.org", ["amina@example.org"])]
    text, html = parts(message)
    day_one, day_two = event.days
    for body in (text, html):
        assert "Hello Amina Benali," in body
        assert "Your place is confirmed." in body
        assert "International Conference #Mothers4Peace" in body
        assert "Conference centre, Casablanca, Morocco" in body
        # 09:00 to 17:30 in Casablanca, whatever the hour in UTC.
        assert (
            f"from {format_date(day_one, 'long', locale='en')} at 9:00\u202fAM "
            f"to {format_date(day_two, 'long', locale='en')} at 5:30\u202fPM "
            "(Casablanca time, UTC+1)"
        ) in body
    assert '<html lang="en">' in html
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        row = db.session.scalar(select(OutboxMessage))
        token = registration.token
        assert row.status is OutboxStatus.SENT
        assert row.sent_at is not None
        assert message["Message-ID"] == row.message_id
    link = f"http://{REGISTRATION_SERVER_NAME}/events/manage/{token}"
    assert link in text
    assert f'href="{link}"' in html
    # One blank line between paragraphs, and before the signature.
    lines = text.replace("\r\n", "\n")
    assert "\n\n\n" not in lines
    assert lines.rstrip().endswith(
        "on your phone or printed.\n\n-- \nMake Mothers Matter\nevents@makemothersmatter.org"
    )
    followed = client.get(link)
    assert followed.status_code == 200
    assert "Your place is confirmed." in followed.text

    calendar = calendar_of(message)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "International Conference #Mothers4Peace"
    assert str(entry["LOCATION"]) == "Conference centre, Casablanca, Morocco"
    assert entry["UID"] == f"event-{event.id}@example.org"
    assert entry.decoded("DTSTART") == event.starts_at
    assert entry.decoded("DTSTART").tzinfo.key == "Africa/Casablanca"
    assert entry.decoded("DTEND") == event.ends_at
    assert entry["DTSTART"].params["TZID"] == "Africa/Casablanca"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Africa/Casablanca"]
    assert link in str(entry["DESCRIPTION"])
    assert str(calendar["VERSION"]) == "2.0"


def test_confirmation_carries_a_check_in_code_that_opens_the_person_for_organisers(
    app, client, smtp_server, conference, create_user
):
    event = conference()
    rsvp(client, event)
    drain_outbox(app)
    [message] = smtp_server.messages
    assert attachment_types(message) == [
        (f"{event.slug}.ics", "text/calendar"),
        ("check-in-code.png", "image/png"),
    ]
    assert "show the attached check-in code (check-in-code.png)" in parts(message)[0]
    with app.app_context():
        manage_token, check_in_token = db.session.execute(
            select(Registration.token, Registration.check_in_token)
        ).one()
    url = check_in_code_of(message)
    assert url == f"http://{REGISTRATION_SERVER_NAME}/organiser/check-in/{check_in_token}"
    # The ticket is not the key to the registration: its secret opens no manage page.
    assert check_in_token != manage_token
    assert check_in_token not in parts(message)[0]
    for path in ("", "/edit", "/cancel", "/calendar.ics"):
        assert client.get(f"/events/manage/{check_in_token}{path}").status_code == 404
    assert client.post(f"/events/manage/{check_in_token}/cancel").status_code == 404
    sign_in(client, create_user(events=(event,)))
    page = client.get(url).get_data(as_text=True)
    assert "<h1>Amina Benali</h1>" in page
    # Nor is the manage link a check-in code.
    assert client.get(f"/organiser/check-in/{manage_token}").status_code == 404


def test_the_waiting_list_gets_no_check_in_code_until_promoted(
    app, client, smtp_server, conference
):
    event = conference(capacity=1)
    rsvp(client, event)
    rsvp(client, event, email="second@example.org", full_name="Second Person")
    drain_outbox(app)
    waiting = smtp_server.messages[1]
    # No calendar entry either: a place on the waiting list is not a seat at the event.
    assert attachment_types(waiting) == []
    assert "check-in code" not in parts(waiting)[0]
    assert "calendar" not in parts(waiting)[0]
    with app.app_context():
        first = db.session.scalar(
            select(Registration).where(Registration.email == "amina@example.org")
        )
        status.cancel_registration(first, now=utcnow())
        db.session.commit()
        second_token = db.session.scalar(
            select(Registration.check_in_token).where(Registration.email == "second@example.org")
        )
    drain_outbox(app)
    promoted = smtp_server.messages[-1]
    assert promoted["To"] == "Second Person <second@example.org>"
    assert check_in_code_of(promoted).endswith(f"/organiser/check-in/{second_token}")


def test_email_is_in_the_persons_language(app, client, smtp_server, conference):
    event = conference()
    rsvp(client, event, language="fr")
    drain_outbox(app)
    [message] = smtp_server.messages
    text, html = parts(message)
    assert '<html lang="fr">' in html
    assert message["Subject"] == (
        "Vous êtes inscrit(e)\u00a0: International Conference #Mothers4Peace"
    )
    assert "Bonjour Amina Benali," in text
    assert "Merci pour votre inscription. Votre place est confirmée." in text
    # Dates written the French way, in the event's zone.
    day_one, day_two = event.days
    assert (
        f"du {format_date(day_one, 'long', locale='fr')} à 09:00 "
        f"au {format_date(day_two, 'long', locale='fr')} à 17:30"
    ) in text


def test_waiting_list_email_and_promotion_email(app, client, smtp_server, conference, now):
    event = conference(capacity=1)
    rsvp(client, event)
    rsvp(client, event, email="second@example.org", full_name="Second Person")
    drain_outbox(app)
    assert [m["Subject"] for m in smtp_server.messages] == [
        "You are registered: International Conference #Mothers4Peace",
        "You are on the waiting list: International Conference #Mothers4Peace",
    ]
    assert "you are on the waiting list" in parts(smtp_server.messages[1])[0]
    with app.app_context():
        token = db.session.scalar(
            select(Registration.token).where(Registration.email == "amina@example.org")
        )
    assert client.post(f"/events/manage/{token}/cancel").status_code == 303
    drain_outbox(app)
    cancelled, promoted = smtp_server.messages[2:]
    assert (cancelled["To"], cancelled["Subject"]) == (
        "Amina Benali <amina@example.org>",
        "Your registration is cancelled: International Conference #Mothers4Peace",
    )
    # The calendar file that takes the event out of the person's calendar, saying so in its
    # MIME type too, where Outlook and Gmail look for it.
    assert attachment_types(cancelled) == [(f"{event.slug}.ics", "text/calendar")]
    [ics] = cancelled.iter_attachments()
    assert ics["Content-Type"] == 'text/calendar; method="CANCEL"; charset="utf-8"'
    assert calendar_of(cancelled)["METHOD"] == "CANCEL"
    assert (promoted["To"], promoted["Subject"]) == (
        "Second Person <second@example.org>",
        "A place is free for you: International Conference #Mothers4Peace",
    )
    assert "Your registration is now confirmed." in parts(promoted)[0]
    # The seat brings the calendar entry, newer than anything sent before.
    [ics] = [a for a in promoted.iter_attachments() if a.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "PUBLISH"
    [entry] = calendar_of(promoted).walk("VEVENT")
    assert entry["SEQUENCE"] > 0


def test_send_link_email_has_a_working_link(app, client, smtp_server, conference):
    event = conference()
    rsvp(client, event)
    client.post(f"/events/{event.slug}/send-link", data={"email": "Amina@Example.org"})
    drain_outbox(app)
    link_message = smtp_server.messages[1]
    assert link_message["Subject"] == (
        "Your registration link: International Conference #Mothers4Peace"
    )
    text, _ = parts(link_message)
    link = next(line for line in text.splitlines() if "/events/manage/" in line)
    assert client.get(link.strip()).status_code == 200


def test_smtp_down_then_up_every_email_arrives_once(app, client, smtp_server, conference, now):
    event = conference(capacity=2)
    smtp_server.stop()
    for n in range(4):
        rsvp(client, event, email=f"p{n}@example.org")
    [report] = drain_outbox(app)
    assert (report.claimed, report.sent, report.retrying, report.failed) == (4, 0, 4, 0)
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.QUEUED, 1)}
        assert all("ConnectionRefusedError" in r.last_error for r in rows)
        retry_at = rows[0].next_attempt_at
    # Not due yet: the worker waits for the backoff.
    assert drain_outbox(app)[0].claimed == 0
    smtp_server.start()
    reports = drain_outbox(app, now=retry_at + timedelta(seconds=1))
    assert reports[0].sent == 4
    assert drain_outbox(app, now=retry_at + timedelta(days=1))[0].claimed == 0
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == [
        f"p{n}@example.org" for n in range(4)
    ]
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 4
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def test_after_the_last_attempt_a_message_is_failed_with_its_error(
    make_mail_app, smtp_server, conference, now
):
    app = make_mail_app(MAIL_MAX_ATTEMPTS=2, MAIL_RETRY_SECONDS=10)
    event = conference()
    client = app.test_client()
    rsvp(client, event)
    smtp_server.stop()
    start = utcnow()
    first = drain_outbox(app, now=start)[0]
    second = drain_outbox(app, now=start + timedelta(seconds=11))[0]
    assert (first.retrying, second.failed) == (1, 1)
    smtp_server.start()
    assert drain_outbox(app, now=now + timedelta(days=1))[0].claimed == 0
    assert smtp_server.messages == []
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)
        assert row.last_error.startswith("ConnectionRefusedError")


def test_a_refused_recipient_fails_at_once_and_does_not_stop_the_batch(app, smtp_server, now):
    with app.app_context():
        smtp_server.refuse.add("gone@example.org")
        for recipient in ("ok1@example.org", "gone@example.org", "ok2@example.org"):
            _enqueue_plain(recipient)
        db.session.commit()
    report = drain_outbox(app)[0]
    # "550 No such user here" is final: no retries for hours.
    assert (report.sent, report.retrying, report.failed) == (2, 0, 1)
    with app.app_context():
        row = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "gone@example.org")
        )
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
        assert row.last_error == (
            "SMTPRecipientsRefused: {'gone@example.org': (550, b'No such user here')}"
        )
    assert [m["To"] for m in smtp_server.messages] == ["ok1@example.org", "ok2@example.org"]


def _enqueue_plain(recipient: str, subject: str = "Hello") -> OutboxMessage:
    """A row whose email is written already (as rows queued before renderers existed)."""
    from mmm_events.mail.outbox import new_message_id

    row = OutboxMessage(
        message_id=new_message_id(),
        kind="test",
        sender="Make Mothers Matter <events@example.org>",
        recipient=recipient,
        subject=subject,
        text_body="Text body",
        html_body="<p>HTML body</p>",
        headers={"X-Test": "yes"},
    )
    db.session.add(row)
    return row


def test_one_connection_per_batch_and_headers_from_the_row(app, smtp_server):
    with app.app_context():
        for n in range(7):
            _enqueue_plain(f"p{n}@example.org", subject=f"Message {n}")
        db.session.commit()
        report = deliver_due(limit=5)
        assert report.sent == 5
        assert smtp_server.connections == 1
        assert deliver_due(limit=5).sent == 2
        assert smtp_server.connections == 2
        db.session.remove()
    assert [m["Subject"] for m in smtp_server.messages] == [f"Message {n}" for n in range(7)]
    assert {m["X-Test"] for m in smtp_server.messages} == {"yes"}


def test_rows_of_a_crashed_worker_are_due_again_after_the_lease(app, smtp_server, now):
    with app.app_context():
        _enqueue_plain("p@example.org")
        db.session.commit()
        start = utcnow()
        assert len(claim_due(10, start)) == 1  # ...and the worker dies here
        assert deliver_due(now=start + timedelta(seconds=10)).claimed == 0
        lease = app.config["MAIL_LEASE_SECONDS"]
        assert lease == 60  # due again within a minute of the crash, not hours
        assert deliver_due(now=start + timedelta(seconds=lease - 1)).claimed == 0
        assert deliver_due(now=start + timedelta(seconds=lease + 1)).sent == 1
        db.session.remove()
    assert len(smtp_server.messages) == 1


def test_a_claim_whose_rows_another_worker_took_meanwhile_takes_the_next(
    app, smtp_server, monkeypatch
):
    """Between looking for due rows and claiming them, another worker may take them (on
    SQLite, which has no row locks): the claim then looks again rather than come back empty,
    which would end a ``--once`` worker with rows still due."""
    with app.app_context():
        for n in range(6):
            _enqueue_plain(f"p{n}@example.org", subject=f"Message {n}")
        db.session.commit()
        looked = lease.due_ids
        taken: list[int] = []

        def taken_by_another_worker_meanwhile(limit, now):
            found = looked(limit, now)
            if not taken:
                taken.extend(found)
                db.session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(found))
                    .values(status=OutboxStatus.SENDING, claimed_until=now + timedelta(hours=1))
                )
            return found

        monkeypatch.setattr(lease, "due_ids", taken_by_another_worker_meanwhile)
        claimed = claim_due(3, utcnow())
        ids = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    assert taken == ids[:3]
    assert claimed == ids[3:]


def test_several_workers_never_send_a_row_twice(make_mail_app, smtp_server):
    app = make_mail_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 8, "connect_args": {}}
        if "postgresql" in make_mail_app().config["SQLALCHEMY_DATABASE_URI"]
        else {"connect_args": {"timeout": 30}}
    )
    with app.app_context():
        for n in range(60):
            _enqueue_plain(f"p{n}@example.org", subject=f"Message {n}")
        db.session.commit()
        db.session.remove()
    errors = []

    def worker():
        try:
            with app.app_context():
                while deliver_due(limit=4).claimed:
                    db.session.remove()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == sorted(f"Message {n}" for n in range(60))


# The mail worker claims its rows on a connection of its own (mail.lease).
@pytest.mark.real_commits
def test_without_mail_server_messages_go_to_the_mailbox_folder(make_app, tmp_path, conference):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, MAIL_SERVER="")
    event = conference()
    rsvp(app.test_client(), event)
    assert drain_outbox(app)[0].sent == 1
    [eml] = list((tmp_path / "mailbox").glob("*.eml"))
    assert eml.name.endswith("-registration_confirmation.eml")
    content = eml.read_bytes()
    subject = b"\r\nSubject: You are registered: International Conference #Mothers4Peace\r\n"
    assert subject in content


def test_mail_worker_cli_once(make_mail_app, smtp_server, conference):
    app = make_mail_app()
    event = conference()
    rsvp(app.test_client(), event)
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "mail-worker: 1 sent, 0 to retry, 0 failed"
    assert len(smtp_server.messages) == 1


def test_mail_worker_sends_each_batch_over_one_connection_at_a_time(make_mail_app, smtp_server):
    """One worker is one loop over one connection: it scales by running more workers (as the
    deliveries above, side by side, each message once), never by opening more at once."""
    app = make_mail_app(MAIL_BATCH_SIZE=2)
    with app.app_context():
        for n in range(24):
            _enqueue_plain(f"p{n}@example.org", subject=f"Message {n}")
        db.session.commit()
        db.session.remove()
    smtp_server.delay = 0.01
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "mail-worker: 24 sent, 0 to retry, 0 failed"
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == sorted(f"Message {n}" for n in range(24))
    assert smtp_server.connections == 12
    assert smtp_server.most_open_connections == 1
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def test_services_without_request_use_server_name(app, smtp_server, conference, now):
    event = conference()
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        details = services.RegistrationDetails(
            "Nadia", "nadia@example.org", "", "France", loaded.days, "", "en"
        )
        outcome = services.register(loaded, details, now=now)
        db.session.commit()
        token = outcome.registration.token
        db.session.remove()
    drain_outbox(app)
    text, _ = parts(smtp_server.messages[0])
    assert f"http://{REGISTRATION_SERVER_NAME}/events/manage/{token}" in text


# The mail worker claims its rows on a connection of its own (mail.lease).
@pytest.mark.real_commits
def test_development_mailbox_pages(make_app, tmp_path, conference):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, MAIL_SERVER="", MMM_ENV="development")
    client = app.test_client()
    rsvp(client, conference())
    drain_outbox(app)
    index = client.get("/dev/mailbox/")
    assert index.status_code == 200
    [name] = re.findall(r'href="/dev/mailbox/([^"/]+\.eml)"', index.text)
    message = client.get(f"/dev/mailbox/{name}")
    assert "Thank you for registering. Your place is confirmed." in message.text
    assert ".ics" in message.text
    with client.get(f"/dev/mailbox/{name}/raw") as raw:
        assert b"\r\nSubject: You are registered: " in raw.data
    assert client.get("/dev/mailbox/..%2Fsecret_key").status_code == 404
    assert client.get("/dev/mailbox/nothing.eml").status_code == 404


def test_mailbox_pages_exist_only_in_development(client):
    assert client.get("/dev/mailbox/").status_code == 404


def test_mail_worker_stops_cleanly_on_sigterm(database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MMM_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "MAIL_SERVER": "",
        "MAIL_POLL_SECONDS": "1",
    }
    flask = Path(sys.executable).with_name("flask")
    worker = subprocess.Popen(
        [str(flask), "--app", "mmm_events", "mail-worker"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first_line = worker.stdout.readline()
        assert first_line.startswith(f"mail-worker: delivering to the folder {tmp_path}")
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert out.strip() == "mail-worker: stopped"
