"""Arabic in a real browser: the event page and the RSVP form laid out right to left, on a
360 px phone and on a desktop screen, with no sideways scrolling and no axe-core violations."""

from __future__ import annotations

from datetime import date

import pytest

from mmm_events.demo import seed_demo

from .conftest import accessibility_violations, answer_required_questions

EVENT = "/events/mothers4peace-casablanca"


@pytest.fixture
def arabic(app, live_server):
    """The demo content, and a way to open a page with Arabic chosen in the switch."""
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))

    def open_in_arabic(browser_page, path: str) -> None:
        browser_page.goto(live_server.url + path)
        browser_page.locator(".lang-switch").get_by_role("link", name="العربية").click()
        browser_page.wait_for_url(live_server.url + path)

    return open_in_arabic


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def text_box(page, selector: str) -> dict:
    """Where the text of the first ``selector`` is drawn (a label's box is the form's width)."""
    return page.evaluate(
        """selector => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector(selector));
            const r = range.getBoundingClientRect();
            return {x: r.x, width: r.width};
        }""",
        selector,
    )


@pytest.mark.parametrize("screen", ["page", "phone_page"])
def test_arabic_event_page_and_form_read_right_to_left(arabic, request, screen):
    browser_page = request.getfixturevalue(screen)
    arabic(browser_page, EVENT)
    assert browser_page.evaluate("document.documentElement.dir") == "rtl"
    assert browser_page.evaluate("document.documentElement.lang") == "ar"
    assert browser_page.locator("#register-heading").inner_text() == "التسجيل"
    # Nothing wider than the screen.
    width = browser_page.evaluate("document.documentElement.clientWidth")
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    # The form's labels start on the right, where the fields start too.
    label, field = text_box(browser_page, "label[for=full_name]"), box(browser_page, "#full_name")
    form = box(browser_page, "form.rsvp")
    assert label["x"] + label["width"] == pytest.approx(form["x"] + form["width"], abs=1)
    assert field["x"] + field["width"] == pytest.approx(form["x"] + form["width"], abs=1)
    assert label["x"] > form["x"] + form["width"] / 2
    # The demo event is written in Arabic too: its title reads right to left, while the Latin
    # hashtag keeps its own direction, isolated from the Arabic around it.
    assert browser_page.evaluate(
        "getComputedStyle(document.querySelector('h1')).direction"
    ) == "rtl"
    assert browser_page.evaluate(
        "getComputedStyle(document.querySelector('.hashtag bdi')).direction"
    ) == "ltr"
    assert browser_page.evaluate(
        "getComputedStyle(document.querySelector('.hashtag bdi')).unicodeBidi"
    ) == "isolate"


# On a desktop screen; on a phone, every page, in test_every_page_browser.
@pytest.mark.parametrize("screen", ["page"])
def test_arabic_pages_pass_axe_wcag_aa_checks(arabic, request, screen):
    browser_page = request.getfixturevalue(screen)
    arabic(browser_page, EVENT)
    assert accessibility_violations(browser_page) == []
    # The form with its error summary, after sending it empty.
    browser_page.locator("form.rsvp button[type=submit]").click()
    browser_page.wait_for_selector(".error-summary")
    assert browser_page.locator(".error-summary h2").inner_text() == "يُرجى تصحيح ما يلي:"
    assert accessibility_violations(browser_page) == []
    for path in ("/", "/events/", "/news/", "/privacy"):
        browser_page.goto(browser_page.url.split("/events/")[0] + path)
        assert accessibility_violations(browser_page) == [], path
        width = browser_page.evaluate("document.documentElement.clientWidth")
        assert browser_page.evaluate("document.documentElement.scrollWidth") <= width, path


def test_an_arabic_name_registers_through_the_arabic_form(arabic, live_server, phone_page):
    arabic(phone_page, EVENT)
    phone_page.fill("#full_name", "أمينة بنعلي")
    phone_page.fill("#email", "amina@example.org")
    phone_page.fill("#country", "المغرب")
    phone_page.check("#consent")
    answer_required_questions(phone_page)
    phone_page.locator("form.rsvp button[type=submit]").click()
    phone_page.wait_for_url(f"{live_server.url}{EVENT}/registered*")
    assert phone_page.evaluate("document.documentElement.dir") == "rtl"
    assert "أمينة بنعلي" in phone_page.locator("main").inner_text()
    assert accessibility_violations(phone_page) == []
