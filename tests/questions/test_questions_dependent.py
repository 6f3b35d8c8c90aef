"""A question asked only when another has a given answer: the server applies the rule,
whatever the browser showed."""

from __future__ import annotations

from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Answer, Registration
from tests.conftest import rsvp_form
from tests.questions.helpers import add, texts


def visa_questions(app, event) -> tuple[int, int]:
    visa = add(app, event, kind="yes_no", required=True,
               texts=texts("Do you need a visa letter?", "Avez-vous besoin d’une lettre pour "
                           "votre visa ?", "هل تحتاج إلى رسالة من أجل التأشيرة؟"))
    passport = add(app, event, kind="text", required=True, sensitive=True,
                   texts=texts("Passport number", "Numéro de passeport", "رقم جواز السفر"),
                   depends_on=visa, depends_on_value="yes")
    return visa, passport


def _answers(app):
    with app.app_context():
        return [(a.question_id, a.value) for a in db.session.scalars(select(Answer))]


def test_without_javascript_the_dependent_question_says_when_to_answer_it(
    app, client, create_event
):
    event = create_event()
    _visa, passport = visa_questions(app, event)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert (f'<div class="field question" id="q{passport}-field" data-depends-on="q{_visa}" '
            'data-depends-value="yes">') in page
    assert ("Answer this question only if your answer to “Do you need a visa letter?” is "
            "“Yes”.") in page
    french = client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert ("Ne répondez à cette question que si votre réponse à «\u00a0Avez-vous besoin "
            "d’une lettre pour votre visa ?\u00a0» est «\u00a0Oui\u00a0».") in french
    assert '<script src="/static/js/questions.js' in page


def test_the_dependent_question_is_required_only_when_its_condition_holds(
    app, client, create_event
):
    event = create_event()
    visa, passport = visa_questions(app, event)
    refused = client.post(f"/events/{event.slug}", data=rsvp_form(event, **{f"q{visa}": "yes"}))
    assert refused.status_code == 422
    assert f'<p class="error" id="q{passport}-error">Please answer this question.</p>' in (
        refused.get_data(as_text=True))
    # "No": not asked, and what was sent for it anyway is not kept.
    done = client.post(f"/events/{event.slug}", data=rsvp_form(
        event, **{f"q{visa}": "no", f"q{passport}": "X123"}))
    assert done.status_code == 303
    assert _answers(app) == [(visa, "no")]


def test_a_required_question_added_later_does_not_block_changing_other_details(
    app, client, create_event
):
    event = create_event()
    assert client.post(f"/events/{event.slug}", data=rsvp_form(event)).status_code == 303
    visa, _passport = visa_questions(app, event)
    with app.app_context():
        token = db.session.scalar(select(Registration.token))
    changed = client.post(f"/events/manage/{token}/edit", data=rsvp_form(
        event, full_name="Amina B."))
    assert changed.status_code == 303
    # Answered once, it is required from then on.
    client.post(f"/events/manage/{token}/edit", data=rsvp_form(event, **{f"q{visa}": "no"}))
    again = client.post(f"/events/manage/{token}/edit", data=rsvp_form(event))
    assert again.status_code == 422
    assert _answers(app) == [(visa, "no")]


def test_answers_cannot_be_changed_after_the_event_closes_them(app, client, create_event, now):
    event = create_event(answers_close_at=now)
    visa, _passport = visa_questions(app, event)
    client.post(f"/events/{event.slug}", data=rsvp_form(event, **{f"q{visa}": "no"}))
    with app.app_context():
        token = db.session.scalar(select(Registration.token))
    page = client.get(f"/events/manage/{token}/edit").get_data(as_text=True)
    assert f'name="q{visa}"' not in page
    assert client.post(f"/events/manage/{token}/edit", data=rsvp_form(
        event, full_name="Amina B.", **{f"q{visa}": "yes"})).status_code == 303
    assert _answers(app) == [(visa, "no")]
