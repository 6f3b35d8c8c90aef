"""Visa invitation letters: asked for by a registrant, decided by an organiser, verified by
anyone holding the letter's link (a consulate): once approved, the letter is an issued
document (``issued``, kind "visa_letter") with its reference and verification page.

Each decision is one conditional UPDATE from REQUESTED (``transition``): of a double click,
two organisers at once, or an approval against a decline, the database lets one through, and
only that one issues the letter and queues an email. The caller commits.

The passport details are sensitive: only the event's organisers and administrators see them,
each sight leaves an audit entry (``documents.letters_manage``), and they are emptied
``Event.passport_data_days`` after the event (``purge_passport_data``, run by
``flask privacy purge``), while the letter stays verifiable by its reference and name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, mail
from ..extensions import db
from ..models import (
    Event,
    IssuedDocument,
    LetterStatus,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    User,
    VisaLetter,
)
from ..text import clean_name
from ..transitions import transition
from . import issued

KIND = "visa_letter"
RENDERER = "visa_letter"
LETTER_EMAIL = "visa_letter"
DECLINED_EMAIL = "visa_letter_declined"
# Registrations that may still ask for a letter, or be given one.
ATTENDING = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.PENDING,
    RegistrationStatus.PENDING_WAITING,
    RegistrationStatus.PENDING_APPROVAL,
)


@dataclass(frozen=True)
class PassportDetails:
    """What a person gives for their letter, as the form validated it."""

    passport_name: str
    nationality: str
    birth_date: date
    passport_number: str
    passport_expires_on: date


class LetterRefused(ValueError):
    """A letter cannot be asked for now: ``reason`` says why, for the page to word."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def letter_of(registration: Registration) -> VisaLetter | None:
    return db.session.scalar(
        select(VisaLetter).where(VisaLetter.registration_id == registration.id)
    )


def may_ask(registration: Registration) -> bool:
    """Whether the person may ask for a letter (or change the request that waits)."""
    event = registration.event
    return event.visa_letters and registration.status in ATTENDING


def request_letter(
    registration: Registration, details: PassportDetails, *, now: datetime
) -> VisaLetter:
    """Ask for a letter, or change the request that waits (or was declined, or whose letter
    the organisers revoked: asking again puts it back before them, and approving it issues a
    new letter with a new reference). Raises LetterRefused when the event gives no letters,
    the registration is cancelled, or the letter was issued and is in force (it cannot
    change).

    The first request is an INSERT in a savepoint: a twin sent at the same moment hits the
    unique registration id and becomes a change of the twin's row. A change is one
    conditional UPDATE from "requested", "declined" or a revoked "approved", so an approval
    that came first is never turned back into a request."""
    if not registration.event.visa_letters:
        raise LetterRefused("not_offered")
    if registration.status not in ATTENDING:
        raise LetterRefused("not_attending")
    passport = {
        "passport_name": details.passport_name,
        "nationality": details.nationality,
        "birth_date": details.birth_date,
        "passport_number": details.passport_number,
        "passport_expires_on": details.passport_expires_on,
    }
    if letter_of(registration) is None:
        letter = VisaLetter(registration_id=registration.id, event_id=registration.event_id,
                            status=LetterStatus.REQUESTED, requested_at=now, **passport)
        try:
            with db.session.begin_nested():
                db.session.add(letter)
            return letter
        except IntegrityError:
            pass  # the twin's row is there now: change it as below
    revoked = select(IssuedDocument.id).where(IssuedDocument.revoked_at.is_not(None))
    changed = transition(
        VisaLetter.status,
        (VisaLetter.registration_id == registration.id)
        & ((VisaLetter.status != LetterStatus.APPROVED) | VisaLetter.document_id.in_(revoked)),
        [LetterStatus.REQUESTED, LetterStatus.DECLINED, LetterStatus.APPROVED],
        LetterStatus.REQUESTED,
        requested_at=now, decided_at=None, decided_by_id=None, decline_message="",
        # A revoked letter stays revoked under its reference; the next approval issues anew.
        document_id=None,
        # The name as the column's validator would keep it (an UPDATE passes no validator).
        **{**passport, "passport_name": clean_name(details.passport_name)},
    )
    if not changed:
        raise LetterRefused("issued")
    return letter_of(registration)


def approve_letter(letter: VisaLetter, *, now: datetime, by: User | None) -> bool:
    """Issue the letter (an issued document in the name as in the passport: a reference and
    a verification link) and email it to the person in their language (written by the mail
    worker). False when the request no longer waited (decided already, by this click's twin
    or another organiser) or the person no longer attends: then nothing changes and nobody is
    emailed. Raises LetterRefused("no_signatory") while the event names nobody to sign its
    letters: a consulate takes no unsigned letter."""
    if not letter.event.visa_signatory_name:
        raise LetterRefused("no_signatory")
    registration = letter.registration
    if registration.status not in ATTENDING or not letter.has_passport_data:
        return False
    approved = transition(
        VisaLetter.status,
        VisaLetter.id == letter.id,
        [LetterStatus.REQUESTED],
        LetterStatus.APPROVED,
        decided_at=now,
        decided_by_id=by.id if by is not None else None,
    )
    if not approved:
        return False
    document = issued.issue(registration, KIND, language=registration.language.value, now=now,
                            holder_name=letter.passport_name)
    letter.document_id = document.id
    db.session.flush()
    _queue(registration, LETTER_EMAIL)
    return True


def decline_letter(
    letter: VisaLetter, *, now: datetime, by: User | None, message: str = ""
) -> bool:
    """Decline the request, emailing the person with the organiser's ``message`` if any.
    False when it no longer waited."""
    declined = transition(
        VisaLetter.status,
        VisaLetter.id == letter.id,
        [LetterStatus.REQUESTED],
        LetterStatus.DECLINED,
        decided_at=now,
        decided_by_id=by.id if by is not None else None,
        decline_message=message,
    )
    if not declined:
        return False
    _queue(letter.registration, DECLINED_EMAIL, message=message)
    return True


def revoke_letter(letter: VisaLetter, *, now: datetime, by: User | None) -> bool:
    """Revoke an issued letter: its verification page says "revoked" from now on (the same
    as revoking it among the event's issued documents). False when it was not in force."""
    if letter.document is None:
        return False
    return issued.revoke(letter.document, by=by, now=now)


def _queue(registration: Registration, template: str, *, message: str = "") -> None:
    arguments = {"template": template}
    if message:
        arguments["message"] = message
    mail.queue(
        mail.Recipient(
            registration.email, registration_id=registration.id, name=registration.full_name
        ),
        kind=template,
        renderer=RENDERER,
        arguments=arguments,
        event_id=registration.event_id,
    )


def requests_of(event: Event) -> list[VisaLetter]:
    """The event's letters, the requests waiting first, each group oldest first."""
    waiting_first = VisaLetter.status != LetterStatus.REQUESTED
    return list(db.session.scalars(
        select(VisaLetter)
        .where(VisaLetter.event_id == event.id)
        .order_by(waiting_first, VisaLetter.requested_at, VisaLetter.id)
    ))


def passport_deleted_on(event: Event) -> datetime:
    """When the passport details given for the event's letters are deleted."""
    return event.ends_at + timedelta(days=event.passport_data_days)


PASSPORT_COLUMNS = {
    "passport_name": "",
    "nationality": "",
    "birth_date": None,
    "passport_number": "",
    "passport_expires_on": None,
}


def purge_passport_data(*, now: datetime, dry_run: bool = False) -> dict[int, int]:
    """Empty the passport details of every event past its ``passport_data_days``, and the
    letters attached to emails already sent (they quote them); emails of letters not sent
    yet are dropped (they could no longer be written). The letter's reference, holder's name
    and state stay: it can still be verified. Returns {event id: letters emptied}; the
    caller commits."""
    due: dict[int, int] = {}
    rows = db.session.execute(
        select(VisaLetter.id, VisaLetter.event_id, VisaLetter.registration_id)
        .join(Event, Event.id == VisaLetter.event_id)
        .where(VisaLetter.passport_purged_at.is_(None))
        .order_by(VisaLetter.id)
    ).all()
    events = {e.id: e for e in db.session.scalars(
        select(Event).where(Event.id.in_({row.event_id for row in rows}))
    )} if rows else {}
    chosen = [row for row in rows if passport_deleted_on(events[row.event_id]) <= now]
    for row in chosen:
        due[row.event_id] = due.get(row.event_id, 0) + 1
    if dry_run or not chosen:
        return due
    ids = [row.id for row in chosen]
    db.session.execute(
        update(VisaLetter)
        .where(VisaLetter.id.in_(ids))
        .values(passport_purged_at=now, **PASSPORT_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    letter_emails = (OutboxMessage.kind == LETTER_EMAIL) & OutboxMessage.registration_id.in_(
        [row.registration_id for row in chosen]
    )
    mail.drop_unsent(letter_emails)
    mail.drop_attachments(letter_emails)
    for event_id, count in due.items():
        audit.record(audit.PASSPORT_DATA_PURGED, event_id=event_id, detail={"letters": count})
    return due
