"""Certificates of attendance: offered on the manage page of everyone checked in once the
event is over, refused otherwise; the PDF read back (the name in logical order, Arabic too;
the QR code decodes to the verification link); issued once; emailed by the organisers in one
go through the outbox, once each, even when two sends race."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mmm_events.documents import certificates
from mmm_events.extensions import db
from mmm_events.models import (
    AuditEntry,
    Event,
    IssuedDocument,
    Language,
    OutboxMessage,
    OutboxStatus,
    Registration,
)
from mmm_events.privacy import people
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, sign_in
from tests.documents.test_documents import ARABIC_NAME, pdf_text, qr_codes
from tests.invitations.test_state_races import ORDERS, clash
from tests.races import threaded_app

# The mail worker claims rows on a connection of its own.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


@pytest.fixture
def past(create_event, create_registration, create_user, now):
    """An event that ended yesterday: two people checked in (one reads Arabic), one not."""
    event = create_event(title="Mothers for Peace", starts_at=now - timedelta(days=3))
    arrived = now - timedelta(days=3)
    people_ = {
        "amelie": create_registration(event, full_name="Amélie Dupré",
                                      email="amelie@example.org", checked_in_at=arrived),
        "mohamed": create_registration(event, full_name=ARABIC_NAME, email="m@example.org",
                                       language=Language.AR, checked_in_at=arrived),
        "absent": create_registration(event, full_name="Absent Person",
                                      email="absent@example.org"),
    }
    return event, people_, create_user(events=(event,))


def certificate_url(registration) -> str:
    return f"/documents/certificate/{registration.token}"


def documents(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(d.registration_id, d.reference) for d in db.session.scalars(
            select(IssuedDocument).order_by(IssuedDocument.id))]


def verification_url(app, registration_id: int) -> str:
    with app.app_context():
        token = db.session.scalar(select(IssuedDocument.token).where(
            IssuedDocument.registration_id == registration_id))
    return f"http://{REGISTRATION_SERVER_NAME}/documents/verify/{token}"


def test_the_manage_page_offers_the_certificate_only_to_attendees_after_the_event(
    client, past, create_event, create_registration, now
):
    event, people_, _organiser = past
    soon = create_event(title="Not yet")
    upcoming = create_registration(soon, checked_in_at=now)
    link = "Download my certificate of attendance (PDF)"

    def offered(registration) -> bool:
        page = client.get(f"/events/manage/{registration.token}?lang=en").get_data(as_text=True)
        return link in page and certificate_url(registration) in page

    assert offered(people_["amelie"]) and offered(people_["mohamed"])
    assert not offered(people_["absent"])
    assert not offered(upcoming)


def test_an_attendee_downloads_their_certificate_issued_once(app, client, past):
    event, people_, _organiser = past
    amelie = people_["amelie"]

    response = client.get(certificate_url(amelie))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    [(registration_id, reference)] = documents(app)
    assert registration_id == amelie.id
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-{reference}.pdf"')
    [text] = pdf_text(response.data)
    assert "Certificate of attendance" in text
    assert "Amélie Dupré" in text
    assert "Mothers for Peace" in text
    assert f"Reference: {reference}" in text
    assert qr_codes(response.data) == [verification_url(app, amelie.id)]

    again = client.get(certificate_url(amelie))
    assert f"Reference: {reference}" in pdf_text(again.data)[0]
    assert documents(app) == [(amelie.id, reference)]


def test_an_arabic_certificate_holds_the_name_in_logical_order_and_reads_right_to_left(
    app, client, past
):
    _event, people_, _organiser = past
    mohamed = people_["mohamed"]

    body = client.get(certificate_url(mohamed)).data

    [text] = pdf_text(body)
    assert ARABIC_NAME in text
    assert "Certificate of attendance" not in text  # in Arabic, as the person reads
    [(_id, reference)] = documents(app)
    assert reference in text
    assert qr_codes(body) == [verification_url(app, mohamed.id)]
    with app.app_context():
        assert db.session.scalar(select(IssuedDocument.language)) == "ar"


@pytest.mark.parametrize("who", ["absent", "upcoming"])
def test_the_certificate_is_refused_with_a_page_saying_why(
    app, client, past, create_event, create_registration, now, who
):
    _event, people_, _organiser = past
    registration = people_["absent"] if who == "absent" else create_registration(
        create_event(title="Not yet"), checked_in_at=now)

    response = client.get(certificate_url(registration) + "?lang=en")

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "<h1>No certificate of attendance yet</h1>" in page
    expected = ("we have no record of your arrival" if who == "absent"
                else "can be downloaded once the event is over")
    assert expected in page
    assert documents(app) == []


def test_an_unknown_or_erased_link_gets_no_certificate(app, client, past, now):
    _event, people_, _organiser = past
    assert client.get("/documents/certificate/unknown").status_code == 404
    with app.app_context():
        people.erase(people.person_of_registration(
            db.session.get(Registration, people_["amelie"].id)), reason="request", now=now)
        db.session.commit()
    assert client.get(certificate_url(people_["amelie"])).status_code == 410
    assert documents(app) == []


def email_everyone(client, event):
    return client.post(f"/organiser/events/{event.id}/certificates/email?lang=en",
                       follow_redirects=True)


def test_organisers_email_every_certificate_once_each_through_the_outbox(
    app, client, past, smtp_server
):
    event, people_, organiser = past
    amelie, mohamed = people_["amelie"], people_["mohamed"]
    # Amélie downloaded hers already: the same certificate is emailed.
    client.get(certificate_url(amelie))
    [(_id, amelie_reference)] = documents(app)
    sign_in(client, organiser)

    first = email_everyone(client, event).get_data(as_text=True)
    second = email_everyone(client, event).get_data(as_text=True)
    drain_outbox(app)

    assert "2 certificates of attendance are on their way." in first
    assert "Every certificate of attendance had already been emailed: nothing was sent." in second
    references = dict(documents(app))
    assert references[amelie.id] == amelie_reference and set(references) == {
        amelie.id, mohamed.id}
    received = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages}
    assert sorted(received) == ["amelie@example.org", "m@example.org"]
    for registration, name in ((amelie, "Amélie Dupré"), (mohamed, ARABIC_NAME)):
        message = received[registration.email]
        [attachment] = list(message.iter_attachments())
        reference = references[registration.id]
        assert attachment.get_filename() == f"certificate-{reference}.pdf"
        body = attachment.get_content()
        assert name in pdf_text(body)[0]
        assert qr_codes(body) == [verification_url(app, registration.id)]
        assert verification_url(app, registration.id) in message.get_body(("plain",)).get_content()
    assert received["amelie@example.org"]["Subject"] == (
        "Your certificate of attendance: Mothers for Peace")
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "certificates.emailed").order_by(AuditEntry.id))
        assert [(e.event_id, e.actor_id, e.detail) for e in entries] == [
            (event.id, organiser.id, {"emails": 2}), (event.id, organiser.id, {"emails": 0})]


def test_a_certificate_revoked_before_its_email_went_is_not_sent(
    app, client, past, smtp_server, now
):
    event, people_, organiser = past
    sign_in(client, organiser)
    email_everyone(client, event)
    with app.app_context():
        from mmm_events.documents.issued import revoke

        document = db.session.scalar(select(IssuedDocument).where(
            IssuedDocument.registration_id == people_["amelie"].id))
        revoke(document, by=None, now=now)
        db.session.commit()

    drain_outbox(app)

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["m@example.org"]
    with app.app_context():
        statuses = dict(db.session.execute(select(OutboxMessage.registration_id,
                                                  OutboxMessage.status)).all())
    assert statuses == {people_["amelie"].id: OutboxStatus.FAILED,
                        people_["mohamed"].id: OutboxStatus.SENT}


def test_the_send_is_refused_before_the_event_is_over_and_to_other_organisers(
    app, client, create_event, create_user, past
):
    event, _people, _organiser = past
    upcoming = create_event(title="Not yet")
    sign_in(client, create_user(events=(upcoming,)))
    assert client.post(f"/organiser/events/{upcoming.id}/certificates/email").status_code == 409
    assert client.post(f"/organiser/events/{event.id}/certificates/email").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("order", ORDERS)
def test_two_sends_at_once_email_each_certificate_once(
    make_app, database_url, past, now, order
):
    app = threaded_app(make_app, database_url, 4)
    event, people_, _organiser = past

    def send():
        return certificates.email_certificates(db.session.get(Event, event.id), now=now)

    first, second = clash(app, order, send, send)

    assert sorted([first, second]) == [0, 2]
    with app.app_context():
        queued = sorted(db.session.scalars(select(OutboxMessage.registration_id)))
        issued = db.session.scalar(select(func.count()).select_from(IssuedDocument))
    assert queued == sorted([people_["amelie"].id, people_["mohamed"].id])
    assert issued == 2
