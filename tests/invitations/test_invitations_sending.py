"""Invitations through the outbox and the mail worker to the real SMTP server of the suite:
bulk sending, the links in each message, accepting into a registration, reminders,
unsubscribing, revoking, invite-only refusal."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.invitations.importing import parse_rows, read_rows
from mmm_events.models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    OutboxMessage,
    OutboxStatus,
    Registration,
    Role,
    User,
)
from mmm_events.web import event_dates
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, rsvp_form

HEADER = "email,name,organisation,language,note\n"
LINK = re.compile(r"https?://" + re.escape(REGISTRATION_SERVER_NAME) + r"(/invitations/\S+)")


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def import_people(app, event, rows: str, now) -> int:
    with app.app_context():
        target = db.session.get(Event, event.id)
        report = services.build_import_report(target, "list.csv", (HEADER + rows).encode())
        saved = services.save_import(target, report, now=now)
        db.session.commit()
        return saved


def send_all(app, event, now, **kwargs):
    with app.app_context():
        result = services.send_invitations(db.session.get(Event, event.id), now=now, **kwargs)
        db.session.commit()
        return result


def remind(app, event, now, days):
    with app.app_context():
        result = services.send_reminders(
            db.session.get(Event, event.id), now=now, interval=timedelta(days=days)
        )
        db.session.commit()
        return result.queued


def tokens_by_email(app, event):
    with app.app_context():
        return {
            row.email: (row.token, row.unsubscribe_token)
            for row in db.session.execute(
                select(Invitation.email, Invitation.token, Invitation.unsubscribe_token).where(
                    Invitation.event_id == event.id
                )
            )
        }


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def links_of(message) -> list[str]:
    return LINK.findall(text_of(message))


def registration_form(event, **overrides):
    return rsvp_form(
        event,
        **{
            "full_name": "Amina Diallo",
            "email": "person0@example.org",
            "organisation": "Org 0",
            "country": "Senegal",
            "needs": "",
            **overrides,
        },
    )


def test_bulk_send_of_a_thousand_arrives_once_each_with_its_own_links(
    app, client, create_event, smtp_server, now
):
    event = create_event(title="#Mothers4Peace", capacity=5)
    rows = "".join(
        f"person{n}@example.org,Person {n},Org {n},{'fr' if n % 2 else 'en'},\n"
        for n in range(1000)
    )
    assert import_people(app, event, rows, now) == 1000
    assert send_all(app, event, now) == services.SendResult(queued=1000, skipped=0)
    # Sending again sends nobody twice.
    assert send_all(app, event, now) == services.SendResult(queued=0, skipped=0)
    reports = drain_outbox(app)
    assert sum(r.sent for r in reports) == 1000
    assert sum(r.failed + r.retrying for r in reports) == 0

    recipients = Counter(to for _, tos in smtp_server.envelopes for to in tos)
    assert len(recipients) == 1000
    assert set(recipients.values()) == {1}
    with app.app_context(), app.test_request_context():
        dates = {}
        for language in ("en", "fr"):
            with force_locale(language):
                dates[language] = event_dates(db.session.get(Event, event.id))
    assert dates["en"] != dates["fr"]
    tokens = tokens_by_email(app, event)
    assert len({t for pair in tokens.values() for t in pair}) == 2000
    # Every message arrived (above); the content of a sample of a hundred, in both languages.
    for message in smtp_server.messages:
        recipient = message["To"].addresses[0].addr_spec
        number = int(recipient.removeprefix("person").split("@")[0])
        if number % 20 not in (0, 5):
            continue
        token, unsubscribe_token = tokens[recipient]
        text = text_of(message)
        assert links_of(message) == [
            f"/invitations/{token}/accept",
            f"/invitations/{token}/decline",
            f"/invitations/unsubscribe/{unsubscribe_token}",
        ]
        assert message["List-Unsubscribe"] == (
            f"<http://{REGISTRATION_SERVER_NAME}/invitations/unsubscribe/{unsubscribe_token}"
            "/one-click>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        if number % 2:
            assert message["Subject"] == "Invitation\u00a0: #Mothers4Peace"
            assert text.startswith(f"Bonjour Person {number},")
            assert (
                "à participer à l'événement «\u00a0#Mothers4Peace\u00a0» pour y représenter "
                f"l'organisation Org {number}."
            ) in text
        else:
            assert message["Subject"] == "Invitation: #Mothers4Peace"
            assert text.startswith(f"Dear Person {number},")
            assert f"as a representative of Org {number}, to take part in #Mothers4Peace." in text
        assert dates["fr" if number % 2 else "en"] in text
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f'href="http://{REGISTRATION_SERVER_NAME}/invitations/{token}/accept"' in html
        calendars = [
            p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"
        ]
        assert len(calendars) == 1
        assert b"SUMMARY;LANGUAGE=en:#Mothers4Peace" in calendars[0].get_content().encode()

    # Follow the links of a few messages: each leads to its own invitation.
    for message in smtp_server.messages[:5]:
        address = message["To"].addresses[0].addr_spec
        accept, decline, unsubscribe = links_of(message)
        token = accept.split("/")[2]
        response = client.get(accept)
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert (location.path, location.query) == (f"/events/{event.slug}", f"invitation={token}")
        form = client.get(f"{location.path}?{location.query}")
        assert f'value="{address}"' in form.get_data(as_text=True)
        assert "Decline the invitation" in client.get(decline).get_data(as_text=True)
        assert address in client.get(unsubscribe).get_data(as_text=True)
    with app.app_context():
        assert services.funnel(db.session.get(Event, event.id))["opened"] == 5
        assert services.outbox_progress(db.session.get(Event, event.id)) == {
            "queued": 0,
            "sent": 1000,
            "failed": 0,
        }


def test_accepting_leads_to_a_linked_registration(app, client, create_event, smtp_server, now):
    event = create_event(invite_only=True, capacity=1)
    import_people(app, event, "person0@example.org,Person 0,Org 0,en,\nb@example.org,B,,en,\n", now)
    send_all(app, event, now)
    drain_outbox(app)
    message = next(m for m in smtp_server.messages if m["To"] == "Person 0 <person0@example.org>")
    accept = links_of(message)[0]
    token = accept.split("/")[2]
    target = client.get(accept).headers["Location"]
    page = client.get(target).get_data(as_text=True)
    assert 'value="Person 0"' in page
    response = client.post(f"/events/{event.slug}", data=registration_form(event, invitation=token))
    assert response.status_code == 303
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        invitation = db.session.scalar(select(Invitation).where(Invitation.token == token))
        assert registration.invitation_id == invitation.id
        assert invitation.status is InvitationStatus.ACCEPTED
        counts = services.funnel(db.session.get(Event, event.id))
        assert (counts["invited"], counts["opened"], counts["accepted"]) == (2, 1, 1)
    # The second invitee joins the waiting list, like anyone: capacity applies.
    other = next(m for m in smtp_server.messages if m["To"] == "B <b@example.org>")
    other_token = links_of(other)[0].split("/")[2]
    client.post(
        f"/events/{event.slug}",
        data=registration_form(event, invitation=other_token, email="b@example.org"),
    )
    with app.app_context():
        statuses = sorted(r.status.value for r in db.session.scalars(select(Registration)))
        assert statuses == ["confirmed", "waiting"]
        # Accepting won only a place on the waiting list: the funnel and the list say so.
        target = db.session.get(Event, event.id)
        counts = services.funnel(target)
        assert (counts["accepted"], counts["waiting"]) == (1, 1)
        waiting = services.invitees(target, state="waiting")
        assert [(i.invitation.email, i.state) for i in waiting] == [("b@example.org", "waiting")]
        accepted = services.invitees(target, state="accepted")
        assert [(i.invitation.email, i.state) for i in accepted] == [
            ("person0@example.org", "accepted")
        ]


def test_invite_only_refuses_without_a_valid_invitation(app, client, create_event, now):
    event = create_event(invite_only=True, contact_email="invites@example.org")
    import_people(app, event, "r@example.org,R,,en,\n", now)
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        services.revoke(invitation)
        db.session.commit()
        revoked = invitation.token
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "This event is by invitation only." in page
    assert 'href="mailto:invites@example.org"' in page
    assert 'name="full_name"' not in page
    response = client.post(f"/events/{event.slug}", data=registration_form(event))
    assert response.status_code == 403
    response = client.post(
        f"/events/{event.slug}",
        data=registration_form(event, invitation=revoked, email="r@example.org"),
    )
    assert response.status_code == 403
    refused = client.get(f"/events/{event.slug}?invitation={revoked}").get_data(as_text=True)
    assert "The invitation link you used is not valid any more" in refused
    assert client.get(f"/invitations/{revoked}/accept").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_reminders_at_most_once_per_interval(app, create_event, smtp_server, now):
    event = create_event()
    import_people(
        app, event, "a@example.org,A,,en,\nb@example.org,B,,en,\nc@example.org,C,,en,\n", now
    )
    send_all(app, event, now)
    with app.app_context():
        answered = db.session.scalar(select(Invitation).where(Invitation.email == "c@example.org"))
        services.decline(answered, message="", now=now)
        db.session.commit()
    assert remind(app, event, now + timedelta(days=3), days=7) == 0
    assert remind(app, event, now + timedelta(days=7), days=7) == 2
    assert remind(app, event, now + timedelta(days=7, hours=1), days=7) == 0
    assert remind(app, event, now + timedelta(days=13), days=7) == 0
    assert remind(app, event, now + timedelta(days=14), days=7) == 2
    # A shorter interval chosen later still counts from the last email.
    assert remind(app, event, now + timedelta(days=15), days=2) == 0
    drain_outbox(app)
    subjects = Counter((m["To"], m["Subject"]) for m in smtp_server.messages)
    assert subjects == {
        ("A <a@example.org>", "Invitation: Event 1"): 1,
        ("B <b@example.org>", "Invitation: Event 1"): 1,
        ("C <c@example.org>", "Invitation: Event 1"): 1,
        ("A <a@example.org>", "Reminder: Invitation: Event 1"): 2,
        ("B <b@example.org>", "Reminder: Invitation: Event 1"): 2,
    }
    reminder = next(m for m in smtp_server.messages if m["Subject"].startswith("Reminder"))
    assert "We have not yet had your answer" in text_of(reminder)
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_is_honoured_everywhere(app, client, create_event, smtp_server, now):
    event, later_event = create_event(), create_event()
    import_people(app, event, "gone@example.org,Gone,,en,\nstay@example.org,Stay,,en,\n", now)
    import_people(app, later_event, "GONE@example.org,Gone,,en,\n", now)
    send_all(app, event, now)
    drain_outbox(app)
    (message,) = [m for m in smtp_server.messages if m["To"] == "Gone <gone@example.org>"]
    one_click = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    # What a mail provider sends for RFC 8058 one-click: a POST without any cookie or token.
    assert client.post(one_click, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    # No reminder, no invitation to the other event, no re-import.
    assert remind(app, event, now + timedelta(days=30), days=7) == 1
    assert send_all(app, later_event, now) == services.SendResult(queued=0, skipped=0)
    with app.app_context():
        report = services.build_import_report(
            db.session.get(Event, create_event().id),
            "again.csv",
            (HEADER + "Gone@Example.org,Gone,,en,\n").encode(),
        )
        assert ([r.email for r in report.suppressed], report.accepted) == (
            ["Gone@example.org"],
            [],
        )
        chosen = db.session.scalar(
            select(Invitation.id).where(Invitation.event_id == later_event.id)
        )
    assert send_all(app, later_event, now, ids=[chosen]) == services.SendResult(0, 1)
    smtp_server.messages.clear()
    drain_outbox(app)
    assert [m["To"] for m in smtp_server.messages] == ["Stay <stay@example.org>"]


def test_failed_delivery_shows_in_the_funnel(make_mail_app, create_event, smtp_server, now):
    app = make_mail_app(MAIL_MAX_ATTEMPTS=1)
    event = create_event()
    import_people(app, event, "x@example.org,X,,en,\n", now)
    send_all(app, event, now)
    smtp_server.refuse.add("x@example.org")
    assert drain_outbox(app)[0].failed == 1
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.status)) is OutboxStatus.FAILED
        target = db.session.get(Event, event.id)
        assert db.session.scalar(select(Invitation.status)) is InvitationStatus.FAILED
        counts = services.funnel(target)
        assert (counts["invited"], counts["failed"]) == (0, 1)
        # A failed invitation can be chosen and sent again.
        chosen = db.session.scalar(select(Invitation.id))
        assert services.send_invitations(target, now=now, ids=[chosen]).queued == 1


def test_organiser_sends_watches_progress_and_tests_the_wording(
    app, client, create_event, smtp_server, now
):
    event = create_event()
    with app.app_context():
        user = User(email="olga@example.org", name="Olga", role=Role.ADMIN)
        user.set_password("a long enough password")
        db.session.add(user)
        db.session.commit()
    client.post(
        "/sign-in", data={"email": "olga@example.org", "password": "a long enough password"}
    )
    base = f"/organiser/events/{event.id}/invitations"
    response = client.post(
        base + "/import",
        data={"file": (io.BytesIO((HEADER + "p@example.org,P,,fr,\n").encode()), "l.csv")},
        content_type="multipart/form-data",
    )
    upload = re.search(r'action="([^"]+/import/[^"]+)"', response.get_data(as_text=True)).group(1)
    client.post(upload)
    # The event is written in English only and the invitee reads French: asked first.
    asked = client.post(base + "/send", data={"scope": "all"})
    assert asked.status_code == 200
    assert 'id="untranslated"' in asked.get_data(as_text=True)
    response = client.post(base + "/send", data={"scope": "all", "confirmed": "1"})
    assert response.headers["Location"] == base + "/progress"
    page = client.get(base + "/progress").get_data(as_text=True)
    # Never reloaded automatically: a button, and a script that updates the counts in place.
    assert "http-equiv" not in page
    assert 'data-progress data-pending="1"' in page
    assert 'data-count="queued">1<' in page
    assert "0 of 1 email handled: 0 sent, 0 failed." in page
    assert f'<a class="button secondary" href="{base}/progress">Update the counts</a>' in page
    drain_outbox(app)
    page = client.get(base + "/progress").get_data(as_text=True)
    assert 'data-count="sent">1<' in page
    assert 'data-progress data-pending="0"' in page
    # Just invited: no reminder yet, whatever the interval.
    page = client.post(base + "/remind", data={"interval_days": "1"}, follow_redirects=True)
    assert "0 reminders queued." in page.get_data(as_text=True)
    page = client.post(base + "/remind", data={"interval_days": "0"}, follow_redirects=True)
    assert "Please give a number of days between 1 and 60." in page.get_data(as_text=True)
    page = client.post(base + "/send", data={"scope": "selected"}, follow_redirects=True)
    assert "Please tick the invitees to send the invitation to." in page.get_data(as_text=True)
    client.post(
        base + "/message",
        data={"subject": "Hello {name}", "message": "Come!", "language": "fr", "action": "test"},
    )
    drain_outbox(app)
    test_message = smtp_server.messages[-1]
    assert test_message["To"] == "olga@example.org"
    assert test_message["Subject"] == "[Test] Hello Olga"
    assert "Come!" in text_of(test_message)
    with app.app_context():
        assert db.session.get(Event, event.id).invitation_subject == ""
        # The test's links belong to no invitation.
        token = links_of(test_message)[0].split("/")[2]
        assert db.session.scalar(select(Invitation).where(Invitation.token == token)) is None


def test_import_parsing_alone_needs_no_database():
    report = parse_rows(read_rows("l.csv", (HEADER + "a@example.org,A,,en,\n").encode()))
    assert [(r.email, r.language) for r in report.accepted] == [("a@example.org", Language.EN)]
