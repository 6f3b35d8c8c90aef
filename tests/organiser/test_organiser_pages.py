"""The organiser area's pages on any screen (issue 11, point 6): scrolling tables the keyboard
reaches, the outbox opening on something, times with their zone. The browser tests
(tests/browser/test_organiser_pages_browser.py) measure the phone header and run axe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from mmm_events.extensions import db
from mmm_events.models import OutboxMessage, OutboxStatus
from tests.conftest import sign_in


def _message_registrants(client, event) -> None:
    client.post(
        f"/organiser/events/{event.id}/messages",
        data={"statuses": "confirmed", "subject": "Programme", "body": "Text"},
    )


def _tab(page: str) -> str:
    tabs = re.search(r'aria-label="Emails by status">.*?</nav>', page, re.S).group(0)
    return re.search(r'<a href="[^"]+" aria-current="page">([^<]+)</a>', tabs).group(1)


def test_the_outbox_opens_on_failures_or_on_everything(app, client, create_user, create_event,
                                                       create_registration):
    event = create_event()
    for _ in range(2):
        create_registration(event)
    sign_in(client, create_user(admin=True))
    page = client.get("/organiser/outbox/").get_data(as_text=True)
    assert _tab(page) == "All (0)"
    assert "No email here." in page
    _message_registrants(client, event)
    page = client.get("/organiser/outbox/").get_data(as_text=True)
    assert _tab(page) == "All (2)"
    assert page.count("<td>Queued</td>") == 2
    with app.app_context():
        first = db.session.scalar(select(func.min(OutboxMessage.id)))
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first)
            .values(status=OutboxStatus.FAILED, last_error="550 No such user")
        )
        db.session.commit()
    page = client.get("/organiser/outbox/").get_data(as_text=True)
    assert _tab(page) == "Failed (1)"
    assert "550 No such user" in page and "Retry all failed emails" in page
    page = client.get("/organiser/outbox/?status=all").get_data(as_text=True)
    assert _tab(page) == "All (2)"
    assert 'rel="next"' not in page


def test_organiser_times_show_their_zone_the_same_way(app, client, create_user, create_event,
                                                     create_registration):
    event = create_event(timezone="Africa/Casablanca")
    registration = create_registration(
        event, created_at=datetime(2027, 1, 5, 14, 30, tzinfo=UTC)
    )
    sign_in(client, create_user(admin=True))
    _message_registrants(client, event)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(created_at=datetime(2027, 1, 6, 8, 0, tzinfo=UTC))
        )
        db.session.commit()
    in_casablanca = (
        '<time datetime="2027-01-05T14:30:00Z">Jan 5, 2027, 3:30\u202fPM '
        '<span class="timezone">(Casablanca time, UTC+1)</span></time>'
    )
    assert in_casablanca in client.get(f"/organiser/events/{event.id}/registrants").text
    assert in_casablanca in client.get(f"/organiser/registrations/{registration.id}").text
    written = "Jan 6, 2027, {} <span class=\"timezone\">({})</span></time>"
    assert written.format("9:00\u202fAM", "Casablanca time, UTC+1") in client.get(
        f"/organiser/events/{event.id}/messages"
    ).text
    assert written.format("8:00\u202fAM", "UTC") in client.get("/organiser/outbox/").text


def test_wide_tables_scroll_in_a_region_the_keyboard_reaches(client, create_user, create_event,
                                                             create_registration):
    event = create_event()
    create_registration(event)
    sign_in(client, create_user(admin=True))
    for path, label in [
        (f"/organiser/events/{event.id}/registrants", "Registrants"),
        ("/organiser/users/", "Accounts"),
    ]:
        page = client.get(path).text
        assert (
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">' in page
        )
        assert '<div class="table-scroll">' not in page
