"""Approval before a seat (issue 21, point 5): on an event that requires it, a registration
waits as "pending-approval" without a seat until an organiser approves it (a seat if one is
free, else the waiting list) or declines it; each step emails the person, read here at a real
SMTP server."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Event, OutboxMessage, Registration, RegistrationStatus
from mmm_events.privacy import people
from mmm_events.registrations import approval, services, status
from mmm_events.registrations.management import CheckInOutcome, check_in
from tests.conftest import REGISTRATION_SERVER_NAME, drain_outbox, rsvp_form, sign_in
from tests.events.test_organiser_events import event_form

# The mail worker and the SMTP server see what the requests committed.
pytestmark = pytest.mark.real_commits

PENDING = RegistrationStatus.PENDING_APPROVAL
TITLE = "Mothers4Peace"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


@pytest.fixture
def event(create_event):
    return create_event(title=TITLE, capacity=1, requires_approval=True)


@pytest.fixture
def organiser(app, event, create_user):
    client = app.test_client()
    sign_in(client, create_user(events=(event,)))
    return client


def state(app, *registrations) -> tuple[list[str], int]:
    """Each registration's status, and the event's seats taken."""
    with app.app_context():
        rows = [db.session.get(Registration, r.id) for r in registrations]
        event = db.session.get(Event, registrations[0].event_id)
        return [r.status.value for r in rows], event.seats_taken


def delivered(app, smtp_server) -> list[tuple[str, str, list[str]]]:
    """Deliver the outbox; each message's recipient, subject and attachment names."""
    drain_outbox(app)
    found = [
        (m["To"], m["Subject"], [a.get_filename() for a in m.iter_attachments()])
        for m in smtp_server.messages
    ]
    smtp_server.messages.clear()
    return found


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_a_registration_waits_without_a_seat_and_is_told_it_was_received(
    app, client, event, smtp_server
):
    response = client.post(f"/events/{event.slug}", data=rsvp_form(event))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "<h1>Your registration awaits approval</h1>" in page
    assert "Until then, no place is reserved for you." in page
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.status is PENDING
        assert db.session.get(Event, event.id).seats_taken == 0
        token = registration.token
    drain_outbox(app)
    [message] = smtp_server.messages
    assert message["Subject"] == f"Registration received, awaiting approval: {TITLE}"
    assert list(message.iter_attachments()) == []
    text = text_of(message)
    assert (
        "Thank you for registering. We have received your registration; the organisers will "
        "review it and email you their decision. Until then, no place is reserved for you."
    ) in text
    assert "Status: awaiting the organisers' approval" in text
    assert f"http://{REGISTRATION_SERVER_NAME}/events/manage/{token}" in text


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        ("fr", f"Inscription reçue, en attente de validation\u00a0: {TITLE}",
         "Nous l'avons bien reçue\u00a0; les organisateurs vont l'examiner"),
        ("ar", f"استلمنا تسجيلك وهو بانتظار الموافقة: \u2068{TITLE}\u2069",
         "لقد استلمناه، وسيراجعه المنظمون ويرسلون إليك قرارهم بالبريد الإلكتروني."),
    ],
)
def test_the_received_email_is_in_the_persons_language(
    app, client, event, smtp_server, language, subject, sentence
):
    client.post(f"/events/{event.slug}", data=rsvp_form(event, language=language))
    drain_outbox(app)
    [message] = smtp_server.messages
    assert message["Subject"] == subject
    assert sentence in text_of(message)


def test_approving_gives_the_seat_with_the_ticket_and_calendar_entry(
    app, event, organiser, create_registration, smtp_server
):
    person = create_registration(event, full_name="Amina", email="amina@example.org",
                                 status=PENDING)
    detail = organiser.get(f"/organiser/registrations/{person.id}").text
    assert '<span class="badge badge-pending-approval">Pending approval</span>' in detail
    assert f'action="/organiser/registrations/{person.id}/approve"' in detail
    response = organiser.post(f"/organiser/registrations/{person.id}/approve",
                              follow_redirects=True)
    assert "Approved: the person has a seat and is told by email." in response.text
    assert state(app, person) == (["confirmed"], 1)
    drain_outbox(app)
    [message] = smtp_server.messages
    assert message["Subject"] == f"You are registered: {TITLE}"
    assert [a.get_filename() for a in message.iter_attachments()] == [
        f"{event.slug}.ics", "check-in-code.png",
    ]
    assert ("The organisers have approved your registration. Your place is confirmed."
            in text_of(message))


def test_approving_when_no_seat_is_free_puts_the_person_on_the_waiting_list(
    app, event, organiser, create_registration, smtp_server
):
    create_registration(event)  # the one seat
    person = create_registration(event, email="amina@example.org", status=PENDING)
    response = organiser.post(f"/organiser/registrations/{person.id}/approve",
                              follow_redirects=True)
    assert ("Approved, but no seat is free: the person is on the waiting list and is told by "
            "email.") in response.text
    assert state(app, person) == (["waiting"], 1)
    assert delivered(app, smtp_server) == [
        # No calendar entry without a seat.
        ("Person 2 <amina@example.org>", f"You are on the waiting list: {TITLE}", []),
    ]


def test_declining_emails_the_organisers_message_and_frees_nothing(
    app, event, organiser, create_registration, smtp_server
):
    seated = create_registration(event)
    person = create_registration(event, email="amina@example.org", language="fr",
                                 status=PENDING)
    response = organiser.post(
        f"/organiser/registrations/{person.id}/decline",
        data={"message": "  Cette rencontre est réservée aux membres.  "},
        follow_redirects=True,
    )
    assert "Declined: the person is told by email." in response.text
    assert state(app, person, seated) == (["not-approved", "confirmed"], 1)
    drain_outbox(app)
    [message] = smtp_server.messages
    assert message["Subject"] == f"Votre inscription n'a pas été retenue\u00a0: {TITLE}"
    assert list(message.iter_attachments()) == []
    text = text_of(message)
    assert "Leur message\u00a0:\nCette rencontre est réservée aux membres.\n" in text
    assert "Statut\u00a0: non retenue\n" in text
    smtp_server.messages.clear()
    # Declining again, or approving now, changes nothing and emails nobody.
    again = organiser.post(f"/organiser/registrations/{person.id}/approve",
                           follow_redirects=True)
    assert "This registration no longer awaits approval: nothing was changed." in again.text
    assert state(app, person, seated) == (["not-approved", "confirmed"], 1)
    assert delivered(app, smtp_server) == []


def test_a_message_too_long_is_refused_and_nothing_changes(
    app, event, organiser, create_registration
):
    person = create_registration(event, status=PENDING)
    response = organiser.post(f"/organiser/registrations/{person.id}/decline",
                              data={"message": "x" * 2001}, follow_redirects=True)
    assert "Please keep the message under 2,000 characters." in response.text
    assert state(app, person) == (["pending-approval"], 0)


def test_a_filtered_selection_is_approved_in_the_order_people_registered(
    app, event, organiser, create_registration, smtp_server, now
):
    first = create_registration(event, email="first@example.org", status=PENDING,
                                created_at=now)
    second = create_registration(event, email="second@example.org", status=PENDING,
                                 created_at=now + timedelta(seconds=1))
    seated = create_registration(event, email="seated@example.org",
                                 status=RegistrationStatus.WAITING)
    listing = organiser.get(f"/organiser/events/{event.id}/registrants?status=pending-approval")
    html = listing.text
    assert f'name="ids" value="{first.id}"' in html
    assert f'name="ids" value="{second.id}"' in html
    assert f'value="{seated.id}"' not in html
    assert '<dd data-count="pending_approval">' in html
    back = f"/organiser/events/{event.id}/registrants?status=pending-approval"
    response = organiser.post(
        f"/organiser/events/{event.id}/registrants/approve",
        data={"ids": [str(second.id), str(first.id), str(seated.id)], "back": back},
    )
    assert response.headers["Location"] == back
    page = organiser.get(back).text
    assert "1 person approved with a seat." in page
    assert "1 person approved onto the waiting list: no seat was free." in page
    assert "1 ticked registration was skipped: it no longer awaits approval." in page
    assert state(app, first, second, seated) == (["confirmed", "waiting", "waiting"], 1)
    with app.app_context():
        kinds = sorted(
            (m.recipient, m.kind) for m in db.session.scalars(select(OutboxMessage))
        )
    assert kinds == [
        ("first@example.org", "registration_confirmation"),
        ("second@example.org", "registration_confirmation"),
    ]


def test_a_selection_is_declined_in_one_go_with_one_message(
    app, event, organiser, create_registration, smtp_server
):
    one = create_registration(event, email="one@example.org", status=PENDING)
    two = create_registration(event, email="two@example.org", status=PENDING)
    other_event = create_registration(
        create_event_for_other(app, event), email="other@example.org", status=PENDING
    )
    response = organiser.post(
        f"/organiser/events/{event.id}/registrants/decline",
        data={"ids": [str(one.id), str(two.id), str(other_event.id)], "message": "Complet."},
        follow_redirects=True,
    )
    assert "2 registrations declined." in response.text
    assert "1 ticked registration was skipped: it no longer awaits approval." in response.text
    assert state(app, one, two) == (["not-approved", "not-approved"], 0)
    assert state(app, other_event)[0] == ["pending-approval"]
    messages = delivered(app, smtp_server)
    assert sorted(to for to, _subject, _files in messages) == [
        "Person 1 <one@example.org>", "Person 2 <two@example.org>",
    ]


def create_event_for_other(app, event) -> Event:
    """Another event, of another organiser."""
    with app.app_context():
        other = Event(
            slug="elsewhere", title="Elsewhere", hashtag="", summary="", description="",
            venue="", city="Geneva", country="Switzerland", timezone="Europe/Zurich",
            starts_at=event.starts_at, ends_at=event.ends_at, capacity=5,
            is_published=True, requires_approval=True,
        )
        db.session.add(other)
        db.session.commit()
        db.session.refresh(other)
        db.session.expunge(other)
    return other


def test_bulk_actions_refuse_what_is_not_an_id(app, event, organiser):
    response = organiser.post(f"/organiser/events/{event.id}/registrants/approve",
                              data={"ids": ["1 OR 1=1"]})
    assert response.status_code == 400
    nothing = organiser.post(f"/organiser/events/{event.id}/registrants/approve",
                             data={}, follow_redirects=True)
    assert "Please tick the registrations to approve or decline." in nothing.text


def test_an_organiser_of_another_event_cannot_decide(
    app, event, create_event, create_user, create_registration
):
    person = create_registration(event, status=PENDING)
    stranger = app.test_client()
    sign_in(stranger, create_user(events=(create_event(),)))
    assert stranger.post(f"/organiser/registrations/{person.id}/approve").status_code == 404
    assert stranger.post(
        f"/organiser/events/{event.id}/registrants/decline", data={"ids": [str(person.id)]}
    ).status_code == 404
    assert state(app, person) == (["pending-approval"], 0)


def test_pending_people_show_in_the_counts_the_list_and_the_exports(
    app, event, organiser, create_registration
):
    create_registration(event, full_name="Amina", status=PENDING)
    create_registration(event, full_name="Bea", status=RegistrationStatus.DECLINED)
    html = organiser.get(f"/organiser/events/{event.id}/registrants").text
    assert "Pending approval</dt><dd data-count=\"pending_approval\">" in html
    assert "<dt>Not approved</dt><dd data-count=\"declined\">1</dd>" in html
    assert '<option value="pending-approval" >Pending approval</option>' in html
    assert '<span class="badge badge-not-approved">Not approved</span>' in html
    rows = list(csv.reader(io.StringIO(
        organiser.get(f"/organiser/events/{event.id}/registrants.csv").text.lstrip("\ufeff")
    )))
    status_column = rows[0].index("Status")
    assert [(r[1], r[status_column]) for r in rows[1:]] == [
        ("Amina", "Pending approval"), ("Bea", "Not approved"),
    ]
    sheet = load_workbook(io.BytesIO(organiser.get(
        f"/organiser/events/{event.id}/registrants.xlsx",
        query_string={"status": "pending-approval"},
    ).get_data())).active
    header = [c.value for c in sheet[1]]
    assert [[row[1], row[header.index("Status")]] for row in
            sheet.iter_rows(min_row=2, values_only=True)] == [["Amina", "Pending approval"]]


def test_the_manage_link_says_it_awaits_approval_and_the_person_may_cancel(
    app, client, event, create_registration, smtp_server
):
    person = create_registration(event, status=PENDING)
    page = client.get(f"/events/manage/{person.token}").text
    assert "Your registration awaits the organisers' approval." in page
    assert "manage_calendar" not in page and "calendar.ics" not in page
    assert f'href="/events/manage/{person.token}/cancel"' in page
    client.post(f"/events/manage/{person.token}/cancel")
    assert state(app, person) == (["cancelled"], 0)


def test_a_declined_person_can_neither_cancel_nor_register_again(
    app, client, event, create_registration, now
):
    person = create_registration(event, email="amina@example.org",
                                 status=RegistrationStatus.DECLINED)
    page = client.get(f"/events/manage/{person.token}").text
    assert "The organisers were unable to accept your registration." in page
    assert "/cancel" not in page
    assert client.post(f"/events/manage/{person.token}/cancel").status_code == 302
    client.post(f"/events/{event.slug}", data=rsvp_form(event, email="Amina@Example.org"))
    assert state(app, person) == (["not-approved"], 0)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.kind)).all() == []


def test_a_cancellation_promotes_the_waiting_never_the_pending(
    app, event, create_registration, now
):
    leaving = create_registration(event)
    # Registered before the person waiting: still not on the waiting list.
    pending = create_registration(event, status=PENDING, created_at=now - timedelta(days=1))
    waiting = create_registration(event, status=RegistrationStatus.WAITING)
    with app.app_context():
        promoted = status.cancel_registration(db.session.get(Registration, leaving.id),
                                              now=now)
        assert promoted.id == waiting.id
        db.session.commit()
        assert status.waiting_position(db.session.get(Registration, pending.id)) is None
    assert state(app, leaving, pending, waiting) == (["cancelled", "pending-approval",
                                                      "confirmed"], 1)


def test_check_in_refuses_a_pending_registration(
    app, event, organiser, create_registration, now
):
    person = create_registration(event, status=PENDING)
    with app.app_context():
        result = check_in(db.session.get(Registration, person.id), now=now, by=None)
        db.session.commit()
    assert result.outcome is CheckInOutcome.NOT_CONFIRMED
    page = organiser.get(f"/organiser/check-in/{person.check_in_token}").text
    assert "Pending approval: not confirmed" in page


def test_erasure_cancels_a_pending_registration_and_the_export_shows_its_status(
    app, event, create_registration, now
):
    pending = create_registration(event, email="amina@example.org", status=PENDING)
    declined = create_registration(create_event_for_other(app, event),
                                   email="amina@example.org",
                                   status=RegistrationStatus.DECLINED)
    with app.app_context():
        person = people.find_person("amina@example.org")
        data = people.export(person, now=now)
        assert [(r["id"], r["status"]) for r in data["tables"]["registration"]] == [
            (pending.id, "pending-approval"), (declined.id, "not-approved"),
        ]
        report = people.erase(person, reason="request", now=now)
        db.session.commit()
    assert report.cancelled == 1
    assert state(app, pending)[0] == ["cancelled"]
    assert state(app, declined)[0] == ["not-approved"]


def test_the_event_editor_sets_approval(app, event, organiser):
    form = organiser.get(f"/organiser/events/{event.id}/edit").text
    assert ('<label for="requires_approval">Registrations require the organisers\' approval '
            "before they take a seat</label>") in form
    assert 'checked id="requires_approval"' in form
    french = organiser.get(f"/organiser/events/{event.id}/edit",
                           headers={"Accept-Language": "fr"}).text
    assert ("Les inscriptions doivent être validées par les organisateurs avant d'obtenir "
            "une place</label>") in french
    organiser.post(f"/organiser/events/{event.id}/edit", data=event_form())
    created = organiser.post("/organiser/events/new", data=event_form(
        title_en="Approved Only", requires_approval="y",
    ))
    assert created.status_code == 302
    with app.app_context():
        assert db.session.get(Event, event.id).requires_approval is False
        made = db.session.scalar(select(Event).where(Event.slug == "approved-only"))
        assert made.requires_approval is True


def test_registering_twice_while_pending_creates_nothing_more(app, event, now):
    details = services.RegistrationDetails(
        full_name="Amina", email="amina@example.org", organisation="", country="Morocco",
        days=event.days, needs="", language="en",
    )
    with app.app_context():
        target = db.session.get(Event, event.id)
        first = services.register(target, details, now=now)
        db.session.commit()
        again = services.register(db.session.get(Event, event.id), details, now=now)
        assert (first.created, again.created) == (True, False)
        assert again.registration.status is PENDING
        assert approval.approve_chosen(target, [], now=now) == approval.Decisions()


def test_a_pending_person_changes_details_and_is_told_without_a_calendar_file(
    app, client, event, create_registration, smtp_server
):
    person = create_registration(event, email="amina@example.org", status=PENDING)
    response = client.post(f"/events/manage/{person.token}/edit", data=rsvp_form(
        event, email="amina@example.org", full_name="Amina B.",
    ))
    assert response.status_code == 303
    drain_outbox(app)
    [message] = smtp_server.messages
    assert message["Subject"] == f"Your registration is updated: {TITLE}"
    assert list(message.iter_attachments()) == []
    text = text_of(message)
    assert "Status: awaiting the organisers' approval\n" in text
    assert "calendar" not in text
    assert state(app, person) == (["pending-approval"], 0)


def test_organisers_may_write_to_those_pending_approval(app, event, organiser,
                                                        create_registration):
    create_registration(event, email="seated@example.org")
    create_registration(event, email="amina@example.org", status=PENDING)
    organiser.post(f"/organiser/events/{event.id}/messages", data={
        "statuses": ["pending-approval"], "subject": "Your request", "body": "Soon.",
    })
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.recipient)).all() == [
            "amina@example.org",
        ]


def test_retention_anonymises_pending_and_declined_registrations_keeping_their_status(
    app, create_event, create_registration, now
):
    ended = now - timedelta(days=7 * 31)
    old = create_event(starts_at=ended - timedelta(days=1), ends_at=ended,
                       requires_approval=True)
    pending = create_registration(old, email="amina@example.org", full_name="Amina",
                                  status=PENDING)
    declined = create_registration(old, email="bea@example.org", full_name="Bea",
                                   status=RegistrationStatus.DECLINED)
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(
            select(Registration.id, Registration.status, Registration.full_name,
                   Registration.email).order_by(Registration.id)
        ).all()
    assert [(r.id, r.status) for r in rows] == [
        (pending.id, PENDING), (declined.id, RegistrationStatus.DECLINED),
    ]
    assert [(r.full_name, r.email) for r in rows] == [("", ""), ("", "")]


def test_each_decision_leaves_an_audit_entry_naming_who_decided_and_a_repeat_none(
    app, event, create_user, create_registration, now
):
    from mmm_events.addresses import suppression_key
    from mmm_events.models import AuditEntry

    user = create_user(events=(event,), email="decider@example.org")
    client = app.test_client()
    sign_in(client, user)
    seated = create_registration(event, email="seated@example.org", status=PENDING,
                                 created_at=now)
    waiting = create_registration(event, email="waiting@example.org", status=PENDING,
                                  created_at=now + timedelta(seconds=1))
    refused = create_registration(event, email="refused@example.org", status=PENDING)
    base = f"/organiser/events/{event.id}/registrants"
    client.post(f"{base}/approve", data={"ids": [str(waiting.id), str(seated.id)]})
    client.post(f"/organiser/registrations/{refused.id}/decline", data={"message": ""})
    # The same clicks again: nobody awaits approval any more, so nothing is decided or logged.
    client.post(f"{base}/approve", data={"ids": [str(seated.id)]})
    client.post(f"{base}/decline", data={"ids": [str(refused.id)], "message": ""})
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "registration.decided")
            .order_by(AuditEntry.id)
        ).all()
        logged = [(e.actor_id, e.event_id, e.subject_key, e.detail) for e in entries]
        keys = {r.id: suppression_key(r.email) for r in (seated, waiting, refused)}
    assert logged == [
        (user.id, event.id, keys[seated.id],
         {"registration": seated.id, "decision": "confirmed"}),
        (user.id, event.id, keys[waiting.id],
         {"registration": waiting.id, "decision": "waiting"}),
        (user.id, event.id, keys[refused.id],
         {"registration": refused.id, "decision": "not-approved"}),
    ]
