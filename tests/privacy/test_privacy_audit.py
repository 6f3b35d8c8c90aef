"""The audit log: each organiser action on personal data in bulk, or on access, leaves one
entry (who, when, what, which event); administrators read, filter and export it; nothing in
the application can change it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mmm_events import audit
from mmm_events.addresses import suppression_key
from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import AuditEntry, Event, User
from tests.conftest import ORGANISER_PASSWORD, sign_in

# Downloads commit their audit entries on connections of their own (audit.record_at_once).
pytestmark = pytest.mark.real_commits

def entries(app):
    with app.app_context():
        return [
            (e.actor_id, e.action, e.event_id, e.detail)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


@pytest.fixture
def setting(app, client, create_event, create_user, create_registration, now):
    event = create_event()
    admin = create_user(admin=True)
    registration = create_registration(event, email="amina@example.org")
    with app.app_context():
        invitations.add_invitee(db.session.get(Event, event.id), email="zoe@example.org",
                                name="Zoé", now=now)
        db.session.commit()
    sign_in(client, admin)
    return {"event": event, "admin": admin, "registration": registration}


def test_each_audited_action_leaves_one_entry(app, client, setting, create_user):
    event, admin = setting["event"], setting["admin"]
    base = f"/organiser/events/{event.id}"
    other = create_user(email="sara@example.org")
    steps = [
        (lambda: client.get(f"{base}/registrants.csv"),
         (audit.REGISTRANTS_EXPORTED, event.id, {"format": "csv"})),
        (lambda: client.get(f"{base}/registrants.xlsx"),
         (audit.REGISTRANTS_EXPORTED, event.id, {"format": "xlsx"})),
        (lambda: client.get(f"{base}/invitations.csv"),
         (audit.INVITEES_EXPORTED, event.id, {"format": "csv"})),
        (lambda: client.post(f"{base}/messages", data={"statuses": ["confirmed"],
                                                       "subject": "Bus", "body": "At 8."}),
         (audit.REGISTRANTS_MESSAGED, event.id, {"queued": 1})),
        (lambda: client.post(f"{base}/invitations/send", data={"scope": "all"}),
         (audit.INVITATIONS_SENT, event.id, {"queued": 1})),
        (lambda: client.post(f"{base}/invitations/remind", data={"interval_days": "1"}),
         (audit.REMINDERS_SENT, event.id, {"queued": 0})),
        (lambda: client.post(f"/organiser/check-in/{setting['registration'].check_in_token}"),
         (audit.REGISTRANT_CHECKED_IN, event.id, {"registration": setting["registration"].id})),
        (lambda: client.post(f"{base}/organisers", data={"organisers": [other.id]}),
         (audit.ORGANISERS_ASSIGNED, event.id, {"users": [other.id]})),
        (lambda: client.post("/organiser/users/", data={
            "email": "new@example.org", "name": "New", "password": ORGANISER_PASSWORD}),
         (audit.ACCOUNT_CREATED, None, {"admin": False})),
        (lambda: client.post(f"/organiser/users/{other.id}/reset-link"),
         (audit.RESET_LINK_SENT, None, {"user": other.id})),
        (lambda: client.post(f"/organiser/users/{other.id}/active", data={"active": "0"}),
         (audit.ACCOUNT_SWITCHED, None, {"active": False})),
        (lambda: client.post("/organiser/password", data={
            "current_password": ORGANISER_PASSWORD, "password": "another long password",
            "confirm": "another long password"}),
         (audit.PASSWORD_SET, None, {"user": admin.id})),
        (lambda: client.post("/organiser/privacy/notice", data={"body_en": "Hello."}),
         (audit.NOTICE_PUBLISHED, None, {"version": 1})),
        (lambda: client.post("/organiser/privacy/people/export",
                             data={"email": "amina@example.org"}),
         (audit.PERSON_EXPORTED, None, {})),
        (lambda: client.post("/organiser/privacy/people/erase",
                             data={"email": "amina@example.org", "confirm": "y"}),
         (audit.PERSON_ERASED, None, {"cancelled": 1, "registration": 1})),
        (lambda: client.get("/organiser/privacy/audit.csv"),
         (audit.AUDIT_EXPORTED, None, {"subject": "no"})),
    ]
    for number, (act, expected) in enumerate(steps, start=1):
        response = act()
        assert response.status_code in {200, 302, 303}, (expected, response.status_code)
        response.close()
        logged = entries(app)
        assert len(logged) == number, expected
        assert logged[-1] == (admin.id, *expected)


def test_actions_about_a_person_keep_only_a_keyed_hash(app, client, setting):
    client.post("/organiser/privacy/people/export", data={"email": "Amina@Example.org"})
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        assert entry.subject_key == suppression_key("amina@example.org")
    page = client.get("/organiser/privacy/audit", query_string={"subject": "amina@example.org"})
    assert "A person&#39;s data exported" in page.text or "A person's data exported" in page.text
    assert "amina@example.org</td>" not in page.text


def test_command_line_account_changes_are_audited(app, runner):
    result = runner.invoke(args=["users", "create", "cli@example.org", "--admin"],
                           input=f"{ORGANISER_PASSWORD}\n{ORGANISER_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    runner.invoke(args=["users", "set-password", "cli@example.org"],
                  input=f"{ORGANISER_PASSWORD}x\n{ORGANISER_PASSWORD}x\n")
    with app.app_context():
        user_id = db.session.scalar(select(User.id))
    assert entries(app) == [
        (None, audit.ACCOUNT_CREATED, None, {"admin": True, "via": "cli"}),
        (None, audit.PASSWORD_SET, None, {"user": user_id, "via": "cli"}),
    ]


def test_log_is_filtered_paginated_and_exported(app, client, setting, create_event):
    event, admin = setting["event"], setting["admin"]
    other = create_event(title="Elsewhere")
    with app.app_context():
        for n in range(60):
            audit.record(audit.REGISTRANTS_EXPORTED, event_id=event.id if n % 2 else other.id,
                         detail={"n": n}, actor=db.session.get(User, admin.id))
        db.session.commit()
    page = client.get("/organiser/privacy/audit").text
    assert page.count("<tr>") == 1 + 50
    older = re.search(r'href="(/organiser/privacy/audit\?before=\d+)"', page).group(1)
    assert client.get(older).text.count("<tr>") == 1 + 10
    mine = client.get("/organiser/privacy/audit", query_string={"event": event.id}).text
    assert mine.count("<tr>") == 1 + 30
    assert "n: 59" in mine and "n: 58" not in mine
    nobody = client.get("/organiser/privacy/audit", query_string={"actor": admin.id + 99}).text
    assert "No entries." in nobody
    csv = client.get("/organiser/privacy/audit.csv", query_string={"event": other.id})
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Number,When (UTC),Who,Action,Event,Person (keyed hash),Detail"
    # The export is itself in the log, first.
    assert len(lines) == 1 + 1 + 30
    assert lines[1].endswith(
        f',{admin.email},audit.exported,{other.id},,"event={other.id}, subject=no"'
    )
    assert lines[2].endswith(f",{admin.email},registrants.exported,{other.id},,n=58")


def test_no_route_edits_or_deletes_entries(app):
    rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert {r.endpoint for r in rules} == {"organiser.audit_log", "organiser.audit_export"}
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    for rule in app.url_map.iter_rules():
        assert "audit" not in rule.endpoint or rule.endpoint in {
            "organiser.audit_log", "organiser.audit_export"
        }


def test_organisers_cannot_read_the_log(client, create_user):
    sign_in(client, create_user())
    for url in ("/organiser/privacy/audit", "/organiser/privacy/audit.csv",
                "/organiser/privacy/people"):
        assert client.get(url).status_code == 403
    assert client.get("/organiser/privacy/record").status_code == 200


