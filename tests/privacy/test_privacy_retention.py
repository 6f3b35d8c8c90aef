"""`flask privacy purge`: events past their retention period are anonymised, old email bodies
and abandoned uploads deleted; a dry run changes nothing; running again does nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import (
    Erasure,
    Event,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    PendingCover,
    PendingImport,
    Registration,
    RegistrationStatus,
)
from mmm_events.privacy.retention import add_months

from .test_privacy_people import texts_containing


def outbox_row(app, *, event, recipient, status, age_days, now, registration=None):
    with app.app_context():
        row = OutboxMessage(
            message_id=f"<{event.id}-{age_days}-{status.value}@example.org>",
            kind="registration_confirmation",
            sender="events@example.org",
            recipient=recipient,
            subject="Your place",
            text_body=f"Dear {recipient}, manage: https://x/events/manage/secret",
            html_body="<p>manage</p>",
            attachments=[{"filename": "a.ics", "content_type": "text/calendar", "data": "QQ=="}],
            status=status,
            created_at=now - timedelta(days=age_days),
            sent_at=now - timedelta(days=age_days) if status is OutboxStatus.SENT else None,
            event_id=event.id,
            registration_id=registration.id if registration else None,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.fixture
def old_and_new(app, create_event, create_registration, create_user, now):
    ended = now - timedelta(days=7 * 31)
    old = create_event(starts_at=ended - timedelta(days=1), ends_at=ended, title="Old")
    new = create_event(title="New")
    gone = create_registration(old, email="gone@example.org", full_name="Gone Person",
                               needs="Vegetarian", checked_in_at=ended)
    create_registration(old, email="waited@example.org", status=RegistrationStatus.WAITING)
    stays = create_registration(new, email="stays@example.org", full_name="Stays Here")
    # New addresses asked for on a manage page: one whose link ran out, one still waiting.
    for name, expires in (("never", now - timedelta(minutes=1)),
                          ("soon", now + timedelta(hours=23))):
        create_registration(new, new_email=f"{name}@example.org", new_email_token=name * 9,
                            new_email_expires_at=expires)
    with app.app_context():
        invitation = invitations.add_invitee(
            db.session.get(Event, old.id), email="invited@example.org", name="Invited Person",
            now=now,
        )
        db.session.commit()
        invitation_token = invitation.token
    rows = {
        "old_event": outbox_row(app, event=old, recipient="gone@example.org",
                                status=OutboxStatus.SENT, age_days=200, now=now,
                                registration=gone),
        "old_body": outbox_row(app, event=new, recipient="stays@example.org",
                               status=OutboxStatus.SENT, age_days=40, now=now,
                               registration=stays),
        "recent": outbox_row(app, event=new, recipient="stays@example.org",
                             status=OutboxStatus.SENT, age_days=10, now=now),
        "queued": outbox_row(app, event=new, recipient="stays@example.org",
                             status=OutboxStatus.QUEUED, age_days=40, now=now),
    }
    uploader = create_user(events=(new,))
    with app.app_context():
        for name, expires in (("stale", now - timedelta(minutes=1)),
                              ("fresh", now + timedelta(hours=23))):
            db.session.add(PendingImport(
                id=name * 5, event_id=new.id, user_id=uploader.id, filename=f"{name}.csv",
                data=b"email\nx@example.org\n", expires_at=expires,
            ))
            db.session.add(PendingCover(token=name, user_id=uploader.id, width=480,
                                        height=270, data=b"jpeg", expires_at=expires))
        db.session.commit()
    return {"old": old, "new": new, "gone": gone, "stays": stays, "rows": rows,
            "invitation_token": invitation_token}


def uploads_left(app):
    with app.app_context():
        return (list(db.session.scalars(select(PendingImport.id).order_by(PendingImport.id)))
                + list(db.session.scalars(select(PendingCover.token)
                                          .order_by(PendingCover.token))))


def state(app):
    with app.app_context():
        return (
            db.session.execute(select(Registration.full_name, Registration.email,
                                      Registration.needs).order_by(Registration.id)).all(),
            db.session.execute(select(Invitation.name, Invitation.email)).all(),
            db.session.execute(select(OutboxMessage.id, OutboxMessage.recipient,
                                      OutboxMessage.text_body, OutboxMessage.status)
                               .order_by(OutboxMessage.id)).all(),
        )


def test_dry_run_prints_and_changes_nothing(app, old_and_new):
    before = state(app)
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    ended = old_and_new["old"].ends_at.strftime("%Y-%m-%d")
    assert result.output.splitlines() == [
        f"event {old_and_new['old'].slug} (ended {ended}): would anonymise 2 registrations "
        "and 1 invitations",
        "outbox: would delete the bodies of 2 finished emails",
        "uploads: would remove 1 abandoned invitee lists",
        "covers: would remove 1 cover images kept for an event form never sent again",
        "addresses: would forget 1 new addresses never confirmed",
        "sensitive answers: would delete 0",
        "passport details: would delete those of 0 visa letters",
    ]
    assert state(app) == before
    assert uploads_left(app) == ["freshfreshfreshfreshfresh", "stalestalestalestalestale",
                                 "fresh", "stale"]


def test_purge_anonymises_old_events_then_does_nothing_more(app, client, old_and_new):
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith("anonymised 2 registrations and 1 invitations")
    rows = old_and_new["rows"]
    with app.app_context():
        assert texts_containing(["gone@example.org", "Gone Person", "Vegetarian",
                                 "invited@example.org", "Invited Person"]) == []
        old = db.session.execute(
            select(Registration.status, Registration.checked_in_at.is_not(None))
            .where(Registration.event_id == old_and_new["old"].id).order_by(Registration.id)
        ).all()
        # Anonymous counts stay: who came, who waited.
        assert old == [(RegistrationStatus.CONFIRMED, True), (RegistrationStatus.WAITING, False)]
        assert set(db.session.scalars(select(Erasure.reason))) == {"retention"}
        kept = db.session.get(Registration, old_and_new["stays"].id)
        assert (kept.full_name, kept.email) == ("Stays Here", "stays@example.org")
        message = {m.id: m for m in db.session.scalars(select(OutboxMessage))}
        assert (message[rows["old_event"]].recipient, message[rows["old_event"]].status) == (
            "", OutboxStatus.SENT)
        body_gone = message[rows["old_body"]]
        assert (body_gone.text_body, body_gone.html_body, body_gone.attachments,
                body_gone.recipient, body_gone.status) == (
            "", "", [], "stays@example.org", OutboxStatus.SENT)
        assert message[rows["recent"]].text_body.startswith("Dear stays@example.org")
        assert message[rows["queued"]].text_body.startswith("Dear stays@example.org")
    assert uploads_left(app) == ["freshfreshfreshfreshfresh", "fresh"]
    with app.app_context():
        assert db.session.scalars(
            select(Registration.new_email).where(Registration.new_email_token.is_not(None))
        ).all() == ["soon@example.org"]
        assert texts_containing(["never@example.org"]) == []

    again = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert again.output.splitlines() == [
        "outbox: deleted the bodies of 0 finished emails",
        "uploads: removed 0 abandoned invitee lists",
        "covers: removed 0 cover images kept for an event form never sent again",
        "addresses: forgot 0 new addresses never confirmed",
        "sensitive answers: deleted 0",
        "passport details: deleted those of 0 visa letters",
    ]

    for url in (f"/events/manage/{old_and_new['gone'].token}",
                f"/invitations/{old_and_new['invitation_token']}/decline"):
        page = client.get(url)
        assert page.status_code == 410, url
        assert "we have deleted the personal data" in page.text
        assert "token" not in page.text
    assert client.get(f"/events/manage/{old_and_new['stays'].token}").status_code == 200


def test_retention_follows_the_configuration(make_app, create_event, now):
    app = make_app(PRIVACY_RETENTION_MONTHS=12)
    ended = now - timedelta(days=7 * 31)
    create_event(starts_at=ended - timedelta(days=1), ends_at=ended)
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--dry-run"])
    assert not result.output.startswith("event ")


def test_add_months_keeps_the_day_or_takes_the_last():
    assert add_months(datetime(2026, 1, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9,
                                                                            tzinfo=UTC)
    assert add_months(datetime(2026, 8, 15, tzinfo=UTC), 6) == datetime(2027, 2, 15, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 15, tzinfo=UTC), -6) == datetime(2025, 9, 15, tzinfo=UTC)


def test_readme_record_of_processing_is_the_generated_one(app):
    from mmm_events import PROJECT_ROOT
    from mmm_events.privacy.record import as_markdown, record_of_processing

    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("<!-- record-of-processing -->\n")[1].split("\n<!-- /record")[0]
    with app.test_request_context():
        assert section == as_markdown(record_of_processing())


def test_record_page_follows_the_settings(make_app, client, create_user, create_event):
    from tests.conftest import sign_in

    app = make_app(PRIVACY_RETENTION_MONTHS=3, PRIVACY_OUTBOX_BODY_DAYS=7)
    client = app.test_client()
    event = create_event(title="Mine")
    sign_in(client, create_user(events=(event,)))
    page = client.get("/organiser/privacy/record").text
    assert "Until 3 months after the event ends" in page
    assert "Texts of emails: 7 days after sending." in page
    assert "accessibility or dietary needs, only with their explicit consent" in page
    assert "Mine:" in page
