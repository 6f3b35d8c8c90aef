"""Limits that stop floods without locking out the people they protect: seats held by
unconfirmed addresses, the per-event limit and repeated RSVPs, and "Email me my link"."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mmm_events.config import ConfigurationError
from mmm_events.extensions import db
from mmm_events.models import (
    AccountAttempt,
    AttemptKind,
    Event,
    OutboxMessage,
    Registration,
)
from mmm_events.registrations import holds, status
from tests.conftest import REGISTRATION_SERVER_NAME, rsvp_form, sign_in

HOLDS_REFUSED = (
    "Several registrations sent from your network are still waiting for their email address "
    "to be confirmed. Please follow the links in the emails we sent to those addresses, or "
    "try again in 30 minutes."
)


@pytest.fixture
def limited_app(make_app):
    return make_app(SERVER_NAME=REGISTRATION_SERVER_NAME)


def post(client, event, email, address="192.0.2.1", headers=None):
    return client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, email=email),
        environ_base={"REMOTE_ADDR": address},
        headers=headers or {},
    )


def registrations_of(app, event) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(Registration.email, Registration.status)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        ).all()
    return {email: status.value for email, status in rows}


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def registration(app, email) -> Registration:
    with app.app_context():
        return db.session.scalar(select(Registration).where(Registration.email == email))


# Seats held by unconfirmed addresses ------------------------------------------------------------


def test_one_address_holds_three_unconfirmed_seats_at_a_time(
    limited_app, create_event, clock
):
    app, client = limited_app, limited_app.test_client()
    event = create_event(capacity=10, confirm_email=True)
    other_event = create_event(confirm_email=True)
    for n in range(3):
        assert post(client, event, f"invented{n}@example.org").status_code == 303

    refused = post(client, event, "invented3@example.org")
    elsewhere = post(client, other_event, "invented3@example.org")

    for response in (refused, elsewhere):
        assert (response.status_code, response.headers["Retry-After"]) == (429, "1800")
        assert HOLDS_REFUSED in response.get_data(as_text=True)
    # Nothing of the refused RSVPs is kept: no registration, no seat, no email.
    assert list(registrations_of(app, event)) == [f"invented{n}@example.org" for n in range(3)]
    assert registrations_of(app, other_event) == {}
    assert count(app, OutboxMessage) == 3
    with app.app_context():
        assert db.session.get(Event, event.id).seats_taken == 3
    assert count(app, AccountAttempt, AccountAttempt.kind == AttemptKind.HOLD) == 3
    # Another client address (another family, another office) is not held back.
    assert post(client, event, "someone@example.org", address="198.51.100.7").status_code == 303


def test_an_ipv6_network_counts_as_one_client(limited_app, create_event):
    client = limited_app.test_client()
    event = create_event(confirm_email=True)
    for n in range(1, 4):
        held = post(client, event, f"p{n}@example.org", address=f"2001:db8:1:2::{n}")
        assert held.status_code == 303

    assert post(client, event, "p4@example.org", address="2001:db8:1:2:ffff::9").status_code == 429
    assert post(client, event, "p4@example.org", address="2001:db8:1:3::1").status_code == 303


def test_confirming_or_cancelling_a_hold_frees_its_place_at_once(
    limited_app, create_event, now
):
    app, client = limited_app, limited_app.test_client()
    event = create_event(confirm_email=True)
    for n in range(3):
        assert post(client, event, f"person{n}@example.org").status_code == 303
    assert post(client, event, "person3@example.org").status_code == 429

    with app.app_context():
        assert holds.confirm_address(
            db.session.get(Registration, registration(app, "person0@example.org").id), now=now
        )
        db.session.commit()
    assert post(client, event, "person3@example.org").status_code == 303
    assert post(client, event, "person4@example.org").status_code == 429

    with app.app_context():
        status.cancel_registration(
            db.session.get(Registration, registration(app, "person1@example.org").id), now=now
        )
        db.session.commit()
    assert post(client, event, "person4@example.org").status_code == 303
    assert registrations_of(app, event) == {
        "person0@example.org": "confirmed",
        "person1@example.org": "cancelled",
        "person2@example.org": "pending",
        "person3@example.org": "pending",
        "person4@example.org": "pending",
    }


def test_a_hold_that_ran_out_no_longer_counts(make_app, create_event, clock, now):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, RSVP_HOLDS_PER_CLIENT=1)
    client = app.test_client()
    event = create_event(confirm_email=True)
    assert post(client, event, "first@example.org").status_code == 303
    clock.move_to(now + timedelta(minutes=29, seconds=59))
    assert post(client, event, "second@example.org").status_code == 429
    clock.move_to(now + timedelta(minutes=30))
    assert post(client, event, "second@example.org").status_code == 303


def test_the_person_who_holds_a_seat_may_send_the_form_again(limited_app, create_event):
    client = limited_app.test_client()
    event = create_event(confirm_email=True)
    for n in range(3):
        assert post(client, event, f"person{n}@example.org").status_code == 303

    again = post(client, event, "person0@example.org")

    assert again.status_code == 200
    assert "This email address is already registered" in again.get_data(as_text=True)


def test_holds_are_not_limited_where_addresses_are_not_confirmed(limited_app, create_event):
    client = limited_app.test_client()
    event = create_event()
    for n in range(5):
        assert post(client, event, f"person{n}@example.org").status_code == 303
    assert count(limited_app, AccountAttempt, AccountAttempt.kind == AttemptKind.HOLD) == 0


def test_a_hold_limit_below_one_stops_the_start(make_app):
    with pytest.raises(ConfigurationError, match="RSVP_HOLDS_PER_CLIENT must be at least 1"):
        make_app(RSVP_HOLDS_PER_CLIENT=0)


def test_the_organiser_sees_unconfirmed_holds_as_such(
    limited_app, create_event, create_user, clock
):
    app, client = limited_app, limited_app.test_client()
    event = create_event(capacity=1, confirm_email=True)
    assert post(client, event, "held@example.org").status_code == 303
    assert post(client, event, "queued@example.org", address="192.0.2.2").status_code == 303
    sign_in(client, create_user(admin=True))

    listing = client.get(f"/organiser/events/{event.id}/registrants").get_data(as_text=True)
    held = registration(app, "held@example.org")
    detail = client.get(f"/organiser/registrations/{held.id}").get_data(as_text=True)

    assert '<dt>Address to confirm</dt><dd data-count="unconfirmed">2</dd>' in listing
    assert '<dd data-count="confirmed">0</dd>' in listing
    assert listing.count("Seat held, address to confirm") == 2  # the filter, and the row
    assert listing.count("Waiting list, address to confirm") == 2
    assert "<dt>Address to confirm by</dt>" in detail
    assert "Seat held, address to confirm" in detail


# The per-event limit and repeated RSVPs ---------------------------------------------------------


def test_repeated_rsvps_do_not_use_up_the_events_limit(make_app, create_event):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, RSVP_LIMIT_PER_EVENT="5 per 10 minutes")
    client = app.test_client()
    event = create_event()
    assert post(client, event, "amina@example.org").status_code == 303
    # 40 repeats of one registered address from 20 client addresses create nothing.
    for n in range(40):
        again = post(client, event, "amina@example.org", address=f"192.0.2.{10 + n // 2}")
        assert again.status_code == 200

    for n in range(4):
        assert post(client, event, f"new{n}@example.org", address="198.51.100.1").status_code == 303
    assert post(client, event, "new4@example.org", address="198.51.100.2").status_code == 429
    assert len(registrations_of(app, event)) == 5


def test_repeated_rsvps_still_count_for_their_address(make_app, create_event):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, RSVP_LIMIT_PER_IP="3 per 10 minutes")
    client = app.test_client()
    event = create_event()
    for _ in range(3):
        assert post(client, event, "amina@example.org").status_code in (200, 303)
    assert post(client, event, "amina@example.org").status_code == 429


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Many people are registering for this event right now. Please try again in "
               "60 minutes."),
        ("fr", "Beaucoup de personnes s'inscrivent à cet événement en ce moment. Veuillez "
               "réessayer dans 60 minutes."),
        ("ar", "يسجّل عدد كبير من الناس في هذه الفعالية حاليًا. يُرجى المحاولة من جديد بعد "
               "\u206860\u2069 دقيقة."),
    ],
)
def test_a_person_refused_by_the_events_limit_is_told_when_to_come_back(
    make_app, create_event, clock, language, sentence
):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, RSVP_LIMIT_PER_EVENT="1 per 1 hour")
    client = app.test_client()
    event = create_event()
    assert post(client, event, "first@example.org").status_code == 303

    refused = post(
        client, event, "second@example.org", address="192.0.2.9",
        headers={"Accept-Language": language},
    )  # fmt: skip

    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3600")
    page = refused.get_data(as_text=True)
    assert f'<html lang="{language}"' in page
    assert sentence in html.unescape(page)


# "Email me my link" -----------------------------------------------------------------------------


def send_link(client, event, address="192.0.2.1"):
    return client.post(
        f"/events/{event.slug}/send-link",
        data={"email": "amina@example.org"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_email_me_my_link_is_limited_per_address_in_the_database(
    make_app, create_event, clock
):
    app = make_app(MANAGE_LINK_LIMIT_PER_IP="3 per hour")
    client = app.test_client()
    event = create_event()
    assert [send_link(client, event).status_code for _ in range(3)] == [303] * 3

    refused = send_link(client, event)

    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3600")
    assert (
        "Too many links were asked for from your network in a short time. Please try again "
        "in 60 minutes."
    ) in refused.get_data(as_text=True)
    assert send_link(client, event, address="198.51.100.1").status_code == 303
    # Counted in the database: the refused request was withdrawn.
    assert count(app, AccountAttempt, AccountAttempt.kind == AttemptKind.MANAGE_LINK) == 4
