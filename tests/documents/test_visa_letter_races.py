"""Visa letter decisions fired at themselves and at each other on their own threads and
connections (``tests/races.py``), on SQLite and PostgreSQL: a double click, two organisers
approving at once, an approval against a decline. Whatever the order, the request is decided
once: one letter issued at most, one email."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from mmm_events.documents import letters
from mmm_events.extensions import db
from mmm_events.models import (
    IssuedDocument,
    LetterStatus,
    OutboxMessage,
    Registration,
    VisaLetter,
)
from tests.conftest import sign_in
from tests.invitations.test_state_races import ORDERS, clash
from tests.races import fire_at_once, threaded_app

pytestmark = pytest.mark.real_commits


@pytest.fixture
def racing_app(make_app, database_url):
    return threaded_app(make_app, database_url, 4)


@pytest.fixture
def request_waiting(racing_app, create_event, create_registration, now):
    event = create_event(visa_letters=True, visa_signatory_name="Anne-Claire Dupont")
    person = create_registration(event, full_name="Amina Benali")
    with racing_app.app_context():
        letter = VisaLetter(
            registration_id=person.id, event_id=event.id, passport_name="AMINA BENALI",
            nationality="MA", birth_date=date(1985, 4, 12), passport_number="AB1234567",
            passport_expires_on=date(2031, 1, 31), requested_at=now,
        )
        db.session.add(letter)
        db.session.commit()
        return event, person, letter.id


def outcome(app) -> tuple[str, int, Counter]:
    with app.app_context():
        letter = db.session.scalar(select(VisaLetter))
        documents = db.session.scalar(
            select(db.func.count(IssuedDocument.id)).where(IssuedDocument.kind == "visa_letter")
        )
        emails = Counter(row.kind for row in db.session.scalars(select(OutboxMessage)))
        return letter.status.value, documents, emails


def approve(letter_id: int, now):
    return lambda: letters.approve_letter(db.session.get(VisaLetter, letter_id), now=now, by=None)


def decline(letter_id: int, now):
    return lambda: letters.decline_letter(
        db.session.get(VisaLetter, letter_id), now=now, by=None, message="Sorry."
    )


@pytest.mark.parametrize("order", ORDERS)
def test_two_approvals_at_once_issue_one_letter_and_one_email(
    racing_app, request_waiting, order, now
):
    _event, _person, letter_id = request_waiting

    results = clash(racing_app, order, approve(letter_id, now), approve(letter_id, now))

    assert sorted(results) == [False, True]
    assert outcome(racing_app) == ("approved", 1, Counter({"visa_letter": 1}))


@pytest.mark.parametrize("order", ORDERS)
def test_an_approval_against_a_decline_decides_once(racing_app, request_waiting, order, now):
    _event, _person, letter_id = request_waiting

    approved, declined = clash(racing_app, order, approve(letter_id, now),
                               decline(letter_id, now))

    assert sorted([approved, declined]) == [False, True]
    if approved:
        assert outcome(racing_app) == ("approved", 1, Counter({"visa_letter": 1}))
    else:
        assert outcome(racing_app) == (
            "declined", 0, Counter({"visa_letter_declined": 1})
        )


def test_a_double_click_by_two_organisers_gives_one_letter_and_one_email(
    racing_app, request_waiting, create_user
):
    event, _person, letter_id = request_waiting
    organisers = iter([create_user(events=(event,)), create_user(events=(event,))])
    path = f"/organiser/visa-letters/{letter_id}/approve"

    codes = fire_at_once(racing_app, [path, path], prepare=lambda c: sign_in(c, next(organisers)))

    assert codes == {303: 2}
    assert outcome(racing_app) == ("approved", 1, Counter({"visa_letter": 1}))
    with racing_app.app_context():
        assert db.session.scalar(select(VisaLetter.status)) is LetterStatus.APPROVED


DETAILS = letters.PassportDetails(
    passport_name="Amina Benali", nationality="MA", birth_date=date(1985, 4, 12),
    passport_number="AB7654321", passport_expires_on=date(2031, 1, 31),
)


def ask(registration_id: int, now):
    def action():
        try:
            letters.request_letter(db.session.get(Registration, registration_id), DETAILS,
                                   now=now)
            return "asked"
        except letters.LetterRefused as refused:
            return refused.reason
    return action


@pytest.mark.parametrize("order", ORDERS)
def test_two_first_requests_at_once_make_one_request(racing_app, create_event,
                                                     create_registration, order, now):
    event = create_event(visa_letters=True, visa_signatory_name="Anne-Claire Dupont")
    person = create_registration(event, full_name="Amina Benali")

    results = clash(racing_app, order, ask(person.id, now), ask(person.id, now))

    assert results == ["asked", "asked"]
    with racing_app.app_context():
        (letter,) = db.session.scalars(select(VisaLetter)).all()
        assert (letter.status, letter.passport_number) == (LetterStatus.REQUESTED, "AB7654321")


@pytest.mark.parametrize("order", ORDERS)
def test_a_changed_request_never_undoes_an_approval(racing_app, request_waiting, order, now):
    _event, person, letter_id = request_waiting

    asked, approved = clash(racing_app, order, ask(person.id, now), approve(letter_id, now))

    # Whichever came first, the approval stands: a change after it is refused as issued.
    assert approved is True
    assert outcome(racing_app) == ("approved", 1, Counter({"visa_letter": 1}))
    with racing_app.app_context():
        letter = db.session.get(VisaLetter, letter_id)
        # The change landed before the approval (and was approved), or was refused after it.
        assert (asked, letter.passport_number) in [("asked", "AB7654321"),
                                                   ("issued", "AB1234567")]
