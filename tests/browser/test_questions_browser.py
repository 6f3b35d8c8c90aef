"""The organiser's questions in a real Chromium: a dependent question hidden and shown by the
script, shown with its condition without it, and no accessibility violation in Arabic."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Answer
from tests.questions.helpers import workshop
from tests.questions.test_questions_dependent import visa_questions

from .conftest import accessibility_violations


def _fill_fixed(page) -> None:
    page.get_by_label("Full name").fill("Amina Benali")
    page.get_by_label("Email address").fill("amina@example.org")
    page.get_by_label("Country", exact=True).fill("Morocco")
    page.get_by_label("I agree that Make Mothers Matter keeps these details").check()


def test_with_javascript_the_dependent_question_appears_when_needed(
    app, live_server, page, create_event
):
    event = create_event()
    visa, passport = visa_questions(app, event)
    page.goto(f"{live_server.url}/events/{event.slug}")
    dependent = page.locator(f"#q{passport}-field")
    expect(dependent).to_be_hidden()
    page.locator(f"#q{visa}-0").check()  # Yes
    expect(dependent).to_be_visible()
    expect(dependent.locator(".condition")).to_be_hidden()
    page.locator(f"#q{visa}-1").check()  # No
    expect(dependent).to_be_hidden()
    page.locator(f"#q{visa}-0").check()
    _fill_fixed(page)
    page.get_by_label("Passport number").fill("X1234567")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("h1")).to_have_text("You are registered")
    with app.app_context():
        assert sorted(a.value for a in db.session.scalars(select(Answer))) == ["X1234567", "yes"]


def test_without_javascript_every_question_shows_with_its_condition(
    app, live_server, browser, create_event
):
    event = create_event()
    visa, passport = visa_questions(app, event)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/events/{event.slug}")
    dependent = page.locator(f"#q{passport}-field")
    expect(dependent).to_be_visible()
    expect(dependent.locator(".condition")).to_have_text(
        "Answer this question only if your answer to “Do you need a visa letter?” is “Yes”.")
    _fill_fixed(page)
    page.locator(f"#q{visa}-0").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator(f"#q{passport}-error")).to_have_text("Please answer this question.")
    expect(page.locator(".error-summary a", has_text="Passport number")).to_have_attribute(
        "href", f"#q{passport}")
    context.close()


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_axe_finds_nothing_on_the_form_with_questions_and_errors(
    app, live_server, page, create_event, language
):
    event = create_event()
    visa_questions(app, event)
    workshop(app, event, places=1)
    page.goto(f"{live_server.url}/events/{event.slug}?lang={language}")
    assert accessibility_violations(page) == []
    page.locator("form.rsvp button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert accessibility_violations(page) == []
