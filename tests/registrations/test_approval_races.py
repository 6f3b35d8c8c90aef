"""Approval decisions fired at themselves and at each other on their own threads and
connections (``tests/races.py``), on SQLite and PostgreSQL: a double click, two organisers
approving at once, an approval against a decline. Whatever the order, the registration is
decided once: one seat at most, one email."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage, Registration, RegistrationStatus
from mmm_events.registrations import approval
from tests.conftest import sign_in
from tests.invitations.test_state_races import ORDERS, clash
from tests.races import caught_halfway, cut_in, fire_at_once, threaded_app

# Threads, each on a connection of its own, see only what the others committed.
pytestmark = pytest.mark.real_commits

PENDING = RegistrationStatus.PENDING_APPROVAL


@pytest.fixture
def racing_app(make_app, database_url):
    return threaded_app(make_app, database_url, 4)


def emails(app) -> Counter:
    with app.app_context():
        return Counter(
            (row.kind, row.registration_id) for row in db.session.scalars(select(OutboxMessage))
        )


def outcome(app, registration) -> tuple[str, int]:
    with app.app_context():
        row = db.session.get(Registration, registration.id)
        return row.status.value, db.session.get(Event, row.event_id).seats_taken


def approve(registration_id: int, now):
    return lambda: approval.approve_registration(
        db.session.get(Registration, registration_id), now=now
    )


def decline(event: Event, registration_ids: list[int], now):
    return lambda: len(approval.decline_registrations(
        db.session.get(Event, event.id), registration_ids, now=now, message="Sorry."
    ))


def approve_chosen(event: Event, ids: list[int], now):
    return lambda: approval.approve_chosen(db.session.get(Event, event.id), ids, now=now)


@pytest.mark.parametrize("order", ORDERS)
def test_two_approvals_at_once_give_one_seat_and_one_email(
    racing_app, create_event, create_registration, now, order
):
    # Two seats free: a second approval that went through would take the second one.
    event = create_event(capacity=2, requires_approval=True)
    person = create_registration(event, status=PENDING)

    results = clash(racing_app, order, approve(person.id, now), approve(person.id, now))

    assert sorted(results, key=str) == [None, RegistrationStatus.CONFIRMED]
    assert outcome(racing_app, person) == ("confirmed", 1)
    assert emails(racing_app) == {("registration_confirmation", person.id): 1}


@pytest.mark.parametrize("order", ORDERS)
def test_two_approvals_of_a_full_event_put_the_person_on_the_waiting_list_once(
    racing_app, create_event, create_registration, now, order
):
    event = create_event(capacity=1, requires_approval=True)
    create_registration(event)
    person = create_registration(event, status=PENDING)

    results = clash(racing_app, order, approve(person.id, now), approve(person.id, now))

    assert sorted(results, key=str) == [None, RegistrationStatus.WAITING]
    assert outcome(racing_app, person) == ("waiting", 1)
    assert emails(racing_app) == {("registration_confirmation", person.id): 1}


@pytest.mark.parametrize("order", ORDERS)
def test_an_approval_against_a_decline_leaves_one_decision_and_one_email(
    racing_app, create_event, create_registration, now, order
):
    event = create_event(capacity=2, requires_approval=True)
    person = create_registration(event, status=PENDING)

    approved, declined = clash(
        racing_app, order, approve(person.id, now), decline(event, [person.id], now)
    )

    if approved is RegistrationStatus.CONFIRMED:
        assert declined == 0
        assert outcome(racing_app, person) == ("confirmed", 1)
        assert emails(racing_app) == {("registration_confirmation", person.id): 1}
    else:
        assert (approved, declined) == (None, 1)
        assert outcome(racing_app, person) == ("not-approved", 0)
        assert emails(racing_app) == {("registration_declined", person.id): 1}
    # The cut-ins decide who goes first: the rival's whole change lands before the other's.
    if order == "second_cuts_in":
        assert (approved, declined) == (None, 1)
    if order == "first_cuts_in":
        assert (approved, declined) == (RegistrationStatus.CONFIRMED, 0)


@pytest.mark.parametrize("order", ORDERS)
def test_two_selections_approved_at_once_seat_the_first_and_queue_the_second_once(
    racing_app, create_event, create_registration, now, order
):
    event = create_event(capacity=1, requires_approval=True)
    first = create_registration(event, status=PENDING, created_at=now)
    second = create_registration(event, status=PENDING, created_at=now.replace(microsecond=1))
    ids = [first.id, second.id]

    one, other = clash(
        racing_app, order, approve_chosen(event, ids, now), approve_chosen(event, ids, now)
    )

    assert (one.confirmed + other.confirmed, one.waiting + other.waiting) == (1, 1)
    assert outcome(racing_app, first) == ("confirmed", 1)
    assert outcome(racing_app, second) == ("waiting", 1)
    assert emails(racing_app) == {
        ("registration_confirmation", first.id): 1,
        ("registration_confirmation", second.id): 1,
    }


def test_a_double_click_on_approve_gives_one_seat_and_one_email(
    racing_app, create_event, create_registration, create_user
):
    event = create_event(capacity=2, requires_approval=True)
    person = create_registration(event, status=PENDING)
    organisers = [create_user(events=(event,)), create_user(events=(event,))]
    signed_in = iter(organisers)
    path = f"/organiser/registrations/{person.id}/approve"

    codes = fire_at_once(racing_app, [path, path], prepare=lambda c: sign_in(c, next(signed_in)))

    assert codes == {302: 2}
    assert outcome(racing_app, person) == ("confirmed", 1)
    assert emails(racing_app) == {("registration_confirmation", person.id): 1}


def test_a_decline_posted_as_another_organiser_approves_changes_nothing(
    racing_app, create_event, create_registration, create_user, now
):
    event = create_event(capacity=2, requires_approval=True)
    person = create_registration(event, status=PENDING)
    client = racing_app.test_client()
    sign_in(client, create_user(events=(event,)))

    response, approved = cut_in(
        racing_app,
        lambda: client.post(
            f"/organiser/registrations/{person.id}/decline", data={"message": "No."},
            follow_redirects=True,
        ),
        approve(person.id, now),
        request=True,
    )

    assert approved is RegistrationStatus.CONFIRMED
    assert "This registration no longer awaits approval: nothing was changed." in response.text
    assert outcome(racing_app, person) == ("confirmed", 1)
    assert emails(racing_app) == {("registration_confirmation", person.id): 1}


def test_approving_and_declining_overlapping_selections_at_once_never_deadlock(
    racing_app, database_url, create_event, create_registration, now
):
    """Approving a selection decides it in the order people registered; declining one locked
    its rows in the order its plan read them. A row that comes first in the table but last
    in the order of registration was locked last by one and first by the other, and
    PostgreSQL aborted one of the two organisers. A third transaction (the person editing
    their registration) holds a row meanwhile."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite locks the whole database, never a row: no order to get wrong")
    event = create_event(capacity=20, requires_approval=True)
    people = [create_registration(event, status=PENDING) for _ in range(10)]
    ids = [person.id for person in people]
    with racing_app.app_context():
        # The others registered earlier: the first comes last in the order of registration,
        # and first in the table (the others' new versions are written after it).
        for n, registration_id in enumerate(ids[1:]):
            db.session.execute(update(Registration).where(Registration.id == registration_id)
                               .values(created_at=now - timedelta(hours=1, seconds=-n)))
        db.session.commit()

    errors = caught_halfway(
        racing_app, "registration", ids[4],
        approve_chosen(event, ids, now),
        decline(event, [ids[0], ids[2]], now),
    )

    assert errors == []
    with racing_app.app_context():
        statuses = set(db.session.scalars(
            select(Registration.status).where(Registration.event_id == event.id)))
    assert statuses == {RegistrationStatus.CONFIRMED}
    assert outcome(racing_app, people[0]) == ("confirmed", 10)
