"""In a real Chromium: an invitee opens the accept link of the email they received,
registers, and the organiser's funnel moves."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.models import Event, Role, User
from tests.conftest import drain_outbox

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "a long enough password"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
        reason="Chromium is not installed here",
    ),
]


@pytest.fixture
def live(make_mail_app) -> Iterator[tuple]:
    """The app on a threaded werkzeug server on a free loopback port, links pointing at it."""
    app = make_mail_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"127.0.0.1:{server.server_port}"
    app.config["SERVER_NAME"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://{base}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


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
