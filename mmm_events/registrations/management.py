"""The organiser's side of registrations: the registrant list (filter, search, sort, pages,
counts), the emails about one registration, and check-in at the door.

A list of 100,000 registrations is never loaded whole: one page is one indexed query with
LIMIT/OFFSET, and the counts are aggregates the database computes.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Event, OutboxMessage, Registration, RegistrationDay, RegistrationStatus
from ..models._base import worth_looking_up
from ..pagination import Page

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
        return cls(
            q=" ".join(args.get("q", "").split())[:200],
            status=RegistrationStatus(status) if status in _STATUS_VALUES else None,
            day=day if day in event.days else None,
            sort=sort if sort in SORTS else "registered",
            descending=args.get("order") == "desc",
        )

    def to_args(self, **changes: Any) -> dict[str, str]:
        """This filter as query-string arguments, with ``changes`` applied; defaults left out."""
        f = replace(self, **changes)
        args = {
            "q": f.q,
            "status": f.status.value if f.status else "",
            "day": f.day.isoformat() if f.day else "",
            "sort": f.sort if f.sort != "registered" else "",
            "order": "desc" if f.descending else "",
        }
        return {k: v for k, v in args.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.day)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, text: str):
    """``column`` contains ``text``, ignoring case, on every engine."""
    if db.session.get_bind().dialect.name != "sqlite":
        # lower() LIKE reads 100,000 rows about twice as fast as ILIKE on PostgreSQL.
        return func.lower(column).like(_like_pattern(text.lower()), escape="\\")
    if text.isascii():
        # SQLite's LIKE already ignores the case of ASCII letters, and is fastest alone.
        return column.like(_like_pattern(text), escape="\\")
    folded = func.casefold(column).like(_like_pattern(text.casefold()), escape="\\")
    # Python's casefold runs per row; the query's longest ASCII stretch, which any match
    # contains too, lets SQLite's own LIKE discard most rows before it is called.
    stretch = max(re.findall(r"[\x20-\x7e]+", text), key=len, default="")
    if len(stretch.strip()) < 2:
        return folded
    return and_(column.like(_like_pattern(stretch), escape="\\"), folded)


def filtered_query(event: Event, f: RegistrantFilter, *columns) -> Select:
    """The registrations of ``event`` matching ``f``, sorted; ``columns`` default to the row."""
    query = select(*columns) if columns else select(Registration)
    query = query.where(Registration.event_id == event.id)
    if f.q:
        query = query.where(
            or_(
                _contains(Registration.full_name, f.q),
                _contains(Registration.email_normalised, f.q),
                _contains(Registration.organisation, f.q),
            )
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
    cancelled: int
    checked_in: int
    seats_left: int

    @property
    def total(self) -> int:
        return self.confirmed + self.waiting + self.cancelled


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
        cancelled=by_status.get(RegistrationStatus.CANCELLED, 0),
        checked_in=checked_in or 0,
        seats_left=event.seats_left,
    )


def registrant_page(
    event: Event, f: RegistrantFilter, number: int, per_page: int = PER_PAGE
) -> Page:
    # Two statements, the count and the page: a page of a common search is found in the
    # first rows read, and counting alone reads the rest once (a window counting beside the
    # page would keep every match in memory and sort them all).
    total = db.session.scalar(
        filtered_query(event, f, func.count(Registration.id)).order_by(None)
    )
    if total == 0:
        return Page(items=[], number=1, total=0, per_page=per_page)
    # Before the first page or past the last (an old link, a hand-typed number): the nearest.
    number = min(max(number, 1), math.ceil(total / per_page))
    items = db.session.scalars(
        filtered_query(event, f)
        .options(selectinload(Registration.attendance))
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return Page(items=list(items), number=number, total=total, per_page=per_page)


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


def check_in(registration: Registration, *, now: datetime) -> CheckInResult:
    """Mark a confirmed registrant as arrived, once.

    One conditional UPDATE, so that two organisers scanning the same code at once check the
    person in once and the second is told when the first did.
    """
    changed = db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_(None),
        )
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(registration)
    if changed == 1:
        return CheckInResult(CheckInOutcome.CHECKED_IN, registration.checked_in_at)
    if registration.checked_in_at is not None:
        return CheckInResult(CheckInOutcome.ALREADY, registration.checked_in_at)
    return CheckInResult(CheckInOutcome.NOT_CONFIRMED, None)
