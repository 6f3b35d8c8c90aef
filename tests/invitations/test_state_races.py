"""Every change of state fired at itself and at its rivals, on its own thread and connection:
at the same moment (``race``), and with each one's whole change landing just before the
other's first write (``cut_in``), the moment that catches a rule which reads, then writes.

Whatever the order, each change happens once, and an email goes only with a change that
happened: two sends email each invitee once; a revoked invitation is never sent nor accepted;
an accepted one is never declined nor reminded; an account is switched off once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from mmm_events.accounts import services as accounts
from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.invitations.emails import INVITATION_KIND, REMINDER_KIND
from mmm_events.mail.worker import deliver_due
from mmm_events.models import (
    Event,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    User,
)
from mmm_events.registrations.errors import InvitationRequired
from mmm_events.registrations.services import RegistrationDetails, register
from mmm_events.registrations.status import cancel_registration
from tests.conftest import drain_outbox
from tests.races import caught_halfway, cut_in, race, threaded_app

# Each rival on its own thread and connection: each test gets a database that really commits.
pytestmark = pytest.mark.real_commits

# The first action and the second: at the same moment, the second cutting in just before the
# first writes, the first cutting in just before the second writes.

ORDERS = ["at_once", "second_cuts_in", "first_cuts_in"]


def clash(app, order: str, first, second) -> list:
    """What ``first`` and ``second`` returned or raised, run in ``order``."""
    if order == "at_once":
        return race(app, first, second)
    if order == "second_cuts_in":
        return cut_in(app, first, second)
    return cut_in(app, second, first)[::-1]


@pytest.fixture
def racing_app(make_app, database_url, smtp_server):
    return threaded_app(make_app, database_url, 4, **smtp_server.config())


def add_invitees(app, event, count: int, *, status=InvitationStatus.IMPORTED, invited_at=None):
    """``count`` invitees person0@… onwards; their ids."""
    with app.app_context():
        db.session.execute(
            insert(Invitation),
            [
                {
                    "event_id": event.id,
                    "email": f"person{n}@example.org",
                    "email_normalised": f"person{n}@example.org",
                    "name": f"Person {n}",
                    "status": status,
                    "invited_at": invited_at,
                }
                for n in range(count)
            ],
        )
        db.session.commit()
        return list(db.session.scalars(select(Invitation.id).order_by(Invitation.id)))


def statuses(app) -> list[str]:
    with app.app_context():
        return [
            status.value
            for status in db.session.scalars(select(Invitation.status).order_by(Invitation.id))
        ]


def emails(app) -> Counter:
    """The outbox: how many emails of each kind about each invitation or registration."""
    with app.app_context():
        return Counter(
            (row.kind, row.invitation_id or row.registration_id)
            for row in db.session.scalars(select(OutboxMessage))
        )


def send(event: Event, now: datetime, ids=None):
    return lambda: services.send_invitations(db.session.get(Event, event.id), now=now, ids=ids)


def remind(event: Event, now: datetime):
    return lambda: services.send_reminders(
        db.session.get(Event, event.id), now=now, interval=timedelta(days=7)
    )


def revoke(event: Event, ids):
    return lambda: services.revoke_chosen(db.session.get(Event, event.id), ids)


def decline(invitation_id: int, now: datetime):
    return lambda: services.decline(
        db.session.get(Invitation, invitation_id), message="Not this year.", now=now
    )


def accept(event: Event, invitation_id: int, now: datetime):
    """The invitee registers through the invitation: its answer is the registration."""

    def registering():
        target = db.session.get(Event, event.id)
        details = RegistrationDetails(
            full_name="Person 0",
            email="person0@example.org",
            organisation="",
            country="Kenya",
            days=target.days,
            needs="",
            language="en",
        )
        invitation = db.session.get(Invitation, invitation_id)
        return register(target, details, now=now, invitation=invitation).created

    return registering


@pytest.mark.parametrize("order", ORDERS)
def test_two_sends_at_once_email_each_invitee_exactly_once(
    racing_app, create_event, smtp_server, now, order
):
    event = create_event()
    add_invitees(racing_app, event, 20)

    first, second = clash(racing_app, order, send(event, now), send(event, now))

    assert first.queued + second.queued == 20
    if order != "at_once":
        # The one that cut in sent them all; the other found nobody left to invite.
        assert {first.queued, second.queued} == {0, 20}
    assert statuses(racing_app) == ["invited"] * 20
    drain_outbox(racing_app)
    received = Counter(to for _, tos in smtp_server.envelopes for to in tos)
    assert received == {f"person{n}@example.org": 1 for n in range(20)}


@pytest.mark.parametrize("order", ORDERS)
def test_a_send_against_a_revoke_never_leaves_an_invitation_unrevoked(
    racing_app, create_event, now, order
):
    event = create_event()
    ids = add_invitees(racing_app, event, 20)

    sent, revoked = clash(racing_app, order, send(event, now), revoke(event, ids))

    # Revoking reaches invitations sent or not: every one ends revoked, as the organiser
    # was told.
    assert revoked == services.RevokeResult(revoked=20, kept=0)
    assert statuses(racing_app) == ["revoked"] * 20
    # An invitation goes to those the send marked before the revoke, once each.
    assert emails(racing_app) == {(INVITATION_KIND, id_): 1 for id_ in ids[: sent.queued]}
    if order == "second_cuts_in":
        assert sent.queued == 0
    if order == "first_cuts_in":
        assert sent.queued == 20


@pytest.mark.parametrize("order", ORDERS)
def test_two_reminders_at_once_remind_each_invitee_once(racing_app, create_event, now, order):
    event = create_event()
    ids = add_invitees(
        racing_app, event, 10, status=InvitationStatus.INVITED, invited_at=now - timedelta(days=8)
    )

    first, second = clash(racing_app, order, remind(event, now), remind(event, now))

    assert first.queued + second.queued == 10
    assert emails(racing_app) == {(REMINDER_KIND, id_): 1 for id_ in ids}


@pytest.mark.parametrize("order", ORDERS)
def test_a_reminder_against_an_acceptance_never_reminds_the_accepted(
    racing_app, create_event, now, order
):
    event = create_event(invite_only=True)
    [invitation_id] = add_invitees(
        racing_app, event, 1, status=InvitationStatus.INVITED, invited_at=now - timedelta(days=8)
    )

    reminded, accepted = clash(
        racing_app, order, remind(event, now), accept(event, invitation_id, now)
    )

    assert accepted is True
    assert statuses(racing_app) == ["accepted"]
    expected = {"second_cuts_in": 0, "first_cuts_in": 1}.get(order, reminded.queued)
    assert reminded.queued == expected
    assert emails(racing_app)[(REMINDER_KIND, invitation_id)] == expected


@pytest.mark.parametrize("order", ORDERS)
def test_an_acceptance_against_a_decline_leaves_one_answer(racing_app, create_event, now, order):
    event = create_event(invite_only=True)
    [invitation_id] = add_invitees(racing_app, event, 1, status=InvitationStatus.INVITED)

    accepted, declined = clash(
        racing_app, order, accept(event, invitation_id, now), decline(invitation_id, now)
    )

    # Declining first and then registering is a change of mind; accepting first makes the
    # decline fail. Either way the registration is the answer.
    assert accepted is True
    assert statuses(racing_app) == ["accepted"]
    if order == "second_cuts_in":
        assert declined is None
    if order == "first_cuts_in":
        assert isinstance(declined, services.AlreadyAccepted)
    with racing_app.app_context():
        answer = db.session.scalar(select(Registration.invitation_id))
    assert answer == invitation_id


@pytest.mark.parametrize(
    ("rival", "status", "page"),
    [("accept", 200, "You have already accepted this invitation."), ("revoke", 404, "")],
)
def test_a_decline_posted_as_the_invitation_is_accepted_or_revoked_says_so(
    racing_app, create_event, now, rival, status, page
):
    event = create_event(invite_only=True)
    [invitation_id] = add_invitees(racing_app, event, 1, status=InvitationStatus.INVITED)
    with racing_app.app_context():
        token = db.session.get(Invitation, invitation_id).token
    client = racing_app.test_client()
    rivals = {"accept": accept(event, invitation_id, now), "revoke": revoke(event, [invitation_id])}

    response, _ = cut_in(
        racing_app,
        lambda: client.post(f"/invitations/{token}/decline", data={"message": "No."}),
        rivals[rival],
        request=True,
    )

    assert response.status_code == status
    assert page in response.get_data(as_text=True)
    assert statuses(racing_app) == [{"accept": "accepted", "revoke": "revoked"}[rival]]


@pytest.mark.parametrize("order", ORDERS)
def test_an_acceptance_against_a_revoke_never_admits_the_revoked(
    racing_app, create_event, now, order
):
    event = create_event(invite_only=True)
    [invitation_id] = add_invitees(racing_app, event, 1, status=InvitationStatus.INVITED)

    accepted, revoked = clash(
        racing_app, order, accept(event, invitation_id, now), revoke(event, [invitation_id])
    )

    with racing_app.app_context():
        registrations = db.session.scalars(select(Registration.invitation_id)).all()
    if revoked.revoked:
        assert isinstance(accepted, InvitationRequired)
        assert (statuses(racing_app), registrations) == (["revoked"], [])
        assert emails(racing_app) == {}
    else:
        assert (accepted, revoked) == (True, services.RevokeResult(revoked=0, kept=1))
        assert (statuses(racing_app), registrations) == (["accepted"], [invitation_id])
    if order == "second_cuts_in":
        assert revoked.revoked == 1
    if order == "first_cuts_in":
        assert revoked.revoked == 0


@pytest.mark.parametrize("order", ORDERS)
def test_an_account_switched_off_twice_at_once_is_switched_off_once(
    racing_app, create_user, now, order
):
    user = create_user()

    def switch_off():
        return accounts.disable(db.session.get(User, user.id))

    results = clash(racing_app, order, switch_off, switch_off)

    with racing_app.app_context():
        switched = db.session.get(User, user.id)
        # Its sessions were ended once: the version moved by one.
        assert (switched.is_active, switched.session_version) == (False, 2)
    assert sorted(results) == [False, True]


@pytest.mark.parametrize("order", ORDERS)
def test_a_registration_cancelled_twice_at_once_is_cancelled_and_replaced_once(
    racing_app, create_event, create_registration, now, order
):
    event = create_event(capacity=1)
    leaving = create_registration(event)
    waiting = create_registration(event, status=RegistrationStatus.WAITING)

    def cancel():
        return cancel_registration(db.session.get(Registration, leaving.id), now=now)

    clash(racing_app, order, cancel, cancel)

    assert emails(racing_app) == {
        ("registration_cancelled", leaving.id): 1,
        ("registration_promoted", waiting.id): 1,
    }
    with racing_app.app_context():
        assert db.session.get(Event, event.id).seats_taken == 1


@pytest.mark.parametrize("order", ORDERS)
def test_two_workers_at_once_send_each_outbox_row_once(
    racing_app, create_event, smtp_server, now, order
):
    event = create_event()
    add_invitees(racing_app, event, 12)
    with racing_app.app_context():
        services.send_invitations(db.session.get(Event, event.id), now=now)
        db.session.commit()

    def worker():
        return deliver_due(limit=12).sent

    first, second = clash(racing_app, order, worker, worker)

    assert first + second == 12
    received = Counter(to for _, tos in smtp_server.envelopes for to in tos)
    assert received == {f"person{n}@example.org": 1 for n in range(12)}


def test_a_worker_whose_lease_ran_out_leaves_its_rows_to_the_worker_that_took_them(
    racing_app, create_event, smtp_server, now
):
    """Worker A claims an invitation and its server refuses it. Before A records that, its
    lease has run out (A stalled) and worker B took the row and delivered it: A records
    nothing over B, so the row stays sent and the invitation is not marked failed."""
    event = create_event()
    [invitation_id] = add_invitees(racing_app, event, 1)
    with racing_app.app_context():
        services.send_invitations(db.session.get(Event, event.id), now=now)
        db.session.commit()
    smtp_server.refuse = {"person0@example.org"}
    start = now + timedelta(minutes=1)  # the email is due
    lease = timedelta(seconds=racing_app.config["MAIL_LEASE_SECONDS"])

    def taking_over():
        smtp_server.refuse = set()
        return deliver_due(now=start + lease + timedelta(seconds=1)).sent

    failed, sent = cut_in(
        racing_app, lambda: deliver_due(now=start).failed, taking_over, after_writes=1
    )

    assert (failed, sent) == (0, 1)
    assert [to for _, tos in smtp_server.envelopes for to in tos] == ["person0@example.org"]
    assert statuses(racing_app) == ["invited"]
    with racing_app.app_context():
        assert db.session.scalars(select(OutboxMessage.status)).all() == ["sent"]


def test_sending_to_all_and_revoking_chosen_ones_at_once_never_deadlock(
    racing_app, database_url, create_event, now
):
    """A send to all that reads the table in its physical order, and a revocation of chosen
    invitations that reads the id index, met each other's row locks in opposite orders once
    a row had moved (a changed row's new version is written after the others), and
    PostgreSQL aborted one. A third transaction (someone accepting an invitation) holds a row
    meanwhile."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite locks the whole database, never a row: no order to get wrong")
    event = create_event()
    ids = add_invitees(racing_app, event, 10)
    with racing_app.app_context():
        db.session.execute(
            update(Invitation).where(Invitation.id == ids[0]).values(name="Person zero")
        )
        db.session.commit()

    errors = caught_halfway(
        racing_app, "invitation", ids[4],
        lambda: services.send_invitations(db.session.get(Event, event.id), now=now),
        lambda: services.revoke_chosen(db.session.get(Event, event.id), [ids[0], ids[2]]),
    )

    assert errors == []
    with racing_app.app_context():
        states = dict(db.session.execute(select(Invitation.id, Invitation.status)).all())
    revoked = {ids[0], ids[2]}
    assert states == {
        id_: InvitationStatus.REVOKED if id_ in revoked else InvitationStatus.INVITED
        for id_ in ids
    }
