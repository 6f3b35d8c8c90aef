"""Registration cannot be scripted at will (RSVP limits, the honeypot, confirming one's
address), and an invitation admits whom the organiser chose."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from mmm_events.attempts import TooManyAttempts
from mmm_events.config import ConfigurationError
from mmm_events.extensions import db
from mmm_events.models import (
    AccountAttempt,
    AttemptKind,
    Event,
    Invitation,
    InvitationAdmits,
    InvitationStatus,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from mmm_events.registrations import holds, limits, services, status
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, rsvp_form, sign_in

CASABLANCA = ZoneInfo("Africa/Casablanca")


@pytest.fixture
def conference(create_event, now):
    first = (now + timedelta(days=60)).astimezone(CASABLANCA).date()

    def factory(**fields) -> Event:
        values = {
            "title": "International Conference",
            "contact_email": "events@example.org",
            "starts_at": datetime.combine(first, time(9, 0), CASABLANCA),
            "ends_at": datetime.combine(first + timedelta(days=1), time(17, 30), CASABLANCA),
        }
        values.update(fields)
        return create_event(**values)

    return factory


def post(client, event, email, address="192.0.2.1", **overrides):
    return client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, email=email, **overrides),
        environ_base={"REMOTE_ADDR": address},
    )


def registrations_of(app, event) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(Registration.email, Registration.status)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        ).all()
    return {email: status.value for email, status in rows}


def outbox_kinds(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (row.recipient, row.kind)
            for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def seats_taken(app, event) -> int:
    with app.app_context():
        return db.session.get(Event, event.id).seats_taken


# Limits ----------------------------------------------------------------------------------------


def test_one_address_is_limited_then_told_when_to_come_back(make_app, conference, clock):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, RSVP_LIMIT_PER_IP="3 per 10 minutes")
    event = conference()
    client = app.test_client()
    for n in range(3):
        assert post(client, event, f"person{n}@example.org").status_code == 303

    refused = post(client, event, "person3@example.org")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "600"
    assert (
        "Too many registrations were sent from your network in a short time. Please try "
        "again in 10 minutes." in refused.get_data(as_text=True)
    )
    # The form is there again, with what was typed.
    assert 'value="person3@example.org"' in refused.get_data(as_text=True)
    assert list(registrations_of(app, event)) == [f"person{n}@example.org" for n in range(3)]
    # Another address (another family, another office) is not held back.
    assert post(client, event, "person3@example.org", address="198.51.100.7").status_code == 303
    with app.app_context():
        # The refused RSVP was withdrawn: it does not lengthen the wait.
        assert db.session.scalar(
            select(func.count(AccountAttempt.id)).where(AccountAttempt.kind == AttemptKind.RSVP)
        ) == 4


def test_one_event_is_limited_whatever_the_addresses(make_app, conference, clock):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, RSVP_LIMIT_PER_EVENT="2 per 1 hour")
    event, other = conference(), conference()
    client = app.test_client()
    assert post(client, event, "a@example.org", address="192.0.2.1").status_code == 303
    assert post(client, event, "b@example.org", address="192.0.2.2").status_code == 303

    refused = post(client, event, "c@example.org", address="192.0.2.3")

    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3600")
    assert "Please try again in 60 minutes." in refused.get_data(as_text=True)
    assert post(client, other, "c@example.org", address="192.0.2.3").status_code == 303
    assert list(registrations_of(app, event)) == ["a@example.org", "b@example.org"]


def test_the_limit_counts_rsvps_in_the_window_only(app, conference, now):
    event = conference()
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        for minute in range(20):
            limits.count_rsvp(loaded, "192.0.2.1", now=now + timedelta(minutes=minute / 10))
        with pytest.raises(TooManyAttempts) as refused:
            limits.count_rsvp(loaded, "192.0.2.1", now=now + timedelta(minutes=5))
        # The oldest of the 20 leaves the 10-minute window at now + 10 minutes.
        assert refused.value.until == now + timedelta(minutes=10)
        limits.count_rsvp(loaded, "192.0.2.1", now=now + timedelta(minutes=10, seconds=1))


def test_a_limit_that_does_not_parse_stops_the_start(make_app):
    with pytest.raises(ConfigurationError, match="RSVP_LIMIT_PER_IP must read like"):
        make_app(RSVP_LIMIT_PER_IP="lots")


# The honeypot ---------------------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people(app, client, conference):
    page = client.get(f"/events/{conference().slug}").get_data(as_text=True)
    assert (
        '<div class="visually-hidden" aria-hidden="true">\n'
        '    <label for="website">Leave this field empty</label>\n'
        '    <input id="website" name="website" type="text" value="" tabindex="-1" '
        'autocomplete="off">'
    ) in page


def test_a_filled_honeypot_registers_nobody_and_does_not_say_why(app, client, conference):
    event = conference()

    refused = post(client, event, "bot@example.org", website="https://spam.example")

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "We could not register you. Please check the form and send it again." in page
    assert "https://spam.example" not in page
    assert registrations_of(app, event) == {}
    assert outbox_kinds(app) == []
    # A person whose browser filled it sends the form again (the field is empty now).
    assert post(client, event, "bot@example.org").status_code == 303


# Confirming one's address (double opt-in) -------------------------------------------------------


def confirm_link(app, smtp_server, index: int) -> str:
    drain_outbox(app)
    text = smtp_server.messages[index].get_body(preferencelist=("plain",)).get_content()
    return next(line.strip() for line in text.splitlines() if "/events/manage/confirm/" in line)


def test_double_opt_in_holds_the_seat_until_the_link_is_followed(
    make_mail_app, smtp_server, conference, clock, now
):
    app = make_mail_app()
    client = app.test_client()
    event = conference(capacity=1, confirm_email=True)

    assert post(client, event, "amina@example.org").status_code == 303
    assert post(client, event, "second@example.org").status_code == 303

    assert registrations_of(app, event) == {
        "amina@example.org": "pending",
        "second@example.org": "pending-waiting",
    }
    assert seats_taken(app, event) == 1
    with app.app_context():
        holds_until = db.session.scalars(select(Registration.hold_expires_at)).all()
    assert holds_until == [now + timedelta(minutes=30)] * 2
    # Only the "confirm your address" emails: no calendar, no check-in code yet.
    assert outbox_kinds(app) == [
        ("amina@example.org", "registration_confirm_address"),
        ("second@example.org", "registration_confirm_address"),
    ]
    link = confirm_link(app, smtp_server, 0)
    assert smtp_server.messages[0]["Subject"] == (
        "Please confirm your email address: International Conference"
    )
    assert list(smtp_server.messages[0].iter_attachments()) == []

    # Opening the link (a mail scanner does) changes nothing; the button confirms.
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my email address" in page.get_data(as_text=True)
    assert registrations_of(app, event)["amina@example.org"] == "pending"
    confirmed = client.post(link)
    assert confirmed.status_code == 303
    assert confirmed.location.startswith("/events/manage/")
    assert client.post(link).status_code == 303  # a second click confirms nothing more

    assert registrations_of(app, event)["amina@example.org"] == "confirmed"
    assert seats_taken(app, event) == 1
    assert outbox_kinds(app)[2:] == [("amina@example.org", "registration_confirmation")]
    assert app.test_cli_runner().invoke(args=["doctor"]).exit_code == 0


def test_the_confirm_your_address_email_and_page_use_the_readers_title(
    make_mail_app, smtp_server, conference
):
    app = make_mail_app()
    client = app.test_client()
    event = conference(confirm_email=True)
    with app.app_context():
        db.session.get(Event, event.id).text_in("fr").title = "Conférence internationale"
        db.session.commit()
    assert post(client, event, "amina@example.org", language="fr").status_code == 303
    link = confirm_link(app, smtp_server, 0)
    message = smtp_server.messages[0]
    assert message["Subject"] == (
        "Veuillez confirmer votre adresse e-mail\u00a0: Conférence internationale"
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<title>Conférence internationale</title>" in html
    page = client.get(link, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Conférence internationale" in page
    assert "International Conference" not in page


def test_the_other_person_confirming_joins_the_waiting_list(app, client, conference):
    event = conference(capacity=1, confirm_email=True)
    post(client, event, "amina@example.org")
    post(client, event, "second@example.org")
    with app.app_context():
        second = db.session.scalar(
            select(Registration).where(Registration.email == "second@example.org")
        )
        assert holds.confirm_address(second, now=second.created_at) is True
        db.session.commit()
        assert status.waiting_position(second) == 1
    assert registrations_of(app, event)["second@example.org"] == "waiting"


def test_an_expired_hold_is_released_and_its_seat_goes_to_the_next_person(
    app, conference, create_registration, now
):
    event = conference(capacity=1, confirm_email=True)
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        services.register(loaded, details(loaded, "amina@example.org"), now=now)
        db.session.commit()
    waiting = create_registration(
        event, email="waiting@example.org", status=RegistrationStatus.WAITING
    )

    with app.app_context():
        # Still held one second before the end.
        assert holds.release_expired_holds(now + timedelta(minutes=29, seconds=59)) == 0
        assert holds.release_expired_holds(now + timedelta(minutes=30)) == 1
        db.session.commit()

    assert registrations_of(app, event) == {
        "amina@example.org": "cancelled",
        "waiting@example.org": "confirmed",
    }
    assert seats_taken(app, event) == 1
    # The released address is not emailed (it may not be the person's); the promoted one is.
    assert outbox_kinds(app)[1:] == [("waiting@example.org", "registration_promoted")]
    with app.app_context():
        released = db.session.scalar(
            select(Registration).where(Registration.email == "amina@example.org")
        )
        assert holds.confirm_address(released, now=now) is False
    assert waiting.email == "waiting@example.org"


def test_release_holds_command_and_the_next_registration_release_holds(
    app, client, conference, now
):
    event = conference(capacity=1, confirm_email=True)
    post(client, event, "amina@example.org")
    with app.app_context():
        db.session.execute(update(Registration).values(hold_expires_at=now - timedelta(minutes=1)))
        db.session.commit()
    # Lazily: the next registration for the event finds the seat free again.
    assert post(client, event, "second@example.org").status_code == 303
    assert registrations_of(app, event) == {
        "amina@example.org": "cancelled",
        "second@example.org": "pending",
    }
    with app.app_context():
        db.session.execute(
            update(Registration)
            .where(Registration.email == "second@example.org")
            .values(hold_expires_at=now - timedelta(minutes=1))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["release-holds"])
    assert (result.exit_code, result.output) == (0, "1 unconfirmed registrations released.\n")
    assert seats_taken(app, event) == 0
    # The link of a released registration says so, and leads back to the event.
    with app.app_context():
        token = db.session.scalar(
            select(Registration.confirm_token).where(Registration.email == "amina@example.org")
        )
    page = client.get(f"/events/manage/confirm/{token}").get_data(as_text=True)
    assert "was not confirmed in time, or was cancelled." in page
    # The same person may register again, and is asked to confirm again.
    assert post(client, event, "amina@example.org").status_code == 303
    assert registrations_of(app, event)["amina@example.org"] == "pending"


def test_cancelling_a_pending_registration_frees_its_seat(app, client, conference, now):
    event = conference(capacity=1, confirm_email=True)
    post(client, event, "amina@example.org")
    with app.app_context():
        pending = db.session.scalar(select(Registration))
        status.cancel_registration(pending, now=now)
        db.session.commit()
    assert seats_taken(app, event) == 0


def test_an_unknown_confirm_link_is_404(client):
    assert client.get("/events/manage/confirm/not-a-token").status_code == 404


def details(event: Event, email: str) -> services.RegistrationDetails:
    return services.RegistrationDetails(
        full_name="Amina Benali",
        email=email,
        organisation="",
        country="Morocco",
        days=event.days,
        needs="",
        language="en",
    )


# Whom an invitation admits -------------------------------------------------------------------


def invite(app, event, email="invitee@example.org") -> str:
    with app.app_context():
        invitation = Invitation(
            event_id=event.id,
            email=email,
            email_normalised=email,
            name="Fatima Zahra",
            status=InvitationStatus.INVITED,
        )
        db.session.add(invitation)
        db.session.commit()
        return invitation.token


def invitation_links(app, event) -> dict[str, tuple[bool, bool]]:
    """Each registration's address: (answers the invitation, is a guest of it)."""
    with app.app_context():
        rows = db.session.execute(
            select(Registration.email, Registration.invitation_id, Registration.guest_of_id)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        ).all()
    return {email: (answers is not None, guest is not None) for email, answers, guest in rows}


def test_by_default_an_invitation_admits_only_its_own_address(app, client, conference):
    event = conference(invite_only=True)
    token = invite(app, event)

    forwarded = post(client, event, "stranger@example.org", invitation=token)

    assert forwarded.status_code == 422
    assert (
        "This invitation was sent to another email address. Please register with the address "
        "it was sent to, or ask the organiser (events@example.org) to invite you."
    ) in forwarded.get_data(as_text=True)
    assert registrations_of(app, event) == {}
    assert post(client, event, "Invitee@Example.org", invitation=token).status_code == 303
    assert invitation_links(app, event) == {"Invitee@example.org": (True, False)}
    with app.app_context():
        assert db.session.scalar(select(Invitation.status)) is InvitationStatus.ACCEPTED


def test_an_invitation_may_admit_one_person_whatever_the_address(app, client, conference):
    event = conference(invite_only=True, invitation_admits=InvitationAdmits.ANYONE_ONCE)
    token = invite(app, event)

    assert post(client, event, "colleague@example.org", invitation=token).status_code == 303
    second = post(client, event, "stranger@example.org", invitation=token)

    assert second.status_code == 422
    assert (
        "This invitation has already admitted as many people as it may. Please ask the "
        "organiser (events@example.org) to invite you."
    ) in second.get_data(as_text=True)
    # The person it was sent to is still welcome.
    assert post(client, event, "invitee@example.org", invitation=token).status_code == 303
    assert invitation_links(app, event) == {
        "colleague@example.org": (True, False),
        "invitee@example.org": (False, False),
    }


def test_an_invitation_may_admit_guests_up_to_their_number(app, client, conference, now):
    event = conference(
        invite_only=True, invitation_admits=InvitationAdmits.GUESTS, invitation_guests=2
    )
    token = invite(app, event)
    page = client.get(f"/events/{event.slug}?invitation={token}").get_data(as_text=True)
    assert (
        "Your invitation admits you and up to 2 guests: they register with the same link, "
        "each with their own email address."
    ) in page
    for email in ("guest1@example.org", "invitee@example.org", "guest2@example.org"):
        assert post(client, event, email, invitation=token).status_code == 303

    assert post(client, event, "guest3@example.org", invitation=token).status_code == 422

    assert invitation_links(app, event) == {
        "guest1@example.org": (False, True),
        "invitee@example.org": (True, False),
        "guest2@example.org": (False, True),
    }
    # A guest who cancels makes room for another.
    with app.app_context():
        guest = db.session.scalar(
            select(Registration).where(Registration.email == "guest1@example.org")
        )
        status.cancel_registration(guest, now=now)
        db.session.commit()
    assert post(client, event, "guest3@example.org", invitation=token).status_code == 303
    # The cancelled guest coming back finds the invitation full again.
    assert post(client, event, "guest1@example.org", invitation=token).status_code == 422
    assert registrations_of(app, event)["guest1@example.org"] == "cancelled"


def test_the_organiser_chooses_admission_and_double_opt_in(app, client, create_user, conference):
    event = conference()
    sign_in(client, create_user(events=(event,)))
    form = client.get(f"/organiser/events/{event.id}/edit").get_data(as_text=True)
    assert (
        '<input checked id="invitation_admits-0" name="invitation_admits" type="radio" '
        'value="own_address">'
    ) in form
    data = {
        "main_language": "en",
        "title_en": "International Conference",
        "slug": event.slug,
        "timezone": "Africa/Casablanca",
        "starts_at": "2027-01-10T09:00",
        "ends_at": "2027-01-11T17:30",
        "capacity": "50",
        "invite_only": "y",
        "invitation_admits": "guests",
        "invitation_guests": "3",
        "confirm_email": "y",
        "is_published": "y",
    }
    assert client.post(f"/organiser/events/{event.id}/edit", data=data).status_code == 302
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert (stored.invitation_admits, stored.invitation_guests, stored.confirm_email) == (
            InvitationAdmits.GUESTS, 3, True
        )
