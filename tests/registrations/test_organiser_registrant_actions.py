"""What an organiser does to one registration (cancel, promote, resend) with the registration
services, and email that really goes through the worker to an SMTP server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage, OutboxStatus, Registration, RegistrationStatus
from tests.conftest import drain_outbox, sign_in


@pytest.fixture
def mail_app(make_mail_app):
    return make_mail_app()


@pytest.fixture
def setup(mail_app, create_event, create_user, create_registration):
    # The fixtures build on the ``app`` fixture's database, which mail_app shares.
    event = create_event(title="Mothers4Peace", capacity=1)
    confirmed = create_registration(event, full_name="Fatima", email="fatima@example.org")
    waiting = create_registration(
        event, full_name="Wanjiru", email="wanjiru@example.org", status=RegistrationStatus.WAITING
    )
    client = mail_app.test_client()
    sign_in(client, create_user(events=(event,)))
    return event, confirmed, waiting, client


def _state(app, *registrations):
    with app.app_context():
        rows = [db.session.get(Registration, r.id) for r in registrations]
        event = db.session.get(Event, registrations[0].event_id)
        return [r.status for r in rows], event.seats_taken


def _emails(app) -> list[tuple[str, str, OutboxStatus]]:
    with app.app_context():
        return [
            (m.recipient, m.kind, m.status)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_cancel_frees_the_seat_for_the_first_waiting(mail_app, setup):
    event, confirmed, waiting, client = setup
    detail = client.get(f"/organiser/registrations/{confirmed.id}").get_data(as_text=True)
    assert f'href="/organiser/registrations/{confirmed.id}/cancel"' in detail
    question = client.get(f"/organiser/registrations/{confirmed.id}/cancel")
    assert "<h1>Cancel the registration of Fatima?</h1>" in question.get_data(as_text=True)
    assert _emails(mail_app) == []
    response = client.post(
        f"/organiser/registrations/{confirmed.id}/cancel", follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "The registration is cancelled and the person is told by email." in html
    assert "Wanjiru moved up from the waiting list and is now confirmed." in html
    assert _state(mail_app, confirmed, waiting) == (
        [RegistrationStatus.CANCELLED, RegistrationStatus.CONFIRMED],
        1,
    )
    assert _emails(mail_app) == [
        ("fatima@example.org", "registration_cancelled", OutboxStatus.QUEUED),
        ("wanjiru@example.org", "registration_promoted", OutboxStatus.QUEUED),
    ]
    again = client.post(f"/organiser/registrations/{confirmed.id}/cancel", follow_redirects=True)
    assert "This registration was already cancelled." in again.get_data(as_text=True)
    assert len(_emails(mail_app)) == 2


def test_promote_needs_a_free_seat(mail_app, setup):
    event, confirmed, waiting, client = setup
    response = client.post(
        f"/organiser/registrations/{waiting.id}/promote", follow_redirects=True
    )
    assert (
        "There is no seat left. Add seats to the event or cancel a registration first."
        in response.get_data(as_text=True)
    )
    assert _state(mail_app, waiting) == ([RegistrationStatus.WAITING], 1)
    with mail_app.app_context():
        db.session.get(Event, event.id).capacity = 2
        db.session.commit()
    response = client.post(
        f"/organiser/registrations/{waiting.id}/promote", follow_redirects=True
    )
    assert "Confirmed: the person is told by email." in response.get_data(as_text=True)
    assert _state(mail_app, waiting) == ([RegistrationStatus.CONFIRMED], 2)
    assert _emails(mail_app) == [
        ("wanjiru@example.org", "registration_promoted", OutboxStatus.QUEUED)
    ]
    response = client.post(
        f"/organiser/registrations/{waiting.id}/promote", follow_redirects=True
    )
    assert "Only someone on the waiting list can be confirmed this way." in response.get_data(
        as_text=True
    )


def test_resend_and_see_the_delivery_status(mail_app, smtp_server, setup):
    event, confirmed, waiting, client = setup
    response = client.post(
        f"/organiser/registrations/{confirmed.id}/resend", follow_redirects=True
    )
    assert "The email is on its way again." in response.get_data(as_text=True)
    page = client.get(f"/organiser/registrations/{confirmed.id}").get_data(as_text=True)
    assert 'class="badge badge-outbox-queued">Queued<' in page
    drain_outbox(mail_app)
    assert [m["To"] for m in smtp_server.messages] == ["Fatima <fatima@example.org>"]
    page = client.get(f"/organiser/registrations/{confirmed.id}").get_data(as_text=True)
    assert 'class="badge badge-outbox-sent">Sent<' in page
    assert smtp_server.messages[0]["Subject"] in page


def test_message_counts_follow_the_worker(mail_app, smtp_server, setup):
    event, confirmed, waiting, client = setup
    client.post(
        f"/organiser/events/{event.id}/messages",
        data={"statuses": ["confirmed", "waiting"], "subject": "Programme", "body": "See you"},
    )

    def counts():
        page = client.get(f"/organiser/events/{event.id}/messages").get_data(as_text=True)
        return re.findall(
            r"<tr><td>Programme</td><td><time [^>]+>.+?</time></td>"
            r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>",
            page,
        )

    assert counts() == [("2", "0", "0")]
    drain_outbox(mail_app)
    assert counts() == [("0", "2", "0")]
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "Fatima <fatima@example.org>",
        "Wanjiru <wanjiru@example.org>",
    ]
    assert {m["Subject"] for m in smtp_server.messages} == {"Programme"}
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "See you" in body


def test_retried_failure_is_delivered(mail_app, smtp_server, create_user, setup):
    event, confirmed, waiting, _ = setup
    with mail_app.app_context():
        message = OutboxMessage(
            message_id="<retry@example.org>",
            kind="registration_confirmation",
            sender="events@example.org",
            recipient="fatima@example.org",
            subject="Your place",
            text_body="Hello",
            status=OutboxStatus.FAILED,
            attempts=8,
            last_error="421 try later",
        )
        db.session.add(message)
        db.session.commit()
        message_id = message.id
    admin = mail_app.test_client()
    sign_in(admin, create_user(admin=True))
    admin.post("/organiser/outbox/retry")
    drain_outbox(mail_app)
    assert [m["Subject"] for m in smtp_server.messages] == ["Your place"]
    with mail_app.app_context():
        assert db.session.get(OutboxMessage, message_id).status is OutboxStatus.SENT
