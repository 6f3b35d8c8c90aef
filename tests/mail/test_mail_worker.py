"""The mail worker's pipeline: bulk invitations rendered by the worker, not the request;
renderers it does not know; giving up; organiser messages; the message built from a row."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.models import Event, Invitation, OutboxMessage, OutboxStatus, Role, User
from tests.conftest import drain_outbox, sign_in

HEADER = "email,name,organisation,language,note\n"
PASSWORD = "a long enough password"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def import_people(app, event_id: int, count: int, now, start: int = 0) -> None:
    rows = "".join(
        f"p{n}@example.org,Person {n},Org {n},{'fr' if n % 2 else 'en'},\n"
        for n in range(start, start + count)
    )
    with app.app_context():
        target = db.session.get(Event, event_id)
        report = services.build_import_report(target, "l.csv", (HEADER + rows).encode())
        services.save_import(target, report, now=now)
        db.session.commit()


def send_all(app, event_id: int, now) -> services.SendResult:
    with app.app_context():
        result = services.send_invitations(db.session.get(Event, event_id), now=now)
        db.session.commit()
        return result


def sign_in_admin(app, client) -> None:
    with app.app_context():
        user = User(email="olga@example.org", name="Olga", role=Role.ADMIN)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client.post("/sign-in", data={"email": "olga@example.org", "password": PASSWORD})


def statements_of_send(app, client, event_id: int) -> int:
    """How many SQL statements the organiser's "send to all" request runs."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(
            f"/organiser/events/{event_id}/invitations/send",
            data={"scope": "all", "confirmed": "1"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 302
    return len(seen)


def test_bulk_send_request_queues_rows_without_rendering_in_a_few_statements(
    app, client, create_event, now
):
    small, large = create_event(), create_event()
    import_people(app, small.id, 10, now)
    import_people(app, large.id, 1000, now, start=10)
    sign_in_admin(app, client)
    few = statements_of_send(app, client, small.id)
    many = statements_of_send(app, client, large.id)
    # A hundred times the invitees: two more INSERTs of 500 rows and one more UPDATE of 900
    # ids, nothing per invitee.
    assert many - few <= 3
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.event_id == large.id)
                .order_by(OutboxMessage.id)
            )
        )
        assert len(rows) == 1000
        assert {(r.status, r.subject, r.text_body, r.attempts) for r in rows} == {
            (OutboxStatus.QUEUED, "", "", 0)
        }
        assert {r.render["renderer"] for r in rows} == {"invitation"}
        assert len({r.message_id for r in rows}) == 1000
        invited = db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.event_id == large.id, Invitation.invited_at.is_not(None))
        )
        assert invited == 1000
        assert services.outbox_progress(db.session.get(Event, large.id)) == {
            "queued": 1000,
            "sent": 0,
            "failed": 0,
        }


def test_progress_counts_move_batch_by_batch_and_every_email_arrives_once(
    make_mail_app, create_event, smtp_server, now
):
    app = make_mail_app(MAIL_BATCH_SIZE=40)
    created = create_event(title="#Mothers4Peace")
    import_people(app, created.id, 100, now)
    assert send_all(app, created.id, now) == services.SendResult(queued=100, skipped=0)
    with app.app_context():
        from mmm_events.mail.worker import deliver_due

        progress = []
        while (report := deliver_due()).claimed:
            db.session.remove()
            progress.append(services.outbox_progress(db.session.get(Event, created.id)))
            assert report.sent == report.claimed
        db.session.remove()
    assert progress == [
        {"queued": 60, "sent": 40, "failed": 0},
        {"queued": 20, "sent": 80, "failed": 0},
        {"queued": 0, "sent": 100, "failed": 0},
    ]
    recipients = Counter(to for _, tos in smtp_server.envelopes for to in tos)
    assert recipients == Counter({f"p{n}@example.org": 1 for n in range(100)})
    with app.app_context():
        rows = {r.recipient: r for r in db.session.scalars(select(OutboxMessage))}
        tokens = dict(db.session.execute(select(Invitation.email, Invitation.token)).all())
        # The outbox keeps what was sent, for the organiser's outbox page.
        for message in smtp_server.messages:
            [to] = message["To"].addresses
            row = rows[to.addr_spec]
            assert to.display_name == row.recipient_name
            assert (row.status, row.render["renderer"]) == (OutboxStatus.SENT, "invitation")
            french = int(to.addr_spec.removeprefix("p").split("@")[0]) % 2
            expected = "Invitation: #Mothers4Peace"
            if french:
                expected = "Invitation\u00a0: #Mothers4Peace"
            assert row.subject == message["Subject"] == expected
            assert message["Message-ID"] == row.message_id
            assert f"/invitations/{tokens[to.addr_spec]}/accept" in row.text_body
            plain = message.get_body(preferencelist=("plain",)).get_content()
            assert plain.replace("\r\n", "\n") == row.text_body
            assert row.headers["List-Unsubscribe"] == message["List-Unsubscribe"]


def test_smtp_down_then_up_renders_and_sends_each_invitation_once(
    app, create_event, smtp_server, now
):
    created = create_event()
    import_people(app, created.id, 5, now)
    send_all(app, created.id, now)
    smtp_server.stop()
    [report] = drain_outbox(app)
    assert (report.claimed, report.sent, report.retrying, report.failed) == (5, 0, 5, 0)
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage)))
        assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.QUEUED, 1)}
        retry_at = rows[0].next_attempt_at
    smtp_server.start()
    reports = drain_outbox(app, now=retry_at + timedelta(seconds=1))
    assert reports[0].sent == 5
    assert drain_outbox(app, now=retry_at + timedelta(days=1))[0].claimed == 0
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == [
        f"p{n}@example.org" for n in range(5)
    ]
    assert {m["Subject"] for m in smtp_server.messages} == {
        "Invitation: Event 1",
        "Invitation\u00a0: Event 1",
    }


def test_the_wording_is_the_one_of_the_moment_of_sending(app, create_event, smtp_server, now):
    created = create_event()
    with app.app_context():
        target = db.session.get(Event, created.id)
        target.invitation_subject = "Come, {name}"
        db.session.commit()
    import_people(app, created.id, 1, now)
    send_all(app, created.id, now)
    with app.app_context():
        db.session.get(Event, created.id).invitation_subject = "Changed afterwards"
        db.session.commit()
    drain_outbox(app)
    assert [m["Subject"] for m in smtp_server.messages] == ["Come, Person 0"]


def test_an_email_whose_invitation_is_gone_fails_at_once_and_the_others_go(
    app, create_event, smtp_server, now
):
    created = create_event()
    import_people(app, created.id, 3, now)
    send_all(app, created.id, now)
    with app.app_context():
        db.session.execute(delete(Invitation).where(Invitation.email == "p1@example.org"))
        db.session.commit()
    [report, *_] = drain_outbox(app)
    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == [
        "p0@example.org",
        "p2@example.org",
    ]
    with app.app_context():
        failed = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        assert failed.recipient == "p1@example.org"
        assert failed.last_error == "RenderError: the invitation of this email no longer exists"


def test_a_row_whose_renderer_this_worker_lacks_waits_and_goes_once_one_knows_it(
    app, create_event, smtp_server, monkeypatch, now
):
    """A rolling deploy: a row queued by a newer release, taken by an older worker."""
    from mmm_events.mail.renderers import RENDERERS

    created = create_event()
    import_people(app, created.id, 2, now)
    send_all(app, created.id, now)
    invitation_renderer = RENDERERS["invitation"]
    monkeypatch.delitem(RENDERERS, "invitation")
    [report] = drain_outbox(app)
    assert (report.claimed, report.sent, report.retrying, report.failed) == (2, 0, 2, 0)
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage)))
        assert {(r.status, r.attempts, r.claimed_until) for r in rows} == {
            (OutboxStatus.QUEUED, 0, None)
        }
        assert {r.last_error for r in rows} == {"no renderer 'invitation' in this worker; waiting"}
        due = max(r.next_attempt_at for r in rows)
    # However many times an old worker meets it, the row is never failed.
    for later in range(1, 20):
        drain_outbox(app, now=due + timedelta(days=later))
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.QUEUED}
    assert smtp_server.messages == []
    monkeypatch.setitem(RENDERERS, "invitation", invitation_renderer)
    assert sum(r.sent for r in drain_outbox(app, now=due + timedelta(days=30))) == 2
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == [
        "p0@example.org",
        "p1@example.org",
    ]
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def test_when_the_worker_gives_up_on_an_invitation_the_invitation_says_it_failed(
    app, create_event, smtp_server, now
):
    from mmm_events.models import InvitationStatus

    created = create_event()
    import_people(app, created.id, 3, now)
    send_all(app, created.id, now)
    smtp_server.refuse.add("p1@example.org")
    [report, *_] = drain_outbox(app)
    assert (report.sent, report.failed) == (2, 1)
    with app.app_context():
        statuses = dict(db.session.execute(select(Invitation.email, Invitation.status)).all())
        assert statuses == {
            "p0@example.org": InvitationStatus.INVITED,
            "p1@example.org": InvitationStatus.FAILED,
            "p2@example.org": InvitationStatus.INVITED,
        }
        assert services.outbox_progress(db.session.get(Event, created.id)) == {
            "queued": 0,
            "sent": 2,
            "failed": 1,
        }


def test_an_organiser_message_is_written_by_the_worker_in_each_registrants_language(
    app, create_event, create_registration, smtp_server
):
    from mmm_events.models import RegistrationStatus
    from mmm_events.registrations.messages import queue_message

    created = create_event(title="Mothers4Peace", contact_email="casablanca@example.org")
    create_registration(created, full_name="Fatima", email="fatima@example.org")
    create_registration(created, full_name="Élodie", email="elodie@example.org", language="fr")
    with app.app_context():
        queued = queue_message(
            db.session.get(Event, created.id),
            kind="message:bus",
            subject="Bus",
            body="A bus leaves at 8:00.",
            statuses=[RegistrationStatus.CONFIRMED],
        )
        db.session.commit()
        assert queued == 2
        # Nothing written in the request but what the outbox page shows meanwhile.
        assert set(db.session.execute(select(OutboxMessage.subject, OutboxMessage.text_body))) == {
            ("Bus", "")
        }
    drain_outbox(app)
    texts = {
        m["To"].addresses[0].addr_spec: m.get_body(preferencelist=("plain",))
        .get_content()
        .replace("\r\n", "\n")
        for m in smtp_server.messages
    }
    assert texts["fatima@example.org"].startswith("Dear Fatima,\n\nA bus leaves at 8:00.\n")
    assert texts["elodie@example.org"].startswith("Bonjour Élodie,\n\nA bus leaves at 8:00.\n")
    htmls = {
        m["To"].addresses[0].addr_spec: m.get_body(preferencelist=("html",)).get_content()
        for m in smtp_server.messages
    }
    assert '<html lang="fr">' in htmls["elodie@example.org"]
    assert '<html lang="en">' in htmls["fatima@example.org"]


def test_the_outbox_page_writes_nothing_when_shown(app, client, create_user, now):
    from mmm_events.mail.outbox import new_message_id

    with app.app_context():
        db.session.add(
            OutboxMessage(
                message_id=new_message_id(),
                kind="test",
                sender="events@example.org",
                recipient="gone@example.org",
                subject="Hello",
                text_body="Hi",
                status=OutboxStatus.FAILED,
                last_error="SMTPRecipientsRefused",
            )
        )
        db.session.commit()
        engine = db.engine
    sign_in(client, create_user(admin=True))
    written: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA")):
            written.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        for status in ("failed", "queued", "sent", "sending"):
            page = client.get(f"/organiser/outbox/?status={status}")
            assert page.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert written == []
    assert "gone@example.org" in client.get("/organiser/outbox/?status=failed").text


def test_a_row_that_cannot_be_written_fails_alone(app, smtp_server):
    from mmm_events.mail.outbox import new_message_id

    with app.app_context():
        for n, subject in enumerate(["Fine", "Hello\r\nBcc: everyone@example.org", "Also fine"]):
            db.session.add(
                OutboxMessage(
                    message_id=new_message_id(),
                    kind="test",
                    sender="events@example.org",
                    recipient=f"p{n}@example.org",
                    subject=subject,
                    text_body="Hi",
                )
            )
        db.session.commit()
    [report, *_] = drain_outbox(app)
    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)
    assert [m["Subject"] for m in smtp_server.messages] == ["Fine", "Also fine"]
    with app.app_context():
        failed = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        assert (failed.recipient, failed.attempts) == ("p1@example.org", 1)
        assert failed.last_error.startswith("BadHeaderError: ")


def test_the_outbox_pages_through_its_tab_newest_first(app, client, create_user):
    from mmm_events.mail.outbox import new_message_id

    with app.app_context():
        for n in range(51):
            db.session.add(
                OutboxMessage(
                    message_id=new_message_id(),
                    kind="test",
                    sender="events@example.org",
                    recipient=f"p{n}@example.org",
                    subject="Hello",
                    text_body="Hi",
                    status=OutboxStatus.FAILED,
                )
            )
        db.session.commit()
    sign_in(client, create_user(admin=True))
    first = client.get("/organiser/outbox/?status=failed").text
    assert "p50@example.org" in first and "p1@example.org" in first
    assert "p0@example.org" not in first
    assert "Page 1 of 2" in first
    assert 'rel="next" href="/organiser/outbox/?page=2&amp;status=failed"' in first
    assert 'rel="prev"' not in first
    second = client.get("/organiser/outbox/?status=failed&page=2").text
    assert "p0@example.org" in second and "p1@example.org" not in second
    assert 'rel="prev" href="/organiser/outbox/?page=1&amp;status=failed"' in second
    assert 'rel="next"' not in second
