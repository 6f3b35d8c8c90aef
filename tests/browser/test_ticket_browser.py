"""The check-in code on the manage page, as a phone shows it: it scans, it is large enough,
and the person's name and the event are under it (issue 11, point 3)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Registration, RegistrationStatus


def test_the_manage_page_shows_a_check_in_code_that_scans_from_a_phone(
    app, live_server, phone_page, create_event, create_registration
):
    event = create_event(title="Mothers4Peace")
    registration = create_registration(
        event, full_name="Amina Benali", status=RegistrationStatus.CONFIRMED
    )
    with app.app_context():
        token, check_in_token = db.session.execute(
            select(Registration.token, Registration.check_in_token).where(
                Registration.id == registration.id
            )
        ).one()
    page = phone_page
    page.goto(f"{live_server.url}/events/manage/{token}")
    code = page.get_by_role("img", name="Check-in code")
    code.scroll_into_view_if_needed()
    box = code.bounding_box()
    # Two thirds of a 360 px screen wide at least (all the width the page text has), and
    # all of it on the screen.
    assert box["width"] >= 240
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    screenshot = Image.open(io.BytesIO(code.screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(screenshot)] == [
        f"{live_server.url}/organiser/check-in/{check_in_token}"
    ]
    caption = page.locator("figure.ticket figcaption")
    assert caption.inner_text() == "Amina Benali\nMothers4Peace"
    assert caption.bounding_box()["y"] > box["y"] + box["height"] - 1
