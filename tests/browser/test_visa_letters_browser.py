"""The visa letter pages in a real Chromium, in English, French and Arabic: the person's
request page (with its errors after a wrong submission), the RSVP form offering a letter, the
organisers' requests page and the event form's letter settings; no axe violations, and right
to left in Arabic."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import VisaLetter

from .conftest import accessibility_violations
from .test_documents_browser import LANGUAGES, _signed_in_page


@pytest.fixture
def visa_event(create_event):
    return create_event(title="Mothers4Peace Casablanca", visa_letters=True,
                        visa_signatory_name="Anne-Claire Dupont", visa_signatory_role="President")


def check(page, language) -> None:
    assert (page.locator("html").get_attribute("dir") or "ltr") == LANGUAGES[language]
    assert page.locator("html").get_attribute("lang") == language
    assert accessibility_violations(page) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_request_page_and_the_rsvp_form_in_each_language(
    app, live_server, browser, visa_event, create_registration, language
):
    person = create_registration(visa_event, full_name="Fatima Zahra")
    # JavaScript on for axe, which runs in the page; the form needs none (a plain POST).
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/language/{language}")

    page.goto(f"{live_server.url}/events/{visa_event.slug}")
    check(page, language)

    page.goto(f"{live_server.url}/documents/visa-letter/{person.token}")
    check(page, language)
    page.locator("#passport_name").fill("FATIMA ZAHRA")
    page.locator("#nationality").select_option("MA")
    page.locator("#birth_date").fill("1985-04-12")
    page.locator("#passport_number").fill("AB1234567")
    page.locator("#passport_expires_on").fill("2020-01-01")
    page.locator("form.stacked button[type=submit]").click()
    assert page.locator(".error-summary").count() == 1
    check(page, language)

    page.locator("#passport_expires_on").fill("2035-01-01")
    page.locator("form.stacked button[type=submit]").click()
    check(page, language)
    context.close()
    with app.app_context():
        assert db.session.scalar(select(VisaLetter.passport_number)) == "AB1234567"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_organisers_pages_in_each_language(
    app, live_server, browser, visa_event, create_registration, create_user, client, language
):
    person = create_registration(visa_event, full_name="محمد العامر")
    client.post(f"/documents/visa-letter/{person.token}", data={
        "passport_name": "محمد العامر", "nationality": "EG", "birth_date": "1980-01-02",
        "passport_number": "A7654321", "passport_expires_on": "2035-01-01",
    })
    organiser = create_user(email="amina@example.org", events=(visa_event,))

    context, page = _signed_in_page(browser, live_server.url, organiser.email, language)
    page.goto(f"{live_server.url}/organiser/events/{visa_event.id}/visa-letters")
    assert page.locator("text=A7654321").count() == 1
    check(page, language)
    page.goto(f"{live_server.url}/organiser/events/{visa_event.id}/edit")
    check(page, language)
    context.close()
