"""A visitor in a real browser: home page, news, and the phone layout."""

from __future__ import annotations

from datetime import date

from mmm_events.demo import seed_demo

from .conftest import accessibility_violations


def test_visitor_follows_read_more_from_the_home_page(app, live_server, page):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Make Mothers Matter at UNESCO"
    news = page.locator("article.news-item").filter(has_text="World's Biggest Mama Meet up")
    news.get_by_role("link", name="Read more").click()
    page.wait_for_url(live_server.url + "/news/worlds-biggest-mama-meet-up")
    assert page.locator("h1").inner_text() == "MMM joins the World's Biggest Mama Meet up"
    assert "March 8, 2026" in page.locator("time").inner_text()


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(app, live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_fit_a_360px_phone_without_sideways_scrolling(app, live_server, phone_page):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    for path in ("/", "/events/mothers4peace-casablanca", "/news/"):
        phone_page.goto(live_server.url + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)


def test_public_pages_pass_axe_wcag_aa_checks(app, live_server, page):
    # On a desktop screen; on a phone, in each language, in test_every_page_browser.
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    for browser_page in (page,):
        for path in (
            "/",
            "/events/",
            "/events/mothers4peace-casablanca",
            "/news/",
            "/news/worlds-biggest-mama-meet-up",
            "/privacy",
            "/no-such-page",
        ):
            browser_page.goto(live_server.url + path)
            assert accessibility_violations(browser_page) == [], path


def test_the_language_switch_is_on_every_page_and_remembered(app, live_server, phone_page):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    phone_page.goto(live_server.url + "/news/")
    switch = phone_page.locator(".lang-switch")
    assert switch.get_by_role("link").all_inner_texts() == ["English", "Français", "العربية"]
    switch.get_by_role("link", name="Français").click()
    phone_page.wait_for_url(live_server.url + "/news/")
    assert phone_page.evaluate("document.documentElement.lang") == "fr"
    # A later visit, from the home page, is still in French.
    phone_page.goto(live_server.url + "/")
    assert phone_page.locator(".site-nav").get_by_role("link").first.inner_text() == "Événements"
    current = phone_page.locator(".lang-switch [aria-current=true]")
    assert current.inner_text() == "Français"
