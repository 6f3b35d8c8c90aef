"""Two phones syncing their queues at the same moment, with the same people in them (one
ticket shown at two doors), on their own threads and connections (``tests/races.py``)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.models import Event, Registration, RegistrationStatus, User
from mmm_events.registrations.door import QueuedCheckIn, record_batch
from tests.races import caught_halfway, threaded_app

# Threads, each on a connection of its own, see only what the others committed.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def racing_app(make_app, database_url):
    return threaded_app(make_app, database_url, 4)


def sync(event: Event, user: User, codes: list[str], now):
    def send() -> list[dict]:
        batch = [QueuedCheckIn(key=str(uuid.uuid4()), code=code, made_at=now, undo=False)
                 for code in codes]
        return record_batch(db.session.get(Event, event.id), db.session.get(User, user.id),
                            batch, now=now)
    return send


def test_two_phones_syncing_the_same_people_at_once_never_deadlock(
    racing_app, database_url, create_event, create_registration, create_user, now
):
    """Each batch's UPDATE locked its people in the order its plan read them: one phone's long
    queue in the table's physical order, the other's two people through the id index. A
    person whose row had changed (its new version written after the others) came last in
    one and first in the other, and PostgreSQL aborted one sync. A third transaction (the
    desk checking someone in) holds a row meanwhile."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite locks the whole database, never a row: no order to get wrong")
    event = create_event(capacity=20)
    people = [create_registration(event) for _ in range(10)]
    first_door, second_door = (create_user(events=(event,)) for _ in range(2))
    with racing_app.app_context():
        db.session.execute(update(Registration).where(Registration.id == people[0].id)
                           .values(organisation="UNESCO"))
        db.session.commit()
    codes = [person.check_in_token for person in people]

    errors = caught_halfway(
        racing_app, "registration", people[4].id,
        sync(event, first_door, codes, now),
        sync(event, second_door, [codes[0], codes[2]], now),
    )

    assert errors == []
    with racing_app.app_context():
        checked_in = db.session.execute(
            select(Registration.checked_in_by_id, Registration.status)
            .where(Registration.event_id == event.id)
        ).all()
    assert checked_in == [(first_door.id, RegistrationStatus.CONFIRMED)] * 10
