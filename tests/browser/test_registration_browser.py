"""The RSVP form in a real Chromium on a phone-sized screen, with JavaScript switched off."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Registration


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_register_on_a_phone_without_javascript(
    app, live_server, phone_without_js, create_event, now
):
    base_url = live_server.url
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
