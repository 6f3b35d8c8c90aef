"""The RSVP and the organiser's pages ask the database a bounded number of times, whatever
the number of registrations; and what the RSVP writes is right even when the event changes
under it."""

from __future__ import annotations

import html
from contextlib import contextmanager

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage, Registration
from mmm_events.registrations import services
from mmm_events.registrations.emails import REGISTRATION_EMAIL
from tests.conftest import REGISTRATION_SERVER_NAME, rsvp_form, sign_in


@pytest.fixture
def app(make_app):
    return make_app(SERVER_NAME=REGISTRATION_SERVER_NAME)


@contextmanager
def count_commits(app):
    """``with count_commits(app) as commits:``: one 1 in ``commits`` per COMMIT."""
    with app.app_context():
        engine = db.engine
    commits: list[int] = []

    def counted(_connection) -> None:
        commits.append(1)

    sqlalchemy_event.listen(engine, "commit", counted)
    try:
        yield commits
    finally:
        sqlalchemy_event.remove(engine, "commit", counted)


# Statements counted as the code sends them: no SAVEPOINTs of the test's transaction among them.
@pytest.mark.real_commits
def test_an_rsvp_asks_the_database_a_few_times(app, create_event, count_queries):
    event = create_event(capacity=1)
    client = app.test_client()
    form = rsvp_form(event, organisation="MMM Morocco")
    client.post(f"/events/{event.slug}", data={**form, "email": "first@example.org"})
    for email in ("second@example.org", "third@example.org"):  # the waiting list, too
        with count_queries(app) as counted, count_commits(app) as commits:
            response = client.post(f"/events/{event.slug}", data={**form, "email": email})
        assert response.status_code == 303
        # Two of them count the RSVP against its limits (registrations/limits.py): the
        # attempt, and one read for both limits; one reads the event's own questions
        # (questions.answers.event_questions), none here. The consent's INSERT finds the
        # notice in force itself.
        assert counted.n <= 11
        # The attempt's own commit, so that it holds across processes; then everything the
        # registration writes (it, its days, the seat, the email, the consent) in one.
        assert commits == [1, 1]
        with count_queries(app) as counted:
            assert client.get(response.headers["Location"]).status_code == 200
        assert counted.n <= 4


# Statements counted as the code sends them: no SAVEPOINTs of the test's transaction among them.
@pytest.mark.real_commits
@pytest.mark.parametrize("people", [3, 60])
def test_organiser_pages_ask_the_same_whatever_the_number_of_people(
    app, create_event, create_registration, create_user, count_queries, people
):
    event = create_event(capacity=100)
    for _ in range(people):
        create_registration(event, days=tuple(event.days))
    client = app.test_client()
    sign_in(client, create_user(events=(event,)))
    for path in (
        f"/organiser/events/{event.id}/registrants",
        f"/organiser/events/{event.id}/registrants?q=person&sort=name",
        f"/organiser/events/{event.id}/check-in?q=person",
        f"/organiser/events/{event.id}/registrants.csv",
    ):
        with count_queries(app) as counted:
            assert client.get(path).status_code == 200
        # Two of them read the event's questions: those offered as columns, and whether any
        # typed answer is there for a search to look into.
        assert counted.n <= 12, path


@pytest.mark.parametrize(
    ("seats_taken_now", "expected", "subject", "files"),
    [
        (1, "waiting", "You are on the waiting list: ", []),
        (0, "confirmed", "You are registered: ", ["conference-1.ics", "check-in-code.png"]),
    ],
)
# The mail worker claims its rows on a connection of its own (mail.lease).
@pytest.mark.real_commits
def test_status_decided_by_the_seat_claim_row_and_email(
    app, create_event, now, seats_taken_now, expected, subject, files
):
    """The event fills up (or a seat frees) between reading it and claiming the seat: the
    claim decides, and the one email tells the status the person got."""
    event = create_event(capacity=1, slug="conference-1", seats_taken=1 - seats_taken_now)
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        assert loaded.seats_left == seats_taken_now
        # Another registration (or cancellation) commits behind this session's back.
        with db.engine.begin() as connection:
            connection.execute(
                update(Event).where(Event.id == event.id).values(seats_taken=seats_taken_now)
            )
        details = services.RegistrationDetails(
            full_name="Amina Benali", email="amina@example.org", organisation="", country="Morocco",
            days=loaded.days, needs="", language="en",
        )
        outcome = services.register(loaded, details, now=now)
        db.session.commit()
        registration_id = outcome.registration.id
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        assert registration.status.value == expected
        assert registration.days == event.days
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.registration_id) for m in messages] == [
            ("registration_confirmation", registration_id)
        ]
        email = REGISTRATION_EMAIL.render(messages[0])
        assert email.subject == subject + event.title
        assert [a.filename for a in email.attachments] == files
        assert db.session.get(Event, event.id).seats_taken == 1


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Not a valid choice."), ("fr", "N'est pas un choix valide.")]
)
def test_wtforms_own_messages_are_in_the_page_language(app, create_event, language, expected):
    event = create_event()
    response = app.test_client().post(
        f"/events/{event.slug}",
        data=rsvp_form(event, organisation="MMM Morocco", language="de"),
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    assert expected in html.unescape(response.text)
