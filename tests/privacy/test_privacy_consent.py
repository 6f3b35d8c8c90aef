"""Consent that can be proven: the notice in versions, each registration and invitation answer
recording the version in force, and the separate consent for accessibility or dietary needs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import Consent, Event, PrivacyNotice, Registration
from tests.conftest import rsvp_form, sign_in


def rsvp(client, event, **fields):
    data = rsvp_form(event, **{"full_name": "Amina Diallo", "country": "Senegal", **fields})
    response = client.post(f"/events/{event.slug}", data=data)
    assert response.status_code == 303, response.text
    return response


def publish(client, en, fr=""):
    return client.post("/organiser/privacy/notice", data={"body_en": en, "body_fr": fr})


def consents(app):
    with app.app_context():
        return db.session.execute(
            select(Consent.registration_id, Consent.invitation_id, PrivacyNotice.version,
                   Consent.special_category)
            .outerjoin(PrivacyNotice).order_by(Consent.id)
        ).all()


def test_admin_publishes_versions_and_old_ones_stay_readable(app, client, create_user):
    sign_in(client, create_user(admin=True))
    assert "the standard notice of the site applies" in client.get(
        "/organiser/privacy/notice").text
    assert publish(client, "", "").status_code == 400
    assert publish(client, "We keep your name.\r\n\r\nFor the event.", "Votre nom.").status_code \
        == 303
    assert publish(client, "Version two.").status_code == 303
    first = client.get("/privacy/versions/1")
    assert "<p>We keep your name.</p>" in first.text
    assert "<p>For the event.</p>" in first.text
    assert 'href="/privacy/versions/2"' in first.text  # "read the version in force"
    assert "Votre nom." in client.get("/privacy/versions/1?lang=fr",
                                      headers={"Accept-Language": "fr"}).text
    assert "Version two." in client.get("/privacy").text
    assert client.get("/privacy/versions/3").status_code == 404
    page = client.get("/organiser/privacy/notice").text
    assert 'href="/privacy/versions/1"' in page and 'href="/privacy/versions/2"' in page
    assert "Version two." in page  # the form starts from the version in force
    with app.app_context():
        assert [n.version for n in db.session.scalars(select(PrivacyNotice))] == [1, 2]


def test_an_organiser_cannot_publish(client, create_user):
    sign_in(client, create_user())
    assert publish(client, "Mine.").status_code == 403


def test_registration_records_the_version_in_force(app, client, create_event, create_user):
    event = create_event()
    rsvp(client, event, email="before@example.org")
    sign_in(client, create_user(admin=True))
    publish(client, "Version one.")
    assert 'href="/privacy/versions/1"' in client.get(f"/events/{event.slug}").text
    publish(client, "Version two.")
    assert 'href="/privacy/versions/2"' in client.get(f"/events/{event.slug}").text
    rsvp(client, event, email="after@example.org")
    assert [(version, special) for _, _, version, special in consents(app)] == [
        (None, False), (2, False)
    ]


def test_needs_are_kept_only_with_their_own_consent(app, client, create_event):
    event = create_event()
    rsvp(client, event, email="no@example.org", needs="Wheelchair access")
    rsvp(client, event, email="yes@example.org", needs="Wheelchair access", needs_consent="y")
    with app.app_context():
        kept = dict(db.session.execute(select(Registration.email, Registration.needs)).all())
    assert kept == {"no@example.org": "", "yes@example.org": "Wheelchair access"}
    assert [special for *_, special in consents(app)] == [False, True]


def test_withdrawing_the_needs_consent_on_the_manage_page_drops_them(app, client, create_event):
    event = create_event()
    rsvp(client, event, needs="Vegetarian", needs_consent="y")
    with app.app_context():
        token = db.session.scalar(select(Registration.token))
    form = client.get(f"/events/manage/{token}/edit").text
    assert '<input checked id="needs_consent" name="needs_consent"' in form
    data = {"full_name": "Amina Diallo", "email": "amina@example.org", "country": "Senegal",
            "language": "en", "needs": "Vegetarian", "days": [d.isoformat() for d in event.days]}
    assert client.post(f"/events/manage/{token}/edit", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration.needs)) == ""


@pytest.mark.parametrize("answer", ["decline", "accept"])
def test_invitation_answers_record_consent(app, client, create_event, now, answer):
    event = create_event()
    with app.app_context():
        invitation = invitations.add_invitee(
            db.session.get(Event, event.id), email="zoe@example.org", name="Zoé", now=now
        )
        db.session.commit()
        invitation_id, token = invitation.id, invitation.token
    if answer == "decline":
        page = client.get(f"/invitations/{token}/decline")
        assert 'href="/privacy"' in page.text
        client.post(f"/invitations/{token}/decline", data={"message": "Sorry"})
        assert consents(app) == [(None, invitation_id, None, False)]
    else:
        rsvp(client, event, email="zoe@example.org", invitation=token)
        with app.app_context():
            registration_id = db.session.scalar(select(Registration.id))
        assert consents(app) == [(registration_id, invitation_id, None, False)]
