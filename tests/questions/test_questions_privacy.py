"""Answers as personal data: in the person's export, purged when sensitive after the event,
anonymised by retention, listed in the record of processing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Answer, AuditEntry, Event
from mmm_events.privacy.people import export, find_person
from mmm_events.privacy.record import record_of_processing
from tests.conftest import rsvp_form
from tests.questions.helpers import add, texts

# Streams, threads, the CLI and the mail worker use connections of their own.
pytestmark = pytest.mark.real_commits


def _register_with_passport(app, client, event) -> tuple[int, int]:
    role = add(app, event, kind="text", texts=texts("Your role"))
    passport = add(app, event, kind="text", sensitive=True, texts=texts("Passport number"))
    assert client.post(f"/events/{event.slug}", data=rsvp_form(event, **{
        f"q{role}": "Delegate", f"q{passport}": "X1234567"})).status_code == 303
    return role, passport


def _answers(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(a.question_id, a.value)
                for a in db.session.scalars(select(Answer).order_by(Answer.id))]


def test_the_persons_export_holds_their_answers(app, client, create_event, now):
    event = create_event()
    _register_with_passport(app, client, event)
    with app.app_context():
        data = export(find_person("amina@example.org"), now=now)
    assert sorted(row["value"] for row in data["tables"]["answer"]) == ["Delegate", "X1234567"]


def test_sensitive_answers_go_the_set_number_of_days_after_the_event(
    app, client, create_event, now
):
    event = create_event(sensitive_answer_days=30)
    role, passport = _register_with_passport(app, client, event)
    with app.app_context():
        ends = db.session.get(Event, event.id).ends_at
    runner = app.test_cli_runner()
    with app.app_context():
        from mmm_events.questions.answers import purge_sensitive_answers

        assert purge_sensitive_answers(now=ends + timedelta(days=29)) == {}
        assert purge_sensitive_answers(now=ends + timedelta(days=30), dry_run=True) == {
            event.id: 1}
    assert len(_answers(app)) == 2
    with app.app_context():
        db.session.execute(
            Event.__table__.update().values(ends_at=now - timedelta(days=31),
                                            starts_at=now - timedelta(days=32)))
        db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert "sensitive answers: deleted 1" in result.output
    assert _answers(app) == [(role, "Delegate")]
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "answers.sensitive_purged"))
        assert entry.detail == {"answers": 1}


def test_the_record_of_processing_lists_the_answers(app):
    with app.app_context(), app.test_request_context():
        titles = [str(p.title) for p in record_of_processing()]
    assert "Answers to the event's questions" in titles


def test_the_confirmation_email_sums_up_the_answers_but_not_the_sensitive_ones(
    make_mail_app, create_event
):
    from mmm_events.models import OutboxMessage
    from tests.conftest import drain_outbox

    app = make_mail_app()
    client = app.test_client()
    event = create_event()
    _register_with_passport(app, client, event)
    drain_outbox(app)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert "Your role: Delegate" in message.text_body
        assert "X1234567" not in message.text_body + message.html_body


def test_the_registrant_detail_shows_sensitive_answers_only_when_asked_and_audited(
    app, client, create_event, create_user
):
    from mmm_events.models import Registration
    from tests.conftest import sign_in

    event = create_event()
    _register_with_passport(app, client, event)
    sign_in(client, create_user(events=(event,)))
    with app.app_context():
        registration_id = db.session.scalar(select(Registration.id))
    page = client.get(f"/organiser/registrations/{registration_id}").get_data(as_text=True)
    assert '<dt dir="auto">Your role</dt><dd dir="auto">Delegate</dd>' in page
    assert "X1234567" not in page
    shown = client.get(f"/organiser/registrations/{registration_id}?sensitive=1").get_data(
        as_text=True)
    assert "X1234567" in shown
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions.count("answers.sensitive_shown") == 1
