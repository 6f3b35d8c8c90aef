"""Issued documents in a real Chromium, in English, French and Arabic: the public
verification page (valid, then revoked), the organisers' documents page of an event that is
over (its certificates and issued documents) and the page that refuses a certificate, with
no axe violations and right to left in Arabic."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mmm_events.documents.issued import issue, revoke
from mmm_events.extensions import db
from mmm_events.models import IssuedDocument, Language, Registration

from .conftest import accessibility_violations
from .test_documents_browser import LANGUAGES, _signed_in_page

ARABIC_NAME = "محمد العامر"


@pytest.fixture
def issued_certificate(app, create_event, create_registration, now):
    event = create_event(title="Mothers4Peace Casablanca", starts_at=now - timedelta(days=3))
    person = create_registration(event, full_name=ARABIC_NAME, language=Language.AR,
                                 checked_in_at=now - timedelta(days=3))
    absent = create_registration(event, full_name="Fatima Zahra")
    with app.app_context():
        document = issue(db.session.get(Registration, person.id), "certificate",
                         language="ar", now=now)
        db.session.commit()
        return event, document.id, document.token, absent


def check(page, language: str) -> None:
    assert (page.locator("html").get_attribute("dir") or "ltr") == LANGUAGES[language]
    assert page.locator("html").get_attribute("lang") == language
    assert accessibility_violations(page) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_verification_page_valid_then_revoked_in_each_language(
    app, live_server, page, issued_certificate, now, language
):
    _event, document_id, token, _absent = issued_certificate
    address = f"{live_server.url}/documents/verify/{token}?lang={language}"

    page.goto(address)
    check(page, language)
    assert page.locator("dd").nth(1).inner_text() == ARABIC_NAME

    with app.app_context():
        revoke(db.session.get(IssuedDocument, document_id), by=None, now=now)
        db.session.commit()
    page.goto(address)
    check(page, language)
    assert page.locator("#document-state.revoked").count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_documents_page_of_an_event_that_is_over_and_the_refusal_page(
    live_server, browser, page, issued_certificate, create_user, language
):
    event, _document_id, _token, absent = issued_certificate
    organiser = create_user(email="amina@example.org", events=(event,))

    context, organiser_page = _signed_in_page(browser, live_server.url, organiser.email,
                                              language)
    organiser_page.goto(f"{live_server.url}/organiser/events/{event.id}/documents")
    check(organiser_page, language)
    assert organiser_page.locator("form button.danger").count() == 1
    context.close()

    page.goto(f"{live_server.url}/documents/certificate/{absent.token}?lang={language}")
    check(page, language)
