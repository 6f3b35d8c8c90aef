"""A person's data, from the inventory: every table is classified, the export holds all of it,
and an erasure (by the person or by an administrator) leaves nothing of them behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from mmm_events.addresses import suppression_key
from mmm_events.documents.issued import issue
from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import (
    Consent,
    Erasure,
    Event,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    Role,
    User,
    utcnow,
)
from mmm_events.privacy import people
from mmm_events.privacy.inventory import TABLES, Kind, Retention, is_text
from tests.conftest import drain_outbox, sign_in
from tests.questions.helpers import add as add_question
from tests.questions.helpers import texts as question_texts

EMAIL = "Amina.Diallo@Example.org"
NAME = "Amina Diallo"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def rsvp(client, event, **fields):
    data = {
        "full_name": NAME, "email": EMAIL, "organisation": "UNESCO", "country": "Senegal",
        "language": "fr", "consent": "y", "days": [d.isoformat() for d in event.days],
        "needs": "Wheelchair access", "needs_consent": "y",
    }
    data.update(fields)
    response = client.post(f"/events/{event.slug}", data=data)
    assert response.status_code == 303, response.text
    return response


def token_of(app, email, event):
    with app.app_context():
        return db.session.scalar(select(Registration.token).where(
            Registration.email_normalised == email.casefold(), Registration.event_id == event.id
        ))


def check_in_token_of(app, email, event):
    with app.app_context():
        return db.session.scalar(select(Registration.check_in_token).where(
            Registration.email_normalised == email.casefold(), Registration.event_id == event.id
        ))


@pytest.fixture
def footprint(app, client, create_event, create_user, now):
    """Amina, everywhere the service can hold her: invited to and registered for a full event
    (with her needs), checked in there (with her certificate), registered for another with a
    visa letter asked for, emailed, unsubscribed, an organiser account, audit entries; Bob
    waits for her seat."""
    full = create_event(title="Full", capacity=1)
    other = create_event(title="Other", visa_letters=True)
    role = add_question(app, other, kind="text", texts=question_texts("Your role"))
    admin = create_user(admin=True, email="boss@example.org")
    with app.app_context():
        invitation = invitations.add_invitee(
            db.session.get(Event, full.id), email=EMAIL, name=NAME, note="Met in Dakar",
            now=now,
        )
        invitations.send_invitations(db.session.get(Event, full.id), now=now)
        db.session.commit()
        invitation_token = invitation.token
    rsvp(client, full, invitation=invitation_token)
    rsvp(client, full, full_name="Bob Martin", email="bob@example.org", needs="")
    rsvp(client, other, **{f"q{role}": "Delegate"})
    asked = client.post(f"/documents/visa-letter/{token_of(app, EMAIL, other)}", data={
        "passport_name": NAME.upper(), "nationality": "SN", "birth_date": "1980-02-03",
        "passport_number": "A01234567", "passport_expires_on": "2035-01-01",
    })
    assert asked.status_code == 303
    drain_outbox(app)
    with app.app_context():
        invitations.unsubscribe(EMAIL, reason="unsubscribe link")
        db.session.commit()
    account = create_user(email="amina.diallo@example.org", name=NAME)
    # Her account's traces: a failed sign-in, a usual address, a reset link.
    sign_in(client, account, password="not her password")
    sign_in(client, account)
    client.post("/sign-out")
    client.post("/forgot-password", data={"email": EMAIL})
    sign_in(client, admin)
    check_in = f"/organiser/check-in/{check_in_token_of(app, EMAIL, full)}"
    assert client.post(check_in).status_code == 302
    with app.app_context():
        # Her certificate of attendance.
        registration = db.session.scalar(select(Registration).where(
            Registration.event_id == full.id, Registration.email_normalised == EMAIL.casefold()))
        issue(registration, "certificate", language="en", now=now)
        db.session.commit()
    assert client.post("/organiser/privacy/people/export", data={"email": EMAIL}).status_code == 200
    client.post("/sign-out")
    return {"full": full, "other": other, "admin": admin, "invitation_token": invitation_token}


def test_every_text_column_of_every_table_is_classified(app):
    for table in db.metadata.sorted_tables:
        assert table.name in TABLES, f"table {table.name} is not in privacy/inventory.py"
        listed = TABLES[table.name].columns
        for column in table.columns:
            if is_text(column):
                assert column.name in listed, (
                    f"{table.name}.{column.name} holds text: say in privacy/inventory.py "
                    "whether it is personal data"
                )
        assert set(listed) <= set(table.columns.keys()), table.name


def test_every_table_with_personal_data_is_found_exported_and_erased(app):
    for name, use in TABLES.items():
        # Only an upload waiting for its confirmation (one day at most) holds personal data
        # that cannot be told apart by person.
        if use.personal_columns() and use.retention is not Retention.UPLOAD:
            assert use.about_people, name
    with app.app_context():
        # Each table has its rule for "this person's rows" (the export fails otherwise).
        data = people.export(people.find_person("x@example.org"), now=utcnow())
    assert set(data["tables"]) == set(people.person_tables())


def test_export_holds_every_table_and_column_but_no_secret(app, footprint):
    with app.app_context():
        data = people.export(people.find_person(EMAIL), now=footprint["full"].starts_at)
    tables = data["tables"]
    assert set(tables) == set(people.person_tables())
    # Every table about people holds something of hers, except erasures (none yet).
    assert [name for name, rows in tables.items() if not rows] == ["erasure"]
    for name, rows in tables.items():
        expected = {
            c.name for c in db.metadata.tables[name].columns
            if TABLES[name].columns.get(c.name) is None
            or TABLES[name].columns[c.name].kind is not Kind.SECRET
        }
        for row in rows:
            assert set(row) == expected, name
    assert {r["event_id"] for r in tables["registration"]} == {
        footprint["full"].id, footprint["other"].id
    }
    assert tables["invitation"][0]["note"] == "Met in Dakar"
    assert tables["registration"][0]["needs"] == "Wheelchair access"
    assert (tables["visa_letter"][0]["passport_number"], tables["visa_letter"][0]["birth_date"]) \
        == ("A01234567", "1980-02-03")
    sent = [m for m in tables["outbox_message"] if m["status"] == "sent"]
    assert sorted(m["kind"] for m in sent) == [
        "invitation", "registration_confirmation", "registration_confirmation"
    ]
    assert all(NAME in m["text_body"] for m in sent)
    # Link secrets are left out of the rows (the emails she received still show her links).
    assert "token" not in tables["registration"][0]
    assert "unsubscribe_token" not in tables["invitation"][0]
    assert "password_hash" not in tables["user"][0]
    json.dumps(data)  # the whole file is JSON


def texts_containing(needles: list[str]) -> list[tuple[str, str, object]]:
    """Every text value, in every column of every table, that contains one of ``needles``
    (case-insensitive): JSON columns as their serialised text, which covers the outbox's
    attachments and headers."""
    found = []
    lowered = [n.casefold() for n in needles]
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if is_text(c)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value)
                if any(n in text.casefold() for n in lowered):
                    found.append((table.name, column.name, value))
    return found


def test_admin_erasure_leaves_nothing_and_keeps_counts(app, client, footprint, smtp_server):
    with app.app_context():
        assert texts_containing([EMAIL, NAME])  # the search finds her before
    client = app.test_client()
    sign_in(client, footprint["admin"])
    page = client.get("/organiser/privacy/people", query_string={"email": EMAIL})
    assert "<th scope=\"row\">registration</th><td>2</td>" in page.text
    refused = client.post("/organiser/privacy/people/erase", data={"email": EMAIL})
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Erasure.id))) == 0
    response = client.post("/organiser/privacy/people/erase",
                           data={"email": EMAIL, "confirm": "y"})
    assert response.status_code == 303
    drain_outbox(app)
    with app.app_context():
        assert texts_containing([EMAIL, NAME]) == []
        assert texts_containing(["Met in Dakar", "Wheelchair access", "A01234567"]) == []
        # Anonymous rows stay, so that counts stay right; Bob has her seat.
        statuses = db.session.execute(
            select(Registration.full_name, Registration.status)
            .where(Registration.event_id == footprint["full"].id).order_by(Registration.id)
        ).all()
        assert statuses == [("", RegistrationStatus.CANCELLED),
                            ("Bob Martin", RegistrationStatus.CONFIRMED)]
        assert db.session.get(Event, footprint["full"].id).seats_taken == 1
        assert db.session.scalar(select(func.count(Erasure.id))) == 3
        account = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
        assert (account.name, account.is_active) == ("", False)
        # Unsubscribed, she is still never invited again.
        with pytest.raises(invitations.AddressSuppressed):
            invitations.add_invitee(db.session.get(Event, footprint["other"].id), email=EMAIL,
                                    name=NAME, now=footprint["full"].starts_at)
        # The proofs of consent (hers and Bob's) stay: they hold no personal data.
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 3
    # Bob was told; she was not sent the cancellation of a registration she erased.
    recipients = [m["To"] for m in smtp_server.messages]
    assert recipients.count("Bob Martin <bob@example.org>") == 2
    assert sum(EMAIL.casefold() in r.casefold() for r in recipients) == 3


def test_self_service_download_and_delete_from_the_manage_link(app, client, footprint):
    token = token_of(app, EMAIL, footprint["full"])
    manage = client.get(f"/events/manage/{token}")
    assert f'href="/privacy/registration/{token}/my-data.json"' in manage.text
    assert f'href="/privacy/registration/{token}/delete"' in manage.text
    download = client.get(f"/privacy/registration/{token}/my-data.json")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Cache-Control"] == "no-store"
    data = download.get_json()
    # That event only: her registration, her invitation, the emails sent to her about it.
    assert [r["event_id"] for r in data["tables"]["registration"]] == [footprint["full"].id]
    assert len(data["tables"]["invitation"]) == 1
    assert {m["kind"] for m in data["tables"]["outbox_message"]} == {
        "invitation", "registration_confirmation"
    }
    assert data["tables"]["user"] == []
    assert client.get(f"/privacy/registration/{token}/delete").status_code == 200
    assert client.post(f"/privacy/registration/{token}/delete").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Erasure.id))) == 0
    response = client.post(f"/privacy/registration/{token}/delete", data={"confirm": "y"})
    assert response.headers["Location"] == "/privacy/deleted"
    with app.app_context():
        bob = select(Registration.status).where(Registration.full_name == "Bob Martin")
        assert db.session.scalar(bob) is RegistrationStatus.CONFIRMED
        # The promotion email waits for Bob; nothing waits for her.
        queued = db.session.scalars(
            select(OutboxMessage.recipient).where(
                OutboxMessage.status == OutboxStatus.QUEUED,
                OutboxMessage.event_id == footprint["full"].id,
            )
        ).all()
        assert queued == ["bob@example.org"]
        # Her other event is not touched.
        assert db.session.scalar(select(func.count(Registration.id)).where(
            Registration.event_id == footprint["other"].id, Registration.full_name == NAME
        )) == 1
    for url in (f"/events/manage/{token}", f"/events/manage/{token}/edit",
                f"/privacy/registration/{token}/my-data.json",
                f"/invitations/{footprint['invitation_token']}/decline"):
        gone = client.get(url)
        assert gone.status_code == 410, url
        assert "The personal data behind this link was deleted on request." in gone.text


def test_invitee_deletes_from_the_decline_page(app, client, create_event, now):
    event = create_event()
    with app.app_context():
        invitation = invitations.add_invitee(
            db.session.get(Event, event.id), email="zoe@example.org", name="Zoé Kane", now=now
        )
        invitations.send_invitations(db.session.get(Event, event.id), now=now)
        db.session.commit()
        token, unsubscribe = invitation.token, invitation.unsubscribe_token
    decline = client.get(f"/invitations/{token}/decline")
    assert f'href="/privacy/invitation/{token}/delete"' in decline.text
    page = client.get(f"/invitations/unsubscribe/{unsubscribe}")
    assert f'href="/privacy/invitation/{unsubscribe}/my-data.json"' in page.text
    data = client.get(f"/privacy/invitation/{unsubscribe}/my-data.json").get_json()
    assert data["tables"]["invitation"][0]["name"] == "Zoé Kane"
    client.post(f"/privacy/invitation/{token}/delete", data={"confirm": "y"})
    with app.app_context():
        erased = db.session.get(Invitation, invitation.id)
        assert (erased.name, erased.email, erased.status) == ("", "", InvitationStatus.REVOKED)
        assert texts_containing(["zoe@example.org", "Zoé Kane"]) == []
    assert client.get(f"/invitations/unsubscribe/{unsubscribe}").status_code == 410


def test_unknown_tokens_are_404(client):
    for url in ("/privacy/registration/nope/my-data.json", "/privacy/invitation/nope/delete",
                f"/privacy/registration/{'x' * 300}/delete"):
        assert client.get(url).status_code == 404, url


def test_suppression_key_is_keyed_and_normalised(app, make_app):
    with app.app_context():
        key = suppression_key(" Amina@EXAMPLE.org ")
        assert key == suppression_key("amina@example.org")
        assert len(key) == 64 and "amina" not in key
    with make_app(SECRET_KEY="another secret").app_context():
        assert suppression_key("amina@example.org") != key


def test_erasing_twice_changes_nothing_more(app, create_event, create_registration, now):
    event = create_event()
    registration = create_registration(event, email="twice@example.org")
    with app.app_context():
        people.erase(people.find_person("twice@example.org"), reason="admin", now=now)
        db.session.commit()
        db.session.execute(update(Registration).values(country="kept"))
        report = people.erase(people.find_person("twice@example.org"), reason="admin", now=now)
        db.session.commit()
        assert report.erased == {}
        assert db.session.get(Registration, registration.id).country == "kept"
