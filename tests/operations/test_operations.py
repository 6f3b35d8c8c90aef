"""What an operator sees: metrics, request ids in the logs, readiness, backups."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from mmm_events.extensions import db
from mmm_events.mail.worker import DeliveryReport
from mmm_events.models import OutboxMessage, Registration, utcnow
from mmm_events.operations import count_registration, worker_beat
from mmm_events.operations.heartbeat import (
    MailWorkerHeartbeat,
    process_totals,
    worker_name,
    write_heartbeat,
)
from tests.conftest import drain_outbox, rsvp_form
from tests.registrations.test_registration_mail import rsvp


def sample(client, name: str, **labels: str) -> float:
    """One value from /metrics (0 when the series does not exist yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in response.get_data(as_text=True).splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        found = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
        if metric == name and found == wanted:
            return float(value)
    return 0.0


def test_requests_are_counted_by_endpoint_and_status(client):
    ok = {"endpoint": "public.home", "method": "GET", "status": "200"}
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    before_ok = sample(client, "mmm_http_requests_total", **ok)
    before_missing = sample(client, "mmm_http_requests_total", **missing)
    before_latency = sample(
        client, "mmm_http_request_duration_seconds_count", endpoint="public.home"
    )
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert client.get("/no-such-page-anywhere").status_code == 404
    assert sample(client, "mmm_http_requests_total", **ok) == before_ok + 3
    assert sample(client, "mmm_http_requests_total", **missing) == before_missing + 1
    assert (
        sample(client, "mmm_http_request_duration_seconds_count", endpoint="public.home")
        == before_latency + 3
    )


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_operator_pages_are_refused_to_the_public(make_app, path):
    client = make_app().test_client()
    visitor = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(path, environ_base=visitor).status_code == 403
    assert client.get(path).status_code == 200  # from this machine


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_behind_a_proxy_operator_pages_believe_the_connection_too(make_app, path):
    """With PROXY_COUNT=1, X-Forwarded-For names the visitor; but the connection's own
    address decides too: a client that reaches the server directly and claims to be this
    machine is refused, and so is a visitor the proxy forwards."""
    client = make_app(PROXY_COUNT=1).test_client()
    claims_loopback = {"X-Forwarded-For": "127.0.0.1"}
    direct = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(path, headers=claims_loopback, environ_base=direct).status_code == 403
    assert client.get(path, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get(path, headers=claims_loopback).status_code == 200
    assert client.get(path).status_code == 200
    # gunicorn names no address for a connection on its Unix socket.
    assert client.get(path, environ_base={"REMOTE_ADDR": ""}).status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_with_a_token_operator_pages_need_it_from_everywhere(make_app, path):
    client = make_app(METRICS_TOKEN="scrape-me").test_client()
    assert client.get(path).status_code == 403
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
    response = client.get(
        path,
        headers={"Authorization": "Bearer scrape-me"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 200


def test_registration_outcomes_are_counted(client):
    before = sample(client, "mmm_registrations_total", outcome="waiting")
    count_registration("waiting")
    count_registration("waiting")
    assert sample(client, "mmm_registrations_total", outcome="waiting") == before + 2


def test_the_rsvp_counts_each_outcome(client, create_event):
    event = create_event(capacity=1)
    outcomes = ("confirmed", "waiting", "duplicate")
    before = {o: sample(client, "mmm_registrations_total", outcome=o) for o in outcomes}
    rsvp(client, event, email="first@example.org")
    rsvp(client, event, email="second@example.org")
    again = client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, email="second@example.org"),
    )
    assert again.status_code == 200  # the page saying so, not a second registration
    after = {o: sample(client, "mmm_registrations_total", outcome=o) for o in outcomes}
    assert {o: after[o] - before[o] for o in outcomes} == {
        "confirmed": 1, "waiting": 1, "duplicate": 1
    }


def test_outbox_depth_and_oldest_email(app, client, smtp_server, create_event):
    event = create_event()
    rsvp(client, event, email="a@example.org")
    rsvp(client, event, email="b@example.org")
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient == "a@example.org")
            .values(created_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
    assert sample(client, "mmm_outbox_messages", status="queued") == 2
    assert sample(client, "mmm_outbox_messages", status="sent") == 0
    age = sample(client, "mmm_outbox_oldest_queued_age_seconds")
    assert 7200 <= age < 7200 + 600
    drain_outbox(app)
    assert sample(client, "mmm_outbox_messages", status="queued") == 0
    assert sample(client, "mmm_outbox_messages", status="sent") == 2
    assert sample(client, "mmm_outbox_oldest_queued_age_seconds") == 0


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def test_worker_heartbeats_count_sends_and_show_in_metrics_and_readiness(app, client):
    assert client.get("/readyz").get_json()["mail_worker_seen_recently"] is False
    # The totals are the process's since it started: earlier tests may have added to them.
    sent, retried, failed = process_totals()
    with app.app_context():
        worker_beat(DeliveryReport(claimed=4, sent=3, retrying=0, failed=1))
        worker_beat(DeliveryReport(claimed=2, sent=2, retrying=1, failed=0))
        name = worker_name()
        stored = db.session.get(MailWorkerHeartbeat, name)
        assert (stored.sent, stored.retried, stored.failed) == (sent + 5, retried + 1, failed + 1)
    assert sample(client, "mmm_mail_worker_sent_total", worker=name) == sent + 5
    assert sample(client, "mmm_mail_worker_failed_total", worker=name) == failed + 1
    assert sample(client, "mmm_mail_worker_retried_total", worker=name) == retried + 1
    assert client.get("/readyz").get_json()["mail_worker_seen_recently"] is True


def test_a_worker_unseen_for_long_is_not_recent_and_old_rows_are_forgotten(app, client):
    with app.app_context():
        write_heartbeat("gone:1:1", 1, 0, 0)
        db.session.execute(
            update(MailWorkerHeartbeat).values(last_seen_at=utcnow() - timedelta(days=2))
        )
        db.session.commit()
    assert client.get("/readyz").get_json()["mail_worker_seen_recently"] is False
    with app.app_context():
        write_heartbeat("new:2:2", 0, 0, 0)
        assert list(db.session.scalars(select(MailWorkerHeartbeat.worker))) == ["new:2:2"]


@pytest.fixture
def set_revision(app):
    """Pretend the database is at another revision; put the real one back afterwards (the
    PostgreSQL schema is shared by the tests of a run)."""

    def write(revision: str) -> None:
        with app.app_context():
            db.session.execute(
                text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
            )
            db.session.commit()

    with app.app_context():
        real = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
    yield write
    write(real)


def test_ready_when_migrations_are_current(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert (body["ready"], body["database"], body["migrations"]) == (True, "ok", "current")
    assert body["database_revision"] in body["code_revisions"]


def test_not_ready_when_the_database_is_behind_the_code(set_revision, client):
    set_revision("0004_mail_rendering")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"


def test_ready_when_a_newer_release_migrated_first(set_revision, client):
    # A rolling release: the database is migrated before this server is replaced.
    set_revision("9999_from_the_next_release")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "ahead"


def json_lines(text_output: str) -> list[dict]:
    return [json.loads(line) for line in text_output.splitlines() if line.startswith("{")]


def test_request_id_from_the_proxy_follows_the_email_into_the_worker_log(
    make_mail_app, create_event, capsys
):
    app = make_mail_app(PROXY_COUNT=1, LOG_FORMAT="json")
    client = app.test_client()
    event = create_event()
    request_id = "0123456789abcdef0123456789abcdef"
    response = client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event),
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 303
    assert response.headers["X-Request-ID"] == request_id
    drain_outbox(app)
    lines = json_lines(capsys.readouterr().err)
    web = [line for line in lines if line["logger"] == "mmm_events.requests"]
    assert [(line["method"], line["status"], line["request_id"]) for line in web] == [
        ("POST", 303, request_id)
    ]
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        row = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
        )
    mail = [line for line in lines if line["logger"] == "mmm_events.mail"]
    assert [(m["outbox_id"], m["outcome"], m["request_id"]) for m in mail] == [
        (row.id, "sent", request_id)
    ]


def test_without_a_trusted_proxy_the_request_id_is_our_own(make_app, capsys):
    client = make_app(LOG_FORMAT="text").test_client()
    response = client.get("/", headers={"X-Request-ID": "forged-by-a-visitor"})
    own = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", own)
    lines = [line for line in capsys.readouterr().err.splitlines() if "mmm_events.requests" in line]
    assert len(lines) == 1
    assert "GET / 200" in lines[0]
    assert f"request_id={own}" in lines[0]


def test_backup_copies_the_sqlite_database_consistently(app, runner, create_event, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
        assert result.exit_code == 1
        assert "pg_dump" in result.output
        return
    create_event(slug="kept-in-the-copy")
    # A writer holds a transaction open meanwhile: the copy has only what was committed.
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(database)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE event SET slug = 'not-committed'")
    destination = tmp_path / "backups" / "copy.sqlite3"
    result = runner.invoke(args=["backup", str(destination)])
    writer.rollback()
    writer.close()
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(destination)
    assert copy.execute("SELECT slug FROM event").fetchall() == [("kept-in-the-copy",)]
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()
    again = runner.invoke(args=["backup", str(destination)])
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_static_files_are_linked_with_the_hash_of_their_content(app, client):
    page = client.get("/").get_data(as_text=True)
    css = (Path(app.static_folder) / "css" / "site.css").read_bytes()
    version = hashlib.sha256(css).hexdigest()[:12]
    assert f'href="/static/css/site.css?v={version}"' in page
    response = client.get(f"/static/css/site.css?v={version}")
    assert response.status_code == 200
    response.close()
