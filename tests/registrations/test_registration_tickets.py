"""Tickets people use at the door, and calendar entries that follow the registration: the
check-in code shown in the email and on the manage page, emails to both addresses when one
changes, calendar updates and cancellations (issue 11, point 3)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from icalendar import Calendar
from PIL import Image
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.mail import Attachment
from mmm_events.mail.messages import OutboxEmail
from mmm_events.models import Event, OutboxMessage, Registration, utcnow
from mmm_events.registrations.calendar import SEQUENCE_EPOCH, change_sequence
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox

from .test_registration_mail import (
    attachment_types,
    calendar_of,
    check_in_code_of,
    parts,
    rsvp,
)
from .test_registration_mail import conference as conference  # noqa: PLC0414 - the fixture


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def qr_text(png: bytes) -> str:
    return "".join(r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


def tokens(app) -> tuple[str, str]:
    with app.app_context():
        row = db.session.execute(select(Registration.token, Registration.check_in_token)).one()
    return tuple(row)


def backdate(app):
    """The registration and its event were last changed an hour ago: calendar entries count
    seconds, and a test runs within one."""
    with app.app_context():
        for model in (Registration, Event):
            db.session.execute(update(model).values(updated_at=utcnow() - timedelta(hours=1)))
        db.session.commit()


def edit(client, token, event, **changes):
    data = {
        "full_name": "Amina Benali",
        "email": "amina@example.org",
        "country": "Morocco",
        "language": "en",
        "days": [d.isoformat() for d in event.days],
        **changes,
    }
    response = client.post(f"/events/manage/{token}/edit", data=data)
    assert response.status_code == 303, response.text
    return response


def test_the_confirmation_shows_the_check_in_code_inline_and_keeps_the_attachment(
    app, client, smtp_server, conference
):
    event = conference()
    rsvp(client, event)
    drain_outbox(app)
    [message] = smtp_server.messages
    _, check_in_token = tokens(app)
    html = parts(message)[1]
    assert '<img src="cid:check-in-code@mmm-events" alt="Check-in code" width="320"' in html
    # The person's name and the event under the code.
    assert re.search(
        r'cid:check-in-code@mmm-events.*?Amina Benali</td></tr>\s*'
        r'<tr><td style="padding:0;">International Conference #Mothers4Peace</td>',
        html,
        re.S,
    )
    [code] = [a for a in message.iter_attachments() if a.get_content_type() == "image/png"]
    assert code["Content-ID"] == "<check-in-code@mmm-events>"
    assert code.get_content_disposition() == "inline"
    assert code.get_filename() == "check-in-code.png"
    assert check_in_code_of(message) == (
        f"http://{REGISTRATION_SERVER_NAME}/organiser/check-in/{check_in_token}"
    )


def test_rows_written_before_inline_images_are_still_sent_as_attachments(app):
    stored = Attachment("a.txt", "text/plain", b"hello").to_json()
    assert stored == {"filename": "a.txt", "content_type": "text/plain", "data": "aGVsbG8="}
    assert Attachment.from_json(stored) == Attachment("a.txt", "text/plain", b"hello", None)
    row = OutboxMessage(
        message_id="<1@example.org>", kind="old", sender="events@example.org",
        recipient="a@example.org", subject="Old", text_body="Text", html_body="<p>Html</p>",
        attachments=[stored], headers={},
    )
    with app.app_context():
        email = OutboxEmail(row)
    assert b'Content-Disposition: attachment; filename="a.txt"' in email.as_bytes()
    assert b"Content-ID" not in email.as_bytes()


def test_the_manage_page_shows_the_check_in_code_of_a_confirmed_place(
    app, client, smtp_server, conference
):
    event = conference(capacity=1)
    rsvp(client, event)
    rsvp(client, event, email="second@example.org", full_name="Second Person")
    with app.app_context():
        rows = db.session.execute(
            select(Registration.token, Registration.check_in_token).order_by(Registration.id)
        ).all()
    (token, check_in_token), (waiting_token, _) = rows
    page = client.get(f"/events/manage/{token}").text
    assert f'<img src="/events/manage/{token}/check-in-code.png" alt="Check-in code">' in page
    assert (
        "<figcaption><strong>Amina Benali</strong><br>"
        "International Conference #Mothers4Peace</figcaption>"
    ) in page
    response = client.get(f"/events/manage/{token}/check-in-code.png")
    assert (response.status_code, response.mimetype) == (200, "image/png")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert qr_text(response.data) == (
        f"http://{REGISTRATION_SERVER_NAME}/organiser/check-in/{check_in_token}"
    )
    # No code for a place still waiting, nor under the check-in secret itself.
    assert "check-in-code.png" not in client.get(f"/events/manage/{waiting_token}").text
    assert client.get(f"/events/manage/{waiting_token}/check-in-code.png").status_code == 404
    assert client.get(f"/events/manage/{check_in_token}/check-in-code.png").status_code == 404


def test_changing_the_address_emails_the_old_and_the_new_one(
    app, client, smtp_server, conference
):
    event = conference()
    rsvp(client, event)
    backdate(app)
    drain_outbox(app)
    token, _ = tokens(app)
    before = calendar_of(smtp_server.messages[0]).walk("VEVENT")[0]
    edit(client, token, event, email="amina.new@example.org")
    drain_outbox(app)
    by_address = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages[1:]}
    assert sorted(by_address) == ["amina.new@example.org", "amina@example.org"]
    old, asked = by_address["amina@example.org"], by_address["amina.new@example.org"]
    assert old["Subject"] == (
        "A new email address was requested for your registration: "
        "International Conference #Mothers4Peace"
    )
    assert "to change its email address to amina.new@example.org." in parts(old)[0]
    assert f"http://{REGISTRATION_SERVER_NAME}/events/manage/{token}" in parts(old)[0]
    assert list(old.iter_attachments()) == []
    # The new address gets the link that confirms it, and nothing else of the registration.
    assert asked["Subject"] == (
        "Please confirm your new email address: International Conference #Mothers4Peace"
    )
    assert token not in parts(asked)[0] + parts(asked)[1]
    assert list(asked.iter_attachments()) == []
    link = re.search(r"http://[^/]+(/events/manage/address/\S+)", parts(asked)[0]).group(1)
    form = client.get(link)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
    client.post(link, data={"csrf_token": csrf.group(1)} if csrf else {})
    drain_outbox(app)
    new = smtp_server.messages[-1]
    assert new["To"].addresses[0].addr_spec == "amina.new@example.org"
    assert new["Subject"] == "Your registration is updated: International Conference #Mothers4Peace"
    assert attachment_types(new) == [
        (f"{event.slug}.ics", "text/calendar"),
        ("check-in-code.png", "image/png"),
    ]
    after = calendar_of(new).walk("VEVENT")[0]
    # The same calendar entry, updated: same UID, higher SEQUENCE.
    assert str(after["UID"]) == str(before["UID"]) == f"event-{event.id}@example.org"
    assert after["SEQUENCE"] > before["SEQUENCE"]


def test_saving_without_a_change_sends_nothing(app, client, smtp_server, conference):
    event = conference()
    rsvp(client, event)
    drain_outbox(app)
    token, _ = tokens(app)
    edit(client, token, event)
    drain_outbox(app)
    assert len(smtp_server.messages) == 1


def test_a_change_of_days_sends_an_updated_calendar_entry(
    app, client, smtp_server, conference
):
    event = conference()
    rsvp(client, event)
    token, _ = tokens(app)
    backdate(app)
    drain_outbox(app)
    edit(client, token, event, days=[event.days[0].isoformat()])
    drain_outbox(app)
    first, updated = smtp_server.messages
    assert updated["To"] == "Amina Benali <amina@example.org>"
    assert (
        calendar_of(updated).walk("VEVENT")[0]["SEQUENCE"]
        > calendar_of(first).walk("VEVENT")[0]["SEQUENCE"]
    )


def test_the_cancellation_removes_the_same_calendar_entry(app, client, smtp_server, conference):
    event = conference()
    rsvp(client, event)
    token, _ = tokens(app)
    backdate(app)
    drain_outbox(app)
    client.post(f"/events/manage/{token}/cancel")
    drain_outbox(app)
    confirmation, cancellation = smtp_server.messages
    calendar = calendar_of(cancellation)
    entry = calendar.walk("VEVENT")[0]
    first = calendar_of(confirmation).walk("VEVENT")[0]
    assert (calendar["METHOD"], entry["STATUS"]) == ("CANCEL", "CANCELLED")
    assert str(entry["UID"]) == str(first["UID"])
    assert entry["SEQUENCE"] > first["SEQUENCE"]
    assert "The attached calendar file removes the event from your calendar." in (
        parts(cancellation)[0]
    )


def test_a_change_of_the_event_raises_the_sequence_of_the_files_sent_after_it(
    app, client, conference
):
    event = conference()
    rsvp(client, event)
    token, _ = tokens(app)
    backdate(app)
    before = calendar_of_download(client, token)
    with app.app_context():
        db.session.execute(update(Event).values(updated_at=utcnow()))
        db.session.commit()
    after = calendar_of_download(client, token)
    assert after["SEQUENCE"] > before["SEQUENCE"]


def calendar_of_download(client, token):
    response = client.get(f"/events/manage/{token}/calendar.ics")
    return Calendar.from_ical(response.data).walk("VEVENT")[0]


def test_the_sequence_counts_seconds_since_its_epoch():
    assert change_sequence(SEQUENCE_EPOCH + timedelta(seconds=90), None) == 90
    assert change_sequence(SEQUENCE_EPOCH, SEQUENCE_EPOCH + timedelta(days=1)) == 86400


def test_new_event_times_reach_everyone_with_an_updated_calendar(
    app, client, smtp_server, conference, create_user, create_registration
):
    from datetime import UTC, datetime

    from mmm_events.models import RegistrationStatus
    from tests.conftest import sign_in
    from tests.events.test_organiser_events import event_form

    event = conference()
    rsvp(client, event)
    create_registration(event, email="gone@example.org", status=RegistrationStatus.CANCELLED)
    backdate(app)
    drain_outbox(app)
    before = calendar_of(smtp_server.messages[0]).walk("VEVENT")[0]
    sign_in(client, create_user(events=(event,)))
    moved = event_form(slug=event.slug, starts_at="2027-01-10T09:00", ends_at="2027-01-11T17:30")
    assert client.post(f"/organiser/events/{event.id}/edit", data=moved).status_code == 302
    # Saving again with the same times tells nobody anything.
    assert client.post(f"/organiser/events/{event.id}/edit", data=moved).status_code == 302
    drain_outbox(app)
    told = smtp_server.messages[1:]
    assert [(m["Subject"], m["To"]) for m in told] == [
        ("New dates and times: #Mothers4Peace: Casablanca", "Amina Benali <amina@example.org>")
    ]
    assert "The organisers have changed the dates or times of the event." in parts(told[0])[0]
    after = calendar_of(told[0]).walk("VEVENT")[0]
    # The same calendar entry, moved: same UID, higher SEQUENCE, the new start.
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt.astimezone(UTC) == datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
