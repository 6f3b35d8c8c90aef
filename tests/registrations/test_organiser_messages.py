"""Writing to registrants through the outbox, and the administrators' outbox page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.models import OutboxMessage, OutboxStatus, RegistrationStatus
from mmm_events.organiser.outbox import retry_failed
from mmm_events.registrations.manage.messages import message_registrants, sent_messages
from tests.conftest import drain_outbox, sign_in


@pytest.fixture
def event(create_event):
    return create_event(title="Mothers4Peace", contact_email="casablanca@example.org")


@pytest.fixture
def registrants(event, create_registration):
    return [
        create_registration(event, full_name="Fatima", email="fatima@example.org"),
        create_registration(event, full_name="Élodie", email="elodie@example.org", language="fr"),
        create_registration(event, full_name="Wanjiru", status=RegistrationStatus.WAITING),
        create_registration(event, full_name="Carla", status=RegistrationStatus.CANCELLED),
    ]


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


# The mail worker claims its rows on a connection of its own (mail.lease).
@pytest.mark.real_commits
def test_message_is_queued_for_the_chosen_statuses(app, client, event, registrants, create_user):
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        f"/organiser/events/{event.id}/messages",
        data={
            "statuses": ["confirmed", "waiting"],
            "subject": "Bus from the airport",
            "body": "A bus leaves at 8:00.\r\n\r\nBring <your> badge.",
        },
        follow_redirects=True,
    )
    assert "Your message is queued for 3 people." in response.get_data(as_text=True)
    rows = _outbox(app)
    assert [r.recipient for r in rows] == [
        "fatima@example.org",
        "elodie@example.org",
        registrants[2].email,
    ]
    assert {r.subject for r in rows} == {"Bus from the airport"}
    assert len({r.kind for r in rows}) == 1
    assert rows[0].kind.startswith("message:")
    assert [r.registration_id for r in rows] == [r.id for r in registrants[:3]]
    assert {r.event_id for r in rows} == {event.id}
    assert {r.status for r in rows} == {OutboxStatus.QUEUED}
    # Written by the mail worker, in each registrant's language.
    assert rows[0].text_body == ""
    drain_outbox(app)
    rows = _outbox(app)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert "Dear Fatima," in rows[0].text_body
    assert "A bus leaves at 8:00.\n\nBring <your> badge." in rows[0].text_body
    assert "casablanca@example.org" in rows[0].text_body
    assert "Bring &lt;your&gt; badge." in rows[0].html_body
    assert "<script" not in rows[0].html_body


def test_counts_of_queued_sent_and_failed(app, client, event, registrants, create_user):
    with app.app_context():
        assert message_registrants(
            event, subject="First", body="One", statuses=[RegistrationStatus.CONFIRMED]
        ) == 2
        db.session.commit()
        first = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id))
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == first).values(status=OutboxStatus.SENT)
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first + 1)
            .values(status=OutboxStatus.FAILED, created_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
        assert message_registrants(
            event, subject="Second", body="Two", statuses=list(RegistrationStatus)
        ) == 4
        db.session.commit()
        summary = [(m.subject, m.queued, m.sent, m.failed) for m in sent_messages(event)]
    assert summary == [("Second", 4, 0, 0), ("First", 0, 1, 1)]
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/events/{event.id}/messages").get_data(as_text=True)
    cells = (
        r"<tr><td>([^<]+)</td><td><time [^>]+>.+?</time></td>"
        r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>"
    )
    rows = re.findall(cells, page)
    assert rows == [("Second", "4", "0", "0"), ("First", "0", "1", "1")]


def test_message_needs_subject_body_and_a_status(app, client, event, registrants, create_user):
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        f"/organiser/events/{event.id}/messages", data={"subject": "", "body": ""}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please choose who receives the message." in html
    assert _outbox(app) == []


def test_nobody_with_that_status(app, client, event, create_user):
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        f"/organiser/events/{event.id}/messages",
        data={"statuses": ["waiting"], "subject": "Hi", "body": "Hello"},
        follow_redirects=True,
    )
    assert "Nobody has that status, so no email was sent." in response.get_data(as_text=True)


def _failed(app, n: int) -> list[int]:
    ids = []
    with app.app_context():
        for i in range(n):
            message = OutboxMessage(
                message_id=f"<failed{i}@example.org>",
                kind="confirmation",
                sender="events@example.org",
                recipient=f"r{i}@example.org",
                subject=f"Failed {i}",
                text_body="x",
                status=OutboxStatus.FAILED,
                attempts=5,
                last_error=f"550 no such user r{i}",
                next_attempt_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
            db.session.add(message)
            db.session.flush()
            ids.append(message.id)
        db.session.add(
            OutboxMessage(
                message_id="<sent@example.org>",
                kind="confirmation",
                sender="events@example.org",
                recipient="ok@example.org",
                subject="Sent",
                text_body="x",
                status=OutboxStatus.SENT,
            )
        )
        db.session.commit()
    return ids


def test_outbox_page_lists_failures_with_their_errors(app, client, create_user):
    _failed(app, 2)
    sign_in(client, create_user(admin=True))
    page = client.get("/organiser/outbox/").get_data(as_text=True)
    assert "550 no such user r0" in page
    assert "550 no such user r1" in page
    assert "Failed (2)" in page
    assert "Sent (1)" in page
    assert "Queued (0)" in page
    sent = client.get("/organiser/outbox/?status=sent").get_data(as_text=True)
    assert "ok@example.org" in sent
    assert "r0@example.org" not in sent


def test_retry_all_failed(app, client, create_user, now):
    ids = _failed(app, 2)
    sign_in(client, create_user(admin=True))
    response = client.post("/organiser/outbox/retry", follow_redirects=True)
    assert "2 emails are queued again." in response.get_data(as_text=True)
    rows = {r.id: r for r in _outbox(app)}
    for message_id in ids:
        row = rows[message_id]
        assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 0)
        assert now - timedelta(seconds=5) <= row.next_attempt_at <= now + timedelta(seconds=60)
    assert [r.status for r in rows.values() if r.subject == "Sent"] == [OutboxStatus.SENT]


def test_retry_one(app, client, create_user):
    first, second = _failed(app, 2)
    sign_in(client, create_user(admin=True))
    response = client.post(f"/organiser/outbox/{second}/retry", follow_redirects=True)
    assert "1 email is queued again." in response.get_data(as_text=True)
    statuses = {r.id: r.status for r in _outbox(app)}
    assert (statuses[first], statuses[second]) == (OutboxStatus.FAILED, OutboxStatus.QUEUED)
    assert client.post("/organiser/outbox/99999/retry").status_code == 404


def test_retry_failed_service(app, now):
    ids = _failed(app, 3)
    with app.app_context():
        assert retry_failed(now=now, message_id=ids[0]) == 1
        assert retry_failed(now=now) == 2
        assert retry_failed(now=now) == 0
        db.session.commit()
