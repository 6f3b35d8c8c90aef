"""Check-in at the door: the service, the QR code, the page a scanned code opens, and search."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Registration, RegistrationStatus
from mmm_events.registrations.management import CheckInOutcome, CheckInResult, check_in
from mmm_events.registrations.ticket import check_in_qr, check_in_qr_png, check_in_url
from tests.conftest import sign_in

MOMENT = datetime(2027, 5, 3, 8, 7, tzinfo=UTC)  # 09:07 in Casablanca


@pytest.fixture
def event(create_event):
    return create_event(
        timezone="Africa/Casablanca",
        starts_at=datetime(2027, 5, 3, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 5, 4, 16, 0, tzinfo=UTC),
    )


def test_check_in_once_then_already(app, event, create_registration):
    registration = create_registration(event)
    with app.app_context():
        row = db.session.get(Registration, registration.id)
        checked = check_in(row, now=MOMENT, by=None)
        assert checked == CheckInResult(CheckInOutcome.CHECKED_IN, MOMENT)
        db.session.commit()
        later = datetime(2027, 5, 3, 10, 0, tzinfo=UTC)
        assert check_in(row, now=later, by=None) == CheckInResult(CheckInOutcome.ALREADY, MOMENT)
        db.session.commit()
        assert db.session.get(Registration, registration.id).checked_in_at == MOMENT


@pytest.mark.parametrize("status", [RegistrationStatus.WAITING, RegistrationStatus.CANCELLED])
def test_only_confirmed_people_check_in(app, event, create_registration, status):
    registration = create_registration(event, status=status)
    with app.app_context():
        row = db.session.get(Registration, registration.id)
        refused = check_in(row, now=MOMENT, by=None)
        assert refused == CheckInResult(CheckInOutcome.NOT_CONFIRMED, None)
        assert db.session.get(Registration, registration.id).checked_in_at is None


def test_qr_code_is_a_png_of_the_check_in_url(make_app, event, create_registration):
    app = make_app(SERVER_NAME="events.example.org", PREFERRED_URL_SCHEME="https")
    registration = create_registration(event)
    with app.app_context():
        url = check_in_url(registration.check_in_token)
    assert url == f"https://events.example.org/organiser/check-in/{registration.check_in_token}"
    png = check_in_qr_png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # The symbol of that text (tests/registrations/test_ticket.py scans it back).
    width = int.from_bytes(png[16:20], "big")
    assert width == (check_in_qr(url).size + 2 * 4) * 6


def test_scanned_code_opens_the_person_and_one_tap_checks_in(
    app, client, event, create_registration, create_user
):
    registration = create_registration(event, full_name="Fatima Zahra", organisation="MMM")
    sign_in(client, create_user(events=(event,)))
    url = f"/organiser/check-in/{registration.check_in_token}"
    page = client.get(url).get_data(as_text=True)
    assert "<h1>Fatima Zahra</h1>" in page
    assert '<button type="submit" class="check-in-button">Check in</button>' in page
    response = client.post(url)
    assert response.status_code == 302
    assert response.location == url
    page = client.get(url).get_data(as_text=True)
    assert "Fatima Zahra is checked in." in page
    with app.app_context():
        checked_at = db.session.get(Registration, registration.id).checked_in_at
    local = checked_at.astimezone(event.zone).strftime("%H:%M")
    assert f"Already checked in at {local}" in page
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert f"Fatima Zahra is already checked in at {local}." in page


def test_time_shown_is_the_events_local_time(app, client, event, create_registration, create_user):
    registration = create_registration(event, full_name="Amina", checked_in_at=MOMENT)
    sign_in(client, create_user(events=(event,)))
    page = client.post(
        f"/organiser/check-in/{registration.check_in_token}", follow_redirects=True
    ).get_data(as_text=True)
    assert "Amina is already checked in at 09:07." in page


def test_waiting_list_person_is_not_checked_in(client, event, create_registration, create_user):
    registration = create_registration(event, full_name="Wanjiru", status="waiting")
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/check-in/{registration.check_in_token}").get_data(as_text=True)
    assert "On the waiting list: not confirmed" in page
    page = client.post(
        f"/organiser/check-in/{registration.check_in_token}", follow_redirects=True
    ).get_data(as_text=True)
    assert "Wanjiru is on the waiting list, not confirmed, so cannot be checked in." in page


def test_cancelled_person_is_not_checked_in(client, event, create_registration, create_user):
    registration = create_registration(event, full_name="Carla", status="cancelled")
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/check-in/{registration.check_in_token}").get_data(as_text=True)
    assert "This registration is cancelled" in page
    page = client.post(
        f"/organiser/check-in/{registration.check_in_token}", follow_redirects=True
    ).get_data(as_text=True)
    assert "Carla cancelled this registration, so cannot be checked in." in page


def test_search_by_name_and_check_in_from_the_results(
    app, client, event, create_registration, create_user
):
    fatima = create_registration(event, full_name="Fatima Zahra")
    create_registration(event, full_name="Fatou Diop", checked_in_at=MOMENT)
    create_registration(event, full_name="Amina")
    sign_in(client, create_user(events=(event,)))
    page = client.get(f"/organiser/events/{event.id}/check-in", query_string={"q": "fat"})
    html = page.get_data(as_text=True)
    assert re.findall(r"<strong>([^<]+)</strong>", html) == ["Fatima Zahra", "Fatou Diop"]
    assert "Already checked in at 09:07" in html
    assert 'name="back_to_search" value="fat"' in html
    response = client.post(
        f"/organiser/check-in/{fatima.check_in_token}", data={"back_to_search": "fat"}
    )
    assert response.location == f"/organiser/events/{event.id}/check-in?q=fat"
    html = client.get(response.location).get_data(as_text=True)
    assert "Fatima Zahra is checked in." in html
    assert html.count("<p class=\"checked\">Already checked in at") == 2
    empty = client.get(f"/organiser/events/{event.id}/check-in", query_string={"q": "zzz"})
    assert "Nobody matches “zzz”." in empty.get_data(as_text=True)


def test_check_in_page_fits_a_phone(client, event, create_user):
    sign_in(client, create_user(events=(event,)))
    html = client.get(f"/organiser/events/{event.id}/check-in").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count("<h1>") == 1
    assert '<label for="q">' in html


def test_tickets_emailed_before_the_check_in_secret_still_check_in(
    app, client, event, create_registration, create_user
):
    """A registration migrated from before the check-in code had its own secret: its old QR
    code (the manage token) checks in; a newer registration's manage token does not."""
    old = create_registration(event, full_name="Old Ticket", legacy_ticket=True)
    new = create_registration(event, full_name="New Ticket")
    sign_in(client, create_user(events=(event,)))
    assert client.get(f"/organiser/check-in/{new.token}").status_code == 404
    response = client.post(f"/organiser/check-in/{old.token}", follow_redirects=True)
    assert "Old Ticket is checked in." in response.get_data(as_text=True)
    assert client.get(f"/organiser/check-in/{old.check_in_token}").status_code == 200
    with app.app_context():
        assert db.session.get(Registration, old.id).checked_in_at is not None
        assert db.session.get(Registration, new.id).checked_in_at is None


@pytest.mark.real_commits  # migrations run on connections of their own
def test_the_migration_gives_existing_registrations_a_check_in_secret(
    app, event, create_registration
):
    people = [create_registration(event) for _ in range(3)]
    with app.app_context():
        # Down through every later migration too: none may lose a registration on the way.
        downgrade(revision="0006_check_in_secret-1")
        upgrade()
        rows = db.session.execute(
            select(Registration.token, Registration.check_in_token, Registration.legacy_ticket)
            .order_by(Registration.id)
        ).all()
    assert [row.token for row in rows] == [p.token for p in people]
    secrets = {row.check_in_token for row in rows}
    assert len(secrets) == 3 and not secrets & {p.token for p in people}
    assert all(len(secret) == 43 for secret in secrets)
    assert [row.legacy_ticket for row in rows] == [True, True, True]
