"""Approving and declining in a real Chromium, with CSRF on: the filtered registrant list with
its ticks, and the registration's page with its message box, on a phone and a desktop, in
English and in Arabic, with no accessibility violation (axe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Registration, RegistrationStatus
from tests.conftest import ORGANISER_PASSWORD

from .conftest import accessibility_violations

PENDING = RegistrationStatus.PENDING_APPROVAL


@pytest.fixture
def app(make_mail_app):
    return make_mail_app(WTF_CSRF_ENABLED=True)


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/organiser/")


@pytest.mark.parametrize("screen", ["page", "phone_page"])
def test_an_organiser_approves_one_ticked_and_declines_another_with_a_message(
    app, live_server, request, screen, create_event, create_user, create_registration
):
    page = request.getfixturevalue(screen)
    event = create_event(title="Mothers4Peace", capacity=5, requires_approval=True)
    create_user(events=(event,), email="olga@example.org")
    amina = create_registration(event, full_name="Amina", status=PENDING)
    bea = create_registration(event, full_name="Bea", status=PENDING)
    base = live_server.url
    sign_in(page, base, "olga@example.org")

    page.goto(f"{base}/organiser/events/{event.id}/registrants?status=pending-approval")
    assert accessibility_violations(page) == []
    page.get_by_label("Choose Amina").check()
    page.get_by_role("button", name="Approve those ticked").click()
    expect(page.get_by_text("1 person approved with a seat.")).to_be_visible()
    assert page.url.endswith(f"/organiser/events/{event.id}/registrants?status=pending-approval")

    page.goto(f"{base}/organiser/registrations/{bea.id}")
    assert accessibility_violations(page) == []
    page.get_by_label("Message to the person (optional)").fill("Members only this year.")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_text("Declined: the person is told by email.")).to_be_visible()

    with app.app_context():
        statuses = dict(db.session.execute(
            select(Registration.id, Registration.status).where(Registration.event_id == event.id)
        ).all())
    assert statuses == {amina.id: RegistrationStatus.CONFIRMED,
                        bea.id: RegistrationStatus.DECLINED}


def test_the_arabic_list_of_those_pending_reads_right_to_left(
    app, live_server, page, create_event, create_user, create_registration
):
    event = create_event(title="Mothers4Peace", requires_approval=True)
    create_user(events=(event,), email="olga@example.org")
    create_registration(event, full_name="أمينة", status=PENDING)
    base = live_server.url
    sign_in(page, base, "olga@example.org")
    page.goto(f"{base}/language/ar?next=/organiser/events/{event.id}/registrants")
    page.goto(f"{base}/organiser/events/{event.id}/registrants?status=pending-approval")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("button", name="قبول التسجيلات المحدَّدة")).to_be_visible()
    expect(page.locator(".badge-pending-approval")).to_have_text("بانتظار الموافقة")
    assert accessibility_violations(page) == []
