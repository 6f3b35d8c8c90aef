"""The check-in page in Chromium with the network cut: opened again from the service worker's
cache, people found and checked in from the list kept in IndexedDB, a ticket read through a
fake camera, the queue sent when the network returns; two phones admitting one ticket; the
page's folding of names against the server's; axe in each language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from mmm_events.accounts.services import end_sessions
from mmm_events.extensions import db
from mmm_events.folding import fold
from mmm_events.models import AuditEntry, CheckInReceipt, Registration, User
from mmm_events.registrations.ticket import check_in_qr_png, check_in_url
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, accessibility_violations
from tests.conftest import ORGANISER_PASSWORD

STATIC = Path(__file__).resolve().parents[2] / "static"
WIDTH, HEIGHT = 640, 480


def write_y4m(path: Path, png: bytes) -> None:
    """A few frames of the ticket's QR code on white, as Chromium's fake camera plays them
    (YUV 4:2:0: the grey picture as Y, the colour planes neutral)."""
    import io

    code = Image.open(io.BytesIO(png)).convert("L")
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.fixture
def event(create_event):
    return create_event(title="Door test", timezone="Africa/Casablanca")


@pytest.fixture
def requests_seen(app):
    """The paths the server is asked for, to prove that the offline page asks for none."""
    from flask import request

    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append(request.path))
    return seen


def launch(playwright_browser_type, video: Path | None = None):
    args = list(CHROMIUM_ARGS)
    if video is not None:
        args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-video-capture={video}"]
    return playwright_browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)


@pytest.fixture
def chromium(browser):
    """Chromium's launcher from the session's Playwright, for browsers with a fake camera."""
    return browser.browser_type


def open_door(context, live_server, user, event, query: str = ""):
    page = context.new_page()
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/organiser/.*"))
    page.goto(f"{live_server.url}/organiser/events/{event.id}/check-in{query}")
    page.wait_for_selector("#door[data-ready='1'][data-offline-ready='cached']", state="attached")
    return page


def type_code(page, code: str, answer: str = "done") -> None:
    """Type a ticket's check-in code at the door, and wait for the page's answer ("done" or
    "refused")."""
    page.get_by_label("Check-in code").fill(code)
    page.get_by_label("Check-in code").press("Enter")
    page.locator(f".door-result-{answer}").wait_for()


def status(page, part: str) -> str:
    return page.locator(f'[data-door="{part}"]').inner_text()


def test_offline_search_scan_and_sync(app, live_server, chromium, event, create_user,
                                      create_registration, requests_seen, tmp_path):
    organiser = create_user(events=(event,), name="Samira")
    elodie = create_registration(event, full_name="Élodie Durand", organisation="MMM France")
    amina = create_registration(event, full_name="أمينة بنعلي")
    with app.test_request_context(base_url=live_server.url):
        write_y4m(tmp_path / "ticket.y4m", check_in_qr_png(check_in_url(amina.check_in_token)))
    browser = launch(chromium, tmp_path / "ticket.y4m")
    context = browser.new_context()
    context.grant_permissions(["camera"], origin=live_server.url)
    page = open_door(context, live_server, organiser, event)
    assert status(page, "network") == "Online"
    assert re.fullmatch(r"List updated at \d\d:\d\d \(registrants: 2\)\.", status(page, "updated"))

    # The page is closed, then opened again with no network in a new tab, which Chromium makes
    # offline before its scripts run. A page left open as the network is cut may still send its
    # list request as it goes, through Chromium's emulation (once in CI; 9 runs in 25 under
    # load when a second tab opened beside it).
    page.wait_for_load_state("networkidle")
    page.close()
    context.set_offline(True)
    requests_seen.clear()
    page = context.new_page()
    page.goto(f"{live_server.url}/organiser/events/{event.id}/check-in")
    page.wait_for_selector("#door[data-ready='1']", state="attached")
    assert status(page, "network").startswith("Offline")
    page.get_by_label("Name, email or organisation").fill("ÉLODIE")
    page.get_by_role("button", name="Check in Élodie Durand").click()
    result = page.locator('[data-door="result"]')
    expect(result.locator(".door-message")).to_have_text(
        "Élodie Durand is checked in on this phone; it will be sent when the network returns.")
    assert status(page, "waiting") == "Check-ins waiting to be sent: 1"
    # The same ticket again on this phone: said at once, not queued twice.
    type_code(page, elodie.check_in_token, "refused")
    assert re.fullmatch(r"Already checked in at \d\d:\d\d on this phone",
                        result.locator(".door-status-line").inner_text())
    # The Arabic name, found as typed without its hamza; then her ticket through the camera.
    page.get_by_label("Name, email or organisation").fill("امينة")
    assert page.locator('[data-door="results"] strong').all_inner_texts() == ["أمينة بنعلي"]
    page.get_by_role("button", name="Scan a ticket").click()
    expect(page.locator(".door-result-done .door-name")).to_have_text("أمينة بنعلي",
                                                                      timeout=20000)
    assert status(page, "waiting") == "Check-ins waiting to be sent: 2"
    assert requests_seen == []

    context.set_offline(False)
    expect(page.locator('[data-door="waiting"]')).to_have_text(re.compile(": 0$"))
    assert status(page, "network") == "Online"
    with app.app_context():
        rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
        assert [(r.checked_in_by_id, r.checked_in_at is not None) for r in rows] == [
            (organiser.id, True), (organiser.id, True)]
        assert sorted(db.session.scalars(select(CheckInReceipt.outcome))) == ["new", "new"]
    browser.close()


def test_one_ticket_admitted_on_two_phones_offline(app, live_server, chromium, event,
                                                   create_user, create_registration):
    first = create_user(events=(event,), name="Samira")
    second = create_user(events=(event,), name="Youssef")
    nadia = create_registration(event, full_name="Nadia Alami")
    browser = launch(chromium)
    phones = []
    for user in (first, second):
        context = browser.new_context()
        page = open_door(context, live_server, user, event)
        context.set_offline(True)
        type_code(page, nadia.check_in_token)
        phones.append((context, page))
    for context, page in phones:
        context.set_offline(False)
        expect(page.locator('[data-door="waiting"]')).to_have_text(re.compile(": 0$"))
    conflicts = phones[1][1].locator('[data-door="conflicts"]')
    assert conflicts.is_visible()
    assert re.fullmatch(r"Nadia Alami: also checked in at \d\d:\d\d by Samira",
                        conflicts.locator("li").inner_text())
    assert not phones[0][1].locator('[data-door="conflicts"]').is_visible()
    with app.app_context():
        assert db.session.get(Registration, nadia.id).checked_in_by_id == first.id
        assert sorted(db.session.scalars(select(CheckInReceipt.outcome))) == ["already", "new"]
    browser.close()


def test_a_queue_from_an_ended_session_is_refused_and_kept(app, live_server, chromium, event,
                                                           create_user, create_registration):
    organiser = create_user(events=(event,), name="Samira")
    person = create_registration(event, full_name="Nadia Alami")
    browser = launch(chromium)
    context = browser.new_context()
    page = open_door(context, live_server, organiser, event)
    context.set_offline(True)
    type_code(page, person.check_in_token)
    # Signed out elsewhere (every session of the account ends) while this phone was offline.
    with app.app_context():
        end_sessions(db.session.get(User, organiser.id))
        db.session.commit()
    context.set_offline(False)
    refused = page.locator('[data-door="refused"]')
    expect(refused).to_have_text(
        "Your session has ended, so the server refused the check-ins kept on this phone (1). "
        "They stay here: sign in again on this phone to send them.")
    assert status(page, "waiting") == "Check-ins waiting to be sent: 1"
    with app.app_context():
        assert db.session.get(Registration, person.id).checked_in_at is None
    browser.close()


def test_undo_from_the_page(app, live_server, chromium, event, create_user,
                            create_registration):
    person = create_registration(event, full_name="Fatima Zahra")
    browser = launch(chromium)
    page = open_door(browser.new_context(), live_server, create_user(events=(event,)), event)
    type_code(page, person.check_in_token)
    page.get_by_role("button", name="Undo the check-in of Fatima Zahra").click()
    expect(page.locator(".door-result .door-message")).to_have_text(
        "Check-in of Fatima Zahra undone.")
    expect(page.locator('[data-door="waiting"]')).to_have_text(re.compile(": 0$"))
    with app.app_context():
        assert db.session.get(Registration, person.id).checked_in_at is None
        assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "registrant.checked_in", "registrant.check_in_undone"]
    browser.close()


def databases(page) -> list[str]:
    return sorted(page.evaluate("indexedDB.databases().then(all => all.map(d => d.name))"))


def test_sign_out_deletes_the_list_and_keeps_the_queue(app, live_server, chromium, event,
                                                       create_user, create_registration):
    organiser = create_user(events=(event,), name="Samira")
    person = create_registration(event, full_name="Nadia Alami")
    browser = launch(chromium)
    context = browser.new_context()
    page = open_door(context, live_server, organiser, event)
    context.set_offline(True)
    type_code(page, person.check_in_token)
    # The network is back but the server cannot be reached yet when the organiser signs out.
    page.route("**/check-in/sync", lambda route: route.abort())
    context.set_offline(False)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("html[data-door-forgotten='1']", state="attached")
    assert asked == [
        "Check-ins made at the door on this phone are still waiting to be sent (1). If you sign "
        "out, they stay on this phone and are sent only once you sign in again with the same "
        "account. Sign out anyway?"]
    assert page.locator(".flash-success").inner_text() == "You are signed out."
    assert page.locator("#door-waiting").inner_text() == (
        "Check-ins made at the door on this phone are still waiting to be sent (1). They stay on "
        "this phone and will be sent once you sign in again with the same account and open the "
        "check-in page.")
    queue = f"mmm-check-in-queue-{organiser.id}-{event.id}"
    assert databases(page) == [queue]
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    with app.app_context():
        assert db.session.get(Registration, person.id).checked_in_at is None

    page = open_door(context, live_server, organiser, event)
    expect(page.locator('[data-door="waiting"]')).to_have_text(re.compile(": 0$"))
    assert databases(page) == [f"mmm-check-in-list-{organiser.id}-{event.id}", queue]
    with app.app_context():
        assert db.session.get(Registration, person.id).checked_in_by_id == organiser.id
        assert db.session.scalars(select(CheckInReceipt.outcome)).all() == ["new"]
    browser.close()


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_page_passes_axe_in_each_language(live_server, chromium, event, create_user,
                                               create_registration, language):
    person = create_registration(event, full_name="Fatima Zahra")
    browser = launch(chromium)
    page = open_door(browser.new_context(), live_server, create_user(events=(event,)), event,
                     query=f"?lang={language}")
    page.locator("#door-code").fill(person.check_in_token)
    page.locator("#door-code").press("Enter")
    page.locator(".door-result-done").wait_for()
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "")
    # The script's sentences are the page's, in the organiser's language.
    assert status(page, "network") == {"en": "Online", "fr": "En ligne", "ar": "متصل"}[language]
    assert page.locator(".door-result .door-message").inner_text() == {
        "en": "Fatima Zahra is checked in.",
        "fr": "L'arrivée de Fatima Zahra est enregistrée.",
        "ar": "سُجّل حضور \u2068Fatima Zahra\u2069.",
    }[language]
    assert accessibility_violations(page) == []
    browser.close()


NAMES = [
    "Élodie Durand", "STRASSE Straße", "ẞ", "ΣΟΦΙΑΣ Σοφίας", "İstanbul", "ﬁne Ǆemal",
    "أمينة", "إيمان", "آمنة", "ٱلله", "مُحَمَّد", "فاطمة", "مصطفى", "ـعـلـي", "مؤمن", "هانئ",
    "Nguyễn Thị", "O'Brien-Smith", "ÑOÑO", "علی\u200cرضا",
]


def test_the_pages_folding_is_the_servers(browser):
    page = browser.new_page()
    page.add_script_tag(path=str(STATIC / "js" / "fold.js"))
    folded = page.evaluate("names => names.map(window.mmmFold)", NAMES)
    assert folded == [fold(name) for name in NAMES]
    page.close()
