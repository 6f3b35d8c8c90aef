"""The cover image in a real Chromium on a 360 px phone, in Arabic and French: the event page
stays light (its HTML, CSS and script together at most 60 KB before the image), the phone
fetches the small size, nothing moves when it arrives, the list's images wait until they are
near, an organiser replaces the cover through the editor's form (which keeps the file chosen
when it comes back with an error), and axe finds nothing."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mmm_events.demo import CONFERENCE_SLUG, seed_demo
from mmm_events.extensions import db
from mmm_events.models import Event
from tests.conftest import ORGANISER_PASSWORD
from tests.events.covers import photo

from .conftest import accessibility_violations

EVENT = f"/events/{CONFERENCE_SLUG}"
# What a phone may download for the event page before its image: HTML, CSS and script.
PAGE_BUDGET = 60 * 1024
WEIGHED = ("document", "stylesheet", "script")


@pytest.fixture
def app(make_app):
    # The editor's form is sent as a browser sends it: multipart, with its CSRF token.
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def demo(app, live_server):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    return live_server.url


def downloads(page, url: str) -> dict[str, list[tuple[str, int]]]:
    """Open ``url`` and wait until the network is quiet; what the browser fetched, by kind of
    resource, each with the size of its body."""
    fetched: dict[str, list[tuple[str, int]]] = {}

    def record(response) -> None:
        kind = response.request.resource_type
        fetched.setdefault(kind, []).append((response.url, len(response.body())))

    page.on("response", record)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("response", record)
    return fetched


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_event_page_stays_light_on_a_phone_and_its_cover_is_the_small_size(
        demo, phone_page, language):
    fetched = downloads(phone_page, f"{demo}{EVENT}?lang={language}")
    weighed = {url.removeprefix(demo).split("?")[0]: size
               for kind in WEIGHED for url, size in fetched.get(kind, [])}
    # The page, its stylesheet, the script every page has and the one of the demo's
    # dependent questions.
    assert sorted(weighed) == [
        EVENT, "/static/css/site.css", "/static/js/door-sign-out.js", "/static/js/questions.js"]
    assert sum(weighed.values()) <= PAGE_BUDGET
    # A 360 px screen (one pixel per CSS pixel) gets the 480 px cover and nothing larger.
    covers = [url for url, _ in fetched["image"] if "/covers/" in url]
    assert len(covers) == 1 and covers[0].endswith("-480.jpg")
    cover = phone_page.locator("img.event-cover")
    assert cover.evaluate("img => img.currentSrc").endswith("-480.jpg")
    assert cover.get_attribute("loading") is None  # at the top: fetched at once
    # Laid out across the column, in the image's own proportions, within the screen.
    box = cover.bounding_box()
    assert box["width"] == pytest.approx(360 - 32, abs=1)
    assert box["height"] == pytest.approx(box["width"] * 900 / 1600, abs=1)
    width = phone_page.evaluate("document.documentElement.clientWidth")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= width
    expected_alt = {"ar": "أمهات وأطفال يسيرون", "fr": "Des mères et des enfants marchent"}
    assert cover.get_attribute("alt").startswith(expected_alt[language])
    assert cover.get_attribute("lang") is None  # written in the page's language
    assert accessibility_violations(phone_page) == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_cover_keeps_its_place_before_it_arrives(demo, browser, language):
    """Images held back: the page is laid out from the width and height attributes alone,
    and the text below the cover does not move when it comes."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.route("**/covers/*", lambda route: route.abort())
    page.goto(f"{demo}{EVENT}?lang={language}")
    facts_without = page.locator(".facts").bounding_box()["y"]
    context.close()
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{demo}{EVENT}?lang={language}", wait_until="networkidle")
    assert page.locator(".facts").bounding_box()["y"] == pytest.approx(facts_without, abs=1)
    context.close()


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_lists_show_lazy_covers_and_pass_axe(demo, phone_page, language):
    for path in ("/", "/events/", "/news/invitation-mothers4peace-casablanca"):
        phone_page.goto(f"{demo}{path}?lang={language}", wait_until="networkidle")
        assert accessibility_violations(phone_page) == [], path
        width = phone_page.evaluate("document.documentElement.clientWidth")
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= width, path
    phone_page.goto(f"{demo}/?lang={language}")
    card = phone_page.locator(".event-card img.cover")
    assert card.get_attribute("loading") == "lazy"


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_an_organiser_replaces_the_cover_from_a_phone(
        app, demo, phone_page, create_user, tmp_path, language):
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == CONFERENCE_SLUG))
    admin = create_user(admin=True, email="olga@example.org")
    phone_page.goto(f"{demo}/sign-in?lang={language}")
    phone_page.locator("#email").fill(admin.email)
    phone_page.locator("#password").fill(ORGANISER_PASSWORD)
    phone_page.locator("form button[type=submit]").click()
    phone_page.wait_for_url(f"{demo}/organiser/")
    phone_page.goto(f"{demo}/organiser/events/{event_id}/edit?lang={language}")
    assert accessibility_violations(phone_page) == []
    picture = tmp_path / "garden.jpg"
    picture.write_bytes(photo(1200, 800, orientation=6, colour="green"))
    # A mistake elsewhere in the form (the description the cover needs, emptied): the
    # browser does not send a file again, so the page keeps the one chosen, and shows it.
    description = phone_page.locator("#cover_alt_en")
    written = description.input_value()
    description.fill("")
    phone_page.locator("#cover").set_input_files(str(picture))
    with phone_page.expect_navigation():
        phone_page.locator("main form[enctype] button[type=submit]").click()
    expect(phone_page.locator(".error-summary")).to_be_focused()
    kept = phone_page.locator("img.kept-cover")
    expect(kept).to_be_visible()
    assert kept.evaluate("img => img.naturalWidth") == 480
    assert accessibility_violations(phone_page) == []
    phone_page.locator("#cover_alt_en").fill(written)
    phone_page.locator("main form[enctype] button[type=submit]").click()
    phone_page.wait_for_url(f"{demo}/organiser/events/{event_id}")
    with app.app_context():
        event = db.session.get(Event, event_id)
        # Upright: the sideways 1200 × 800 photo is 800 wide.
        assert [(c.width, c.height) for c in event.cover_images] == [(480, 720), (800, 1200)]
    phone_page.goto(f"{demo}{EVENT}?lang={language}", wait_until="networkidle")
    cover = phone_page.locator("img.event-cover")
    assert cover.evaluate("img => img.currentSrc").endswith("-480.jpg")
    assert cover.evaluate("img => img.naturalHeight / img.naturalWidth") == 1.5
