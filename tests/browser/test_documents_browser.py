"""The badges and door lists page in a real Chromium, in English, French and Arabic: no axe
violations and right to left in Arabic; and, with JavaScript switched off, its badge form
still downloads the PDF (a plain GET form)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ORGANISER_PASSWORD

from .conftest import accessibility_violations

LANGUAGES = {"en": "ltr", "fr": "ltr", "ar": "rtl"}


def _signed_in_page(browser, base: str, email: str, language: str, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{base}/language/{language}")
    page.goto(f"{base}/sign-in")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(ORGANISER_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/organiser/")
    return context, page


@pytest.mark.parametrize("language", LANGUAGES)
def test_documents_page_in_each_language(
    live_server, browser, create_event, create_registration, create_user, language
):
    event = create_event(title="Mothers4Peace Casablanca")
    create_registration(event, full_name="Fatima Zahra", days=tuple(event.days))
    organiser = create_user(email="amina@example.org", events=(event,))
    address = f"{live_server.url}/organiser/events/{event.id}/documents"

    context, page = _signed_in_page(browser, live_server.url, organiser.email, language)
    page.goto(address)
    assert (page.locator("html").get_attribute("dir") or "ltr") == LANGUAGES[language]
    assert page.locator("html").get_attribute("lang") == language
    assert accessibility_violations(page) == []
    context.close()

    context, page = _signed_in_page(
        browser, live_server.url, organiser.email, language,
        java_script_enabled=False, accept_downloads=True,
    )
    page.goto(address)
    with page.expect_download() as download:
        page.locator("form.stacked button[type=submit]").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    context.close()
