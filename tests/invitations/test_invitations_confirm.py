"""Invitations an organiser can trust (issue 11, point 4): sending to several people asks first,
saying how many get what, with one email in each language."""

from __future__ import annotations

from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.models import Event, Invitation, InvitationStatus, Language, OutboxMessage
from tests.mail.test_mail_worker import import_people, sign_in_admin


def _queued(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_sending_to_everyone_asks_first_with_counts_and_previews(app, client, create_event, now):
    event = create_event(title="Mothers4Peace")
    import_people(app, event.id, 5, now)  # p1, p3 in French; p0, p2, p4 in English
    sign_in_admin(app, client)
    base = f"/organiser/events/{event.id}/invitations"
    response = client.post(base + "/send", data={"scope": "all"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "5 people will receive the invitation to Mothers4Peace:" in page
    assert "<li>3 in English</li>" in page
    assert "<li>2 in Français</li>" in page
    assert ">Send to 5 people</button>" in page
    assert '<section class="email-preview" lang="en" dir="ltr"' in page
    assert '<section class="email-preview" lang="fr" dir="ltr"' in page
    # The label in the organiser's language and direction, the subject apart in the email's.
    subject = '<p lang="en" dir="ltr"><strong>Subject:</strong> <bdi lang="{}">{}</bdi></p>'
    assert subject.format("en", "Invitation: Mothers4Peace") in page
    assert subject.format("fr", "Invitation\u00a0: Mothers4Peace") in page
    assert _queued(app) == 0
    response = client.post(base + "/send", data={"scope": "all", "confirmed": "1"})
    assert response.status_code == 302
    assert _queued(app) == 5


def test_a_choice_is_confirmed_with_the_same_people(app, client, create_event, now):
    event = create_event()
    import_people(app, event.id, 4, now)
    sign_in_admin(app, client)
    with app.app_context():
        ids = list(db.session.scalars(select(Invitation.id).order_by(Invitation.id)))
    base = f"/organiser/events/{event.id}/invitations"
    page = client.post(
        base + "/send", data={"scope": "selected", "ids": [str(i) for i in ids[:2]]}
    ).get_data(as_text=True)
    assert "2 people will receive the invitation" in page
    assert "<li>1 in English</li>" in page and "<li>1 in Français</li>" in page
    for chosen in ids[:2]:
        assert f'<input type="hidden" name="ids" value="{chosen}">' in page
    assert f'value="{ids[2]}"' not in page
    client.post(
        base + "/send",
        data={"scope": "selected", "ids": [str(i) for i in ids[:2]], "confirmed": "1"},
    )
    with app.app_context():
        invited = db.session.scalars(
            select(Invitation.id).where(Invitation.status == InvitationStatus.INVITED)
        )
        assert sorted(invited) == ids[:2]


def test_one_person_is_sent_to_without_a_question(app, client, create_event, now):
    event = create_event()
    import_people(app, event.id, 1, now)
    sign_in_admin(app, client)
    response = client.post(
        f"/organiser/events/{event.id}/invitations/send", data={"scope": "all"}
    )
    assert response.status_code == 302
    assert _queued(app) == 1


def test_recipients_by_language_counts_what_a_send_would_reach(app, create_event, now):
    event = create_event()
    import_people(app, event.id, 3, now)
    with app.app_context():
        target = db.session.get(Event, event.id)
        assert services.recipients_by_language(target) == {Language.EN: 2, Language.FR: 1}
        first = db.session.scalar(select(Invitation.id).order_by(Invitation.id))
        assert services.recipients_by_language(target, [first]) == {Language.EN: 1}
        services.send_invitations(target, now=now)
        assert services.recipients_by_language(target) == {}
