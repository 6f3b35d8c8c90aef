"""Every organiser page in a real Chromium, on a 360 × 740 phone and on a desktop (issue 11):
no accessibility violation (axe), a header that leaves the phone's screen to the page, the
sending progress that updates without reloading, and forms that say what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from mmm_events.accounts.services import end_sessions
from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import (
    Event,
    Language,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    User,
)
from tests.conftest import ORGANISER_PASSWORD, drain_outbox
from tests.questions.helpers import workshop

from .conftest import accessibility_violations

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ERROR_RED = "rgb(176, 0, 32)"

# Organiser GET endpoints not visited as pages, and why.
NOT_PAGES = {
    "organiser.export_csv": "a CSV download",
    "organiser.export_xlsx": "a spreadsheet download",
    "organiser.export_invitees": "a CSV download",
    "organiser.preview_html": "the email itself, shown inside the wording page's frame",
    "organiser.audit_export": "a CSV download",
    "organiser.check_in_list": "the check-in page's list, as JSON for its script",
    "organiser.check_in_worker": "the check-in page's service worker script",
    "organiser.event_badges": "a PDF download",
    "organiser.registration_badge": "a PDF download",
    "organiser.door_list_pdf": "a PDF download",
    "organiser.visa_letter_pdf": "a PDF download",
}


@pytest.fixture
def app(make_mail_app):
    return make_mail_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def site(app, create_event, create_user, create_registration, create_post, now):
    """An admin with an event that has registrants, invitees, emails in every state, and news;
    and a second, unpublished and full event."""
    event = create_event(title="Mothers4Peace Casablanca", capacity=2, visa_letters=True)
    full = create_event(title="Full draft", capacity=1, is_published=False)
    create_registration(full)
    admin = create_user(admin=True, email="olga@example.org")
    create_user(email="amina@example.org", events=(event,))
    confirmed = create_registration(
        event, full_name="Fatima Zahra", organisation="MMM", email="fatima@example.org"
    )
    create_registration(event)
    create_registration(event, status=RegistrationStatus.WAITING)
    post = create_post(title="News of the conference", event_id=event.id)
    question = workshop(app, event)
    with app.app_context():
        target = db.session.get(Event, event.id)
        for n, language in enumerate([Language.EN, Language.FR, Language.EN]):
            invitations.add_invitee(
                target, email=f"guest{n}@example.org", name=f"Guest {n}", language=language,
                organisation="UNESCO", now=now,
            )
        db.session.commit()
    return {
        "admin": admin, "event": event, "full": full, "registration": confirmed, "post": post,
        "question": question,
    }


def _queue_invitations(app, event_id: int, now) -> None:
    with app.app_context(), app.test_request_context():
        invitations.send_invitations(db.session.get(Event, event_id), now=now)
        db.session.commit()


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/organiser/")


def organiser_pages(app, site) -> list[str]:
    event, registration, post = site["event"], site["registration"], site["post"]
    with app.app_context():
        token = db.session.get(Registration, registration.id).check_in_token
    e = f"/organiser/events/{event.id}"
    return [
        "/organiser/", "/organiser/events/new", e, f"{e}/edit", f"{e}/delete",
        f"{e}/organisers", f"{e}/registrants", f"{e}/messages", f"{e}/check-in",
        f"{e}/check-in?q=fatima", f"{e}/documents", f"{e}/documents?q=fatima",
        f"{e}/invitations", f"{e}/invitations/new",
        f"{e}/invitations/import", f"{e}/invitations/message", f"{e}/invitations/progress",
        f"/organiser/registrations/{registration.id}",
        f"/organiser/registrations/{registration.id}/cancel",
        f"/organiser/check-in/{token}", "/organiser/news/", "/organiser/news/new",
        f"/organiser/news/{post.id}/edit", f"/organiser/news/{post.id}/delete",
        "/organiser/outbox/", "/organiser/outbox/?status=all", "/organiser/outbox/?status=sent",
        "/organiser/users/", "/organiser/password", "/organiser/privacy/notice",
        "/organiser/privacy/audit", "/organiser/privacy/people",
        "/organiser/privacy/people?email=fatima%40example.org", "/organiser/privacy/record",
        f"{e}/questions", f"{e}/questions/new", f"{e}/questions/{site['question']}",
        f"{e}/questions/{site['question']}/remove", f"{e}/questions/summary", f"{e}/duplicate",
        f"{e}/visa-letters",
    ]


def test_every_organiser_get_page_is_checked(app, site):
    visited = {path.split("?")[0] for path in organiser_pages(app, site)}
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("organiser.") or "GET" not in rule.methods:
            continue
        if rule.endpoint in NOT_PAGES:
            continue
        assert any(adapter.match(path)[0] == rule.endpoint for path in visited), rule.endpoint


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def _pages_after_a_form(page, base: str, site) -> list[tuple[str, str]]:
    """Pages reached only by sending a form: (name, violations) for each. The buttons are
    found by their place, not their words, so that the walk runs in every language."""
    found = []
    page.goto(f"{base}/organiser/events/{site['full'].id}")
    _submit(page, 'form[action$="/publish"] button[type=submit]')
    expect(page.locator('form[action$="/publish"] input[name=full]')).to_have_count(1)
    found.append(("publish a full event", accessibility_violations(page)))
    page.goto(f"{base}/organiser/events/{site['event'].id}/invitations")
    _submit(page, "section[aria-labelledby=send-heading] form[action$='/send'] button")
    expect(page.locator("form input[name=confirmed]")).to_have_count(1)
    found.append(("confirm sending", accessibility_violations(page)))
    page.goto(f"{base}/organiser/events/{site['event'].id}/invitations/import")
    page.locator("input[type=file]").set_input_files(
        files=[{
            "name": "list.csv", "mimeType": "text/csv",
            "buffer": b"email,name,organisation,language\nnew@example.org,New,,fr\nbad,Bad,,en\n",
        }]
    )
    _submit(page, "main form[enctype] button[type=submit]")
    found.append(("import report", accessibility_violations(page)))
    page.goto(f"{base}/organiser/events/new")
    _submit(page, "main form[method=post] button[type=submit]")
    expect(page.locator(".error-summary")).to_be_focused()
    found.append(("event form with errors", accessibility_violations(page)))
    return found


# On a desktop screen; on a phone, in each language, in test_every_page_browser.
@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_axe_finds_nothing_on_any_organiser_page(app, site, live_server, browser, now, viewport):
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(status=OutboxStatus.FAILED, last_error="550 No such user")
        )
        db.session.commit()
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    _sign_in(page, live_server.url, "olga@example.org")
    problems = {}
    for path in organiser_pages(app, site):
        page.goto(live_server.url + path)
        violations = accessibility_violations(page)
        if violations:
            problems[path] = violations
    for name, violations in _pages_after_a_form(page, live_server.url, site):
        if violations:
            problems[name] = violations
    context.close()
    assert problems == {}


def test_the_phone_header_leaves_three_quarters_of_the_screen(app, site, live_server, browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_server.url, "olga@example.org")
    # The header is the same on every page; French has the longest words, Arabic runs right
    # to left.
    registrants = f"/organiser/events/{site['event'].id}/registrants"
    others = [f"/language/{code}?next={registrants}" for code in ("ar", "fr")]
    for path in [*organiser_pages(app, site), *others]:
        page.goto(live_server.url + path)
        height = page.locator("header.site-header").bounding_box()["height"]
        assert height <= PHONE["height"] / 4, f"{path}: header {height} px high"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    context.close()


def test_the_outbox_opens_on_what_needs_attention(app, site, live_server, page, now):
    _queue_invitations(app, site["event"].id, now)
    _sign_in(page, live_server.url, "olga@example.org")
    page.goto(f"{live_server.url}/organiser/outbox/")
    current = page.get_by_role("navigation", name="Emails by status").locator("[aria-current]")
    expect(current).to_have_text("All (3)")
    with app.app_context():
        first = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id))
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == first).values(
                status=OutboxStatus.FAILED, last_error="550 No such user"
            )
        )
        db.session.commit()
    page.goto(f"{live_server.url}/organiser/outbox/")
    expect(current).to_have_text("Failed (1)")
    expect(page.locator("table.outbox tbody tr")).to_have_count(1)


def test_the_progress_page_updates_without_reloading(app, site, live_server, page, now):
    _queue_invitations(app, site["event"].id, now)
    _sign_in(page, live_server.url, "olga@example.org")
    page.goto(f"{live_server.url}/organiser/events/{site['event'].id}/invitations/progress")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    expect(page.locator('[data-count="queued"]')).to_have_text("3")
    status = page.get_by_role("status")
    expect(status).to_have_text("0 of 3 emails handled: 0 sent, 0 failed.")
    page.evaluate("window.stillTheSamePage = true")
    drain_outbox(app)
    expect(page.locator('[data-count="sent"]')).to_have_text("3", timeout=20_000)
    expect(page.locator('[data-count="queued"]')).to_have_text("0")
    expect(status).to_have_text("Nothing is waiting to be sent.")
    assert page.evaluate("window.stillTheSamePage") is True


def test_the_progress_page_says_when_the_session_has_ended(app, site, live_server, page, now):
    _queue_invitations(app, site["event"].id, now)
    _sign_in(page, live_server.url, "olga@example.org")
    address = f"{live_server.url}/organiser/events/{site['event'].id}/invitations/progress"
    page.clock.install()
    page.goto(address)
    status = page.get_by_role("status")
    expect(status).to_have_text("0 of 3 emails handled: 0 sent, 0 failed.")
    with app.app_context():
        end_sessions(db.session.scalar(select(User).where(User.email == "olga@example.org")))
        db.session.commit()
    with page.expect_response(address) as answer:
        page.clock.run_for(5_000)
    assert answer.value.status == 401
    expect(status).to_have_text("Your session has ended. Sign in again to see the counts.")
    # It stops asking (a refused request was asked again 10 s later).
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.clock.run_for(30_000)
    page.wait_for_timeout(300)
    assert asked == []


def test_a_form_with_errors_says_so_in_its_title_and_borders(app, site, live_server, page):
    _sign_in(page, live_server.url, "olga@example.org")
    page.goto(f"{live_server.url}/organiser/events/new")
    # The language columns side by side: the main language's title (required) and the others'
    # (optional) start on one line, and so do the boxes after them.
    for name in ("title", "summary", "venue"):
        tops = [page.locator(f"#{name}_{code}").bounding_box()["y"] for code in ("en", "fr", "ar")]
        assert max(tops) - min(tops) < 1, (name, tops)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title("Error: New event · Make Mothers Matter")
    summary = page.locator(".error-summary")
    summary.get_by_role(
        "link", name="Number of seats: Give the number of seats the venue holds."
    ).click()
    assert page.evaluate("document.activeElement.id") == "capacity"
    seats = page.get_by_label("Number of seats")
    assert seats.evaluate("e => getComputedStyle(e).borderTopColor") == ERROR_RED
    venue = page.locator("#venue_en")
    assert venue.evaluate("e => getComputedStyle(e).borderTopColor") != ERROR_RED


def test_a_full_event_offers_the_waiting_list(app, create_event, create_registration,
                                              live_server, page, now):
    event = create_event(capacity=1, title="Full house")
    create_registration(event)
    page.goto(f"{live_server.url}/events/{event.slug}")
    expect(page.get_by_role("link", name="Join the waiting list")).to_be_visible()
    expect(page.get_by_role("heading", name="Join the waiting list")).to_be_visible()
    expect(page.get_by_role("button", name="Join the waiting list")).to_be_visible()
    assert page.get_by_role("button", name="Register").count() == 0
    closed = create_event(
        capacity=1, title="Over", starts_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(days=3),
    )
    page.goto(f"{live_server.url}/events/{closed.slug}")
    expect(page.get_by_text("Registration for this event is closed.")).to_be_visible()
    assert page.get_by_role("button").filter(has_text="Register").count() == 0
    assert page.get_by_text("waiting list").count() == 0
