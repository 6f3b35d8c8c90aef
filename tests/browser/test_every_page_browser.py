"""Every page in English, French and Arabic on a 360 px phone, with no axe-core violation
(issue 25, point 9; issue 21): the public pages, the pages a registrant's or invitee's link
opens, the forms in their error state (the error summary taking the focus), the organiser's
pages and those reached only through a form.

The language is the visitor's choice as the app keeps it (the ``lang`` cookie, see
``mmm_events.i18n``), not ``?lang=``: a form posts to its own address without the query
string, so a page shown again with its errors would otherwise come back in English.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.models import (
    Invitation,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
)
from tests.conftest import ORGANISER_PASSWORD

from . import test_organiser_pages_browser as organiser
from .conftest import accessibility_violations, answer_required_questions
from .test_organiser_pages_browser import PHONE, _pages_after_a_form, organiser_pages

# The organiser pages' fixtures: the app with CSRF on, and a site with every kind of page.
app = organiser.app
site = organiser.site

# Public GET endpoints not visited as pages, and why.
NOT_PAGES = {
    "static": "files",
    "public.set_language": "a redirect that keeps the choice",
    "public.health": "a probe",
    "operations_readiness.readyz": "a probe",
    "operations_metrics.metrics": "Prometheus' text format",
    "registrations.manage_calendar": "a calendar file",
    "registrations.manage_ticket": "an image",
    "invitations.accept": "a redirect to the event's form",
    "invitations.unsubscribe_one_click": "a line of plain text for mail providers",
    "news.feed": "an Atom feed",
    "privacy.registration_data": "a JSON download",
    "privacy.invitation_data": "a JSON download",
    "events.registered": "shown once after an RSVP: the walk sends one",
    "public.cover": "an image",
    "documents.visa_letter_pdf": "a PDF download",
    "documents.certificate": "a PDF download; its refusal page: test_issued_documents_browser",
    "documents.verify": "needs an issued document: axe in three languages in "
                        "test_issued_documents_browser",
}


def public_pages(app, site) -> list[str]:
    with app.app_context():
        registration = db.session.get(Registration, site["registration"].id)
        invitations = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        token, slug = registration.token, registration.event.slug
        invited, declined = invitations[0], invitations[2]
        return [
            "/", "/events/", f"/events/{slug}", f"/events/manage/{token}",
            f"/events/manage/{token}/edit", f"/events/manage/{token}/cancel",
            # Links that no longer lead anywhere show their own page.
            "/events/manage/confirm/no-such-token", "/events/manage/address/no-such-token",
            "/reset-password/no-such-token", f"/documents/visa-letter/{token}",
            f"/invitations/{invited.token}/decline", f"/invitations/{declined.token}/declined",
            f"/invitations/unsubscribe/{invited.unsubscribe_token}",
            "/news/", f"/news/{site['post'].slug}", "/privacy", "/privacy/versions/1",
            "/privacy/deleted", f"/privacy/registration/{token}/delete",
            f"/privacy/invitation/{invited.token}/delete", "/sign-in", "/forgot-password",
            "/no-such-page",
        ]


def test_every_public_get_page_is_checked(app, site):
    with app.app_context():
        db.session.execute(
            update(Invitation).where(Invitation.email == "guest2@example.org")
            .values(status=InvitationStatus.DECLINED)
        )
        db.session.commit()
    adapter = app.url_map.bind("localhost")
    visited = {
        adapter.match(path)[0] for path in public_pages(app, site) if path != "/no-such-page"
    }
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint.startswith(("organiser.", "mailbox.")) or "GET" not in rule.methods:
            continue
        if endpoint in NOT_PAGES:
            continue
        assert endpoint in visited, endpoint


def _after_a_failed_submission(page, name: str, problems: dict) -> None:
    """The page a refused form shows: its summary has the focus, and axe finds nothing."""
    expect(page.locator(".error-summary")).to_be_focused()
    violations = accessibility_violations(page)
    if violations:
        problems[name] = violations


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_axe_finds_nothing_on_any_page_in_each_language(
    app, site, live_server, browser, language
):
    base = live_server.url
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(status=OutboxStatus.FAILED, last_error="550 No such user")
        )
        db.session.execute(
            update(Invitation).where(Invitation.email == "guest2@example.org")
            .values(status=InvitationStatus.DECLINED)
        )
        db.session.commit()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "lang", "value": language, "url": base}])
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for path in public_pages(app, site):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.lang") == language, path
        violations = accessibility_violations(page)
        if violations:
            problems[path] = violations

    # The RSVP form sent empty: shown again with its errors, in the visitor's language.
    page.goto(f"{base}/events/{site['event'].slug}")
    with page.expect_navigation():
        page.locator("form.rsvp button[type=submit]").click()
    assert page.evaluate("document.documentElement.lang") == language
    _after_a_failed_submission(page, "RSVP with errors", problems)
    page.fill("#full_name", "Amina Benali")
    page.fill("#email", f"amina.{language}@example.org")
    page.fill("#country", "Maroc")
    page.check("#consent")
    answer_required_questions(page)
    with page.expect_navigation():
        page.locator("form.rsvp button[type=submit]").click()
    expect(page).to_have_url(f"{base}/events/{site['event'].slug}/registered")
    violations = accessibility_violations(page)
    if violations:
        problems["registered"] = violations

    page.goto(f"{base}/sign-in")
    page.fill("#email", "olga@example.org")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    _after_a_failed_submission(page, "sign-in with errors", problems)
    page.fill("#password", ORGANISER_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/organiser/")

    for path in organiser_pages(app, site):
        page.goto(base + path)
        violations = accessibility_violations(page)
        if violations:
            problems[path] = violations
    for name, violations in _pages_after_a_form(page, base, site):
        if violations:
            problems[name] = violations
    context.close()
    assert problems == {}
