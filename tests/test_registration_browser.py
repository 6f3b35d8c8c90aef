"""The RSVP form in a real Chromium on a phone-sized screen, with JavaScript switched off."""

from __future__ import annotations

import os
import threading
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from mmm_events.extensions import db
from mmm_events.models import Registration

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


@pytest.fixture
def app(make_app):
    return make_app(SERVER_NAME=None)


@pytest.fixture
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def phone_without_js():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, java_script_enabled=False
        )
        yield context.new_page()
        context.close()
        browser.close()


def test_register_on_a_phone_without_javascript(app, base_url, phone_without_js, create_event,
                                                now):
    zone = ZoneInfo("Africa/Casablanca")
    first = (now + timedelta(days=60)).astimezone(zone).date()
    event = create_event(
        capacity=1,
        starts_at=datetime.combine(first, time(9), zone),
        ends_at=datetime.combine(first + timedelta(days=1), time(17, 30), zone),
    )
    page = phone_without_js
    page.goto(f"{base_url}/events/{event.slug}")
    # Nothing typed: the form comes back with the errors beside the fields.
    page.get_by_role("button", name="Register").click()
    assert page.locator("#full_name-error").inner_text() == "Please enter your name."
    page.get_by_label("Full name").fill("Amina Benali")
    page.get_by_label("Email address").fill("amina@example.org")
    page.get_by_label("Country").fill("Morocco")
    page.get_by_label("Français").check()
    page.get_by_label("I agree that Make Mothers Matter keeps these details").check()
    page.get_by_role("button", name="Register").click()
    assert page.locator("h1").inner_text() == "You are registered"
    # (The browser keeps the form's #register anchor across the redirect.)
    assert page.url.split("#")[0] == f"{base_url}/events/{event.slug}/registered"
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert (registration.full_name, registration.language.value) == ("Amina Benali", "fr")
        assert registration.days == event.days
