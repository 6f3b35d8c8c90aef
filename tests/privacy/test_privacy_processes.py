"""The attacks of issue 19 (points 1 and 2) against a real gunicorn with two workers, the mail
worker and a real SMTP server: every link is read from an email that arrived, and followed on
the server as anyone holding the email would."""

from __future__ import annotations

import json
import urllib.request

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import (
    Event,
    Invitation,
    InvitationAdmits,
    InvitationStatus,
    Registration,
    RegistrationStatus,
)
from tests.conftest import drain_outbox, links_to, rsvp_form
from tests.processes import gunicorn  # noqa: F401 - the fixture, used by name

INVITEE = "zoe@example.org"
NEEDS = "Insulin kept cold, please"
NOTE = "Board member's sister"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def get(server, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=30) as response:
        return response.read().decode()


def invite(app, event, now) -> None:
    with app.app_context():
        invitations.add_invitee(db.session.get(Event, event.id), email=INVITEE, name="Zoé Kane",
                                note=NOTE, now=now)
        invitations.send_invitations(db.session.get(Event, event.id), now=now)
        db.session.commit()
    drain_outbox(app)


def test_a_forwarded_invitation_on_real_servers(
    app, gunicorn, create_event, smtp_server, now  # noqa: F811
):
    server = gunicorn(MMM_ENV="development")
    event = create_event(invite_only=True, invitation_admits=InvitationAdmits.ANYONE_ONCE)
    invite(app, event, now)
    token = links_to(smtp_server, INVITEE, "/invitations/")[0].split("/")[2]
    (unsubscribe,) = links_to(smtp_server, INVITEE, "/invitations/unsubscribe/")
    # The forwarded email's holder registers as herself, with her needs.
    form = rsvp_form(event, full_name="Eve Martin", email="eve@example.org", needs=NEEDS,
                     needs_consent="y", invitation=token)
    path = f"/events/{event.slug}?invitation={token}"
    assert server.post_form(path, form, "203.0.113.9")[0] == 303
    drain_outbox(app)
    (manage,) = links_to(smtp_server, "eve@example.org", "/events/manage/")
    for data_path in (f"/privacy/invitation/{token}/my-data.json",
                      f"/privacy/invitation/{unsubscribe.rsplit('/', 1)[1]}/my-data.json"):
        data = get(server, data_path)
        for secret in ("Eve Martin", "eve@example.org", NEEDS, manage.rsplit("/", 1)[1], NOTE):
            assert secret not in data, secret
        assert json.loads(data)["tables"]["invitation"][0]["name"] == "Zoé Kane"
    # The invitee's "delete my data" leaves the guest registered, and untold.
    delivered = len(smtp_server.messages)
    assert server.post_form(f"/privacy/invitation/{token}/delete", {"confirm": "y"},
                            "203.0.113.10")[0] == 303
    drain_outbox(app)
    assert len(smtp_server.messages) == delivered
    assert "Eve Martin" in get(server, manage)
    with app.app_context():
        guest = db.session.scalar(select(Registration))
        assert (guest.status, guest.needs) == (RegistrationStatus.CONFIRMED, NEEDS)


def test_taking_an_invitees_address_on_real_servers(
    app, gunicorn, create_event, smtp_server, now  # noqa: F811
):
    server = gunicorn(MMM_ENV="development")
    event = create_event()
    invite(app, event, now)
    form = rsvp_form(event, full_name="Eve Martin", email="eve@example.org")
    assert server.post_form(f"/events/{event.slug}", form, "203.0.113.9")[0] == 303
    drain_outbox(app)
    (manage,) = links_to(smtp_server, "eve@example.org", "/events/manage/")
    changed = rsvp_form(event, full_name="Eve Martin", email=INVITEE)
    del changed["consent"]
    assert server.post_form(f"{manage}/edit", changed, "203.0.113.9")[0] == 303
    token = manage.rsplit("/", 1)[1]
    data = json.loads(get(server, f"/privacy/registration/{token}/my-data.json"))
    assert data["tables"]["invitation"] == []
    assert data["tables"]["registration"][0]["email"] == "eve@example.org"
    assert NOTE not in json.dumps(data)
    assert server.post_form(f"/privacy/registration/{token}/delete", {"confirm": "y"},
                            "203.0.113.9")[0] == 303
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert (invitation.status, invitation.note) == (InvitationStatus.INVITED, NOTE)
