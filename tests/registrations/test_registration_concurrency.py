"""Never overbooked: many people registering or cancelling at the same moment, each on its own
connection, through the real views."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from mmm_events.extensions import db
from mmm_events.models import (
    Event,
    Invitation,
    InvitationAdmits,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from mmm_events.registrations.seats import seat_drift
from tests.conftest import rsvp_form, sign_in
from tests.races import fire_at_once, threaded_app

# Many connections at once are the point: each test gets a database that really commits.
pytestmark = pytest.mark.real_commits

PEOPLE = 200
SEATS = 50


def test_simultaneous_registrations_fill_exactly_the_seats(make_app, database_url, create_event):
    # Everyone here comes from one address: the limit is set for this many people.
    app = threaded_app(make_app, database_url, PEOPLE, RSVP_LIMIT_PER_IP=f"{PEOPLE} per 10 minutes")
    event = create_event(capacity=SEATS)
    forms = [
        rsvp_form(event, full_name=f"Person {n}", email=f"person{n}@example.org")
        for n in range(PEOPLE)
    ]

    codes = fire_at_once(app, [f"/events/{event.slug}"] * PEOPLE, forms)

    assert codes == {303: PEOPLE}
    with app.app_context():
        by_status = dict(
            db.session.execute(
                select(Registration.status, func.count())
                .where(Registration.event_id == event.id)
                .group_by(Registration.status)
            ).all()
        )
        assert {s.value: n for s, n in by_status.items()} == {
            "confirmed": SEATS,
            "waiting": PEOPLE - SEATS,
        }
        assert db.session.get(Event, event.id).seats_taken == SEATS
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == PEOPLE
        assert db.session.scalar(select(func.count(func.distinct(Registration.token)))) == PEOPLE


# Cancellations and promotions racing each other ----------------------------------------------


def queue_of(create_registration, event, now, confirmed: int, waiting: int):
    """``confirmed`` people with a seat, then ``waiting`` people in arrival order."""
    people = [
        create_registration(event, created_at=now + timedelta(seconds=n))
        for n in range(confirmed)
    ]
    people += [
        create_registration(
            event, status=RegistrationStatus.WAITING, created_at=now + timedelta(seconds=n)
        )
        for n in range(confirmed, confirmed + waiting)
    ]
    return people


def statuses(app, event) -> dict[str, str]:
    with app.app_context():
        return {
            r.email: r.status.value
            for r in db.session.scalars(
                select(Registration).where(Registration.event_id == event.id)
            )
        }


def emails_by_kind(app) -> Counter:
    with app.app_context():
        return Counter(
            (m.kind, m.registration_id) for m in db.session.scalars(select(OutboxMessage))
        )


def assert_seats_match(app, event) -> None:
    """The invariant, through the check the maintenance command runs: no drift to report."""
    with app.app_context():
        assert seat_drift() == []
        confirmed = db.session.scalar(
            select(func.count()).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        assert db.session.get(Event, event.id).seats_taken == confirmed


def test_a_double_submitted_cancellation_cancels_and_promotes_once(
    make_app, database_url, create_event, create_registration, now
):
    app = threaded_app(make_app, database_url, 50)
    event = create_event(capacity=SEATS)
    people = queue_of(create_registration, event, now, confirmed=SEATS, waiting=50)
    leaving = people[:25]

    codes = fire_at_once(app, [f"/events/manage/{p.token}/cancel" for p in leaving] * 2)

    assert set(codes) <= {302, 303} and sum(codes.values()) == 50
    after = statuses(app, event)
    assert Counter(after.values()) == {"confirmed": 50, "cancelled": 25, "waiting": 25}
    assert [p.email for p in people if after[p.email] == "cancelled"] == [
        p.email for p in leaving
    ]
    promoted = people[SEATS:SEATS + 25]
    assert all(after[p.email] == "confirmed" for p in promoted)
    assert emails_by_kind(app) == Counter(
        [("registration_cancelled", p.id) for p in leaving]
        + [("registration_promoted", p.id) for p in promoted]
    )
    assert_seats_match(app, event)


def test_waiting_people_cancelling_while_being_promoted_lose_no_seat(
    make_app, database_url, create_event, create_registration, now
):
    app = threaded_app(make_app, database_url, 50)
    event = create_event(capacity=SEATS)
    people = queue_of(create_registration, event, now, confirmed=SEATS, waiting=75)
    leaving = people[:25] + people[SEATS:SEATS + 25]

    codes = fire_at_once(app, [f"/events/manage/{p.token}/cancel" for p in leaving])

    assert set(codes) <= {302, 303} and sum(codes.values()) == 50
    after = statuses(app, event)
    # Every seat freed went to the next person still waiting, in arrival order.
    assert [p.email for p in people if after[p.email] == "confirmed"] == [
        p.email for p in people[25:SEATS] + people[SEATS + 25:SEATS + 50]
    ]
    assert [p.email for p in people if after[p.email] == "waiting"] == [
        p.email for p in people[SEATS + 50:]
    ]
    cancelled = Counter(kind for kind, _ in emails_by_kind(app).elements())
    assert cancelled["registration_cancelled"] == 50
    assert_seats_match(app, event)


def test_doctor_reports_and_repairs_seat_drift(app, create_event, create_registration, now):
    full = create_event(capacity=3)
    queue_of(create_registration, full, now, confirmed=2, waiting=2)
    undercounted = create_event(capacity=5)
    queue_of(create_registration, undercounted, now, confirmed=2, waiting=0)
    with app.app_context():
        # A seat leaked (the count says 3 for 2 people) and a count that missed one person.
        db.session.execute(update(Event).where(Event.id == full.id).values(seats_taken=3))
        db.session.execute(update(Event).where(Event.id == undercounted.id).values(seats_taken=1))
        db.session.commit()
    runner = app.test_cli_runner()

    found = runner.invoke(args=["doctor"])
    assert found.exit_code == 1
    assert found.output.splitlines() == [
        f"{full.slug}: seats_taken 3, holding 2, capacity 3",
        f"{undercounted.slug}: seats_taken 1, holding 2, capacity 5",
        "Run `flask doctor --repair` to put this right.",
    ]
    assert statuses(app, full)["person3@example.org"] == "waiting"

    repaired = runner.invoke(args=["doctor", "--repair"])
    assert repaired.exit_code == 1
    assert repaired.output.splitlines()[-1] == f"{full.slug}: 1 moved up from the waiting list"
    # The freed seat went to the first person waiting, who is emailed.
    assert statuses(app, full) == {
        "person1@example.org": "confirmed",
        "person2@example.org": "confirmed",
        "person3@example.org": "confirmed",
        "person4@example.org": "waiting",
    }
    assert [kind for kind, _ in emails_by_kind(app)] == ["registration_promoted"]
    assert_seats_match(app, full)

    clean = runner.invoke(args=["doctor"])
    assert (clean.exit_code, clean.output) == (
        0, "Seat counts match the registrations holding a seat.\n"
    )


def test_an_organiser_cancelling_twice_at_once_cancels_and_promotes_once(
    make_app, database_url, create_event, create_registration, create_user, now
):
    # Ten sign-ins of one account at once: each counts as a failure until its password is
    # checked, so the sign-in limits are set above ten here.
    app = threaded_app(
        make_app, database_url, 20,
        SIGN_IN_LIMIT_PER_ACCOUNT="100 per 15 minutes",
        SIGN_IN_LIMIT_PER_IP="100 per 15 minutes",
    )
    event = create_event(capacity=5)
    people = queue_of(create_registration, event, now, confirmed=5, waiting=5)
    organiser = create_user(events=(event,))
    leaving = people[:10:2]  # every other person: three confirmed, two waiting

    codes = fire_at_once(
        app,
        [f"/organiser/registrations/{p.id}/cancel" for p in leaving] * 2,
        prepare=lambda client: sign_in(client, organiser),
    )

    assert codes == {302: 10}
    after = statuses(app, event)
    assert [p.email for p in people if after[p.email] == "confirmed"] == [
        p.email for p in (people[1], people[3], people[5], people[7], people[9])
    ]
    emails = emails_by_kind(app)
    assert {key: n for key, n in emails.items() if key[0] == "registration_cancelled"} == {
        ("registration_cancelled", p.id): 1 for p in leaving
    }
    # A waiting person cancelled may have been promoted a moment before: one email each.
    promoted = {key[1]: n for key, n in emails.items() if key[0] == "registration_promoted"}
    assert set(promoted.values()) == {1}
    assert {people[5].id, people[7].id, people[9].id} <= set(promoted)
    assert_seats_match(app, event)


# The RSVP guards racing themselves ------------------------------------------------------------


def test_guests_of_one_invitation_arriving_at_once_never_exceed_their_number(
    make_app, database_url, create_event
):
    app = threaded_app(make_app, database_url, 12)
    event = create_event(
        invite_only=True, invitation_admits=InvitationAdmits.GUESTS, invitation_guests=3
    )
    with app.app_context():
        invitation = Invitation(
            event_id=event.id, email="invitee@example.org", email_normalised="invitee@example.org"
        )
        db.session.add(invitation)
        db.session.commit()
        token = invitation.token
    forms = [
        rsvp_form(
            event, full_name=f"Guest {n}", email=f"guest{n}@example.org", invitation=token
        )
        for n in range(12)
    ]

    codes = fire_at_once(app, [f"/events/{event.slug}"] * len(forms), forms)

    assert codes == {303: 3, 422: 9}
    with app.app_context():
        guests = db.session.scalar(
            select(func.count(Registration.id)).where(Registration.guest_of_id == invitation.id)
        )
        assert guests == 3
    assert_seats_match(app, event)


def test_a_confirmation_link_clicked_twice_at_once_confirms_once(
    make_app, database_url, create_event, now
):
    app = threaded_app(make_app, database_url, 2)
    event = create_event(capacity=1, confirm_email=True)
    client = app.test_client()
    client.post(f"/events/{event.slug}", data=rsvp_form(event))
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        link = f"/events/manage/confirm/{registration.confirm_token}"

    assert fire_at_once(app, [link, link]) == {303: 2}

    assert statuses(app, event) == {"amina@example.org": "confirmed"}
    assert emails_by_kind(app) == {
        ("registration_confirm_address", registration.id): 1,
        ("registration_confirmation", registration.id): 1,
    }
    assert_seats_match(app, event)
