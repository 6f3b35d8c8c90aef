"""Bulk invitations rendered by the mail worker, not the request; batches committed at once;
the worker's own MIME writer against the standard library's."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.mail.mime import MessageWriter, build_message
from mmm_events.models import Event, Invitation, OutboxMessage, OutboxStatus, Role, User, utcnow
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox

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
            row = rows[message["To"]]
            assert (row.status, row.render["renderer"]) == (OutboxStatus.SENT, "invitation")
            french = int(message["To"].removeprefix("p").split("@")[0]) % 2
            expected = "Invitation: #Mothers4Peace"
            if french:
                expected = "Invitation\u00a0: #Mothers4Peace"
            assert row.subject == message["Subject"] == expected
            assert message["Message-ID"] == row.message_id
            assert f"/invitations/{tokens[message['To']]}/accept" in row.text_body
            plain = message.get_body(preferencelist=("plain",)).get_content()
            assert plain.replace("\r\n", "\n") == row.text_body + "\n"
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
    assert sorted(m["To"] for m in smtp_server.messages) == [f"p{n}@example.org" for n in range(5)]
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
    assert [m["To"] for m in smtp_server.messages] == ["p0@example.org", "p2@example.org"]
    with app.app_context():
        failed = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        assert failed.recipient == "p1@example.org"
        assert failed.last_error == "RenderError: the invitation of this email no longer exists"


def test_a_crashed_worker_resends_at_most_its_batch_and_nothing_is_lost(
    make_mail_app, create_event, smtp_server, database_url, tmp_path, now
):
    """A worker killed mid-batch has committed nothing for that batch: after the lease, its
    rows go again. Every email arrives; the repeats are at most one batch (per delivery
    thread)."""
    batch = 10
    app = make_mail_app(MAIL_BATCH_SIZE=batch)
    created = create_event()
    import_people(app, created.id, 25, now)
    send_all(app, created.id, now)
    smtp_server.delay = 0.05
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MMM_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "SERVER_NAME": REGISTRATION_SERVER_NAME,
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_BATCH_SIZE": str(batch),
    }
    flask = Path(sys.executable).with_name("flask")
    worker = subprocess.Popen(
        # One delivery thread: with more, each may have a batch in flight when killed.
        [str(flask), "--app", "mmm_events", "mail-worker", "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # Killed in its second batch: the first is committed, the second half-sent.
        while len(smtp_server.messages) < batch + 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(20)
    finally:
        if worker.poll() is None:
            worker.kill()
    # A message whose data reached the server before the kill is still being accepted.
    time.sleep(0.3)
    smtp_server.delay = 0
    received_before = len(smtp_server.messages)
    assert batch + 3 <= received_before < 2 * batch
    with app.app_context():
        statuses = Counter(db.session.scalars(select(OutboxMessage.status)))
        assert statuses == {
            OutboxStatus.SENT: batch,
            OutboxStatus.SENDING: batch,
            OutboxStatus.QUEUED: 5,
        }
        lease_end = db.session.scalar(select(func.max(OutboxMessage.claimed_until)))
    # Before the lease ends, only the rows nobody claimed go.
    assert sum(r.sent for r in drain_outbox(app)) == 5
    reports = drain_outbox(app, now=lease_end + timedelta(seconds=1))
    assert sum(r.sent for r in reports) == batch
    counts = Counter(m["To"] for m in smtp_server.messages)
    assert set(counts) == {f"p{n}@example.org" for n in range(25)}
    repeated = [to for to, n in counts.items() if n > 1]
    assert set(counts.values()) <= {1, 2}
    assert len(repeated) == received_before - batch
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}


def _normalised(data: bytes) -> bytes:
    data = re.sub(rb"===============\d+==", b"BOUNDARY", data)
    return re.sub(rb"Date: [^\r]*", b"Date: DATE", data)


def _row(**fields) -> OutboxMessage:
    values = {
        "id": 1,
        "message_id": "<1.2.3@example.org>",
        "kind": "test",
        "sender": "Make Mothers Matter <events@example.org>",
        "recipient": "a@example.org",
        "subject": "Invitation: #Mothers4Peace",
        "text_body": "Dear Amina,\n\nPlease come.\n",
        "html_body": "<p>Dear Amina,</p>\n<p>Please come.</p>",
        "attachments": [],
        "headers": {"List-Unsubscribe": "<http://events.example.org/u/x/one-click>"},
        "created_at": utcnow(),
    }
    values.update(fields)
    return OutboxMessage(**values)


CALENDAR = {
    "filename": "mothers4peace.ics",
    "content_type": "text/calendar; method=PUBLISH; charset=utf-8",
    "data": base64.b64encode(b"BEGIN:VCALENDAR\r\nSUMMARY:x\r\n" * 200).decode(),
}
PNG = {
    "filename": "check-in-code.png",
    "content_type": "image/png",
    "data": base64.b64encode(bytes(range(256)) * 20).decode(),
}


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"attachments": [CALENDAR]},
        {"attachments": [CALENDAR, PNG]},
        {"text_body": "Chère Amina,\r\n\r\nVenez à Casablanca.", "html_body": "<p>Chère</p>"},
        {"subject": "Invitation : été à Casablanca – « bienvenue »"},
        {"subject": "A long subject " * 80},
        {"sender": "events@example.org", "headers": {}},
        {"sender": '"Mothers, Matter" <events@example.org>'},
        {"text_body": "x" * 1200},
        {"html_body": ""},
        {"recipient": "Amina Benali <amina@example.org>"},
    ],
)
def test_the_worker_writes_messages_as_the_standard_library_does(fields):
    row = _row(**fields)
    writer = MessageWriter()
    expected = build_message(row).as_bytes()
    assert _normalised(writer.message_bytes(row)) == _normalised(expected)
    # Twice from the same writer (the shared parts are kept): the same again.
    assert _normalised(writer.message_bytes(row)) == _normalised(expected)


def test_a_line_break_in_a_header_is_refused_as_by_the_standard_library():
    row = _row(subject="Hello\r\nBcc: everyone@example.org")
    with pytest.raises(ValueError):
        build_message(row)
    with pytest.raises(ValueError):
        MessageWriter().message_bytes(row)
