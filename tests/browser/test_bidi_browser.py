"""Latin inside Arabic, as Chromium lays it out: the Arabic title "المؤتمر الدولي
#Mothers4Peace" keeps the "#" on the left of "Mothers4Peace" (where the bidirectional
algorithm, left alone, puts it on the right), on every page and in the HTML email."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mmm_events.demo import seed_demo
from mmm_events.extensions import db
from mmm_events.mail.renderers import RENDERERS
from mmm_events.models import OutboxMessage, Registration

from .conftest import answer_required_questions

EVENT = "/events/mothers4peace-casablanca"
HEADINGS = {"fr": "Veuillez corriger ce qui suit\u00a0:", "ar": "يُرجى تصحيح ما يلي:"}
HASHTAG = "#Mothers4Peace"

# For each element matching the selector whose text holds the hashtag: the left edges of its
# "#" and of the "M" after it, as drawn.
HASH_AND_WORD = """([selector, tag]) => {
    const found = [];
    for (const element of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(tag);
            if (at < 0) continue;
            const edge = offset => {
                const range = document.createRange();
                range.setStart(node, offset);
                range.setEnd(node, offset + 1);
                return range.getClientRects()[0].x;
            };
            found.push({hash: edge(at), word: edge(at + 1)});
        }
    }
    return found;
}"""


def hashtags_read_left_to_right(browser_page, selector: str) -> list[bool]:
    return [
        place["hash"] < place["word"]
        for place in browser_page.evaluate(HASH_AND_WORD, [selector, HASHTAG])
    ]


@pytest.fixture
def arabic_site(app, live_server, phone_page):
    """The demo on a 360 px phone, Arabic chosen."""
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    phone_page.context.add_cookies([{"name": "lang", "value": "ar", "url": live_server.url}])
    return phone_page


def test_the_hashtag_of_an_arabic_title_reads_left_to_right_on_every_page(
    app, live_server, arabic_site
):
    page = arabic_site
    for path, selector in (
        (EVENT, "h1"),
        ("/", ".event-card h2, .event-card h3"),
        ("/events/", ".event-card h2, .event-card h3"),
    ):
        page.goto(live_server.url + path)
        assert hashtags_read_left_to_right(page, selector) == [True], path
    # The hashtag line above the heading starts where the Arabic lines start: on the right.
    page.goto(live_server.url + EVENT)
    line = page.locator(".event-header").bounding_box()
    tag = page.locator(".hashtag bdi").bounding_box()
    assert tag["x"] + tag["width"] == pytest.approx(line["x"] + line["width"], abs=1)

    page.fill("#full_name", "Amina Benali")
    page.fill("#email", "amina@example.org")
    page.fill("#country", "Maroc")
    page.check("#consent")
    answer_required_questions(page)
    page.locator("form.rsvp button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{EVENT}/registered*")
    # "Back to المؤتمر الدولي #Mothers4Peace", and the Latin name in an Arabic sentence.
    assert hashtags_read_left_to_right(page, "main a") == [True]
    with app.app_context():
        token = db.session.scalar(select(Registration.token))
    page.goto(f"{live_server.url}/events/manage/{token}")
    assert hashtags_read_left_to_right(page, "h1, figcaption, .facts") == [True, True, True]


def test_the_arabic_html_email_reads_right_to_left_with_its_labels_apart(
    app, live_server, arabic_site
):
    page = arabic_site
    page.goto(live_server.url + EVENT)
    page.fill("#full_name", "Amina Benali")
    page.fill("#email", "amina@example.org")
    page.fill("#country", "Maroc")
    page.check("#consent")
    answer_required_questions(page)
    page.locator("form.rsvp button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{EVENT}/registered*")
    with app.test_request_context(base_url="https://events.example.org"):
        row = db.session.scalar(select(OutboxMessage))
        email = RENDERERS[row.render["renderer"]].render(row)
    page.goto("about:blank")  # away from the site's CSP, which refuses inline styles
    page.set_content(email.html)
    assert hashtags_read_left_to_right(page, "table table table td") == [True, True]
    # Each label stands on the right of its value, 12 px apart, also where a mail client
    # drops the direction of the outer table.
    page.evaluate("document.querySelectorAll('[dir]').forEach(e => {"
                  " if (!e.closest('table table')) e.removeAttribute('dir'); })")
    rows = page.evaluate("""() => [...document.querySelectorAll('table table table tr')]
        .filter(row => row.cells.length === 2)
        .map(row => {
            const label = document.createRange(), value = document.createRange();
            label.selectNodeContents(row.cells[0]);
            value.selectNodeContents(row.cells[1]);
            return label.getBoundingClientRect().left
                - value.getBoundingClientRect().right;
        })""")
    # Event, when, where, status, name, and the answers to the demo's three required questions.
    assert len(rows) == 8
    assert all(gap >= 12 for gap in rows), rows


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_failed_rsvp_puts_the_focus_on_an_error_summary_of_sentences(
    app, live_server, phone_page, language
):
    with app.app_context():
        seed_demo(today=date(2026, 11, 27))
    # The language as the visitor chose it (the cookie): the form posts to its own address,
    # without a ?lang= that the page it shows again would lose.
    phone_page.context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
    phone_page.goto(f"{live_server.url}{EVENT}")
    with phone_page.expect_navigation():
        phone_page.locator("form.rsvp button[type=submit]").click()
    assert phone_page.evaluate("document.documentElement.lang") == language
    expect(phone_page.locator(".error-summary")).to_be_focused()
    assert phone_page.locator(".error-summary h2").inner_text() == HEADINGS[language]
    items = phone_page.locator(".error-summary li").all_inner_texts()
    assert items
    for item in items:
        assert not re.search(r"[.:]\s*:", item), item
