"""Check-in at the door with or without a network: the event's list as the phone keeps it,
and the check-ins the phone queued, recorded once each.

The phone makes a key (a UUID) for every check-in or undo when it is made, and sends it until
the server answers; the key is unique in ``check_in_receipt``, so a batch sent again after a
lost answer records nothing twice (the receipts are inserted with ON CONFLICT DO NOTHING, and
only the keys this request inserted are acted on). Each change of a registration is one
conditional UPDATE whose row count decides, so two phones checking in one ticket record one
check-in, and the other is told who was first.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from .. import attempts, audit
from ..extensions import db
from ..models import (
    AccountAttempt,
    AttemptKind,
    CheckInReceipt,
    Event,
    Registration,
    RegistrationStatus,
    User,
)
from ..models._base import UTCDateTime, worth_looking_up
from ..transitions import lock_in_order
from .management import mark_checked_in
from .status import REGISTRATION_ORDER

SYNC_LIMIT = "CHECK_IN_SYNC_LIMIT_PER_ACCOUNT"
# More than one door's half hour of arrivals, and small enough to answer in well under a second.
MAX_BATCH = 500
# A phone's clock may be wrong: a check-in said to be made in the future is taken as made now,
# and one older than this (a phone left offline for days) too.
OLDEST_MADE_AT = timedelta(days=2)
# The list stays on the phone until this long after the event ends, then the page deletes it.
KEPT_AFTER_EVENT = timedelta(days=1)


class Outcome(enum.StrEnum):
    NEW = "new"  # recorded now
    ALREADY = "already"  # someone else (another phone, or this one earlier) was first
    REPEAT = "repeat"  # this very check-in was recorded before: a retry
    NOT_CONFIRMED = "not_confirmed"  # waiting list, cancelled or address not confirmed
    UNDONE = "undone"
    NOT_CHECKED_IN = "not_checked_in"  # an undo of a check-in that is not there
    UNKNOWN = "unknown"  # no ticket of this event has this code


@dataclass(frozen=True)
class QueuedCheckIn:
    key: str
    code: str
    made_at: datetime
    undo: bool = False


class BadBatch(ValueError):
    """The batch is not what the page sends: refused whole, nothing recorded."""


def keep_until(event: Event) -> datetime:
    return event.ends_at + KEPT_AFTER_EVENT


def person(registration: Registration, by: dict[int, str]) -> dict[str, Any]:
    """What the door needs about one registration, and nothing else (no address, no answers)."""
    return {
        "code": registration.check_in_token,
        "name": registration.full_name,
        "organisation": registration.organisation,
        "status": registration.status.value,
        "days": [day.isoformat() for day in registration.days],
        "checked_in_at": _iso(registration.checked_in_at),
        "checked_in_by": by.get(registration.checked_in_by_id or 0, ""),
    }


def door_list(event: Event, since: datetime | None) -> list[dict[str, Any]]:
    """The event's registrations as the phone keeps them; only those changed after ``since``
    when it is given (the phone's last refresh)."""
    query = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.attendance))
        .order_by(Registration.id)
    )
    if since is not None:
        query = query.where(Registration.updated_at > since)
    registrations = list(db.session.scalars(query))
    return [person(r, _names_of_checkers(registrations)) for r in registrations]


def parse_batch(payload: Any, *, now: datetime) -> list[QueuedCheckIn]:
    """The queued check-ins in a request's JSON body, or ``BadBatch``."""
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        raise BadBatch("items")
    return [_parse_item(item, now) for item in items]


def _parse_item(item: Any, now: datetime) -> QueuedCheckIn:
    if not isinstance(item, dict):
        raise BadBatch("item")
    key, code, made_at = item.get("key"), item.get("code"), item.get("made_at")
    try:
        key = str(uuid.UUID(key)) if isinstance(key, str) and len(key) == 36 else None
        made = datetime.fromisoformat(made_at) if isinstance(made_at, str) else None
    except ValueError:
        raise BadBatch("key or time") from None
    if key is None or made is None or made.tzinfo is None or not worth_looking_up(code):
        raise BadBatch("item")
    if not now - OLDEST_MADE_AT <= made <= now:
        made = now
    return QueuedCheckIn(key=key, code=code, made_at=made, undo=item.get("undo") is True)


def count_sync(user: User, *, now: datetime) -> None:
    """Count a batch sent by ``user`` and commit; ``TooManyAttempts`` when over the limit."""
    limit = attempts.configured_limit(SYNC_LIMIT)
    row = AccountAttempt(
        kind=AttemptKind.CHECK_IN_SYNC, at=now, address_digest="",
        account_digest=attempts.digest("organiser", str(user.id)),
    )  # fmt: skip
    db.session.add(row)
    db.session.commit()
    until = attempts.refused_until(
        AttemptKind.CHECK_IN_SYNC, now=now, limit=limit, account=row.account_digest,
        excluding=row.id,
    )  # fmt: skip
    if until is not None:
        attempts.withdraw(row.id)
        attempts.prune((AttemptKind.CHECK_IN_SYNC,), now - limit[1])
        db.session.commit()
        raise attempts.TooManyAttempts(until)


def record_batch(
    event: Event, user: User, batch: list[QueuedCheckIn], *, now: datetime
) -> list[dict[str, Any]]:
    """Record each queued check-in of ``batch`` once, in order; for each, what happened and
    the registration as it now stands. The caller commits."""
    by_code = {
        r.check_in_token: r
        for r in db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.check_in_token.in_({item.code for item in batch}),
            )
        )
    }
    known = [item for item in batch if item.code in by_code]
    claimed = _claim_keys(event, user, known, by_code, now)
    # A key sent twice in one batch is acted on once, the first time.
    mine = list({item.key: item for item in known if item.key in claimed}.values())
    outcomes = _apply(mine, user, by_code)
    for item in mine:
        if outcomes[item.key] in (Outcome.NEW, Outcome.UNDONE):
            action = audit.REGISTRANT_CHECK_IN_UNDONE if item.undo else audit.REGISTRANT_CHECKED_IN
            audit.record(action, event_id=event.id, actor=user,
                         detail={"registration": by_code[item.code].id, "key": item.key})
    if outcomes:
        receipts = CheckInReceipt.__table__
        db.session.execute(
            update(receipts).where(receipts.c.key == bindparam("claimed"))
            .values(outcome=bindparam("outcome")),
            [{"claimed": key, "outcome": outcome.value} for key, outcome in outcomes.items()],
        )  # fmt: skip
    # The registrations as they now stand, read again in one statement.
    db.session.scalars(
        select(Registration).where(Registration.id.in_([r.id for r in by_code.values()]))
        .options(selectinload(Registration.attendance))
        .execution_options(populate_existing=True)
    ).all()  # fmt: skip
    names = _names_of_checkers(list(by_code.values()))
    results = []
    for item in batch:
        registration = by_code.get(item.code)
        # A key claimed earlier (or twice in this batch) was recorded once: the rest repeat it.
        outcome = outcomes.pop(item.key, Outcome.REPEAT) if registration else Outcome.UNKNOWN
        results.append({"key": item.key, "outcome": outcome.value, "code": item.code,
                        "person": person(registration, names) if registration else None})
    return results


def _claim_keys(
    event: Event, user: User, items: list[QueuedCheckIn], by_code: dict[str, Registration],
    now: datetime,
) -> set[str]:
    """Insert the receipts of ``items`` whose keys are new, in one statement; the keys this
    request claimed. A key recorded before, or being recorded at this moment by another
    request (a retry racing the first attempt), is left to that one: the unique key decides."""
    if not items:
        return set()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(CheckInReceipt)
        .values([
            {"key": i.key, "event_id": event.id, "registration_id": by_code[i.code].id,
             "user_id": user.id, "undo": i.undo, "outcome": "", "made_at": i.made_at,
             "received_at": now}
            for i in items
        ])
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(CheckInReceipt.key)
    )  # fmt: skip
    return set(db.session.scalars(statement))


def _apply(
    items: list[QueuedCheckIn], user: User, by_code: dict[str, Registration]
) -> dict[str, Outcome]:
    """The outcome of each of ``items`` (their keys claimed by this request), applied in order.

    The usual batch, a door's arrivals, checks in each person once: one UPDATE for them all,
    whose RETURNING says who was checked in by it. A batch that also undoes, or names a person
    twice, is applied one conditional UPDATE at a time, in the order the phone made them.
    """
    if not items:
        return {}
    people = [by_code[item.code] for item in items]
    ids = {r.id for r in people}
    # Two phones syncing the same people (one ticket shown at two doors) lock them in one
    # order: each batch's UPDATE would otherwise lock them in its own plan's order.
    lock_in_order(Registration, Registration.id.in_(ids), *REGISTRATION_ORDER)
    if any(item.undo for item in items) or len(ids) < len(people):
        return {
            item.key: _undo(r) if item.undo else _check_in(r, user, item)
            for item, r in zip(items, people, strict=True)
        }
    table = Registration.__table__
    when = {
        r.id: literal(item.made_at, UTCDateTime()) for item, r in zip(items, people, strict=True)
    }
    checked_in = set(db.session.scalars(
        update(table)
        .where(table.c.id.in_(when), table.c.status == RegistrationStatus.CONFIRMED.value,
               table.c.checked_in_at.is_(None))
        .values(checked_in_at=case(when, value=table.c.id), checked_in_by_id=user.id)
        .returning(table.c.id)
    ))  # fmt: skip
    return {item.key: _outcome_of_check_in(r, r.id in checked_in)
            for item, r in zip(items, people, strict=True)}


def _outcome_of_check_in(registration: Registration, changed: bool) -> Outcome:
    if changed:
        return Outcome.NEW
    if registration.status is RegistrationStatus.CONFIRMED:
        return Outcome.ALREADY
    return Outcome.NOT_CONFIRMED


def _check_in(registration: Registration, user: User, item: QueuedCheckIn) -> Outcome:
    changed = mark_checked_in(registration, at=item.made_at, by=user.id)
    return _outcome_of_check_in(registration, changed)


def _undo(registration: Registration) -> Outcome:
    changed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.checked_in_at.is_not(None))
        .values(checked_in_at=None, checked_in_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return Outcome.UNDONE if changed == 1 else Outcome.NOT_CHECKED_IN


def _names_of_checkers(registrations: list[Registration]) -> dict[int, str]:
    ids = {r.checked_in_by_id for r in registrations if r.checked_in_by_id is not None}
    if not ids:
        return {}
    users = db.session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: name or email for uid, name, email in users}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None

