"""Choices with a limit of places: exact under simultaneous picks, given back by cancelling,
changing one's answer or erasure."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.models import Answer, QuestionOption, Registration
from mmm_events.registrations import approval
from tests.conftest import rsvp_form
from tests.questions.helpers import option_ids, workshop
from tests.races import fire_at_once, threaded_app

PEOPLE = 100
PLACES = 30

# Streams, threads, the CLI and the mail worker use connections of their own.
pytestmark = pytest.mark.real_commits


def _taken(app, option_id: int) -> tuple[int, int]:
    """The counter, and the registrations not cancelled that chose the option."""
    with app.app_context():
        counted = db.session.get(QuestionOption, option_id).places_taken
        chosen = db.session.scalar(
            select(func.count(Answer.id)).join(Registration)
            .where(Answer.option_id == option_id, Registration.status != "cancelled")
        )
        return counted, chosen


def test_a_hundred_people_picking_the_last_places_at_once_fill_them_exactly(
    make_app, database_url, create_event
):
    app = threaded_app(make_app, database_url, PEOPLE, RSVP_LIMIT_PER_IP=f"{PEOPLE} per 10 minutes")
    event = create_event(capacity=500)
    question = workshop(app, event, places=PLACES)
    first, _second = option_ids(app, question)
    forms = [
        rsvp_form(event, full_name=f"Person {n}", email=f"person{n}@example.org",
                  **{f"q{question}": str(first)})
        for n in range(PEOPLE)
    ]

    codes = fire_at_once(app, [f"/events/{event.slug}"] * PEOPLE, forms)

    assert codes == {303: PLACES, 422: PEOPLE - PLACES}
    assert _taken(app, first) == (PLACES, PLACES)
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == PLACES


def _register(client, event, question, option, email="amina@example.org"):
    response = client.post(f"/events/{event.slug}", data=rsvp_form(
        event, email=email, **{f"q{question}": str(option)}))
    assert response.status_code == 303
    with client.application.app_context():
        return db.session.scalar(select(Registration.token).where(Registration.email == email))


def test_cancelling_gives_the_place_back(app, client, create_event):
    event = create_event()
    question = workshop(app, event, places=2)
    first, _second = option_ids(app, question)
    token = _register(client, event, question, first)
    assert _taken(app, first) == (1, 1)
    client.post(f"/events/manage/{token}/cancel")
    assert _taken(app, first)[0] == 0


def test_changing_ones_answer_moves_the_place(app, client, create_event):
    event = create_event()
    question = workshop(app, event, places=1)
    first, second = option_ids(app, question)
    token = _register(client, event, question, first)
    page = client.get(f"/events/manage/{token}/edit").get_data(as_text=True)
    # One's own full choice stays selectable.
    assert f'value="{first}" checked>' in page
    response = client.post(f"/events/manage/{token}/edit", data=rsvp_form(
        event, **{f"q{question}": str(second)}))
    assert response.status_code == 303
    assert _taken(app, first) == (0, 0)
    assert _taken(app, second) == (1, 1)
    # Now the first is free for someone else.
    _register(client, event, question, first, email="other@example.org")
    assert _taken(app, first) == (1, 1)


def test_erasure_gives_the_place_back_and_removes_the_answers(app, client, create_event, now):
    from mmm_events.privacy.people import erase, find_person

    event = create_event()
    question = workshop(app, event, places=5)
    first, _second = option_ids(app, question)
    _register(client, event, question, first)
    with app.app_context():
        report = erase(find_person("amina@example.org"), reason="request", now=now)
        db.session.commit()
        assert report.erased["answer"] == 1
        assert db.session.scalar(select(func.count(Answer.id))) == 0
    assert _taken(app, first) == (0, 0)


def test_declining_a_registration_that_awaited_approval_gives_its_place_back(
    app, client, create_event, now
):
    event = create_event(capacity=10, requires_approval=True)
    question = workshop(app, event, places=1)
    first, _second = option_ids(app, question)
    _register(client, event, question, first)
    assert _taken(app, first) == (1, 1)

    with app.app_context():
        pending = db.session.scalar(select(Registration))
        assert pending.status.value == "pending-approval"
        declined = approval.decline_registrations(pending.event, [pending.id], now=now)
        db.session.commit()
        assert [r.id for r in declined] == [pending.id]
        assert db.session.get(QuestionOption, first).places_taken == 0
