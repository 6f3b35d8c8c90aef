"""A changed address is confirmed by its owner before it counts (issue 19, point 2).

End to end: the emails go through the real mail worker to a real SMTP server, and every link
a test follows is read from an email that arrived.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import (
    Event,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    utcnow,
)
from mmm_events.registrations import address
from tests.conftest import drain_outbox, links_to, rsvp_form

OLD = "amina@example.org"
NEW = "amina.new@example.org"
INVITEE = "zoe@example.org"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def register(client, event, app, smtp_server, email=OLD, **fields) -> str:
    """RSVP as ``email``; the manage link, from the email that arrived."""
    assert client.post(f"/events/{event.slug}",
                       data=rsvp_form(event, email=email, **fields)).status_code == 303
    drain_outbox(app)
    confirm = links_to(smtp_server, email, "/events/manage/confirm/")
    if confirm:
        assert client.post(confirm[-1]).status_code == 303
        drain_outbox(app)
    return links_to(smtp_server, email, "/events/manage/")[-1]


def change_address(client, event, manage: str, email: str):
    form = rsvp_form(event, email=email)
    del form["consent"]
    response = client.post(f"{manage}/edit", data=form)
    assert response.status_code == 303, response.text
    return response


def the_registration(app) -> Registration:
    with app.app_context():
        registration = db.session.scalar(select(Registration).order_by(Registration.id))
        db.session.expunge(registration)
        return registration


def test_a_new_address_counts_only_once_its_owner_follows_the_link(
    app, client, create_event, smtp_server
):
    event = create_event()
    manage = register(client, event, app, smtp_server)
    change_address(client, event, manage, NEW)
    page = client.get(manage).text
    assert "Your changes are saved." in page
    assert f"To use {NEW}, follow the link we have just sent to it." in page
    assert f"Your new address {NEW} will be used once you follow the link" in page
    registration = the_registration(app)
    assert (registration.email, registration.new_email) == (OLD, NEW)
    # "Email me my link" does not know the registration by the address not yet confirmed.
    client.post(f"/events/{event.slug}/send-link", data={"email": NEW})
    drain_outbox(app)
    assert [m["Subject"].split(":")[0] for m in smtp_server.messages[1:]] == [
        "Please confirm your new email address", "A new email address was requested for "
        "your registration",
    ]
    (link,) = links_to(smtp_server, NEW, "/events/manage/address/")
    assert client.get(link).status_code == 200  # a mail scanner's visit changes nothing
    assert the_registration(app).email == OLD
    done = client.post(link)
    assert done.headers["Location"] == manage
    assert "Thank you: your new email address is confirmed." in client.get(manage).text
    registration = the_registration(app)
    assert (registration.email, registration.email_normalised, registration.new_email,
            registration.new_email_token) == (NEW, NEW, None, None)
    assert client.post(link).status_code == 404  # used once
    drain_outbox(app)
    assert smtp_server.messages[-1]["Subject"].startswith("Your registration is updated")
    assert smtp_server.messages[-1]["To"].addresses[0].addr_spec == NEW


def test_the_link_expires_and_a_later_change_replaces_an_earlier_one(
    app, client, create_event, smtp_server
):
    event = create_event()
    manage = register(client, event, app, smtp_server)
    change_address(client, event, manage, "typo@example.org")
    change_address(client, event, manage, NEW)
    drain_outbox(app)
    # The email to the first address was not sent: its change had been replaced.
    assert links_to(smtp_server, "typo@example.org", "/events/manage/address/") == []
    (link,) = links_to(smtp_server, NEW, "/events/manage/address/")
    with app.app_context():
        db.session.execute(update(Registration).values(
            new_email_expires_at=utcnow() - timedelta(seconds=1)
        ))
        db.session.commit()
    assert client.post(link).status_code == 404
    assert "Your new address" not in client.get(manage).text
    assert the_registration(app).email == OLD
    # Asking again for an address whose link ran out sends a new link.
    change_address(client, event, manage, NEW)
    drain_outbox(app)
    assert len(links_to(smtp_server, NEW, "/events/manage/address/")) == 2
    # Giving one's own address back withdraws a change.
    change_address(client, event, manage, NEW)
    change_address(client, event, manage, OLD)
    registration = the_registration(app)
    assert (registration.email, registration.new_email, registration.new_email_token) == (
        OLD, None, None
    )


def test_taking_an_invitees_address_reaches_nothing_of_theirs(
    app, client, create_event, smtp_server, now
):
    """Eve registers for an open event to which Zoé is invited, then gives Zoé's address on
    her manage page: her data download and erasure still reach only her own registration."""
    event = create_event()
    with app.app_context():
        invitations.add_invitee(db.session.get(Event, event.id), email=INVITEE,
                                name="Zoé Kane", note="Board member's sister", now=now)
        invitations.send_invitations(db.session.get(Event, event.id), now=now)
        db.session.commit()
    manage = register(client, event, app, smtp_server, email="eve@example.org",
                      full_name="Eve Martin")
    change_address(client, event, manage, INVITEE)
    token = manage.rsplit("/", 1)[1]
    data = client.get(f"/privacy/registration/{token}/my-data.json")
    assert "Board member" not in data.text and "Zoé" not in data.text
    assert data.get_json()["tables"]["invitation"] == []
    client.post(f"/privacy/registration/{token}/delete", data={"confirm": "y"})
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert (invitation.status, invitation.name, invitation.note) == (
            InvitationStatus.INVITED, "Zoé Kane", "Board member's sister"
        )
        # The email that would have confirmed Zoé's address for Eve's registration is gone.
        assert db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.recipient == INVITEE, OutboxMessage.status == OutboxStatus.QUEUED
        )) is None


def test_a_confirmed_registration_stays_confirmed_only_for_the_confirmed_address(
    app, client, create_event, smtp_server
):
    event = create_event(confirm_email=True)
    manage = register(client, event, app, smtp_server)
    assert the_registration(app).status is RegistrationStatus.CONFIRMED
    change_address(client, event, manage, NEW)
    registration = the_registration(app)
    # Confirmed, for the address that was confirmed: the new one is not the registration's.
    assert (registration.status, registration.email) == (RegistrationStatus.CONFIRMED, OLD)
    drain_outbox(app)
    (link,) = links_to(smtp_server, NEW, "/events/manage/address/")
    client.post(link)
    registration = the_registration(app)
    assert (registration.status, registration.email) == (RegistrationStatus.CONFIRMED, NEW)
    # The link that confirmed the old address no longer opens the registration.
    (old_confirm,) = links_to(smtp_server, OLD, "/events/manage/confirm/")
    assert client.get(old_confirm).status_code == 404


def test_a_registration_not_yet_confirmed_is_confirmed_by_its_new_address(
    app, client, create_event, smtp_server
):
    event = create_event(confirm_email=True, capacity=1)
    assert client.post(f"/events/{event.slug}", data=rsvp_form(event)).status_code == 303
    drain_outbox(app)
    (old_confirm,) = links_to(smtp_server, OLD, "/events/manage/confirm/")
    manage = f"/events/manage/{the_registration(app).token}"
    change_address(client, event, manage, NEW)
    assert the_registration(app).status is RegistrationStatus.PENDING
    drain_outbox(app)
    (link,) = links_to(smtp_server, NEW, "/events/manage/address/")
    client.post(link)
    registration = the_registration(app)
    assert (registration.status, registration.email) == (RegistrationStatus.CONFIRMED, NEW)
    assert client.post(old_confirm).status_code == 404
    drain_outbox(app)
    assert smtp_server.messages[-1]["Subject"].startswith("You are registered")
    assert smtp_server.messages[-1]["To"].addresses[0].addr_spec == NEW


def test_an_erasure_forgets_the_address_waiting(app, client, create_event, smtp_server):
    event = create_event()
    manage = register(client, event, app, smtp_server)
    change_address(client, event, manage, NEW)
    drain_outbox(app)
    (link,) = links_to(smtp_server, NEW, "/events/manage/address/")
    token = manage.rsplit("/", 1)[1]
    client.post(f"/privacy/registration/{token}/delete", data={"confirm": "y"})
    registration = the_registration(app)
    assert (registration.new_email, registration.new_email_token) == (None, None)
    assert client.post(link).status_code == 404
    with app.app_context():
        assert address.registration_changing_to(link.rsplit("/", 1)[1], now=utcnow()) is None


def test_the_link_confirms_only_with_the_pages_csrf_token(
    make_mail_app, create_event, smtp_server
):
    app = make_mail_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    event = create_event()
    form = rsvp_form(event)
    page = client.get(f"/events/{event.slug}").text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/events/{event.slug}", data={**form, "csrf_token": csrf}).status_code \
        == 303
    manage = f"/events/manage/{the_registration(app).token}"
    edit = rsvp_form(event, email=NEW, csrf_token=csrf)
    del edit["consent"]
    assert client.post(f"{manage}/edit", data=edit).status_code == 303
    drain_outbox(app)
    (link,) = links_to(smtp_server, NEW, "/events/manage/address/")
    # Another site's page cannot make a visitor's browser confirm it.
    assert client.post(link).status_code == 400
    assert the_registration(app).email == OLD
    assert client.post(link, data={"csrf_token": csrf}).status_code == 303
    assert the_registration(app).email == NEW
