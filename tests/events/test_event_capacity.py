"""Setting up an event cannot silently turn it into a waiting list (issue 11, point 2)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Event, RegistrationStatus
from tests.conftest import sign_in

from .test_organiser_events import event_form

FULL_WARNING = (
    "This event has no free seat, so everyone who registers would join the waiting list. "
    "Give it more seats, or save it as a draft and publish it from its page."
)


def _stored(app, slug: str) -> Event | None:
    with app.app_context():
        return db.session.scalar(select(Event).where(Event.slug == slug))


def test_a_new_event_asks_for_its_number_of_seats(app, client, create_user):
    sign_in(client, create_user())
    page = client.get("/organiser/events/new").get_data(as_text=True)
    seats = re.search(r'<input[^>]*name="capacity"[^>]*>', page).group(0)
    assert 'value=""' in seats
    response = client.post("/organiser/events/new", data=event_form(capacity=None))
    assert response.status_code == 400
    assert "Give the number of seats the venue holds." in response.get_data(as_text=True)
    assert _stored(app, "mothers4peace-casablanca") is None


def test_an_event_without_seats_is_not_published_from_the_form(app, client, create_user):
    sign_in(client, create_user())
    response = client.post("/organiser/events/new", data=event_form(capacity="0"))
    assert response.status_code == 400
    assert FULL_WARNING in response.get_data(as_text=True)
    assert _stored(app, "mothers4peace-casablanca") is None
    response = client.post(
        "/organiser/events/new", data=event_form(capacity="0", is_published=None)
    )
    assert response.status_code == 302
    assert _stored(app, "mothers4peace-casablanca").is_published is False


def test_publishing_a_full_event_asks_first(app, client, create_user, create_event,
                                            create_registration):
    event = create_event(capacity=1, is_published=False)
    create_registration(event)
    sign_in(client, create_user(events=(event,)))
    response = client.post(f"/organiser/events/{event.id}/publish", data={"publish": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Its only seat is taken." in page
    assert "Publish with a waiting list only" in page
    assert _stored(app, event.slug).is_published is False
    response = client.post(
        f"/organiser/events/{event.id}/publish", data={"publish": "1", "full": "1"}
    )
    assert response.status_code == 302
    assert _stored(app, event.slug).is_published is True


def test_publishing_an_event_with_seats_needs_no_confirmation(app, client, create_user,
                                                                create_event):
    event = create_event(capacity=3, is_published=False)
    sign_in(client, create_user(events=(event,)))
    response = client.post(f"/organiser/events/{event.id}/publish", data={"publish": "1"})
    assert response.status_code == 302
    assert _stored(app, event.slug).is_published is True


def test_the_dashboard_counts_confirmed_waiting_and_seats(client, create_user, create_event,
                                                           create_registration):
    full = create_event(capacity=2, title="Full one")
    open_one = create_event(capacity=40, title="Open one")
    for _ in range(2):
        create_registration(full)
    for _ in range(3):
        create_registration(full, status=RegistrationStatus.WAITING)
    create_registration(open_one)
    sign_in(client, create_user(admin=True))
    page = client.get("/organiser/").get_data(as_text=True)
    assert "2 confirmed / 3 waiting / 2 seats · <strong>Full</strong>" in page
    assert "1 confirmed / 0 waiting / 40 seats</p>" in page


def test_a_full_event_offers_the_waiting_list_not_registration(client, create_event,
                                                                 create_registration):
    event = create_event(capacity=1)
    create_registration(event)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert page.count("Join the waiting list") == 3  # the link, the heading, the button
    assert "Register now" not in page
    assert ">Register</button>" not in page


def test_a_closed_event_offers_nothing_to_join(client, create_event, create_registration, now):
    event = create_event(
        capacity=1,
        starts_at=now - timedelta(days=3),
        registration_closes_at=now - timedelta(days=4),
    )
    create_registration(event)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Registration for this event is closed." in page
    assert '<h2 id="register-heading">Registration</h2>' in page
    for offer in ("waiting list", "Register now", "<button", "Join"):
        assert offer not in page
