"""The RSVP path's shortcuts give exactly what the plain way gives."""

from __future__ import annotations

import pytest
from flask_wtf.i18n import translations as flask_wtf_translations
from mmm_events.events.emails import REGISTRATION_EMAIL
from sqlalchemy import select, update

from mmm_events.events import services
from mmm_events.events.forms import RegistrationForm
from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage, Registration

from .conftest import REGISTRATION_SERVER_NAME

# The RSVP's statements --------------------------------------------------------------------------


@pytest.fixture
def app(make_app):
    return make_app(SERVER_NAME=REGISTRATION_SERVER_NAME)


def rsvp_form(event: Event, email: str) -> dict:
    return {
        "full_name": "Amina Benali",
        "email": email,
        "organisation": "MMM Morocco",
        "country": "Morocco",
        "language": "en",
        "consent": "y",
        "days": [d.isoformat() for d in event.days],
    }


@pytest.mark.parametrize(
    ("seats_taken_now", "expected", "subject", "files"),
    [
        (1, "waiting", "You are on the waiting list: ", ["conference-1.ics"]),
        (0, "confirmed", "You are registered: ", ["conference-1.ics", "check-in-code.png"]),
    ],
)
def test_status_guessed_wrong_is_put_right_row_and_email(
    app, create_event, now, seats_taken_now, expected, subject, files
):
    """The row is written for the status the event showed when the request began; when the
    seat claim decides otherwise, it is put right, and its one email tells the right status."""
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
        assert registration.updated_at == now
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
def test_wtforms_own_messages_are_in_the_page_language(app, language, expected):
    """The catalogue is read once per process, and says what Flask-WTF's would."""
    with app.test_request_context("/", headers={"Accept-Language": language}):
        form = RegistrationForm(formdata=None)
        messages = form.meta.get_translations(form)
        assert messages.gettext("Not a valid choice.") == expected
        assert flask_wtf_translations.gettext("Not a valid choice.") == expected
        assert messages.ngettext(
            "Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.",
            2,
        ) == flask_wtf_translations.ngettext(
            "Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.",
            2,
        )
