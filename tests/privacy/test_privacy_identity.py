"""A person's own data reaches only that person (issue 19, point 1): an invitation's links
reach the invitation, a manage link its registration, and nothing joins them by address.

The attack, end to end: the invitation goes out through the real mail worker to a real SMTP
server, is forwarded, and the guest registers with it; the links are read from the emails
that arrived.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import (
    Event,
    InvitationAdmits,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
)
from mmm_events.privacy import people
from tests.conftest import drain_outbox, rsvp_form

INVITEE = "zoe@example.org"
GUEST = "eve@example.org"
NEEDS = "Insulin kept cold, please"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def links_to(smtp_server, address: str) -> list[str]:
    """Every link in the emails delivered to ``address``, as paths, in the order received."""
    found = []
    for message in smtp_server.messages:
        if address in str(message["To"]):
            found += re.findall(r"https?://[^/\s]+(/\S+)", plain_text(message))
    return found


def link(smtp_server, address: str, start: str) -> str:
    return next(p for p in links_to(smtp_server, address) if p.startswith(start))


def invite(app, event, *, now, note="Outspoken; seat her away from the minister") -> None:
    with app.app_context():
        invitations.add_invitee(db.session.get(Event, event.id), email=INVITEE, name="Zoé Kane",
                                note=note, now=now)
        invitations.send_invitations(db.session.get(Event, event.id), now=now)
        db.session.commit()


@pytest.fixture
def forwarded(app, client, create_event, now, smtp_server):
    """Zoé's invitation to an event where it admits one person whatever the address; she
    forwards it, and Eve registers with it, writing her needs. Returns the links each holds."""
    event = create_event(invite_only=True, invitation_admits=InvitationAdmits.ANYONE_ONCE)
    invite(app, event, now=now)
    drain_outbox(app)
    accept = link(smtp_server, INVITEE, "/invitations/")
    token = accept.split("/")[2]
    unsubscribe = link(smtp_server, INVITEE, "/invitations/unsubscribe/")
    landing = client.get(accept)
    assert landing.status_code == 302
    form = rsvp_form(event, full_name="Eve Martin", email=GUEST, needs=NEEDS,
                     needs_consent="y", invitation=token)
    assert client.post(f"/events/{event.slug}", data=form).status_code == 303
    drain_outbox(app)
    manage = link(smtp_server, GUEST, "/events/manage/")
    return {"event": event, "token": token, "unsubscribe": unsubscribe, "manage": manage}


def test_a_forwarded_invitation_downloads_nothing_of_the_guest(app, client, forwarded):
    guest_manage_token = forwarded["manage"].rsplit("/", 1)[1]
    for token in (forwarded["token"], forwarded["unsubscribe"].rsplit("/", 1)[1]):
        response = client.get(f"/privacy/invitation/{token}/my-data.json")
        assert response.status_code == 200
        text = response.text
        for secret in ("Eve Martin", GUEST, NEEDS, guest_manage_token):
            assert secret not in text, secret
        tables = response.get_json()["tables"]
        assert tables["registration"] == [] and tables["registration_day"] == []
        (invitation,) = tables["invitation"]
        assert (invitation["name"], invitation["email"]) == ("Zoé Kane", INVITEE)
        # What the organisers wrote about her is theirs to give, on a request they check.
        assert "note" not in invitation and "seat her away" not in text
        # The invitation email itself is listed, but no email's text: it carries links.
        (email,) = tables["outbox_message"]
        assert email["kind"] == "invitation" and email["recipient"] == INVITEE
        assert not {"text_body", "html_body", "attachments", "headers"} & set(email)
        assert "please write to" in response.get_json()["left_out"]


def test_the_guests_manage_link_downloads_the_guests_registration_only(app, client, forwarded):
    data = client.get(f"/privacy/registration/{forwarded['manage'].rsplit('/', 1)[1]}"
                      "/my-data.json").get_json()
    (registration,) = data["tables"]["registration"]
    assert (registration["full_name"], registration["needs"]) == ("Eve Martin", NEEDS)
    # The invitation she used was sent to someone else: it is not hers.
    assert data["tables"]["invitation"] == []
    assert "zoe" not in json.dumps(data).casefold()
    assert [m["kind"] for m in data["tables"]["outbox_message"]] == ["registration_confirmation"]


def test_the_invitee_erasing_her_data_leaves_the_guest_registered(app, client, forwarded,
                                                                  smtp_server):
    token = forwarded["token"]
    page = client.get(f"/privacy/invitation/{token}/delete")
    assert "A registration made with this invitation is not affected" in page.text
    response = client.post(f"/privacy/invitation/{token}/delete", data={"confirm": "y"})
    assert response.headers["Location"] == "/privacy/deleted"
    delivered = len(smtp_server.messages)
    drain_outbox(app)
    assert len(smtp_server.messages) == delivered  # nobody was told of a cancellation
    with app.app_context():
        guest = db.session.scalar(select(Registration))
        assert (guest.full_name, guest.email, guest.needs, guest.status) == (
            "Eve Martin", GUEST, NEEDS, RegistrationStatus.CONFIRMED
        )
        assert db.session.get(Event, forwarded["event"].id).seats_taken == 1
    assert client.get(forwarded["manage"]).status_code == 200
    assert client.get(f"/invitations/{token}/decline").status_code == 410


def test_the_invitees_own_registration_is_reached_by_its_manage_link_only(
    app, client, create_event, now, smtp_server
):
    """Zoé registers with her invitation, then forwards the invitation email: whoever holds
    it can neither read her needs nor cancel her place."""
    event = create_event(invite_only=True)
    invite(app, event, now=now)
    drain_outbox(app)
    token = link(smtp_server, INVITEE, "/invitations/").split("/")[2]
    form = rsvp_form(event, full_name="Zoé Kane", email=INVITEE, needs=NEEDS,
                     needs_consent="y", invitation=token)
    assert client.post(f"/events/{event.slug}", data=form).status_code == 303
    drain_outbox(app)
    # Her manage link reaches her registration, and the invitation sent to her own address.
    manage_token = link(smtp_server, INVITEE, "/events/manage/").rsplit("/", 1)[1]
    data = client.get(f"/privacy/registration/{manage_token}/my-data.json").get_json()
    assert data["tables"]["registration"][0]["needs"] == NEEDS
    assert data["tables"]["invitation"][0]["status"] == InvitationStatus.ACCEPTED.value
    # The invitation's links reach the invitation only.
    text = client.get(f"/privacy/invitation/{token}/my-data.json").text
    assert NEEDS not in text and '"registration": []' in text
    client.post(f"/privacy/invitation/{token}/delete", data={"confirm": "y"})
    with app.app_context():
        mine = db.session.scalar(select(Registration))
        assert (mine.status, mine.needs) == (RegistrationStatus.CONFIRMED, NEEDS)


def test_an_administrators_search_by_address_does_not_take_the_guest(app, forwarded, now):
    with app.app_context():
        person = people.find_person(INVITEE)
        assert person.registration_ids == [] and len(person.invitation_ids) == 1
        people.erase(person, reason="admin", now=now)
        db.session.commit()
        assert db.session.scalar(select(Registration.status)) is RegistrationStatus.CONFIRMED
        queued = select(func.count()).where(OutboxMessage.status == OutboxStatus.QUEUED)
        assert db.session.scalar(queued) == 0
