"""The organiser's side of registrations: the registrant list (filter, search, sort, pages,
counts), the emails about one registration, and check-in at the door.

A list of 100,000 registrations is never loaded whole: one page is one indexed query with
LIMIT/OFFSET, and the counts are aggregates the database computes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..folding import contains
from ..models import (
    CHOICE_KINDS,
    Answer,
    Event,
    OutboxMessage,
    Question,
    Registration,
    RegistrationDay,
    RegistrationStatus,
)
from ..models._base import worth_looking_up

PER_PAGE = 50
_STATUS_VALUES = {s.value for s in RegistrationStatus}

# The columns a list may be sorted by, by the name used in the address. Only these reach SQL.
SORTS: dict[str, Any] = {
    "name": Registration.full_name,
    "email": Registration.email_normalised,
    "organisation": Registration.organisation,
    "country": Registration.country,
    "status": Registration.status,
    "registered": Registration.id,
    "checked_in": Registration.checked_in_at,
}


@dataclass(frozen=True)
class RegistrantFilter:
    """What the organiser asked to see: the list, the exports and the links all share it."""

    q: str = ""
    status: RegistrationStatus | None = None
    day: date | None = None
    sort: str = "registered"
    descending: bool = False
    # An option of one of the event's questions: those who chose it.
    choice: int | None = None
    # The questions shown as columns of the list, by id.
    columns: tuple[int, ...] = ()

    @classmethod
    def from_args(cls, args, event: Event) -> RegistrantFilter:
        """Read the query string; anything unknown is ignored rather than refused."""
        status = args.get("status", "")
        day = None
        try:
            day = date.fromisoformat(args.get("day", ""))
        except ValueError:
            day = None
        sort = args.get("sort", "registered")
        choice = args.get("choice", "")
        return cls(
            choice=int(choice) if choice.isdigit() and len(choice) < 10 else None,
            columns=tuple(int(c) for c in args.getlist("column")[:50]
                          if c.isdigit() and len(c) < 10),
            q=" ".join(args.get("q", "").split())[:200],
            status=RegistrationStatus(status) if status in _STATUS_VALUES else None,
            day=day if day in event.days else None,
            sort=sort if sort in SORTS else "registered",
            descending=args.get("order") == "desc",
        )

    def to_args(self, **changes: Any) -> dict[str, Any]:
        """This filter as query-string arguments, with ``changes`` applied; defaults left out."""
        f = replace(self, **changes)
        args = {
            "q": f.q,
            "status": f.status.value if f.status else "",
            "day": f.day.isoformat() if f.day else "",
            "sort": f.sort if f.sort != "registered" else "",
            "order": "desc" if f.descending else "",
            "choice": str(f.choice) if f.choice else "",
            "column": [str(c) for c in f.columns],
        }
        return {k: v for k, v in args.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.day or self.choice)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _typed_answers_contain(event: Event, text: str) -> list:
    """A typed answer (not to a sensitive question) contains ``text``: only on an event that
    asks such questions, since the condition keeps PostgreSQL from answering the search
    from its trigram index alone."""
    typed = select(Question.id).where(
        Question.event_id == event.id,
        Question.sensitive.is_(False),
        Question.kind.not_in(CHOICE_KINDS),
    )
    if db.session.scalar(typed.limit(1)) is None:
        return []
    return [exists().where(
        Answer.registration_id == Registration.id,
        Answer.question_id.in_(typed.scalar_subquery()),
        contains(Answer.value, text, _dialect()),
    )]


def filtered_query(event: Event, f: RegistrantFilter, *columns) -> Select:
    """The registrations of ``event`` matching ``f``, sorted; ``columns`` default to the row."""
    query = select(*columns) if columns else select(Registration)
    query = query.where(Registration.event_id == event.id)
    if f.q:
        dialect = _dialect()
        query = query.where(
            or_(
                contains(Registration.full_name, f.q, dialect),
                contains(Registration.email_normalised, f.q, dialect),
                contains(Registration.organisation, f.q, dialect),
                *_typed_answers_contain(event, f.q),
            )
        )
    if f.choice is not None:
        query = query.where(
            exists().where(Answer.registration_id == Registration.id, Answer.option_id == f.choice)
        )
    if f.status is not None:
        query = query.where(Registration.status == f.status)
    if f.day is not None:
        query = query.where(
            exists().where(
                RegistrationDay.registration_id == Registration.id, RegistrationDay.day == f.day
            )
        )
    column = SORTS[f.sort]
    ordered = column.desc() if f.descending else column.asc()
    if f.sort == "checked_in":
        # Those not checked in last, in either direction, on both engines.
        ordered = ordered.nulls_last()
    tie = Registration.id.desc() if f.descending else Registration.id.asc()
    return query.order_by(ordered, tie) if f.sort != "registered" else query.order_by(ordered)


@dataclass(frozen=True)
class Counts:
    confirmed: int
    waiting: int
    # Registered, on an event that asks for it, but the address not confirmed yet: a seat (or
    # a place in the queue) held until the link is followed or the hold runs out.
    unconfirmed: int
    cancelled: int
    checked_in: int
    seats_left: int
    # On an event that requires approval: waiting for the organisers' decision (no seat), and
    # declined by them.
    pending_approval: int = 0
    declined: int = 0

    @property
    def total(self) -> int:
        return (
            self.confirmed + self.waiting + self.cancelled + self.unconfirmed
            + self.pending_approval + self.declined
        )


def registration_counts(event: Event) -> Counts:
    by_status = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    checked_in = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event.id, Registration.checked_in_at.is_not(None)
        )
    )
    return Counts(
        confirmed=by_status.get(RegistrationStatus.CONFIRMED, 0),
        waiting=by_status.get(RegistrationStatus.WAITING, 0),
        unconfirmed=by_status.get(RegistrationStatus.PENDING, 0)
        + by_status.get(RegistrationStatus.PENDING_WAITING, 0),
        cancelled=by_status.get(RegistrationStatus.CANCELLED, 0),
        checked_in=checked_in or 0,
        pending_approval=by_status.get(RegistrationStatus.PENDING_APPROVAL, 0),
        declined=by_status.get(RegistrationStatus.DECLINED, 0),
        seats_left=event.seats_left,
    )


def registrant_page(
    event: Event, f: RegistrantFilter, number: int, per_page: int = PER_PAGE
) -> Pagination:
    """One page of the registrations matching ``f``; before the first page or past the last
    (an old link, a hand-typed number), the nearest one."""
    # Two statements, the page and the count: a page of a common search is found in the
    # first rows read, and counting alone reads the rest once (a window counting beside the
    # page would keep every match in memory and sort them all).
    query = filtered_query(event, f).options(selectinload(Registration.attendance))
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    if not page.items and page.pages:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page


def emails_about(registration: Registration) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration.id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        )
    )



# Check-in ------------------------------------------------------------------------------------

def registration_for_check_in(token: str) -> Registration | None:
    """The registration whose check-in code (QR code) carries ``token``."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(Registration).where(
            or_(
                Registration.check_in_token == token,
                and_(Registration.legacy_ticket.is_(True), Registration.token == token),
            )
        )
    )


def check_in_search(event: Event, q: str, limit: int) -> list[Registration]:
    """Registrations of ``event`` whose name, address or organisation contains ``q``, by name."""
    if not q:
        return []
    query = filtered_query(event, RegistrantFilter(q=q, sort="name"))
    return list(db.session.scalars(query.limit(limit)))


class CheckInOutcome(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"
    NOT_CONFIRMED = "not_confirmed"


@dataclass(frozen=True)
class CheckInResult:
    outcome: CheckInOutcome
    # When the person was checked in: now, or earlier when they already were.
    checked_in_at: datetime | None


def mark_checked_in(registration: Registration, *, at: datetime, by: int | None) -> bool:
    """Record that a confirmed registrant arrived ``at`` that moment, checked in by the user
    whose id is ``by``: one conditional UPDATE, true only for the one call that recorded it
    (the desk's scan and the door's synced queue alike)."""
    return db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_(None),
        )
        .values(checked_in_at=at, checked_in_by_id=by)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def check_in(registration: Registration, *, now: datetime, by: int | None) -> CheckInResult:
    """Mark a confirmed registrant as arrived, once, by the user whose id is ``by``.

    One conditional UPDATE, so that two organisers scanning the same code at once check the
    person in once and the second is told when the first did.
    """
    changed = mark_checked_in(registration, at=now, by=by)
    db.session.refresh(registration)
    if changed:
        return CheckInResult(CheckInOutcome.CHECKED_IN, registration.checked_in_at)
    if registration.checked_in_at is not None:
        return CheckInResult(CheckInOutcome.ALREADY, registration.checked_in_at)
    return CheckInResult(CheckInOutcome.NOT_CONFIRMED, None)
