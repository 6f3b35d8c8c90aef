"""The invitee's links: accept, decline (by POST only), unsubscribe (incl. one-click)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mmm_events.addresses import suppression_key
from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.models import Event, Invitation, InvitationStatus, Language, Suppression


@pytest.fixture
def invite(app, create_event, now):
    """Make a saved invitation; returns (event, invitation) detached."""

    def factory(**fields):
        event = fields.pop("event", None) or create_event()
        with app.app_context():
            invitation = services.add_invitee(
                db.session.get(Event, event.id),
                email=fields.pop("email", "amina@example.org"),
                name=fields.pop("name", "Amina Diallo"),
                organisation="UNESCO",
                language=Language.FR,
                now=now,
            )
            for key, value in fields.items():
                setattr(invitation, key, value)
            db.session.commit()
            db.session.refresh(invitation)
            db.session.expunge(invitation)
        return event, invitation

    return factory


def load(app, invitation_id):
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        db.session.expunge(invitation)
        return invitation


def test_accept_link_marks_opened_and_leads_to_the_form(app, client, invite):
    event, invitation = invite()
    response = client.get(f"/invitations/{invitation.token}/accept")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/events/{event.slug}?invitation={invitation.token}#register"
    )
    opened = load(app, invitation.id)
    assert opened.opened_at is not None
    assert opened.status is InvitationStatus.IMPORTED
    first_opened = opened.opened_at
    client.get(f"/invitations/{invitation.token}/accept")
    assert load(app, invitation.id).opened_at == first_opened


def test_decline_get_never_declines(app, client, invite):
    _, invitation = invite()
    for _ in range(3):
        response = client.get(f"/invitations/{invitation.token}/decline")
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Decline the invitation to Event 1" in page
    assert 'method="post"' in page
    after = load(app, invitation.id)
    assert (after.status, after.answered_at, after.opened_at) == (
        InvitationStatus.IMPORTED,
        None,
        None,
    )


def test_decline_post_records_answer_and_message(app, client, invite):
    _, invitation = invite(status=InvitationStatus.INVITED)
    response = client.post(
        f"/invitations/{invitation.token}/decline", data={"message": "  Sorry, travelling.  "}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/invitations/{invitation.token}/declined"
    after = load(app, invitation.id)
    assert (after.status, after.decline_message) == (
        InvitationStatus.DECLINED,
        "Sorry, travelling.",
    )
    assert after.answered_at is not None
    page = client.get(f"/invitations/{invitation.token}/declined").get_data(as_text=True)
    assert "We have noted that you cannot come to Event 1." in page


def test_decline_needs_csrf_token(make_app, invite):
    _, invitation = invite()
    token = invitation.token
    # The same database, served by an app that checks CSRF tokens.
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post(f"/invitations/{token}/decline", data={}).status_code == 400
    page = client.get(f"/invitations/{token}/decline").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/invitations/{token}/decline", data={"csrf_token": csrf})
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Invitation.status).where(Invitation.token == token))
            is InvitationStatus.DECLINED
        )


def test_accepted_invitation_cannot_be_declined(app, client, invite):
    _, invitation = invite(status=InvitationStatus.ACCEPTED)
    response = client.post(f"/invitations/{invitation.token}/decline", data={"message": "x"})
    assert response.status_code == 200
    assert "You have already accepted this invitation." in response.get_data(as_text=True)
    assert load(app, invitation.id).status is InvitationStatus.ACCEPTED


def test_revoked_and_unknown_tokens_are_not_found(app, client, invite):
    _, invitation = invite()
    with app.app_context():
        services.revoke(db.session.get(Invitation, invitation.id))
        db.session.commit()
    for path in (
        f"/invitations/{invitation.token}/accept",
        f"/invitations/{invitation.token}/decline",
        "/invitations/not-a-token/accept",
        "/invitations/" + "x" * 300 + "/decline",
        "/invitations/unsubscribe/not-a-token",
        # The answer token does not unsubscribe, nor the reverse: one purpose each.
        f"/invitations/unsubscribe/{invitation.token}",
        f"/invitations/{invitation.unsubscribe_token}/accept",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/invitations/{invitation.token}/decline").status_code == 404
    assert load(app, invitation.id).opened_at is None


def test_unpublished_event_hides_its_invitations(client, invite, create_event):
    _, invitation = invite(event=create_event(is_published=False))
    assert client.get(f"/invitations/{invitation.token}/accept").status_code == 404


def suppressed(app):
    with app.app_context():
        return list(db.session.scalars(select(Suppression.email_key)))


def keyed(app, email):
    """The suppression list holds keyed hashes of addresses, never the addresses."""
    with app.app_context():
        return [suppression_key(email)]


def test_unsubscribe_confirms_then_records(app, client, invite):
    _, invitation = invite(email="Amina@Example.org")
    page = client.get(f"/invitations/unsubscribe/{invitation.unsubscribe_token}")
    assert "Do you want Amina@Example.org to receive no more invitations" in page.get_data(
        as_text=True
    )
    assert suppressed(app) == []
    response = client.post(
        f"/invitations/unsubscribe/{invitation.unsubscribe_token}", follow_redirects=True
    )
    assert response.status_code == 200
    assert "Amina@Example.org will receive no more invitations" in response.get_data(as_text=True)
    assert suppressed(app) == keyed(app, "amina@example.org")
    client.post(f"/invitations/unsubscribe/{invitation.unsubscribe_token}")
    assert suppressed(app) == keyed(app, "amina@example.org")


def test_one_click_unsubscribe_without_csrf(make_app, invite):
    _, invitation = invite(email="o@example.org")
    token = invitation.unsubscribe_token
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    path = f"/invitations/unsubscribe/{token}/one-click"
    # A client that merely opens the link changes nothing.
    assert client.get(path).headers["Location"] == f"/invitations/unsubscribe/{token}"
    assert client.post(path, data={"other": "x"}).status_code == 400
    # The confirming form of the page keeps its CSRF protection.
    assert client.post(f"/invitations/unsubscribe/{token}").status_code == 400
    assert suppressed(app) == []
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert suppressed(app) == keyed(app, "o@example.org")


def test_nul_characters_in_addresses_are_refused(app, client, invite):
    _, invitation = invite()
    for path in (
        "/invitations/a%00b/accept",
        "/invitations/a%00b/decline",
        "/invitations/unsubscribe/a%00b",
        "/invitations/unsubscribe/a%00b/one-click",
    ):
        assert client.get(path).status_code == 400, path
    response = client.post(
        f"/invitations/{invitation.token}/decline", data={"message": "bad\x00message"}
    )
    assert response.status_code == 400
    assert "Please use only letters, numbers and punctuation." in response.get_data(as_text=True)
    assert load(app, invitation.id).status is InvitationStatus.IMPORTED
