"""Rules about events as the public sees them, and registration (RSVP) to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    Select,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import flag_modified

from .. import addresses
from ..addresses import checked_email, normalise_email
from ..extensions import db
from ..models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    Registration,
    RegistrationDay,
    RegistrationStatus,
)
from ..models._base import new_token, worth_looking_up
from .emails import queue_status_email

# The statements of an RSVP, built once: building and hashing a statement costs more than
# running it, and an RSVP is the request that must stay fast under load. Each takes its values
# as parameters.
_PUBLISHED_EVENT = select(Event).where(
    Event.slug == bindparam("slug"), Event.is_published.is_(True)
)
_EVENT = Event.__table__
_CLAIM_SEAT = (
    update(_EVENT)
    .where(_EVENT.c.id == bindparam("event"), _EVENT.c.seats_taken < _EVENT.c.capacity)
    .values(seats_taken=_EVENT.c.seats_taken + 1)
)
_INSERT_DAYS = insert(RegistrationDay.__table__)


def upcoming_events(now: datetime, limit: int | None = None) -> list[Event]:
    """Published events that have not ended, soonest first."""
    query = (
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def past_events(now: datetime, limit: int = 20) -> list[Event]:
    query = (
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at <= now)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def published_event(slug: str) -> Event | None:
    """The event the public may see under this slug; drafts do not exist for them."""
    if not worth_looking_up(slug, 120):
        return None
    return db.session.scalar(_PUBLISHED_EVENT, {"slug": slug})


# Registration ---------------------------------------------------------------------------------


class RegistrationError(Exception):
    """A registration that the rules refuse; the message is for the person registering."""


class RegistrationClosed(RegistrationError):
    """Registration is not possible now. ``reason`` is "draft", "not_open" or "closed"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvitationRequired(RegistrationError):
    """The event is by invitation only and no valid invitation came with the registration."""


class InvalidDays(RegistrationError):
    """The chosen days are not days of the event."""


class AlreadyRegistered(RegistrationError):
    """Another registration of the same event already uses that email address."""


class InvalidEmail(RegistrationError):
    """Not an email address (the form checks first; this guards direct callers)."""


def _checked_address(value: str) -> tuple[str, str]:
    """The address as stored, and its key; ``InvalidEmail`` (a RegistrationError) if none."""
    try:
        email = checked_email(value)
    except addresses.InvalidEmail as exc:
        raise InvalidEmail(str(exc)) from exc
    return email, normalise_email(email)


@dataclass
class RegistrationDetails:
    full_name: str
    email: str
    organisation: str
    country: str
    days: list[date]
    needs: str
    language: str


@dataclass
class RegistrationOutcome:
    registration: Registration
    created: bool


def invitation_for(event: Event, token: str | None) -> Invitation | None:
    """The invitation of ``event`` carrying ``token``, unless it was revoked."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(Invitation).where(
            Invitation.event_id == event.id,
            Invitation.token == token,
            Invitation.status != InvitationStatus.REVOKED,
        )
    )


def registration_by_token(token: str) -> Registration | None:
    if not worth_looking_up(token):
        return None
    return db.session.scalar(select(Registration).where(Registration.token == token))


def existing_registration(event: Event, email_normalised: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalised == email_normalised,
        )
    )


def _checked_days(event: Event, days: list[date]) -> list[date]:
    event_days = event.days
    if len(event_days) == 1 and not days:
        return event_days
    chosen = sorted(set(days))
    if not chosen or any(day not in event_days for day in chosen):
        raise InvalidDays()
    return chosen


def _claim_seat(event: Event) -> bool:
    """Take one seat if one is free: one statement, which the database serialises.

    PostgreSQL locks the event row until commit, and re-checks the condition on the row as
    it stands then; SQLite's write lock, taken by a transaction's first write (waiting for
    the busy timeout rather than failing on a stale snapshot), is held until commit too.
    """
    result = db.session.execute(_CLAIM_SEAT, {"event": event.id})
    db.session.expire(event, ["seats_taken"])
    return result.rowcount == 1


def _release_seat(event: Event) -> None:
    db.session.execute(
        update(Event)
        .where(Event.id == event.id, Event.seats_taken > 0)
        .values(seats_taken=Event.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event, ["seats_taken"])


def register(
    event: Event,
    details: RegistrationDetails,
    *,
    now: datetime,
    invitation: Invitation | None = None,
) -> RegistrationOutcome:
    """Register a person: a seat if one is free, else the waiting list; the caller commits.

    Registering twice with the same address creates nothing and returns the first
    registration with ``created=False``; the database's unique constraint decides, so a
    double click racing itself gives the same answer.
    """
    state = event.registration_state(now)
    if state != "open":
        raise RegistrationClosed(state)
    if invitation is not None and (
        invitation.event_id != event.id or invitation.status is InvitationStatus.REVOKED
    ):
        invitation = None
    if event.invite_only and invitation is None:
        raise InvitationRequired()
    email, email_normalised = _checked_address(details.email)
    days = _checked_days(event, details.days)

    if invitation is not None and db.session.scalar(
        select(Registration.id).where(Registration.invitation_id == invitation.id)
    ):
        # Already answered by someone else (a forwarded link): it admits them, but the
        # invitation stays linked to its first registration.
        invitation = None

    # Everything that takes CPU time comes before the writes, and the seat claim comes last:
    # from the claim to the commit, other registrations for this event wait (PostgreSQL's
    # lock on the event row; SQLite's write lock is taken by the first write). So the row
    # and its email are written for the status the person will most likely get, and put
    # right only if the claim says otherwise. This draft is never added to the session.
    draft = Registration(
        event=event,
        event_id=event.id,
        token=new_token(),
        full_name=details.full_name,
        email=email,
        email_normalised=email_normalised,
        organisation=details.organisation,
        country=details.country,
        needs=details.needs,
        language=Language(details.language),
        status=RegistrationStatus.CONFIRMED if event.seats_left else RegistrationStatus.WAITING,
        consented_at=now,
        created_at=now,
        updated_at=now,
        invitation_id=invitation.id if invitation is not None else None,
        checked_in_at=None,
        cancelled_at=None,
    )

    # The unique constraint on (event, address) decides in the INSERT itself whether this is
    # a second registration (a repeat, or a double click racing itself): no earlier look-up,
    # no SAVEPOINT, nothing to undo.
    values = {column: getattr(draft, column) for column in _REGISTRATION_COLUMNS}
    written = _write_registration(values, days)
    while written is None:
        existing = existing_registration(event, email_normalised)
        if existing is not None and existing.status is RegistrationStatus.CANCELLED:
            return _register_again(existing, details, days, now=now)
        if existing is not None:
            return RegistrationOutcome(existing, created=False)
        # The row it collided with was deleted meanwhile: the address is free again.
        written = _write_registration(values, days)
    # The draft is that row now: into the session as it is, without reading it back. Its
    # days, not loaded, are read on first use.
    draft.id, seat_claimed = written
    make_transient_to_detached(draft)
    db.session.add(draft)
    db.session.expire(event, ["seats_taken"])
    registration = draft

    if invitation is not None:
        invitation.status = InvitationStatus.ACCEPTED
        invitation.answered_at = now
    status = RegistrationStatus.CONFIRMED if seat_claimed else RegistrationStatus.WAITING
    if status is not draft.status:
        # The event filled up (or a seat freed) since it was read: rare, so put right here.
        registration.status = status
        # The same moment as at the insert, which the column's onupdate would replace.
        registration.updated_at = now
        flag_modified(registration, "updated_at")
    db.session.flush()
    queue_status_email(registration, "registration_confirmation")
    return RegistrationOutcome(registration, created=True)


_REGISTRATION_COLUMNS = (
    "event_id", "token", "full_name", "email", "email_normalised", "organisation", "country",
    "needs", "language", "status", "consented_at", "created_at", "updated_at", "invitation_id",
)
_INSERT_REGISTRATION = (
    sqlite_insert(Registration.__table__)
    .on_conflict_do_nothing(index_elements=["event_id", "email_normalised"])
    .returning(Registration.__table__.c.id)
)


def _write_registration(values: dict[str, Any], days: list[date]) -> tuple[int, bool] | None:
    """Insert a registration with its days and its email, and claim it a seat if one is
    free: the new row's id and whether it got the seat, or None when that address is already
    registered for the event (INSERT ... ON CONFLICT DO NOTHING).

    On the tables, not through the ORM, whose handling of the values costs more than the
    statements. PostgreSQL does it all in one statement, one round trip instead of four.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        written = db.session.execute(
            _postgresql_registration(),
            {
                **{f"registration_{key}": value for key, value in values.items()},
                "days": days,
                "event": values["event_id"],
            },
        ).one_or_none()
        return None if written is None else (written.id, written.seat_claimed)
    registration_id = db.session.scalar(_INSERT_REGISTRATION, values)
    if registration_id is None:
        return None
    db.session.execute(
        _INSERT_DAYS, [{"registration_id": registration_id, "day": day} for day in days]
    )
    # Last, because from the claim to the commit other registrations for the event wait.
    return registration_id, db.session.execute(
        _CLAIM_SEAT, {"event": values["event_id"]}
    ).rowcount == 1


@cache
def _postgresql_registration() -> Select:
    """The four writes of ``_write_registration`` as data-modifying CTEs of one statement.

    They all see one snapshot, and each takes the registration's id from its RETURNING: when
    there is no row (the address was taken), there are no days, no email and no seat taken.
    """
    registration, day = Registration.__table__, RegistrationDay.__table__

    def parameter(table, prefix: str, column: str):
        # Cast: in INSERT ... SELECT, PostgreSQL cannot infer a parameter's type.
        kind = table.c[column].type
        return cast(bindparam(f"{prefix}_{column}", type_=kind), kind)

    new = (
        postgresql_insert(registration)
        .from_select(
            _REGISTRATION_COLUMNS,
            select(*(parameter(registration, "registration", c) for c in _REGISTRATION_COLUMNS)),
        )
        .on_conflict_do_nothing(index_elements=["event_id", "email_normalised"])
        .returning(registration.c.id)
        .cte("new_registration")
    )
    attendance = (
        insert(day)
        .from_select(
            ["registration_id", "day"],
            select(new.c.id, func.unnest(bindparam("days", type_=ARRAY(Date)))),
        )
        .cte("attendance")
    )
    seat = (
        _CLAIM_SEAT.where(exists(select(new.c.id)))
        .returning(_EVENT.c.id)
        .cte("seat")
    )
    return select(
        new.c.id, exists(select(seat.c.id)).label("seat_claimed")
    ).add_cte(attendance)


def _register_again(
    registration: Registration, details: RegistrationDetails, days: list[date], *, now: datetime
) -> RegistrationOutcome:
    """Someone who cancelled registers again: the same row (the address stays unique) with
    the new details, joining the end of the queue as if new."""
    event = registration.event
    confirmed = _claim_seat(event)
    status = RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITING
    # Conditional, like the seat: of two simultaneous attempts, one reopens the row.
    reopened = db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.CANCELLED,
        )
        .values(status=status, cancelled_at=None, created_at=now, consented_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.expire(registration, ["status", "cancelled_at", "created_at", "consented_at"])
    if not reopened:
        if confirmed:
            _release_seat(event)
        return RegistrationOutcome(registration, created=False)
    current_days = registration.days
    registration.full_name = details.full_name
    registration.organisation = details.organisation
    registration.country = details.country
    registration.needs = details.needs
    registration.language = Language(details.language)
    registration.updated_at = now
    if current_days != days:
        kept = {a.day: a for a in registration.attendance}
        registration.attendance = [kept.get(day) or RegistrationDay(day=day) for day in days]
    queue_status_email(registration, "registration_confirmation")
    db.session.flush()
    return RegistrationOutcome(registration, created=True)


def waiting_position(registration: Registration) -> int | None:
    """1 for the next person to get a seat; None for someone not waiting. The queue is in
    order of registration time."""
    if registration.status is not RegistrationStatus.WAITING:
        return None
    return 1 + db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            or_(
                Registration.created_at < registration.created_at,
                and_(
                    Registration.created_at == registration.created_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    )


def update_registration(registration: Registration, details: RegistrationDetails) -> None:
    """Change what the person told us; the caller commits.

    Raises ``AlreadyRegistered`` when the new address belongs to another registration of the
    same event; the caller then rolls back.
    """
    event = registration.event
    email, email_normalised = _checked_address(details.email)
    days = _checked_days(event, details.days)
    if email_normalised != registration.email_normalised:
        other = existing_registration(event, email_normalised)
        if other is not None and other.id != registration.id:
            raise AlreadyRegistered()
    current_days = registration.days  # loaded before the changes, so nothing flushes early
    registration.full_name = details.full_name
    registration.email = email
    registration.email_normalised = email_normalised
    registration.organisation = details.organisation
    registration.country = details.country
    registration.needs = details.needs
    registration.language = Language(details.language)
    if current_days != days:
        kept = {a.day: a for a in registration.attendance}
        registration.attendance = [kept.get(day) or RegistrationDay(day=day) for day in days]
    try:
        # No SAVEPOINT here: on SQLite one opened before any write would start, and on
        # release commit, the whole transaction.
        db.session.flush()
    except IntegrityError as exc:
        raise AlreadyRegistered() from exc


def cancel_registration(registration: Registration, *, now: datetime) -> Registration | None:
    """Cancel, free the seat, and give it to the first person waiting; the caller commits.

    Returns the registration promoted, if any. Both people are emailed.
    """
    if registration.status is RegistrationStatus.CANCELLED:
        return None
    event = registration.event
    was_confirmed = registration.status is RegistrationStatus.CONFIRMED
    if was_confirmed:
        _release_seat(event)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    queue_status_email(registration, "registration_cancelled")
    db.session.flush()
    if not was_confirmed:
        return None
    first_waiting = _first_waiting(event)
    if first_waiting is None or not promote_registration(first_waiting, now=now):
        return None
    return first_waiting


def fill_free_seats(event: Event, *, now: datetime) -> list[Registration]:
    """Give the event's free seats to the people waiting, in the order they registered, and
    email each of them (seats were added); the caller commits. Returns those promoted."""
    promoted: list[Registration] = []
    while event.seats_left > 0 and (waiting := _first_waiting(event)) is not None:
        if not promote_registration(waiting, now=now):
            break
        promoted.append(waiting)
    return promoted


def _first_waiting(event: Event) -> Registration | None:
    return db.session.scalar(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITING,
        )
        .order_by(Registration.created_at, Registration.id)
        .limit(1)
    )


def promote_registration(registration: Registration, *, now: datetime) -> bool:
    """Move a waiting person to the confirmed list if a seat is free, and email them."""
    if registration.status is not RegistrationStatus.WAITING:
        return False
    if not _claim_seat(registration.event):
        return False
    registration.status = RegistrationStatus.CONFIRMED
    registration.updated_at = now
    queue_status_email(registration, "registration_promoted")
    db.session.flush()
    return True


def send_confirmation(registration: Registration) -> None:
    """Queue again the email that tells the person where they stand (the organiser's
    "resend"): the confirmation, or the cancellation notice if they cancelled."""
    if registration.id is None:
        db.session.flush()
    template = (
        "registration_cancelled"
        if registration.status is RegistrationStatus.CANCELLED
        else "registration_confirmation"
    )
    queue_status_email(registration, template)


def send_manage_link(event: Event, email: str) -> bool:
    """Email the manage link to ``email`` if it is registered for ``event``.

    The caller tells everyone the same thing whatever this returns, so that a stranger learns
    nothing about who is registered.
    """
    registration = existing_registration(event, normalise_email(email))
    if registration is None:
        return False
    queue_status_email(registration, "registration_link")
    return True

