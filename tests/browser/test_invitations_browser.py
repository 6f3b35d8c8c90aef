"""In a real Chromium: an invitee opens the accept link of the email they received,
registers, and the organiser's funnel moves."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.models import Event, Role, User
from tests.conftest import drain_outbox

from .conftest import LiveServer

PASSWORD = "a long enough password"


@pytest.fixture
def live(make_mail_app) -> Iterator[tuple]:
    """The app on a live server, with the links in its emails pointing at it."""
    app = make_mail_app(WTF_CSRF_ENABLED=True)
    server = LiveServer(app)
    app.config["SERVER_NAME"] = server.url.removeprefix("http://")
    server.start()
    yield app, server.url
    server.stop()


def accepted_count(page) -> str:
    return page.locator('td.count[data-stage="accepted"]').inner_text()


def test_invitee_accepts_registers_and_the_funnel_moves(
    live, browser, create_event, smtp_server, now, tmp_path
):
    app, base = live
    event = create_event(invite_only=True, title="#Mothers4Peace")
    with app.app_context():
        target = db.session.get(Event, event.id)
        services.add_invitee(
            target,
            email="amina@example.org",
            name="Amina Diallo",
            organisation="UNESCO",
            now=now,
        )
        user = User(email="olga@example.org", name="Olga", role=Role.ADMIN)
        user.set_password(PASSWORD)
        db.session.add(user)
        with app.test_request_context():
            services.send_invitations(target, now=now)
        db.session.commit()
    drain_outbox(app)
    (message,) = smtp_server.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    accept = re.search(re.escape(base) + r"/invitations/\S+/accept", text).group(0)

    organiser = browser.new_page()
    organiser.goto(f"{base}/sign-in")
    organiser.get_by_label("Email").fill("olga@example.org")
    organiser.get_by_label("Password").fill(PASSWORD)
    organiser.get_by_role("button", name="Sign in").click()
    funnel = f"{base}/organiser/events/{event.id}/invitations"
    organiser.goto(funnel)
    assert accepted_count(organiser) == "0"
    assert (
        organiser.locator("svg.funnel-chart rect.funnel-accepted").get_attribute("width") == "0.0"
    )

    invitee = browser.new_page()
    invitee.goto(accept)
    assert invitee.url.startswith(f"{base}/events/{event.slug}?invitation=")
    assert invitee.get_by_label("Full name").input_value() == "Amina Diallo"
    invitee.get_by_label("Country").fill("Senegal")
    invitee.get_by_label(re.compile("I agree that Make Mothers Matter keeps")).check()
    invitee.get_by_role("button", name="Register").click()
    expect(invitee.locator("h1")).to_have_text("You are registered")
    assert invitee.url.startswith(f"{base}/events/{event.slug}/registered")

    organiser.set_viewport_size({"width": 360, "height": 740})
    organiser.goto(funnel)
    organiser.screenshot(path=str(tmp_path / "invitations-360.png"), full_page=True)
    assert organiser.evaluate("document.documentElement.scrollWidth") <= 360
    assert accepted_count(organiser) == "1"
    assert organiser.locator('td.count[data-stage="opened"]').inner_text() == "1"
    assert (
        organiser.locator("svg.funnel-chart rect.funnel-accepted").get_attribute("width") == "270.0"
    )
