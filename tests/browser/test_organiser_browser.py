"""An organiser at the door, in a real Chromium on a 360 px phone: signs in, finds a registrant
by search, checks them in with one tap, and downloads the CSV of the list."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from mmm_events.extensions import db
from mmm_events.models import Registration
from tests.conftest import ORGANISER_PASSWORD


@pytest.fixture
def app(make_app):
    # CSRF on, as in production: every form the organiser sends must carry its token.
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    yield context.new_page()
    context.close()


def _fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide on a 360 px screen"


def test_organiser_finds_checks_in_and_exports(
    app, live_server, phone, create_event, create_user, create_registration, tmp_path
):
    event = create_event(
        title="Mothers4Peace Casablanca",
        timezone="Africa/Casablanca",
        starts_at=datetime(2027, 5, 3, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 5, 4, 16, 0, tzinfo=UTC),
    )
    user = create_user(events=(event,), email="amina@example.org")
    fatima = create_registration(
        event,
        full_name="Fatima Zahra",
        email="fatima@example.org",
        organisation="Mothers of Casablanca",
    )
    create_registration(event, full_name="Élodie Martin", organisation="=cmd|' /C calc'!A0")
    page = phone

    page.goto(f"{live_server.url}/organiser/")
    assert page.url.startswith(f"{live_server.url}/sign-in?next=")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/organiser/")
    _fits_the_screen(page)

    page.get_by_role("link", name="Registrants").first.click()
    page.get_by_label("Search by name, email or organisation").fill("fatima")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/registrants\?q=fatima"))
    rows = page.locator("table.registrants tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text("Fatima Zahra")

    page.get_by_role("navigation", name="This event").get_by_role("link", name="Check-in").click()
    # Measured only once the check-in page has loaded: during the navigation there is no document.
    page.wait_for_url(re.compile(rf"/organiser/events/{event.id}/check-in$"))
    _fits_the_screen(page)
    page.get_by_label("Name, email or organisation").fill("zahra")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(r"/check-in\?q=zahra"))
    button = page.get_by_role("button", name="Check in Fatima Zahra")
    box = button.bounding_box()
    assert box["width"] >= 280 and box["height"] >= 44
    button.tap()
    expect(page.get_by_text("Fatima Zahra is checked in.")).to_be_visible()
    _fits_the_screen(page)
    with app.app_context():
        checked_in_at = db.session.get(Registration, fatima.id).checked_in_at
        db.session.remove()
    assert checked_in_at is not None
    local = checked_in_at.astimezone(event.zone).strftime("%H:%M")
    expect(page.get_by_text(f"Already checked in at {local}")).to_be_visible()

    page.goto(f"{live_server.url}/organiser/events/{event.id}/registrants")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV (comma-separated)").click()
    download = download_info.value
    assert download.suggested_filename == f"{event.slug}-registrants.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0][:4] == ["Registration number", "Name", "Email", "Organisation"]
    assert [row[1] for row in rows[1:]] == ["Fatima Zahra", "Élodie Martin"]
    assert rows[1][8] == checked_in_at.astimezone(event.zone).strftime("%Y-%m-%d %H:%M")
    assert rows[2][3] == "'=cmd|' /C calc'!A0"
