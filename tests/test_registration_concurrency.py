"""Never overbooked: many people registering at the same moment, each on its own connection."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage, Registration

from .conftest import REGISTRATION_SERVER_NAME

PEOPLE = 200
SEATS = 50


def test_simultaneous_registrations_fill_exactly_the_seats(make_app, database_url, create_event):
    if database_url.startswith("sqlite"):
        # One connection per thread; writers queue on SQLite's lock (busy timeout).
        engine_options = {"connect_args": {"timeout": 60}, "pool_size": PEOPLE,
                          "max_overflow": 0}
    else:
        # Enough for real contention, well below the server's max_connections.
        engine_options = {"pool_size": 15, "max_overflow": 15, "pool_timeout": 120}
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    event = create_event(capacity=SEATS)
    days = [d.isoformat() for d in event.days]
    start = threading.Barrier(PEOPLE)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def person(n: int) -> None:
        client = app.test_client()
        data = {
            "full_name": f"Person {n}",
            "email": f"person{n}@example.org",
            "country": "Morocco",
            "language": "en",
            "consent": "y",
            "days": days,
        }
        try:
            start.wait()
            status = client.post(f"/events/{event.slug}", data=data).status_code
            with lock:
                results.append(status)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=person, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Counter(results) == {303: PEOPLE}
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
