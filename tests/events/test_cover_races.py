"""Two organisers replacing one event's cover at once, each on its own thread and database
connection: at the same moment, and each cutting in just before the other's first write.
Whatever the order, the event ends with one whole cover (three sizes of one picture), and
neither organiser gets an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mmm_events.events.covers import read_cover, set_cover
from mmm_events.extensions import db
from mmm_events.models import CoverImage, Event
from tests.races import cut_in, race, threaded_app

from .covers import photo

pytestmark = pytest.mark.real_commits

ORDERS = ["at_once", "second_cuts_in", "first_cuts_in"]


@pytest.fixture
def racing_app(make_app, database_url):
    return threaded_app(make_app, database_url, 4)


@pytest.mark.parametrize("order", ORDERS)
def test_two_uploads_at_once_leave_one_whole_cover(racing_app, order):
    app = racing_app
    starts = datetime(2027, 5, 3, 9, tzinfo=UTC)
    with app.app_context():
        event = Event(slug="peace", title="Peace", starts_at=starts,
                      ends_at=starts + timedelta(hours=8), capacity=10, cover_alt="A tree")
        db.session.add(event)
        db.session.flush()
        set_cover(event, read_cover(photo(colour="blue")))
        db.session.commit()
        event_id = event.id
        green, red = read_cover(photo(colour="green")), read_cover(photo(colour="red"))

    def upload(sizes):
        def action() -> None:
            set_cover(db.session.get(Event, event_id), sizes)
        return action

    first, second = upload(green), upload(red)
    if order == "at_once":
        results = race(app, first, second)
    elif order == "second_cuts_in":
        results = cut_in(app, first, second)
    else:
        results = cut_in(app, second, first)[::-1]
    assert results == [None, None]
    with app.app_context():
        names = set(db.session.scalars(select(CoverImage.name)))
    assert names in ({s.name for s in green}, {s.name for s in red})
