"""The development mailbox shows emails as people see them (issue 11, point 8): the HTML part
in a sandboxed frame with its images, the text part, attachments that open."""

from __future__ import annotations

import base64
import io
import re

import zxingcpp
from icalendar import Calendar
from PIL import Image
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Registration
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox
from tests.registrations.test_registration_mail import conference as conference  # noqa: PLC0414 - the fixture
from tests.registrations.test_registration_mail import rsvp


def the_confirmation(make_app, conference):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, MAIL_SERVER="", MMM_ENV="development")
    client = app.test_client()
    event = conference()
    rsvp(client, event)
    drain_outbox(app)
    with app.app_context():
        check_in_token = db.session.scalar(select(Registration.check_in_token))
    [name] = re.findall(r'href="/dev/mailbox/([^"/]+\.eml)"', client.get("/dev/mailbox/").text)
    return client, event, name, check_in_token


def test_the_message_page_shows_html_text_and_attachments(make_app, conference):
    client, event, name, _ = the_confirmation(make_app, conference)
    page = client.get(f"/dev/mailbox/{name}").text
    assert (
        f'<iframe class="email-html" sandbox title="The email as HTML" '
        f'src="/dev/mailbox/{name}/html"></iframe>'
    ) in page
    assert "Thank you for registering. Your place is confirmed." in page
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a> \(([^)]+)\)</li>', page) == [
        (f"/dev/mailbox/{name}/attachments/0", f"{event.slug}.ics", "text/calendar"),
        (f"/dev/mailbox/{name}/attachments/1", "check-in-code.png", "image/png"),
    ]


def test_the_html_part_is_sandboxed_with_its_inline_images(make_app, conference):
    client, _, name, check_in_token = the_confirmation(make_app, conference)
    response = client.get(f"/dev/mailbox/{name}/html")
    assert response.mimetype == "text/html"
    # Images of its own and the event's cover from this site; nothing from elsewhere.
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'self'; sandbox"
    )
    assert "Thank you for registering. Your place is confirmed." in response.text
    assert "cid:" not in response.text
    [png] = re.findall(r'<img src="data:image/png;base64,([^"]+)"', response.text)
    image = Image.open(io.BytesIO(base64.b64decode(png)))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [
        f"http://{REGISTRATION_SERVER_NAME}/organiser/check-in/{check_in_token}"
    ]


def test_attachments_open(make_app, conference):
    client, event, name, check_in_token = the_confirmation(make_app, conference)
    calendar = client.get(f"/dev/mailbox/{name}/attachments/0")
    assert calendar.mimetype == "text/calendar"
    assert calendar.headers["Content-Disposition"] == f"attachment; filename={event.slug}.ics"
    assert str(Calendar.from_ical(calendar.data).walk("VEVENT")[0]["UID"]) == (
        f"event-{event.id}@example.org"
    )
    image = client.get(f"/dev/mailbox/{name}/attachments/1")
    assert image.mimetype == "image/png"
    assert image.headers["Content-Disposition"] == "inline; filename=check-in-code.png"
    assert image.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert [r.text for r in decoded] == [
        f"http://{REGISTRATION_SERVER_NAME}/organiser/check-in/{check_in_token}"
    ]
    assert client.get(f"/dev/mailbox/{name}/attachments/2").status_code == 404
    assert client.get("/dev/mailbox/nothing.eml/attachments/0").status_code == 404
    assert client.get("/dev/mailbox/nothing.eml/html").status_code == 404
