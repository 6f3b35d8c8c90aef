"""Registration (RSVP): the form, the rules, the manage page."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mmm_events.extensions import db
from mmm_events.models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from mmm_events.registrations import address, admission, errors, services, status
from tests.conftest import REGISTRATION_SERVER_NAME

CASABLANCA = ZoneInfo("Africa/Casablanca")


@pytest.fixture
def app(make_app):
    return make_app(SERVER_NAME=REGISTRATION_SERVER_NAME)


@pytest.fixture
def conference(create_event, now):
    """A two-day event: 09:00 on day one to 17:30 on day two, Casablanca time."""

    def factory(**fields) -> Event:
        first = (now + timedelta(days=60)).astimezone(CASABLANCA).date()
        values = {
            "starts_at": datetime.combine(first, time(9, 0), CASABLANCA),
            "ends_at": datetime.combine(first + timedelta(days=1), time(17, 30), CASABLANCA),
        }
        values.update(fields)
        return create_event(**values)

    return factory


def form_data(event: Event | None = None, **overrides):
    data = {
        "full_name": "Amina Benali",
        "email": "Amina@Example.ORG",
        "organisation": "MMM Morocco",
        "country": "Morocco",
        "needs": "",
        "language": "en",
        "consent": "y",
        "needs_consent": "y",
    }
    if event is not None:
        data["days"] = [d.isoformat() for d in event.days]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def details(days=None, email="amina@example.org", **fields):
    values = {
        "full_name": "Amina Benali",
        "email": email,
        "organisation": "",
        "country": "Morocco",
        "days": days or [],
        "needs": "",
        "language": "en",
    }
    values.update(fields)
    return services.RegistrationDetails(**values)


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Registration.id))),
            db.session.scalar(select(func.count(OutboxMessage.id))),
        )


def statuses(app, event_id):
    with app.app_context():
        rows = db.session.execute(
            select(Registration.email, Registration.status)
            .where(Registration.event_id == event_id)
            .order_by(Registration.id)
        ).all()
        return [(email, status.value) for email, status in rows]


def seats_taken(app, event_id):
    with app.app_context():
        return db.session.get(Event, event_id).seats_taken


# The form -------------------------------------------------------------------------------------


def test_form_is_on_the_event_page_with_all_fields(client, conference):
    event = conference()
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 200
    for name in ("full_name", "email", "organisation", "country", "days", "needs", "language",
                 "consent"):
        assert f'name="{name}"' in page.text
    assert 'href="/privacy"' in page.text
    # Both days offered, both ticked by default.
    boxes = re.findall(r'<input[^>]*name="days"[^>]*>', page.text)
    assert boxes == [
        f'<input checked id="days-{n}" name="days" type="checkbox" value="{day.isoformat()}">'
        for n, day in enumerate(event.days)
    ]
    assert len(boxes) == 2


def test_register_redirects_to_a_result_page(app, client, conference):
    event = conference(capacity=2)
    response = client.post(f"/events/{event.slug}", data=form_data(event))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event.slug}/registered"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "<h1>You are registered</h1>" in page.text
    assert "Amina@example.org" in page.text
    assert counts(app) == (1, 1)
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.email == "Amina@example.org"
        assert registration.email_normalised == "amina@example.org"
        assert registration.status is RegistrationStatus.CONFIRMED
        assert registration.days == event.days
        assert registration.organisation == "MMM Morocco"
        assert registration.language is Language.EN
        assert len(registration.token) >= 43
    assert seats_taken(app, event.id) == 1


def test_result_page_without_a_registration_goes_back_to_the_event(client, conference):
    event = conference()
    response = client.get(f"/events/{event.slug}/registered")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event.slug}"


def test_errors_next_to_fields_with_values_kept(app, client, conference):
    event = conference()
    response = client.post(
        f"/events/{event.slug}",
        data=form_data(event, email="not an email", full_name="", consent=None,
                       organisation="Kept Organisation", days=[]),
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="email-error">Please enter a valid email address, like name@example.org.</p>' in html
    assert 'id="full_name-error">Please enter your name.</p>' in html
    assert 'id="consent-error">Please tick this box so that we can register you.</p>' in html
    assert 'id="days-error">Please choose at least one day.</p>' in html
    assert 'value="Kept Organisation"' in html
    assert 'value="not an email"' in html
    assert 'aria-describedby="email-hint email-error"' in html
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "A" * 201, "Please shorten your name to 200 characters."),
        ("organisation", "O" * 201, "Please shorten this to 200 characters."),
        ("country", "C" * 121, "Please shorten this to 120 characters."),
        ("needs", "N" * 2001, "Please shorten this to 2,000 characters."),
        ("full_name", "Amina\r\nBcc: victim@example.org",
         "Please use only letters, numbers and punctuation, on one line."),
        ("full_name", "Amina\u2028Benali",
         "Please use only letters, numbers and punctuation, on one line."),
        ("organisation", "MMM\x00",
         "Please use only letters, numbers and punctuation, on one line."),
        ("email", "amina@example.org\r\nBcc: victim@example.org",
         "Please use only letters, numbers and punctuation, on one line."),
        ("email", "a" * 250 + "@example.org",
         "Please shorten the email address to 254 characters."),
        ("needs", "wheelchair\x07", "Please use only letters, numbers and punctuation."),
        ("language", "de", "Not a valid choice."),
    ],
)
def test_bad_values_are_refused_with_a_message(app, client, conference, field, value, message):
    event = conference()
    response = client.post(f"/events/{event.slug}", data=form_data(event, **{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in response.text
    assert counts(app) == (0, 0)


def test_line_breaks_in_needs_are_fine(app, client, conference):
    event = conference()
    response = client.post(
        f"/events/{event.slug}", data=form_data(event, needs="Vegetarian\r\nWheelchair")
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration.needs)) == "Vegetarian\r\nWheelchair"


def test_email_is_normalised(app, client, conference):
    event = conference()
    response = client.post(
        f"/events/{event.slug}", data=form_data(event, email="  Amina.B@EXAMPLE.Org ")
    )
    assert response.status_code == 303
    with app.app_context():
        row = db.session.execute(select(Registration.email, Registration.email_normalised)).one()
    assert tuple(row) == ("Amina.B@example.org", "amina.b@example.org")


def test_days_outside_the_event_are_refused(app, client, conference):
    event = conference()
    response = client.post(f"/events/{event.slug}", data=form_data(event, days=["2001-01-01"]))
    assert response.status_code == 422
    assert 'id="days-error">' in response.text
    assert counts(app) == (0, 0)


def test_one_day_event_needs_no_day_choice(app, client, create_event, now):
    start = datetime.combine((now + timedelta(days=30)).date(), time(9), CASABLANCA)
    event = create_event(starts_at=start, ends_at=start + timedelta(hours=8))
    page = client.get(f"/events/{event.slug}")
    assert 'name="days"' not in page.text
    response = client.post(f"/events/{event.slug}", data=form_data())
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration)).days == [start.date()]


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (
            b"full_name=\xff\xfe&email=\xc3\x28@example.org&country=\x80&consent=y",
            ["full_name", "email", "country", "days", "consent"],
        ),
        (b"%ff%fe%fd=1&full_name=%ED%A0%80&email=a%40b.org&consent=y&country=x", ["days"]),
        (
            b"days=1&days=2&days=&language[]=x&consent=yes&full_name[]=a",
            ["full_name", "email", "country", "days"],
        ),
        (b"=&&&==&" * 1000, ["full_name", "email", "country", "days", "consent"]),
    ],
)
def test_malformed_bodies_are_refused_with_the_form(app, client, conference, body, refused):
    """Undecodable bytes, unknown or repeated names, empty pairs: the form again, with a
    message at each field it refuses, and nothing stored."""
    event = conference()
    response = client.post(
        f"/events/{event.slug}", data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert re.findall(r'id="([a-z_]+)-error"', response.text) == refused
    assert counts(app) == (0, 0)


def test_json_and_multipart_bodies_do_not_give_500(app, client, conference):
    event = conference()
    assert client.post(f"/events/{event.slug}", json={"full_name": ["x"]}).status_code == 422
    response = client.post(
        f"/events/{event.slug}",
        data={**form_data(event), "full_name": (__import__("io").BytesIO(b"file"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert counts(app) == (0, 0)


def test_huge_body_gets_413(app, client, conference):
    event = conference()
    response = client.post(
        f"/events/{event.slug}", data=form_data(event, needs="x" * (11 * 1024 * 1024))
    )
    assert response.status_code == 413
    assert counts(app) == (0, 0)


def test_unknown_slug_is_404(client):
    assert client.get("/events/no-such-event").status_code == 404
    assert client.post("/events/no-such-event", data=form_data()).status_code == 404
    missing = client.post("/events/no-such-event/send-link", data={"email": "a@b.org"})
    assert missing.status_code == 404


def test_csrf_is_enforced(make_app, conference):
    app = make_app(WTF_CSRF_ENABLED=True, SERVER_NAME=REGISTRATION_SERVER_NAME)
    event = conference()
    client = app.test_client()
    refused = client.post(f"/events/{event.slug}", data=form_data(event))
    assert refused.status_code == 400
    assert "This form has expired" in refused.text
    assert counts(app) == (0, 0)
    page = client.get(f"/events/{event.slug}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    accepted = client.post(f"/events/{event.slug}", data={**form_data(event), "csrf_token": token})
    assert accepted.status_code == 303
    assert counts(app) == (1, 1)


# Opening, closing, drafts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"registration_opens_at": "future"}, "Registration opens on"),
        ({"registration_closes_at": "past"}, "Registration for this event is closed."),
    ],
)
def test_registration_refused_outside_its_window(app, client, conference, now, fields, text):
    moments = {"future": now + timedelta(days=1), "past": now - timedelta(minutes=1)}
    event = conference(**{k: moments[v] for k, v in fields.items()})
    page = client.get(f"/events/{event.slug}")
    assert text in page.text
    assert 'name="full_name"' not in page.text
    response = client.post(f"/events/{event.slug}", data=form_data(event))
    assert response.status_code == 409
    assert text in response.text
    assert counts(app) == (0, 0)


def test_unpublished_event_is_404_and_refused_by_the_service(app, client, conference, now):
    event = conference(is_published=False)
    assert client.post(f"/events/{event.slug}", data=form_data(event)).status_code == 404
    with app.app_context():
        with pytest.raises(errors.RegistrationClosed) as refused:
            services.register(db.session.get(Event, event.id), details(), now=now)
        assert refused.value.reason == "draft"
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("shift", "reason"), [(timedelta(days=1), "not_open"), (timedelta(days=-1), "closed")]
)
def test_service_refuses_before_opening_and_after_closing(app, conference, now, shift, reason):
    event = conference(
        registration_opens_at=now + shift if reason == "not_open" else None,
        registration_closes_at=now + shift if reason == "closed" else None,
    )
    with app.app_context():
        with pytest.raises(errors.RegistrationClosed) as refused:
            services.register(db.session.get(Event, event.id), details(), now=now)
        assert refused.value.reason == reason


# One registration per person per event -------------------------------------------------------


def test_second_registration_with_same_email_creates_nothing(app, client, conference):
    event = conference()
    assert client.post(f"/events/{event.slug}", data=form_data(event)).status_code == 303
    again = client.post(
        f"/events/{event.slug}",
        data=form_data(event, email="amina@EXAMPLE.org", full_name="Someone Else"),
    )
    assert again.status_code == 200
    assert "This email address is already registered" in again.text
    assert f'action="/events/{event.slug}/send-link"' in again.text
    # Nothing about the existing registration is shown.
    assert "Amina Benali" not in again.text
    assert "/events/manage/" not in again.text
    assert counts(app) == (1, 1)
    assert seats_taken(app, event.id) == 1


def test_send_link_emails_only_a_registered_address(app, client, conference):
    event = conference()
    client.post(f"/events/{event.slug}", data=form_data(event))
    registered = client.post(f"/events/{event.slug}/send-link", data={"email": "AMINA@example.org"})
    stranger = client.post(f"/events/{event.slug}/send-link", data={"email": "who@example.org"})
    assert registered.status_code == stranger.status_code == 303
    flash = "If this address is registered for this event, we have just sent it the link"
    assert flash in client.get(f"/events/{event.slug}").text
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("registration_confirmation", "Amina@example.org"),
        ("registration_link", "Amina@example.org"),
    ]


def test_service_returns_existing_registration_for_duplicate(app, conference, now):
    event = conference()
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        first = services.register(loaded, details(loaded.days), now=now)
        db.session.commit()
        second = services.register(loaded, details(loaded.days, email="AMINA@example.org"), now=now)
        db.session.commit()
        assert (first.created, second.created) == (True, False)
        assert second.registration.id == first.registration.id
    assert counts(app) == (1, 1)
    assert seats_taken(app, event.id) == 1


def test_duplicate_race_is_caught_by_the_unique_constraint(app, conference, now, monkeypatch):
    """The Python check misses (as it would for two simultaneous clicks): the database's
    constraint decides, the seat is given back, and nothing new is stored."""
    event = conference()
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        services.register(loaded, details(loaded.days), now=now)
        db.session.commit()
        monkeypatch.setattr(services, "existing_registration", _miss_once(services))
        outcome = services.register(
            loaded, details(loaded.days, email="Amina@Example.org"), now=now
        )
        db.session.commit()
        assert outcome.created is False
    assert counts(app) == (1, 1)
    assert seats_taken(app, event.id) == 1


def _miss_once(module):
    real = module.existing_registration
    calls = []

    def lookup(event, email_normalised):
        calls.append(email_normalised)
        return None if len(calls) == 1 else real(event, email_normalised)

    return lookup


# Capacity and waiting list --------------------------------------------------------------------


def test_full_event_puts_people_on_the_waiting_list_in_order(app, client, conference):
    event = conference(capacity=1)
    for n in range(3):
        response = client.post(
            f"/events/{event.slug}", data=form_data(event, email=f"p{n}@example.org")
        )
        assert response.status_code == 303
    page = client.get(f"/events/{event.slug}/registered")
    assert "<h1>You are on the waiting list</h1>" in page.text
    assert "(number 2)" in page.text
    assert statuses(app, event.id) == [
        ("p0@example.org", "confirmed"),
        ("p1@example.org", "waiting"),
        ("p2@example.org", "waiting"),
    ]
    assert seats_taken(app, event.id) == 1
    assert "Full: new registrations join the waiting list" in client.get(
        f"/events/{event.slug}").text


def test_cancel_promotes_the_first_waiting(app, conference, now):
    event = conference(capacity=1)
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        people = [
            services.register(
                loaded, details(loaded.days, email=f"p{n}@example.org"), now=now
            ).registration
            for n in range(3)
        ]
        db.session.commit()
        promoted = status.cancel_registration(people[0], now=now)
        db.session.commit()
        assert promoted.id == people[1].id
        assert people[0].cancelled_at == now
        kinds = db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
        ).all()
    assert statuses(app, event.id) == [
        ("p0@example.org", "cancelled"),
        ("p1@example.org", "confirmed"),
        ("p2@example.org", "waiting"),
    ]
    assert seats_taken(app, event.id) == 1
    assert [tuple(k) for k in kinds][3:] == [
        ("registration_cancelled", "p0@example.org"),
        ("registration_promoted", "p1@example.org"),
    ]


def test_cancelling_a_waiting_registration_promotes_nobody(app, conference, now):
    event = conference(capacity=1)
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        services.register(loaded, details(loaded.days, email="p0@example.org"), now=now)
        waiting = services.register(loaded, details(loaded.days, email="p1@example.org"), now=now)
        db.session.commit()
        assert status.cancel_registration(waiting.registration, now=now) is None
        db.session.commit()
        assert status.cancel_registration(waiting.registration, now=now) is None
    assert statuses(app, event.id) == [("p0@example.org", "confirmed"),
                                       ("p1@example.org", "cancelled")]
    assert seats_taken(app, event.id) == 1


def test_organiser_promotion_needs_a_free_seat(app, conference, now):
    event = conference(capacity=1)
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        services.register(loaded, details(loaded.days, email="p0@example.org"), now=now)
        waiting = services.register(
            loaded, details(loaded.days, email="p1@example.org"), now=now
        ).registration
        db.session.commit()
        assert status.promote_registration(waiting, now=now) is False
        loaded.capacity = 2
        db.session.commit()
        assert status.promote_registration(waiting, now=now) is True
        db.session.commit()
        assert status.promote_registration(waiting, now=now) is False
        last = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        assert (last.kind, last.recipient) == ("registration_promoted", "p1@example.org")
    assert seats_taken(app, event.id) == 2


def test_send_confirmation_enqueues_again(app, conference, now):
    event = conference()
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        registration = services.register(loaded, details(loaded.days), now=now).registration
        db.session.commit()
        services.send_confirmation(registration)
        db.session.commit()
        status.cancel_registration(registration, now=now)
        services.send_confirmation(registration)
        db.session.commit()
        kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == [
        "registration_confirmation",
        "registration_confirmation",
        "registration_cancelled",
        "registration_cancelled",
    ]


# Invitations ----------------------------------------------------------------------------------


def make_invitation(app, event, **fields):
    values = {
        "event_id": event.id,
        "email": "Invitee@Example.org",
        "email_normalised": "invitee@example.org",
        "name": "Fatima Zahra",
        "organisation": "UNESCO NatCom",
        "language": Language.FR,
        "status": InvitationStatus.INVITED,
    }
    values.update(fields)
    with app.app_context():
        invitation = Invitation(**values)
        db.session.add(invitation)
        db.session.commit()
        return invitation.id, invitation.token


def test_invite_only_event_needs_a_valid_invitation(app, client, conference):
    event = conference(invite_only=True)
    page = client.get(f"/events/{event.slug}")
    assert "This event is by invitation only." in page.text
    assert 'name="full_name"' not in page.text
    assert client.post(f"/events/{event.slug}", data=form_data(event)).status_code == 403
    forged = client.get(f"/events/{event.slug}?invitation=forged")
    assert forged.text.count("by invitation only") == 1
    _, revoked = make_invitation(app, event, status=InvitationStatus.REVOKED)
    refused = client.post(f"/events/{event.slug}", data=form_data(event, invitation=revoked))
    assert refused.status_code == 403
    assert counts(app) == (0, 0)


def test_invitation_prefills_the_form_and_is_accepted(app, client, conference):
    event = conference(invite_only=True)
    invitation_id, token = make_invitation(app, event)
    page = client.get(f"/events/{event.slug}?invitation={token}")
    assert 'value="Fatima Zahra"' in page.text
    assert 'value="Invitee@Example.org"' in page.text
    assert 'value="UNESCO NatCom"' in page.text
    assert f'name="invitation" type="hidden" value="{token}"' in page.text
    assert re.search(r'checked[^>]*value="fr"|value="fr"[^>]*checked', page.text)
    response = client.post(
        f"/events/{event.slug}",
        data=form_data(event, invitation=token, full_name="Fatima Zahra", language="fr",
                       email="invitee@example.org"),
    )
    assert response.status_code == 303
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        invitation = db.session.get(Invitation, invitation_id)
        assert registration.invitation_id == invitation_id
        assert invitation.status is InvitationStatus.ACCEPTED
        assert invitation.answered_at is not None
        assert registration.language is Language.FR


def test_invitation_for_ignores_other_events_and_revoked(app, conference):
    event, other = conference(), conference()
    _, token = make_invitation(app, event)
    _, revoked = make_invitation(app, event, email="r@example.org",
                                 email_normalised="r@example.org",
                                 status=InvitationStatus.REVOKED)
    with app.app_context():
        assert admission.invitation_for(db.session.get(Event, event.id), token).token == token
        assert admission.invitation_for(db.session.get(Event, other.id), token) is None
        assert admission.invitation_for(db.session.get(Event, event.id), revoked) is None
        assert admission.invitation_for(db.session.get(Event, event.id), "x" * 500) is None


def test_service_refuses_invite_only_without_invitation(app, conference, now):
    event, other = conference(invite_only=True), conference()
    _, token = make_invitation(app, other)
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        foreign = admission.invitation_for(db.session.get(Event, other.id), token)
        for invitation in (None, foreign):
            with pytest.raises(errors.InvitationRequired):
                services.register(loaded, details(loaded.days), now=now, invitation=invitation)
    assert counts(app) == (0, 0)


# Self-service ---------------------------------------------------------------------------------


def register_one(app, client, event, **overrides):
    client.post(f"/events/{event.slug}", data=form_data(event, **overrides))
    with app.app_context():
        return db.session.scalar(
            select(Registration.token).order_by(Registration.id.desc()).limit(1)
        )


def test_manage_page_shows_the_registration(app, client, conference):
    event = conference()
    token = register_one(app, client, event, needs="Vegetarian")
    page = client.get(f"/events/manage/{token}")
    assert page.status_code == 200
    assert f"<h1>Your registration for {event.title}</h1>" in page.text
    assert "Your place is confirmed." in page.text
    assert "Vegetarian" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("suffix", ["", "/edit", "/cancel", "/calendar.ics"])
def test_wrong_token_is_404(client, conference, suffix):
    conference()
    assert client.get(f"/events/manage/not-a-token{suffix}").status_code == 404
    assert client.get(f"/events/manage/{'x' * 500}{suffix}").status_code == 404


def test_manage_edit_changes_details_and_days(app, client, conference):
    event = conference()
    token = register_one(app, client, event)
    form = client.get(f"/events/manage/{token}/edit")
    assert 'value="Amina Benali"' in form.text
    second_day = event.days[1].isoformat()
    response = client.post(
        f"/events/manage/{token}/edit",
        data=form_data(event, full_name="Amina B.", days=[second_day], language="fr",
                       consent=None),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/manage/{token}"
    assert "Your changes are saved." in client.get(f"/events/manage/{token}").text
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.full_name == "Amina B."
        assert registration.days == [event.days[1]]
        assert registration.language is Language.FR


def test_manage_edit_keeps_values_on_error_and_refuses_a_taken_email(app, client, conference):
    event = conference()
    token = register_one(app, client, event)
    register_one(app, client, event, email="other@example.org")
    bad = client.post(f"/events/manage/{token}/edit",
                      data=form_data(event, full_name="", country="Kept Country"))
    assert 'id="full_name-error">Please enter your name.</p>' in bad.text
    assert 'value="Kept Country"' in bad.text
    taken = client.post(f"/events/manage/{token}/edit",
                        data=form_data(event, email="OTHER@example.org"))
    assert taken.status_code == 422
    assert "already used by another registration" in taken.text
    with app.app_context():
        assert db.session.scalar(
            select(Registration.email).where(Registration.token == token)
        ) == "Amina@example.org"


def test_calendar_download(app, client, conference):
    from icalendar import Calendar

    event = conference()
    token = register_one(app, client, event)
    response = client.get(f"/events/manage/{token}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    entry = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert str(entry["SUMMARY"]) == event.title
    assert entry.decoded("DTSTART") == event.starts_at


def test_cancel_asks_first_then_cancels_and_promotes(app, client, conference):
    event = conference(capacity=1)
    token = register_one(app, client, event)
    register_one(app, client, event, email="next@example.org")
    confirm = client.get(f"/events/manage/{token}/cancel")
    assert confirm.status_code == 200
    assert "<h1>Cancel my registration?</h1>" in confirm.text
    assert statuses(app, event.id)[0] == ("Amina@example.org", "confirmed")
    done = client.post(f"/events/manage/{token}/cancel")
    assert done.status_code == 303
    page = client.get(f"/events/manage/{token}")
    assert "This registration is cancelled." in page.text
    assert "Change my details" not in page.text
    assert statuses(app, event.id) == [("Amina@example.org", "cancelled"),
                                       ("next@example.org", "confirmed")]
    # Cancelling twice changes nothing.
    assert client.post(f"/events/manage/{token}/cancel").status_code == 302
    assert client.get(f"/events/manage/{token}/edit").status_code == 302
    assert seats_taken(app, event.id) == 1


def test_on_an_open_event_a_used_invitation_admits_a_second_person_without_relinking(
    app, client, conference
):
    # Anyone may register for an event that is not by invitation only; the invitation
    # only records its first answer. (Invite-only events:
    # tests/registrations/test_registration_guards.py.)
    event = conference(invite_only=False)
    invitation_id, token = make_invitation(app, event)
    for email in ("invitee@example.org", "colleague@example.org"):
        response = client.post(
            f"/events/{event.slug}", data=form_data(event, invitation=token, email=email)
        )
        assert response.status_code == 303
    with app.app_context():
        links = db.session.execute(
            select(Registration.email, Registration.invitation_id).order_by(Registration.id)
        ).all()
    assert [tuple(link) for link in links] == [
        ("invitee@example.org", invitation_id),
        ("colleague@example.org", None),
    ]


def test_a_new_address_taken_before_its_confirmation_is_refused(app, conference, now):
    event = conference()
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        other = services.register(
            loaded, details(loaded.days, email="other@example.org"), now=now
        ).registration
        assert services.update_registration(
            other, details(loaded.days, email="AMINA@example.org"), now=now
        ) == "AMINA@example.org"
        # Meanwhile the address registers itself.
        services.register(loaded, details(loaded.days), now=now)
        db.session.commit()
        with pytest.raises(IntegrityError):
            address.confirm_change(other, now=now)
        db.session.rollback()
        assert db.session.get(Registration, other.id).email == "other@example.org"


@pytest.mark.parametrize(
    "path",
    [
        "/events/bad%00slug",
        "/events/{slug}?invitation=bad%00token",
        "/events/manage/bad%00token",
        "/events/manage/bad%00token/edit",
        "/events/bad%00slug/registered",
    ],
)
def test_nul_characters_in_addresses_are_a_bad_request(client, conference, path):
    event = conference()
    response = client.get(path.format(slug=event.slug))
    assert response.status_code == 400


def test_nul_character_in_the_invitation_field_is_ignored(app, client, conference):
    event = conference()
    response = client.post(
        f"/events/{event.slug}", data=form_data(event, invitation="bad\x00token")
    )
    assert response.status_code == 303


def test_nul_character_in_send_link_is_harmless(app, client, conference):
    event = conference()
    response = client.post(f"/events/{event.slug}/send-link", data={"email": "a\x00@example.org"})
    assert response.status_code == 303
    assert counts(app) == (0, 0)


def test_registering_again_after_cancelling_joins_the_end_of_the_queue(app, client, conference,
                                                                       now):
    event = conference(capacity=1)
    first = register_one(app, client, event)
    register_one(app, client, event, email="second@example.org")
    register_one(app, client, event, email="third@example.org")
    client.post(f"/events/manage/{first}/cancel")
    # A seat went to "second"; Amina comes back and waits behind "third".
    again = client.post(f"/events/{event.slug}", data=form_data(event, full_name="Amina B."))
    assert again.status_code == 303
    page = client.get(f"/events/{event.slug}/registered")
    assert "<h1>You are on the waiting list</h1>" in page.text
    assert "(number 2)" in page.text
    assert statuses(app, event.id) == [
        ("Amina@example.org", "waiting"),
        ("second@example.org", "confirmed"),
        ("third@example.org", "waiting"),
    ]
    with app.app_context():
        second = db.session.scalar(
            select(Registration).where(Registration.email == "second@example.org")
        )
        promoted = status.cancel_registration(second, now=now + timedelta(days=1))
        db.session.commit()
        assert promoted.email == "third@example.org"
        amina = db.session.scalar(select(Registration).where(Registration.token == first))
        assert (amina.full_name, amina.cancelled_at) == ("Amina B.", None)
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.registration_id == amina.id)
            .order_by(OutboxMessage.id)
        ).all()
    assert kinds == [
        "registration_confirmation", "registration_cancelled", "registration_confirmation",
    ]
    assert seats_taken(app, event.id) == 1


def test_registering_again_gets_a_free_seat(app, client, conference):
    event = conference(capacity=1)
    token = register_one(app, client, event)
    client.post(f"/events/manage/{token}/cancel")
    assert seats_taken(app, event.id) == 0
    client.post(f"/events/{event.slug}", data=form_data(event))
    assert statuses(app, event.id) == [("Amina@example.org", "confirmed")]
    assert seats_taken(app, event.id) == 1
    # And a plain repeat is still only a repeat.
    repeat = client.post(f"/events/{event.slug}", data=form_data(event))
    assert "This email address is already registered" in repeat.text
    assert seats_taken(app, event.id) == 1


def test_rules_changing_during_the_request_give_409(app, client, conference, monkeypatch):
    """The event closes between the page's checks and the registration itself."""
    event = conference()

    def closed(*args, **kwargs):
        raise errors.RegistrationClosed("closed")

    monkeypatch.setattr(services, "register", closed)
    response = client.post(f"/events/{event.slug}", data=form_data(event))
    assert response.status_code == 409
    assert "Registration is not possible at the moment." in response.text
    assert counts(app) == (0, 0)
